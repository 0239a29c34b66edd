//! The SDK configuration the aws backend runs on: region, shared-config
//! profile, the default credential chain (environment, profile, SSO, web
//! identity, IMDS), an optional assumed role, endpoint overrides and the
//! standard retry mode with `max_retries`.

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The aws backend's settings: the SDK's region, profile and credential
/// chain, an optional role to assume, endpoint overrides, and retries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub max_retries: Option<u32>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Endpoint overrides per service (LocalStack, moto, `serve`, VPC endpoints).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Endpoints {
    pub lambda: Option<String>,
    pub signer: Option<String>,
    pub s3: Option<String>,
    pub sts: Option<String>,
}

impl Endpoints {
    /// Every service at one URL (such as `serve`).
    pub fn all(url: &str) -> Self {
        Endpoints {
            lambda: Some(url.to_string()),
            signer: Some(url.to_string()),
            s3: Some(url.to_string()),
            sts: Some(url.to_string()),
        }
    }
}

/// The default session name of an assumed role.
pub const DEFAULT_SESSION_NAME: &str = "terraform-provider-lambdasign";

/// The four service clients, configured alike.
#[derive(Clone, Debug)]
pub struct Clients {
    pub signer: aws_sdk_signer::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
}

/// Whether the configuration points at a test stack (LocalStack, moto):
/// any endpoint override.
pub fn is_test_stack(config: &AwsConfig) -> bool {
    let e = &config.endpoints;
    e.lambda.is_some() || e.signer.is_some() || e.s3.is_some() || e.sts.is_some()
}

/// Resolves the SDK configuration (credentials are resolved lazily, on the
/// first call).
pub async fn sdk_config(config: &AwsConfig) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    // max_retries counts retries; the SDK counts attempts.
    let attempts = config.max_retries.map_or(3, |n| n.saturating_add(1));
    loader = loader.retry_config(RetryConfig::standard().with_max_attempts(attempts));
    let base = loader.load().await;
    let Some(role) = &config.assume_role else {
        return base;
    };
    let mut builder = AssumeRoleProvider::builder(role.role_arn.clone()).session_name(
        role.session_name
            .clone()
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
    );
    if let Some(external_id) = &role.external_id {
        builder = builder.external_id(external_id.clone());
    }
    // The role is assumed through the sts endpoint, when overridden.
    let sts_config = match &config.endpoints.sts {
        Some(url) => base.to_builder().endpoint_url(url.clone()).build(),
        None => base.clone(),
    };
    let provider = builder.configure(&sts_config).build().await;
    base.to_builder()
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// The service clients, each with its endpoint override (S3 path-style
/// when overridden, as LocalStack, moto and VPC endpoints need).
pub fn clients(sdk: &SdkConfig, config: &AwsConfig) -> Clients {
    let e = &config.endpoints;
    let mut signer = aws_sdk_signer::config::Builder::from(sdk);
    if let Some(url) = &e.signer {
        signer = signer.endpoint_url(url.clone()).interceptor(NoHostPrefix);
    }
    let mut lambda = aws_sdk_lambda::config::Builder::from(sdk);
    if let Some(url) = &e.lambda {
        lambda = lambda.endpoint_url(url.clone());
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk);
    if let Some(url) = &e.s3 {
        s3 = s3.endpoint_url(url.clone()).force_path_style(true);
    }
    let mut sts = aws_sdk_sts::config::Builder::from(sdk);
    if let Some(url) = &e.sts {
        sts = sts.endpoint_url(url.clone());
    }
    Clients {
        signer: aws_sdk_signer::Client::from_conf(signer.build()),
        lambda: aws_sdk_lambda::Client::from_conf(lambda.build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
    }
}

/// Keeps an overridden endpoint's host as given: Signer's data-plane calls
/// (GetRevocationStatus) otherwise prepend `data-` to it, which names no
/// host of a local endpoint (`data-127.0.0.1`).
#[derive(Debug)]
struct NoHostPrefix;

impl aws_smithy_runtime_api::client::interceptors::Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        cfg.interceptor_state()
            .unset::<aws_smithy_runtime_api::client::endpoint::EndpointPrefix>();
        Ok(())
    }
}
