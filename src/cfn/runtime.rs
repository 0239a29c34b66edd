//! The Lambda runtime loop: run as `bootstrap` on `provided.al2023`
//! (`AWS_LAMBDA_RUNTIME_API` set), the binary takes invocations from
//! Lambda's Runtime API and answers each with the handlers' event.
//!
//! The backend is the aws one with each request's caller credentials.
//! Two variables change that, for tests and offline use only:
//! `LAMBDASIGN_CFN_STORE=DIR` (the local backend in DIR) and
//! `LAMBDASIGN_CFN_ENDPOINT=URL` (the aws backend against one endpoint,
//! such as `serve`).

use std::convert::Infallible;
use std::process::ExitCode;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use super::target::Target;

pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
pub const STORE: &str = "LAMBDASIGN_CFN_STORE";
#[cfg(feature = "aws")]
pub const ENDPOINT: &str = "LAMBDASIGN_CFN_ENDPOINT";

/// The backend the environment selects.
pub fn target_from_env() -> Result<Target, String> {
    if let Some(store) = std::env::var_os(STORE).filter(|s| !s.is_empty()) {
        return Ok(Target::Local {
            store: store.into(),
        });
    }
    #[cfg(feature = "aws")]
    return Ok(Target::Aws {
        endpoint: std::env::var(ENDPOINT).ok().filter(|s| !s.is_empty()),
    });
    #[cfg(not(feature = "aws"))]
    Err(format!("this build has no aws backend: set {STORE}"))
}

/// What `lambda_runtime` needs from the environment (it panics without it).
fn check_environment() -> Result<(), String> {
    for name in [
        RUNTIME_API,
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
    ] {
        if std::env::var_os(name).is_none() {
            return Err(format!("{name} is not set: not running in Lambda"));
        }
    }
    match std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").map(|m| m.parse::<i32>()) {
        Ok(Ok(_)) => Ok(()),
        _ => Err("AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not set to a whole number".into()),
    }
}

/// Serves invocations until the Runtime API goes away.
pub fn run() -> ExitCode {
    let target = match check_environment().and_then(|()| target_from_env()) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("lambdasign cfn: {e}");
            return ExitCode::FAILURE;
        }
    };
    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let target = target.clone();
        async move { Ok::<Value, Infallible>(super::handle(&target, event.payload).await) }
    });
    let served = crate::runtime::block_on(
        "lambdasign cfn",
        crate::runtime::Threads::Pool,
        ExitCode::FAILURE,
        lambda_runtime::run(handler),
    );
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("lambdasign cfn: the runtime loop ended: {e}");
            ExitCode::FAILURE
        }
        Err(code) => code,
    }
}
