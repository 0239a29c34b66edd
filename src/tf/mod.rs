//! The Terraform front end: the plugin protocol (handshake, mutual TLS,
//! gRPC, cty values, schemas, diagnostics, lifecycle), the provider
//! configuration, one thin adapter per resource and data source that
//! translates between cty values and the engine's models, and the
//! functions.

pub(crate) mod convert;
pub(crate) mod functions;
pub mod plugin;
pub(crate) mod provider;
pub(crate) mod resources;
pub(crate) mod values;

use std::process::ExitCode;

use plugin::server::{self, PluginEnv};
use provider::LambdaSign;

/// Serves the provider to the Terraform that started this process, until
/// Terraform shuts it down.
pub(crate) fn run_plugin() -> ExitCode {
    plugin::logging::init();
    let env = match PluginEnv::from_env() {
        Ok(env) => env,
        Err(e) => {
            tracing::error!(error = %e, "cannot start as a plugin");
            eprintln!("terraform-provider-lambdasign: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = crate::runtime::block_on(
        "terraform-provider-lambdasign",
        crate::runtime::Threads::Pool,
        ExitCode::FAILURE,
        server::serve(LambdaSign, env),
    );
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "plugin server failed");
            eprintln!("terraform-provider-lambdasign: {e}");
            ExitCode::FAILURE
        }
        Err(code) => code,
    }
}
