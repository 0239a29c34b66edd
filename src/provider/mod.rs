//! The lambdasign provider: its configuration and the registry of its
//! resources, data sources and functions.

pub mod config;

use async_trait::async_trait;

use crate::functions;
use crate::plugin::cty::Value;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{DataSource, Function, Provider, Resource};
use crate::plugin::schema::Schema;
use config::BackendConfig;

/// What configuring the provider yields, handed to every resource call.
/// (The backends that act on it arrive with their own issues.)
#[derive(Debug)]
pub struct Client {
    pub backend: BackendConfig,
}

#[derive(Debug, Default)]
pub struct LambdaSign;

#[async_trait]
impl Provider for LambdaSign {
    type Client = Client;

    fn type_name(&self) -> &'static str {
        "lambdasign"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Client> {
        let backend = config::parse(config, diags)?;
        tracing::info!(?backend, "provider configured");
        Some(Client { backend })
    }

    fn resources(&self) -> Vec<Box<dyn Resource<Client>>> {
        let mut resources: Vec<Box<dyn Resource<Client>>> = Vec::new();
        resources.extend(crate::resources::internal_test_resources());
        resources
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<Client>>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Box<dyn Function>> {
        vec![
            Box::new(functions::FileDigest::hex()),
            Box::new(functions::FileDigest::base64()),
        ]
    }
}
