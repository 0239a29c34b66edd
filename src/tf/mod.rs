//! The Terraform front end: the plugin protocol (handshake, mutual TLS,
//! gRPC, cty values, schemas, diagnostics, lifecycle), the provider
//! configuration, one thin adapter per resource and data source that
//! translates between cty values and the engine's models, and the
//! functions.

pub mod convert;
pub mod functions;
pub mod plugin;
pub mod provider;
pub mod resources;
pub mod values;
