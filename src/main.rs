//! Started by Terraform (go-plugin's magic cookie is set), the binary serves
//! the provider over gRPC; started by Lambda (`AWS_LAMBDA_RUNTIME_API` set)
//! it is the CloudFormation handler; started by a person or a pipeline, it
//! is a CLI.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use lambdasign::tf::plugin::server::{self, PluginEnv, MAGIC_COOKIE_KEY};
use lambdasign::tf::provider::LambdaSign;

fn main() -> ExitCode {
    // As `bootstrap` on Lambda's provided.al2023: the CloudFormation handler.
    if std::env::var_os(lambdasign::cfn::runtime::RUNTIME_API).is_some() {
        return lambdasign::cfn::runtime::run();
    }
    if std::env::var_os(MAGIC_COOKIE_KEY).is_none() {
        return lambdasign::cli::run();
    }
    lambdasign::tf::plugin::logging::init();
    let env = match PluginEnv::from_env() {
        Ok(env) => env,
        Err(e) => {
            tracing::error!(error = %e, "cannot start as a plugin");
            eprintln!("terraform-provider-lambdasign: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-lambdasign: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::serve(LambdaSign, env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "plugin server failed");
            eprintln!("terraform-provider-lambdasign: {e}");
            ExitCode::FAILURE
        }
    }
}
