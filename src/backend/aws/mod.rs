//! The aws backend: AWS Signer, Lambda and S3 through the AWS SDK for Rust.
//!
//! - `config`: the SDK configuration (region, profile, credential chain,
//!   assumed role, endpoint overrides, standard retries).
//! - `signer`, `lambda`, `s3`: the calls, one file per service.
//! - `errors`: service error codes as [`BackendError`]s.
//!
//! What the four checks can know on AWS (`signature_evidence`), precisely:
//! - Function code in S3 and a layer version are judged by their bytes
//!   (`content`): the object version named, or the content Lambda serves
//!   for the layer. An `LSIG` envelope gives the claims and the content
//!   digest; the signature is confirmed by the job's own output having the
//!   same bytes where this account can read the job, and another account's
//!   revocation comes from GetRevocationStatus. Bytes without an envelope
//!   are tied to the job of this account whose untouched output has them.
//! - A signing job (by ARN): DescribeSigningJob gives the profile version,
//!   the signing and expiry times and the job's revocation record;
//!   GetSigningProfile (with the job owner as profileOwner) gives the
//!   profile's revocation record (`revocationEffectiveFrom`, `revokedAt`),
//!   applied when its profile version is the job's. Integrity is **Valid**
//!   when the job succeeded and its signed object still exists in S3;
//!   **Invalid** when the job failed, is still in progress, or its signed
//!   object is gone.
//! - A local signed file: `InvalidInput`, since nothing ties a local file
//!   to a Signer job on AWS; name the job by `signing_job_arn` instead.

pub mod config;
mod content;
mod download;
pub(crate) mod errors;
mod functions;
pub(crate) mod lambda;
pub mod s3;
pub(crate) mod signer;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::*;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::facts::{ArtifactRef, Bytes, Claims, Evidence, Lookup};
use crate::domain::function::Function;
use crate::domain::identity::Identity;
use crate::domain::job::{JobStatus, ObjectLocation, SigningJob};
use crate::domain::layer::{LayerPolicy, LayerVersion};
use crate::domain::permission::ProfilePermissions;
use crate::domain::profile::SigningProfile;
use crate::domain::tags::Tags;
pub use config::{AssumeRole, AwsConfig, Clients, Endpoints};

/// How a signing job is polled: exponential backoff from `initial` to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Poll {
    fn default() -> Self {
        Poll {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(15),
        }
    }
}

/// The aws backend acting as the configured credentials' account.
#[derive(Debug)]
pub struct AwsBackend {
    identity: Identity,
    clients: Clients,
    poll: Poll,
    /// SHA-384 of signed objects by (bucket, key, ETag): read once per
    /// object version per process, not at every refresh.
    digests: Mutex<HashMap<(String, String, String), String>>,
}

/// What configuring the aws backend produced, with warnings to show.
pub struct Connected {
    pub backend: AwsBackend,
    pub warnings: Vec<String>,
}

/// Why the aws backend could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("no AWS region: set `region`, or AWS_REGION, or a profile's region")]
    NoRegion,
    #[error("invalid AWS credentials: {0}")]
    Credentials(String),
}

/// The account id used when a test stack's STS cannot say who we are.
pub const TEST_STACK_ACCOUNT: &str = "123456789012";

impl AwsBackend {
    /// A backend over ready clients (tests use mocked clients).
    pub fn new(identity: Identity, clients: Clients) -> Self {
        AwsBackend {
            identity,
            clients,
            poll: Poll::default(),
            digests: Mutex::default(),
        }
    }

    pub fn with_poll(mut self, poll: Poll) -> Self {
        self.poll = poll;
        self
    }

    /// Builds the SDK configuration and checks the credentials with
    /// sts:GetCallerIdentity. Against a test stack (any endpoint override)
    /// a failed check is a warning and the account is `123456789012`.
    pub async fn connect(config: &AwsConfig) -> Result<Connected, ConnectError> {
        let sdk = config::sdk_config(config).await;
        let Some(region) = sdk.region().map(|r| r.to_string()) else {
            return Err(ConnectError::NoRegion);
        };
        let clients = config::clients(&sdk, config);
        let test_stack = config::is_test_stack(config);
        let mut warnings = Vec::new();
        let partition = Identity::partition_of(&region);
        let account_id = match clients.sts.get_caller_identity().send().await {
            Ok(out) => out.account().unwrap_or(TEST_STACK_ACCOUNT).to_string(),
            Err(e) => {
                let detail = format!(
                    "sts:GetCallerIdentity failed in {region}{}{}: {}",
                    config
                        .profile
                        .as_ref()
                        .map(|p| format!(" with profile {p:?}"))
                        .unwrap_or_default(),
                    config
                        .assume_role
                        .as_ref()
                        .map(|r| format!(" assuming {}", r.role_arn))
                        .unwrap_or_default(),
                    aws_sdk_sts::error::DisplayErrorContext(&e)
                );
                if !test_stack {
                    return Err(ConnectError::Credentials(format!("{detail}. Check the credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or `profile`, SSO login, web identity, instance role) and `assume_role`.")));
                }
                warnings.push(format!("credentials not checked: {detail}. Endpoints are overridden (a test stack), so the provider goes on as account {TEST_STACK_ACCOUNT}."));
                TEST_STACK_ACCOUNT.to_string()
            }
        };
        Ok(Connected {
            backend: AwsBackend::new(
                Identity {
                    partition,
                    account_id,
                    region,
                },
                clients,
            ),
            warnings,
        })
    }

    /// The SHA-384 of an S3 object, `None` when it does not exist.
    pub(crate) async fn object_digest(
        &self,
        bucket: &str,
        key: &str,
    ) -> BackendResult<Option<String>> {
        let Some(etag) = s3::head(&self.clients.s3, bucket, key).await? else {
            return Ok(None);
        };
        let cache_key = (bucket.to_string(), key.to_string(), etag);
        if let Some(hit) = self.cached(&cache_key) {
            return Ok(Some(hit));
        }
        let digest = match s3::digest(&self.clients.s3, bucket, key, None).await {
            Ok(digest) => digest,
            Err(BackendError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if let Ok(mut map) = self.digests.lock() {
            map.insert(cache_key, digest.clone());
        }
        Ok(Some(digest))
    }

    fn cached(&self, key: &(String, String, String)) -> Option<String> {
        self.digests.lock().ok()?.get(key).cloned()
    }

    /// What can be established about a job's signature on AWS: the job
    /// record (Signer's word for the claims), whether its signed object is
    /// still there (`object_matters`; not for layers, whose content Lambda
    /// keeps), and the signing profile's record.
    async fn job_evidence(&self, job_arn: &str, object_matters: bool) -> BackendResult<Evidence> {
        let job_id = signer::job_id_of(job_arn);
        let job = self.describe_job_record(job_id).await?;
        let bytes = match (&job.status, &job.signed_object) {
            (JobStatus::Failed | JobStatus::InProgress, _) => Bytes::NoOutput,
            (JobStatus::Succeeded, _) if !object_matters => Bytes::HeldByLambda,
            (JobStatus::Succeeded, ObjectLocation::S3 { bucket, key, .. })
                if !bucket.is_empty() =>
            {
                match s3::head(&self.clients.s3, bucket, key).await? {
                    Some(_) => Bytes::JobOutputPresent,
                    None => Bytes::Missing(format!("s3://{bucket}/{key}")),
                }
            }
            _ => Bytes::Missing("the signing job names no signed object".into()),
        };
        let owner =
            (job.profile_owner != self.identity.account_id).then_some(job.profile_owner.as_str());
        let job_version = job
            .profile_version_arn
            .rsplit_once('/')
            .map_or("", |(_, version)| version);
        let profile = match self.signer_get_profile(&job.profile_name, owner).await {
            // GetSigningProfile speaks for the current version only: its
            // revocation record is the signing version's only if that is it.
            Ok(mut profile) if !job_version.is_empty() && profile.version == job_version => {
                profile.version_arn = job.profile_version_arn.clone();
                Lookup::Found(profile)
            }
            Ok(profile) => Lookup::Missing(format!(
                "cannot be read: Signer reports only the profile's current version ({}), whose revocation record is not this version's",
                if profile.version.is_empty() { "none" } else { profile.version.as_str() }
            )),
            Err(BackendError::NotFound(_)) => {
                Lookup::Missing("is not known to Signer (the profile cannot be found)".into())
            }
            Err(BackendError::AccessDenied(why)) => {
                Lookup::Missing(format!("cannot be read by this account ({why})"))
            }
            Err(e) => return Err(e),
        };
        Ok(Evidence::signed(
            Claims {
                profile_version_arn: job.profile_version_arn.clone(),
                job_arn: job.job_arn.clone(),
                signed_at: job.signed_at,
                expires_at: job.signature_expires_at,
            },
            bytes,
            Lookup::Found(job),
            profile,
        ))
    }
}

#[async_trait]
impl Backend for AwsBackend {
    fn identity(&self) -> &Identity {
        &self.identity
    }

    fn kind(&self) -> Kind {
        Kind::Aws
    }

    async fn put_signing_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.signer_put_profile(request).await
    }

    async fn get_signing_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile> {
        self.signer_get_profile(name, owner).await
    }

    async fn set_signing_profile_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile> {
        self.signer_set_tags(name, tags).await
    }

    async fn list_signing_profiles(&self) -> BackendResult<Vec<SigningProfile>> {
        self.signer_list_profiles().await
    }

    async fn cancel_signing_profile(&self, name: &str) -> BackendResult<()> {
        self.signer_cancel_profile(name).await
    }

    async fn revoke_signing_profile(
        &self,
        request: RevokeSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.signer_revoke_profile(request).await
    }

    async fn add_profile_permission(&self, request: AddProfilePermission) -> BackendResult<String> {
        self.signer_add_permission(request).await
    }

    async fn list_profile_permissions(
        &self,
        profile_name: &str,
    ) -> BackendResult<ProfilePermissions> {
        self.signer_list_permissions(profile_name).await
    }

    async fn remove_profile_permission(
        &self,
        profile_name: &str,
        statement_id: &str,
        revision_id: &str,
    ) -> BackendResult<String> {
        self.signer_remove_permission(profile_name, statement_id, revision_id)
            .await
    }

    async fn start_signing_job(&self, request: StartSigningJob) -> BackendResult<SigningJob> {
        self.signer_start_job(request).await
    }

    async fn describe_signing_job(&self, job_id: &str) -> BackendResult<SigningJob> {
        self.signer_describe_job(job_id).await
    }

    async fn list_signing_jobs(&self, filter: JobFilter) -> BackendResult<Vec<SigningJob>> {
        self.signer_list_jobs(&filter).await
    }

    async fn revoke_signature(&self, job_id: &str, reason: &str) -> BackendResult<()> {
        self.signer_revoke_signature(job_id, reason).await
    }

    async fn create_code_signing_config(
        &self,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        self.lambda_create_csc(request).await
    }

    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig> {
        self.lambda_get_csc(arn).await
    }

    async fn list_code_signing_configs(&self) -> BackendResult<Vec<CodeSigningConfig>> {
        self.lambda_list_cscs().await
    }

    async fn update_code_signing_config(
        &self,
        arn: &str,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        self.lambda_update_csc(arn, request).await
    }

    async fn delete_code_signing_config(&self, arn: &str) -> BackendResult<()> {
        self.lambda_delete_csc(arn).await
    }

    async fn list_functions_by_code_signing_config(&self, arn: &str) -> BackendResult<Vec<String>> {
        self.lambda_csc_users(arn).await
    }

    async fn function_signing(&self, function: &str) -> BackendResult<FunctionSigning> {
        self.lambda_function_signing(function).await
    }

    async fn create_function(&self, request: CreateFunction) -> BackendResult<Function> {
        self.lambda_create_function(request).await
    }

    async fn get_function(&self, function: &str) -> BackendResult<Function> {
        self.lambda_get_function(function).await
    }

    async fn update_function_code(&self, request: UpdateFunctionCode) -> BackendResult<Function> {
        self.lambda_update_function_code(request).await
    }

    async fn update_function_configuration(
        &self,
        request: UpdateFunctionConfiguration,
    ) -> BackendResult<Function> {
        self.lambda_update_function_configuration(request).await
    }

    async fn delete_function(&self, function: &str) -> BackendResult<()> {
        self.lambda_delete_function(function).await
    }

    async fn put_function_code_signing_config(
        &self,
        function: &str,
        csc_arn: &str,
    ) -> BackendResult<()> {
        self.lambda_put_function_csc(function, csc_arn).await
    }

    async fn delete_function_code_signing_config(&self, function: &str) -> BackendResult<()> {
        self.lambda_delete_function_csc(function).await
    }

    async fn list_tags(&self, arn: &str) -> BackendResult<Tags> {
        self.tags_of(arn).await
    }

    async fn tag_resource(&self, arn: &str, tags: Tags) -> BackendResult<()> {
        self.tag(arn, tags).await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        self.untag(arn, keys).await
    }

    async fn publish_layer_version(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion> {
        self.lambda_publish_layer(request).await
    }

    async fn get_layer_version(&self, layer_version_arn: &str) -> BackendResult<LayerVersion> {
        self.lambda_get_layer(layer_version_arn).await
    }

    async fn list_layer_versions(&self, layer_name: &str) -> BackendResult<Vec<LayerVersion>> {
        self.lambda_list_layer_versions(layer_name).await
    }

    async fn delete_layer_version(&self, layer_name: &str, version: i64) -> BackendResult<()> {
        self.lambda_delete_layer(layer_name, version).await
    }

    async fn add_layer_permission(
        &self,
        request: AddLayerPermission,
    ) -> BackendResult<LayerPolicy> {
        self.lambda_add_layer_permission(request).await
    }

    async fn get_layer_policy(&self, layer_name: &str, version: i64) -> BackendResult<LayerPolicy> {
        self.lambda_get_layer_policy(layer_name, version).await
    }

    async fn remove_layer_permission(
        &self,
        layer_name: &str,
        version: i64,
        statement_id: &str,
        revision_id: Option<&str>,
    ) -> BackendResult<()> {
        self.lambda_remove_layer_permission(layer_name, version, statement_id, revision_id)
            .await
    }

    async fn signature_evidence(&self, artifact: &ArtifactRef) -> BackendResult<Evidence> {
        match artifact {
            ArtifactRef::SignedFile(path) => Err(BackendError::invalid("signed_file", format!(
                "{}: on the aws backend a local file cannot be attributed to a signing job (Signer's signature travels with Lambda's copy, not in a form this provider can check); name the job with `signing_job_arn` (or the layer with `layer_version_arn`) instead",
                path.display()
            ))),
            ArtifactRef::S3Object {
                bucket,
                key,
                version,
            } => self.object_evidence(bucket, key, version.as_deref()).await,
            ArtifactRef::SigningJob(arn) => self.job_evidence(arn, true).await,
            ArtifactRef::LayerVersion(arn) => self.layer_evidence(arn).await,
        }
    }
}
