//! The one interface resources use for side effects: Signer, Lambda and S3
//! semantics as the provider needs them. Two implementations: `local` (an
//! embedded SQLite store, offline) and `aws` (the AWS SDK). Resources never
//! know which one they talk to.

pub mod aws;
pub mod local;
pub mod types;

use async_trait::async_trait;

pub use types::*;

/// What a backend call can fail with, in terms a resource can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The object does not exist (or is not visible to this account).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state (e.g. a statement id in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A revision id was stale: someone changed the object since it was read.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// The request itself is invalid; the message says which field and why.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// This account may not do that (cross-account permission missing).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The object is still used by others, named in the message.
    #[error("in use: {0}")]
    InUse(String),
    /// The signing job ran and failed; the status reason says why.
    #[error("signing job failed: {0}")]
    JobFailed(String),
    /// Anything else: I/O, the store, the network, the service.
    #[error("{0}")]
    Internal(String),
}

pub type BackendResult<T> = Result<T, BackendError>;

/// Signer, Lambda and S3 as the resources need them. Every method acts as
/// the configured account (`identity()`); cross-account access follows the
/// permissions the owning account granted.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The account and region this backend acts as.
    fn identity(&self) -> &Identity;

    // --- Signer: signing profiles -------------------------------------------------

    /// Creates a profile, or a new version of a canceled/revoked name is an error
    /// (names are never reused, as in Signer).
    async fn put_signing_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile>;
    /// A profile by name, owned by `owner` (default: this account). Canceled
    /// profiles are returned with their status; callers decide what gone means.
    async fn get_signing_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile>;
    async fn set_signing_profile_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile>;
    async fn cancel_signing_profile(&self, name: &str) -> BackendResult<()>;
    /// Revokes a profile version for signatures made at or after
    /// `effective_time`; a later call may only move that time earlier, and
    /// never into the future.
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
    async fn describe_signing_job(&self, job_id: &str) -> BackendResult<SigningJob>;
    async fn revoke_signature(&self, job_id: &str, reason: &str) -> BackendResult<()>;

    // --- Lambda: code signing configs ---------------------------------------------

    async fn create_code_signing_config(
        &self,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig>;
    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig>;
    async fn update_code_signing_config(
        &self,
        arn: &str,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig>;
    /// Fails with `InUse` naming the users while anything references it.
    async fn delete_code_signing_config(&self, arn: &str) -> BackendResult<()>;

    // --- Lambda: layer versions and their permissions ---------------------------

    async fn publish_layer_version(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion>;
    /// A layer version by its ARN, possibly another account's (if granted).
    async fn get_layer_version(&self, layer_version_arn: &str) -> BackendResult<LayerVersion>;
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

    /// What the four checks need to know about a signed artifact: its
    /// signature (with integrity already established by this backend) and
    /// any revocations, as of now.
    async fn signature_facts(
        &self,
        artifact: &ArtifactRef,
    ) -> BackendResult<crate::domain::checks::Facts>;
}
