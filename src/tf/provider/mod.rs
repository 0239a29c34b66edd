//! The lambdasign provider: its configuration (which opens the engine) and
//! the registry of its resources, data sources and functions.

pub mod config;

use async_trait::async_trait;

use crate::engine::Engine;
use crate::tf::functions;
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, Function, Provider, Resource};
use crate::tf::plugin::schema::Schema;

#[derive(Debug, Default)]
pub struct LambdaSign;

#[async_trait]
impl Provider for LambdaSign {
    type Client = Engine;

    fn schema(&self) -> Schema {
        config::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Engine> {
        let settings = config::parse(config, diags)?;
        tracing::info!(backend = ?settings.backend, "provider configured");
        match Engine::connect(&settings.backend).await {
            Ok(connected) => {
                crate::tf::convert::warnings("Provider backend", &connected.warnings, diags);
                Some(
                    connected
                        .engine
                        .with_default_tags(settings.default_tags)
                        .sharing_plans_with_the_run(),
                )
            }
            Err(e) => {
                let at = match settings.backend {
                    crate::engine::BackendConfig::Local(_) => {
                        let field = e.field.as_ref().map(ToString::to_string);
                        let at = match field.as_deref() {
                            Some("key_file") => "key_file",
                            _ => "path",
                        };
                        Some(AttributePath::attr("local").then(at))
                    }
                    #[cfg(feature = "aws")]
                    crate::engine::BackendConfig::Aws(_) => None,
                };
                match at {
                    Some(at) => diags.error_at(at, "Cannot open the backend", e.to_string()),
                    None => diags.error("Cannot open the backend", e.to_string()),
                }
                None
            }
        }
    }

    fn resources(&self) -> Vec<Box<dyn Resource<Engine>>> {
        crate::tf::resources::all()
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<Engine>>> {
        crate::tf::resources::data_sources()
    }

    fn functions(&self) -> Vec<Box<dyn Function>> {
        vec![
            Box::new(functions::FileDigest::hex()),
            Box::new(functions::FileDigest::base64()),
        ]
    }
}
