//! The embedded backend: AWS Signer and Lambda's code signing semantics
//! emulated offline in one SQLite store.
//!
//! Several provider processes (one per emulated account) may share one store
//! directory; each acts as its own account. Every call runs as one store
//! transaction on a blocking thread (`spawn_blocking`).
//!
//! Semantics worth knowing (see the submodules for details):
//! - Profile names are never reused (Active, Revoked or Canceled: `Conflict`).
//!   Canceling a Revoked profile leaves it Revoked; revoking a Canceled one
//!   makes it Revoked.
//! - A profile revocation's effective time can never be in the future and
//!   can only move earlier; repeating it with the same time is a no-op.
//! - Signature (job) revocations are final: the same reason again is a
//!   no-op, another reason is a `Conflict`.
//! - A `client_request_token` reused with other parameters is a `Conflict`;
//!   reused for a failed job it returns that job's `JobFailed` again.
//! - Other accounts' profiles are readable; other accounts' code signing
//!   configs are `AccessDenied`; other accounts' layer versions need a
//!   grant (else `AccessDenied`). Organizations are not modeled: `*`
//!   restricted to an organization grants every account.
//! - A layer version without statements has no policy (`NotFound`), and
//!   deleting a missing layer version succeeds, both as in Lambda.
//! - Private keys live only in the store file; no returned record has a key.
//! - Signing runs inside the job's write transaction (token check, signature
//!   and record are atomic across processes); other writers wait meanwhile.
//! - `signature_facts` of a failed job, or of a job whose signed object is
//!   gone or was replaced, reports the job's signature as `Invalid`.

mod csc;
mod facts;
mod ids;
mod jobs;
mod layers;
mod profiles;
mod store;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;

use crate::backend::*;
use crate::domain::checks::Facts;
use store::Store;

pub use facts::{MISSING_SIGNED_OBJECT, UNKNOWN_PROFILE_VERSION};
pub use store::DB_FILE;

const PARTITION: &str = "aws";

/// The embedded backend acting as one account in one region.
pub struct LocalBackend {
    identity: Identity,
    store: Arc<Store>,
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend")
            .field("identity", &self.identity)
            .field("path", &self.store.dir())
            .finish()
    }
}

impl LocalBackend {
    /// Opens (creating if needed) the store in directory `path` (mode 0700,
    /// database file mode 0600) and acts as `account_id` in `region`.
    pub fn open(path: &Path, account_id: &str, region: &str) -> BackendResult<LocalBackend> {
        profiles::validate_account("account_id", account_id)?;
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(BackendError::InvalidInput(format!(
                "region: {region:?} is not an AWS region name"
            )));
        }
        Ok(LocalBackend {
            identity: Identity {
                partition: PARTITION.into(),
                account_id: account_id.into(),
                region: region.into(),
            },
            store: Arc::new(Store::open(path)?),
        })
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        self.store.dir()
    }

    /// Emulates a Lambda function of this account using a code signing
    /// config (its own account's), replacing the function's previous one.
    /// Blocks for one short transaction.
    pub fn bind_function(&self, function_name: &str, csc_arn: &str) -> BackendResult<()> {
        self.store
            .write(|tx| csc::bind_function(tx, &self.identity, function_name, csc_arn))
    }

    /// Detaches a function's code signing config; `false` if it had none.
    pub fn unbind_function(&self, function_name: &str) -> BackendResult<bool> {
        self.store
            .write(|tx| csc::unbind_function(tx, &self.identity, function_name))
    }

    async fn run<T, F>(&self, f: F) -> BackendResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Identity) -> BackendResult<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let identity = self.identity.clone();
        tokio::task::spawn_blocking(move || f(&store, &identity))
            .await
            .map_err(|e| BackendError::Internal(format!("local store task failed: {e}")))?
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn identity(&self) -> &Identity {
        &self.identity
    }

    async fn put_signing_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.run(move |s, id| s.write(|tx| profiles::put(tx, id, &request, Utc::now())))
            .await
    }

    async fn get_signing_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile> {
        let (name, owner) = (name.to_string(), owner.map(str::to_string));
        self.run(move |s, id| {
            let owner = owner.unwrap_or_else(|| id.account_id.clone());
            profiles::validate_account("owner", &owner)?;
            s.read(|tx| profiles::load(tx, id, &owner, &name))
        })
        .await
    }

    async fn set_signing_profile_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile> {
        let name = name.to_string();
        self.run(move |s, id| s.write(|tx| profiles::set_tags(tx, id, &name, &tags)))
            .await
    }

    async fn cancel_signing_profile(&self, name: &str) -> BackendResult<()> {
        let name = name.to_string();
        self.run(move |s, id| s.write(|tx| profiles::cancel(tx, id, &name)))
            .await
    }

    async fn revoke_signing_profile(
        &self,
        request: RevokeSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.run(move |s, id| s.write(|tx| profiles::revoke(tx, id, &request, Utc::now())))
            .await
    }

    async fn add_profile_permission(&self, request: AddProfilePermission) -> BackendResult<String> {
        self.run(move |s, id| s.write(|tx| profiles::add_permission(tx, id, &request)))
            .await
    }

    async fn list_profile_permissions(
        &self,
        profile_name: &str,
    ) -> BackendResult<ProfilePermissions> {
        let name = profile_name.to_string();
        self.run(move |s, id| s.read(|tx| profiles::list_permissions(tx, id, &name)))
            .await
    }

    async fn remove_profile_permission(
        &self,
        profile_name: &str,
        statement_id: &str,
        revision_id: &str,
    ) -> BackendResult<String> {
        let (name, sid, rev) = (
            profile_name.to_string(),
            statement_id.to_string(),
            revision_id.to_string(),
        );
        self.run(move |s, id| s.write(|tx| profiles::remove_permission(tx, id, &name, &sid, &rev)))
            .await
    }

    async fn start_signing_job(&self, request: StartSigningJob) -> BackendResult<SigningJob> {
        self.run(move |s, id| s.write(|tx| jobs::start(tx, id, &request, Utc::now()))?)
            .await
    }

    async fn describe_signing_job(&self, job_id: &str) -> BackendResult<SigningJob> {
        let job_id = job_id.to_string();
        self.run(move |s, id| s.read(|tx| Ok(jobs::visible(tx, id, &job_id)?.job)))
            .await
    }

    async fn revoke_signature(&self, job_id: &str, reason: &str) -> BackendResult<()> {
        let (job_id, reason) = (job_id.to_string(), reason.to_string());
        self.run(move |s, id| {
            s.write(|tx| jobs::revoke_signature(tx, id, &job_id, &reason, Utc::now()))
        })
        .await
    }

    async fn create_code_signing_config(
        &self,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        self.run(move |s, id| s.write(|tx| csc::create(tx, id, &request, Utc::now())))
            .await
    }

    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig> {
        let arn = arn.to_string();
        self.run(move |s, id| s.read(|tx| csc::get(tx, id, &arn)))
            .await
    }

    async fn update_code_signing_config(
        &self,
        arn: &str,
        request: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        let arn = arn.to_string();
        self.run(move |s, id| s.write(|tx| csc::update(tx, id, &arn, &request, Utc::now())))
            .await
    }

    async fn delete_code_signing_config(&self, arn: &str) -> BackendResult<()> {
        let arn = arn.to_string();
        self.run(move |s, id| s.write(|tx| csc::delete(tx, id, &arn)))
            .await
    }

    async fn publish_layer_version(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion> {
        self.run(move |s, id| layers::publish(s, id, &request, Utc::now()))
            .await
    }

    async fn get_layer_version(&self, layer_version_arn: &str) -> BackendResult<LayerVersion> {
        let arn = layer_version_arn.to_string();
        self.run(move |s, id| s.read(|tx| Ok(layers::visible(tx, s.dir(), id, &arn)?.layer)))
            .await
    }

    async fn delete_layer_version(&self, layer_name: &str, version: i64) -> BackendResult<()> {
        let name = layer_name.to_string();
        self.run(move |s, id| layers::delete(s, id, &name, version))
            .await
    }

    async fn add_layer_permission(
        &self,
        request: AddLayerPermission,
    ) -> BackendResult<LayerPolicy> {
        self.run(move |s, id| s.write(|tx| layers::add_permission(tx, s.dir(), id, &request)))
            .await
    }

    async fn get_layer_policy(&self, layer_name: &str, version: i64) -> BackendResult<LayerPolicy> {
        let name = layer_name.to_string();
        self.run(move |s, id| s.read(|tx| layers::get_policy(tx, s.dir(), id, &name, version)))
            .await
    }

    async fn remove_layer_permission(
        &self,
        layer_name: &str,
        version: i64,
        statement_id: &str,
        revision_id: Option<&str>,
    ) -> BackendResult<()> {
        let (name, sid, rev) = (
            layer_name.to_string(),
            statement_id.to_string(),
            revision_id.map(str::to_string),
        );
        self.run(move |s, id| {
            s.write(|tx| {
                layers::remove_permission(tx, s.dir(), id, &name, version, &sid, rev.as_deref())
            })
        })
        .await
    }

    async fn signature_facts(&self, artifact: &ArtifactRef) -> BackendResult<Facts> {
        let artifact = artifact.clone();
        self.run(move |s, id| facts::signature_facts(s, id, &artifact))
            .await
    }
}
