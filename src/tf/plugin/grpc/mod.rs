//! The gRPC services a go-plugin server offers Terraform.

mod controller;
mod convert;
mod health;
mod provider;
mod stdio;

pub use controller::ControllerService;
pub use health::HealthService;
pub use provider::ProviderService;
pub use stdio::StdioService;
