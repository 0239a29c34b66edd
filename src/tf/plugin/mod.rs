//! The Terraform plugin side: go-plugin handshake and mutual TLS, the gRPC
//! services, cty values, schemas, diagnostics, the traits a provider
//! implements and the lifecycle around them. Nothing here knows about code
//! signing; schemas carry the engine's field rules as data.

pub(crate) mod cty;
pub(crate) mod diagnostics;
pub(crate) mod framework;
mod grpc;
pub(crate) mod lifecycle;
pub(crate) mod logging;
pub(crate) mod plan;
pub mod proto;
pub(crate) mod schema;
pub(crate) mod server;
pub(crate) mod tls;
