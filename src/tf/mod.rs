//! The Terraform front end: the plugin protocol (handshake, mutual TLS,
//! gRPC, cty values, schemas, diagnostics), the provider configuration,
//! one thin adapter per resource and data source, and the functions.

pub mod functions;
pub mod plugin;
pub mod provider;
pub mod resources;
