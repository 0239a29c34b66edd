//! The Terraform plugin side: go-plugin handshake and mutual TLS, the gRPC
//! services, cty values, schemas, diagnostics, the traits a provider
//! implements and the lifecycle around them. Nothing here knows about code
//! signing; schemas carry the engine's field rules as data.

pub mod cty;
pub mod diagnostics;
pub mod framework;
mod grpc;
pub mod lifecycle;
pub mod logging;
pub mod plan;
pub mod proto;
pub mod schema;
pub mod server;
pub mod tls;
