//! terraform-provider-lambdasign: AWS Lambda code signing end to end, with
//! what Lambda would decide at deploy time said before deployment.
//!
//! The layers, from the bottom up; each imports only the ones below it:
//! - [`domain`]: pure rules and model types: ARNs, digests, the signature
//!   envelope and keys, Lambda's four checks, the facts they read.
//! - [`backend`]: data access behind one trait: `local` (an embedded SQLite
//!   emulation of Signer and Lambda) and `aws` (the AWS SDK).
//! - `engine`: one module per resource with its use cases.
//! - front ends that only translate: [`tf`] (the Terraform plugin),
//!   [`cfn`] (CloudFormation), `serve` (an AWS-compatible endpoint) and
//!   `cli`; [`main`] picks one. They are crate-private but for what tests
//!   drive (`tf::plugin::proto`, `cfn::target`), so dead code in them is a
//!   warning.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backend;
pub mod cfn;
pub(crate) mod cli;
pub mod domain;
pub mod engine;
pub(crate) mod http_server;
pub(crate) mod runtime;
pub(crate) mod serve;
pub mod tf;

use std::process::ExitCode;

/// What the binary does, by who started it: Terraform (go-plugin's magic
/// cookie is set) gets the provider over gRPC; Lambda
/// (`AWS_LAMBDA_RUNTIME_API` is set) the CloudFormation handler; a person
/// or a pipeline the CLI.
pub fn main() -> ExitCode {
    if std::env::var_os(cfn::runtime::RUNTIME_API).is_some() {
        return cfn::runtime::run();
    }
    if std::env::var_os(tf::plugin::server::MAGIC_COOKIE_KEY).is_none() {
        return cli::run();
    }
    tf::run_plugin()
}
