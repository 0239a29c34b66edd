//! The Terraform plugin side: go-plugin handshake and mutual TLS, the gRPC
//! services, cty values, schemas, diagnostics and the traits a provider
//! implements. Nothing here knows about code signing.

pub mod cty;
pub mod diagnostics;
pub mod framework;
mod grpc;
pub mod logging;
pub mod plan;
pub mod proto;
pub mod schema;
pub mod server;
pub mod tls;
