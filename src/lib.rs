//! terraform-provider-lambdasign: a Terraform provider for AWS Lambda code
//! signing that verifies at plan time what Lambda would decide at deploy time.
//!
//! Data flows one way: Terraform -> [`plugin`] (decode, validate) ->
//! [`resources`] (plan/apply logic) -> [`signing`] (pure checks) and the
//! backends (side effects) -> [`plugin`] (encode, diagnostics).

#![forbid(unsafe_code)]

pub mod backend;
pub mod cli;
pub mod functions;
pub mod plugin;
pub mod provider;
pub mod resources;
pub mod signing;
