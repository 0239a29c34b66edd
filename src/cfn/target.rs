//! Which backend the handlers run on, and the engine each request gets:
//! acting as the request's account, in its region, with its caller's
//! credentials (aws) and its stack tags as default tags.

use std::path::PathBuf;

use super::protocol::Credentials;
use crate::backend::local::LocalConfig;
use crate::domain::names;
use crate::domain::tags::Tags;
use crate::engine::{BackendConfig, Engine, EngineError};

/// Where the handlers' backend is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The embedded store in this directory (`cfn-invoke --store`).
    Local { store: PathBuf },
    /// The AWS services, or one AWS-compatible endpoint for all of them
    /// (`cfn-invoke --endpoint`, such as `serve`).
    #[cfg(feature = "aws")]
    Aws { endpoint: Option<String> },
}

/// Who a request acts as.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub credentials: Option<Credentials>,
    pub stack_tags: Tags,
}

/// Why an engine could not be made for a request: the HandlerErrorCode
/// speaks of credentials, not of the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// No usable caller credentials (aws).
    Credentials(String),
    /// The engine itself failed to start.
    Engine(EngineError),
}

impl Target {
    /// Makes the embedded store if it is missing: the handlers own their
    /// store (as `serve` does), so a request for what was never made is
    /// NotFound, never "no store". The Terraform provider, by contrast,
    /// refuses a store that moved.
    pub fn make_store(&self) -> Result<(), crate::backend::BackendError> {
        match self {
            Target::Local { store } => crate::backend::local::LocalBackend::open(&LocalConfig {
                path: store.clone(),
                account_id: names::EXAMPLE_ACCOUNT.to_string(),
                region: LocalConfig::DEFAULT_REGION.to_string(),
                key_file: None,
            })
            .and_then(|local| local.create_store()),
            #[cfg(feature = "aws")]
            Target::Aws { .. } => Ok(()),
        }
    }

    /// The engine for one request.
    pub async fn engine(&self, caller: &Caller) -> Result<Engine, ConnectError> {
        let region = caller
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_else(|| LocalConfig::DEFAULT_REGION.to_string());
        names::region(&region).map_err(|e| {
            ConnectError::Engine(EngineError::invalid(
                "region",
                format!("request region: {}", e.0),
            ))
        })?;
        let account_id = caller
            .account_id
            .clone()
            .unwrap_or_else(|| names::EXAMPLE_ACCOUNT.to_string());
        names::account_id(&account_id).map_err(|e| {
            ConnectError::Engine(EngineError::invalid(
                "aws_account_id",
                format!("request account: {}", e.0),
            ))
        })?;
        let engine = match self {
            Target::Local { store } => {
                // A file check per request; the store is opened once, below.
                if !store.join(crate::backend::local::DB_FILE).exists() {
                    self.make_store()
                        .map_err(|e| ConnectError::Engine(EngineError::from(e)))?;
                }
                let config = BackendConfig::Local(LocalConfig {
                    path: store.clone(),
                    account_id,
                    region,
                    // The store key comes from LAMBDASIGN_STORE_KEY, if set.
                    key_file: None,
                });
                Engine::connect(&config)
                    .await
                    .map_err(ConnectError::Engine)?
                    .engine
            }
            #[cfg(feature = "aws")]
            Target::Aws { endpoint } => {
                aws_engine(endpoint.as_deref(), caller, &account_id, &region).await?
            }
        };
        Ok(engine.with_default_tags(caller.stack_tags.clone()))
    }
}

/// The aws backend with the caller's credentials: CloudFormation names the
/// account and region, so no STS call is needed to learn them.
#[cfg(feature = "aws")]
async fn aws_engine(
    endpoint: Option<&str>,
    caller: &Caller,
    account_id: &str,
    region: &str,
) -> Result<Engine, ConnectError> {
    use crate::backend::aws::{config, AwsBackend, AwsConfig, Endpoints};
    use crate::domain::identity::Identity;

    let credentials = caller.credentials.as_ref().ok_or_else(|| {
        ConnectError::Credentials("the request carries no callerCredentials".into())
    })?;
    let (Some(key), Some(secret)) = (
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
    ) else {
        return Err(ConnectError::Credentials(
            "callerCredentials lack an access key id or a secret access key".into(),
        ));
    };
    let provider = aws_sdk_sts::config::Credentials::new(
        key,
        secret,
        credentials.session_token.clone(),
        None,
        "cloudformation-caller",
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(provider)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(4))
        .load()
        .await;
    let settings = AwsConfig {
        region: Some(region.to_string()),
        endpoints: endpoint.map(Endpoints::all).unwrap_or_default(),
        ..AwsConfig::default()
    };
    let clients = config::clients(&sdk, &settings);
    let identity = Identity {
        partition: Identity::partition_of(region),
        account_id: account_id.to_string(),
        region: region.to_string(),
    };
    Ok(Engine::new(std::sync::Arc::new(AwsBackend::new(
        identity, clients,
    ))))
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Credentials(why) => write!(f, "invalid caller credentials: {why}"),
            ConnectError::Engine(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_engines_act_as_the_request_account_and_region() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Local {
            store: dir.path().to_path_buf(),
        };
        let caller = Caller {
            account_id: Some("111111111111".into()),
            region: Some("eu-west-1".into()),
            ..Caller::default()
        };
        let engine = target.engine(&caller).await.unwrap();
        assert_eq!(engine.identity().account_id, "111111111111");
        assert_eq!(engine.identity().region, "eu-west-1");
        let bad = Caller {
            account_id: Some("12".into()),
            ..Caller::default()
        };
        assert!(target.engine(&bad).await.is_err());
    }

    #[cfg(feature = "aws")]
    #[tokio::test]
    async fn the_aws_backend_needs_the_callers_credentials() {
        let target = Target::Aws {
            endpoint: Some("http://127.0.0.1:9".into()),
        };
        let refused = target.engine(&Caller::default()).await.err();
        assert!(matches!(refused, Some(ConnectError::Credentials(_))));
        let caller = Caller {
            account_id: Some("222222222222".into()),
            region: Some("us-west-2".into()),
            credentials: Some(Credentials {
                access_key_id: Some("AKIDEXAMPLE".into()),
                secret_access_key: Some("secret".into()),
                session_token: None,
            }),
            ..Caller::default()
        };
        let engine = target.engine(&caller).await.unwrap();
        assert_eq!(engine.identity().account_id, "222222222222");
    }
}
