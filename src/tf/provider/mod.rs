//! The lambdasign provider: its configuration and the registry of its
//! resources, data sources and functions.

pub mod config;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::backend::aws::AwsBackend;
use crate::backend::local::LocalBackend;
use crate::backend::Backend;
use crate::tf::functions;
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::AttributePath;
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{DataSource, Function, Provider, Resource};
use crate::tf::plugin::schema::Schema;
use config::BackendConfig;

/// What configuring the provider yields, handed to every resource call.
pub struct Client {
    pub backend: Arc<dyn Backend>,
    /// Serialises read-modify-write cycles on one policy (a profile's or a
    /// layer version's) inside this process; revision ids catch the rest.
    pub policy_locks: KeyedLocks,
}

/// One async mutex per key, created on first use.
#[derive(Default)]
pub struct KeyedLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let mutex = match self.0.lock() {
            Ok(mut map) => map.entry(key.to_string()).or_default().clone(),
            Err(poisoned) => poisoned
                .into_inner()
                .entry(key.to_string())
                .or_default()
                .clone(),
        };
        mutex.lock_owned().await
    }
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
        let settings = config::parse(config, diags)?;
        tracing::info!(?settings, "provider configured");
        let backend: Arc<dyn Backend> = match settings {
            BackendConfig::Local(local) => {
                match LocalBackend::open(&local.path, &local.account_id, &local.region) {
                    Ok(backend) => Arc::new(backend),
                    Err(e) => {
                        diags.error_at(
                            AttributePath::attr("local").then("path"),
                            "Cannot open the local store",
                            format!("{}: {e}", local.path.display()),
                        );
                        return None;
                    }
                }
            }
            BackendConfig::Aws(aws) => match AwsBackend::connect(&aws).await {
                Ok(connected) => {
                    for (summary, detail) in connected.warnings {
                        diags.warning(summary, detail);
                    }
                    Arc::new(connected.backend)
                }
                Err((summary, detail)) => {
                    diags.error(summary, detail);
                    return None;
                }
            },
        };
        Some(Client {
            backend,
            policy_locks: KeyedLocks::default(),
        })
    }

    fn resources(&self) -> Vec<Box<dyn Resource<Client>>> {
        crate::tf::resources::all()
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<Client>>> {
        crate::tf::resources::data_sources()
    }

    fn functions(&self) -> Vec<Box<dyn Function>> {
        vec![
            Box::new(functions::FileDigest::hex()),
            Box::new(functions::FileDigest::base64()),
        ]
    }
}
