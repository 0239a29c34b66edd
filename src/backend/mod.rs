//! Data access: Signer, Lambda and S3 as the engine needs them, behind one
//! trait. Two implementations: `local` (an embedded SQLite store, offline)
//! and `aws` (the AWS SDK). Each has its own configuration type; the engine
//! never knows which one it talks to.
//!
//! A backend stores and fetches; it decides nothing about Lambda's checks.
//! For verification it hands over [`Evidence`] (the records it found and
//! what it could check of the bytes), from which the domain builds facts.

#[cfg(feature = "aws")]
pub mod aws;
pub mod local;
pub mod requests;

use std::fmt;
use std::path::Path;

use async_trait::async_trait;

pub use requests::*;

use crate::domain::csc::CodeSigningConfig;
use crate::domain::facts::{ArtifactRef, Evidence};
use crate::domain::field::FieldError;
use crate::domain::function::Function;
use crate::domain::identity::Identity;
use crate::domain::job::SigningJob;
use crate::domain::layer::{LayerPolicy, LayerVersion};
use crate::domain::permission::ProfilePermissions;
use crate::domain::profile::SigningProfile;
use crate::domain::tags::Tags;

/// What a backend call was about, for errors that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    SigningProfile(String),
    ProfileVersion(String),
    ProfileStatement {
        profile: String,
        statement_id: String,
    },
    SigningJob(String),
    CodeSigningConfig(String),
    Function(String),
    LayerVersion(String),
    LayerStatement {
        layer_version: String,
        statement_id: String,
    },
    LayerPolicy(String),
    Object(String),
    Bucket(String),

    /// As a service named it, when it did not say which object.
    Named(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::SigningProfile(name) => write!(f, "signing profile {name}"),
            Subject::ProfileVersion(arn) => write!(f, "signing profile version {arn}"),
            Subject::ProfileStatement {
                profile,
                statement_id,
            } => write!(
                f,
                "statement {statement_id:?} in the policy of signing profile {profile}"
            ),
            Subject::SigningJob(id) => write!(f, "signing job {id}"),
            Subject::CodeSigningConfig(arn) => write!(f, "code signing config {arn}"),
            Subject::Function(name) => write!(f, "function {name}"),
            Subject::LayerVersion(arn) => write!(f, "layer version {arn}"),
            Subject::LayerStatement {
                layer_version,
                statement_id,
            } => write!(
                f,
                "statement {statement_id:?} in the policy of layer version {layer_version}"
            ),
            Subject::LayerPolicy(arn) => write!(f, "the policy of layer version {arn}"),
            Subject::Object(location) => write!(f, "object {location}"),
            Subject::Bucket(name) => write!(f, "bucket {name}"),

            Subject::Named(text) => f.write_str(text),
        }
    }
}

/// What a backend call can fail with, in terms the engine acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The object does not exist (or is not visible to this account).
    #[error("{0} not found")]
    NotFound(Subject),
    /// The object exists, or existed: names are never reused.
    #[error("{subject} already exists: {detail}")]
    AlreadyExists { subject: Subject, detail: String },
    /// The request conflicts with the object's state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A revision id was stale: someone changed the object since it was read.
    #[error("stale revision: {0}")]
    StaleRevision(String),
    /// The request itself is invalid, with the field it names.
    #[error("invalid {0}")]
    InvalidInput(FieldError),
    /// This account may not do that (a cross-account grant is missing).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The object is still used by others.
    #[error("{subject} is in use by {}", users.join(", "))]
    InUse {
        subject: Subject,
        users: Vec<String>,
    },
    /// The signing job ran and failed; the status reason says why.
    #[error("signing job failed: {0}")]
    JobFailed(String),
    /// The local store does not exist (at the path named): nothing can be
    /// read from it, and it is not an empty world either.
    #[error("the store at {0} does not exist; did `path` change?")]
    NoStore(String),
    /// Lambda refused to deploy code under its code signing config.
    #[error("{0}")]
    Rejected(crate::domain::function::DeployRejection),
    /// The service asked to slow down, and the retries ran out.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The service failed (a 5xx answer, retries spent): worth another try
    /// later.
    #[error("the service failed: {0}")]
    Unavailable(String),
    /// No answer came (the connection failed or timed out).
    #[error("no answer from the service: {0}")]
    Network(String),
    /// An account limit or quota is reached.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The credentials were refused: unknown, expired, or signing with the
    /// wrong secret.
    #[error("the credentials were refused: {0}")]
    Credentials(String),
    /// The service refused the call with an error code this provider does
    /// not know (a 4xx answer; its code and message are kept).
    #[error("the service refused the call: {0}")]
    Service(String),
    /// Anything else: I/O, the store, an answer that breaks the API.
    #[error("{0}")]
    Internal(String),
}

impl BackendError {
    /// An invalid request field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        BackendError::InvalidInput(FieldError::new(field, message))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, BackendError::NotFound(_))
    }

    /// Whether what was looked up is absent, with no store to hold it at all
    /// counted as absent (plan-time look-ups; never a refresh).
    pub fn is_absent(&self) -> bool {
        matches!(self, BackendError::NotFound(_) | BackendError::NoStore(_))
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// Which implementation a backend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The embedded emulation (only Lambda's platform, local files).
    Local,
    /// The real services.
    Aws,
}

/// Signer, Lambda and S3 as the engine needs them. Every method acts as
/// the configured account (`identity()`); cross-account access follows the
/// permissions the owning account granted.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The account and region this backend acts as.
    fn identity(&self) -> &Identity;
    fn kind(&self) -> Kind;
    /// A directory that no output may be written into: the embedded
    /// store's, whose database, keys and journal a signed zip would destroy.
    fn store_dir(&self) -> Option<&Path> {
        None
    }

    // --- Signer: signing profiles -------------------------------------------------

    /// Creates a profile. A name in use, or used before (canceled or
    /// revoked), is `AlreadyExists`: Signer never reuses names.
    async fn put_signing_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile>;
    /// A profile by name, owned by `owner` (default: this account). Canceled
    /// profiles are returned with their status; the engine decides what gone means.
    async fn get_signing_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile>;
    /// This account's profiles, canceled ones included.
    async fn list_signing_profiles(&self) -> BackendResult<Vec<SigningProfile>>;
    async fn set_signing_profile_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile>;
    async fn cancel_signing_profile(&self, name: &str) -> BackendResult<()>;
    /// Revokes a profile version for signatures made at or after
    /// `effective_time` (see `domain::profile::revocation_change`).
    async fn revoke_signing_profile(
        &self,
        request: RevokeSigningProfile,
    ) -> BackendResult<SigningProfile>;

    // --- Signer: profile permissions ---------------------------------------------

    /// Adds one statement; `revision_id` (if given) must match the policy's
    /// current revision. Returns the new revision id.
    async fn add_profile_permission(&self, request: AddProfilePermission) -> BackendResult<String>;
    async fn list_profile_permissions(
        &self,
        profile_name: &str,
    ) -> BackendResult<ProfilePermissions>;
    async fn remove_profile_permission(
        &self,
        profile_name: &str,
        statement_id: &str,
        revision_id: &str,
    ) -> BackendResult<String>;

    // --- Signer: signing jobs -----------------------------------------------------

    /// Signs `source` with the profile's current version and writes the
    /// signed artifact to `destination`. Idempotent on `client_request_token`:
    /// the same token returns the same job, never a second signature.
    async fn start_signing_job(&self, request: StartSigningJob) -> BackendResult<SigningJob>;
    /// Whether this backend can sign and make signing profiles at all (the
    /// local store: not when it keeps its keys sealed and was opened
    /// without its key), so that a plan can say so before apply.
    async fn check_signing_keys(&self) -> BackendResult<()> {
        Ok(())
    }
    async fn describe_signing_job(&self, job_id: &str) -> BackendResult<SigningJob>;
    /// The SHA-384 of a signed output file as it is now; `None` when it
    /// cannot be read. The local backend keeps what it signed or read, so
    /// the verification that follows does not read the file again.
    async fn output_sha384(&self, path: &Path) -> Option<[u8; 48]> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || crate::domain::digest::sha384_file(&path))
            .await
            .ok()?
            .ok()
    }
    /// Jobs this account started, or made with its profiles, newest first.
    async fn list_signing_jobs(&self, filter: JobFilter) -> BackendResult<Vec<SigningJob>>;
    async fn revoke_signature(&self, job_id: &str, reason: &str) -> BackendResult<()>;

    // --- Lambda: code signing configs ---------------------------------------------

    async fn create_code_signing_config(
        &self,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig>;
    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig>;
    async fn list_code_signing_configs(&self) -> BackendResult<Vec<CodeSigningConfig>>;
    async fn update_code_signing_config(
        &self,
        arn: &str,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig>;
    /// Fails with `InUse` naming the users while anything references it.
    async fn delete_code_signing_config(&self, arn: &str) -> BackendResult<()>;
    /// The functions (ARNs) that use a code signing config.
    async fn list_functions_by_code_signing_config(&self, arn: &str) -> BackendResult<Vec<String>>;
    /// What a function's deployed code and layers were signed with.
    async fn function_signing(&self, function: &str) -> BackendResult<FunctionSigning>;

    // --- Lambda: functions --------------------------------------------------------
    //
    // Functions are named by name, partial ARN or ARN. A backend stores and
    // reports; whether Lambda would accept the code is the engine's
    // decision (`engine::function`), made before these are called. A name
    // in use is `AlreadyExists`; a stale `revision_id` is `StaleRevision`;
    // a missing code signing config is `NotFound(CodeSigningConfig)`; a
    // layer version of another account needs its grant (`AccessDenied`).

    async fn create_function(&self, request: CreateFunction) -> BackendResult<Function>;
    async fn get_function(&self, function: &str) -> BackendResult<Function>;
    async fn update_function_code(&self, request: UpdateFunctionCode) -> BackendResult<Function>;
    async fn update_function_configuration(
        &self,
        request: UpdateFunctionConfiguration,
    ) -> BackendResult<Function>;
    async fn delete_function(&self, function: &str) -> BackendResult<()>;
    /// Attaches (or replaces) a function's code signing config.
    async fn put_function_code_signing_config(
        &self,
        function: &str,
        csc_arn: &str,
    ) -> BackendResult<()>;
    async fn delete_function_code_signing_config(&self, function: &str) -> BackendResult<()>;

    // --- Tags of Signer profiles and Lambda configs and functions, by ARN --------

    async fn list_tags(&self, arn: &str) -> BackendResult<Tags>;
    /// Adds or overwrites these tags, keeping the others.
    async fn tag_resource(&self, arn: &str, tags: Tags) -> BackendResult<()>;
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> BackendResult<()>;

    // --- Lambda: layer versions and their permissions ---------------------------

    async fn publish_layer_version(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion>;
    /// A layer version by its ARN, possibly another account's (if granted).
    async fn get_layer_version(&self, layer_version_arn: &str) -> BackendResult<LayerVersion>;
    /// The versions of one of this account's layers, newest first.
    async fn list_layer_versions(&self, layer_name: &str) -> BackendResult<Vec<LayerVersion>>;
    async fn delete_layer_version(&self, layer_name: &str, version: i64) -> BackendResult<()>;
    async fn add_layer_permission(&self, request: AddLayerPermission)
        -> BackendResult<LayerPolicy>;
    async fn get_layer_policy(&self, layer_name: &str, version: i64) -> BackendResult<LayerPolicy>;
    async fn remove_layer_permission(
        &self,
        layer_name: &str,
        version: i64,
        statement_id: &str,
        revision_id: Option<&str>,
    ) -> BackendResult<()>;

    // --- Verification --------------------------------------------------------------

    /// What this backend can establish about an artifact's signature: the
    /// claims, what it checked of the bytes, and the job and profile records.
    async fn signature_evidence(&self, artifact: &ArtifactRef) -> BackendResult<Evidence>;
}
