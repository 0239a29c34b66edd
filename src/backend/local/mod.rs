//! The embedded backend: AWS Signer and Lambda's code signing semantics
//! emulated offline in one SQLite store.
//!
//! Several provider processes (one per emulated account) may share one store
//! directory; each acts as its own account. Every call runs as one store
//! transaction on a blocking thread (`spawn_blocking`).
//!
//! Semantics worth knowing (see the submodules for details):
//! - Profile names are never reused (Active, Revoked or Canceled:
//!   `AlreadyExists`).
//!   Canceling a Revoked profile leaves it Revoked; revoking a Canceled one
//!   makes it Revoked.
//! - A profile revocation's effective time can never be in the future and
//!   can only move earlier; repeating it with the same time is a no-op.
//! - Signature (job) revocations are final: the same reason again is a
//!   no-op, another reason is a `Conflict`.
//! - A `client_request_token` reused with other parameters is a `Conflict`;
//!   reused for a finished job it returns that job.
//! - Other accounts' profiles are readable; other accounts' code signing
//!   configs are `AccessDenied`; other accounts' layer versions need a
//!   grant (else `AccessDenied`). Organizations are not modeled: `*`
//!   restricted to an organization grants every account.
//! - A layer version without statements has no policy (`NotFound`), and
//!   deleting a missing layer version succeeds, both as in Lambda.
//! - Private keys live only in the store file, sealed under a store key
//!   from outside the store when one is given (`sealing`); no returned
//!   record has a key.
//! - A signing job is reserved and finished in two short transactions and
//!   signed between them, outside the write lock; a job whose signing
//!   process died is taken over by the next call with its token (`jobs`).
//!   A failed job's token is retired, so a retry signs anew.
//! - `signature_evidence` reports what the bytes say (checked against the
//!   profile version's key) and the job and profile records the signature
//!   names, `Missing` when this store has none.
//! - Functions keep their deployed code (a file per deployment) and the
//!   layers as they were when attached; whether code may be deployed is
//!   decided by `engine::function` before the store is asked to keep it.
//! - `objects` is an emulated S3 (buckets, versioning, versioned objects)
//!   that signing jobs, layer versions and functions read from, and that
//!   signing jobs write signed objects to (prefix + job id + `.zip`).

mod csc;
mod facts;
mod functions;
mod ids;
mod jobs;
mod key_cache;
mod known_outputs;
mod layers;
pub mod multipart;
pub mod objects;
mod profiles;
mod sealing;
mod store;
mod tags;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;

use crate::backend::*;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::facts::{ArtifactRef, Evidence};
use crate::domain::function::Function;
use crate::domain::identity::Identity;
use crate::domain::job::SigningJob;
use crate::domain::layer::{LayerPolicy, LayerVersion};
use crate::domain::names;
use crate::domain::permission::ProfilePermissions;
use crate::domain::profile::SigningProfile;
use crate::domain::tags::Tags;
use store::Store;

pub use sealing::STORE_KEY_ENV;
pub use store::DB_FILE;

/// Where the embedded store lives, and the account and region it acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    pub path: PathBuf,
    pub account_id: String,
    pub region: String,
    /// The file holding the store key that seals private keys at rest;
    /// `None`: the key in `LAMBDASIGN_STORE_KEY`, if set (see `sealing`).
    pub key_file: Option<PathBuf>,
}

impl LocalConfig {
    /// The store directory when none is given.
    pub const DEFAULT_PATH: &'static str = ".lambdasign";
    /// The emulated region when none is given.
    pub const DEFAULT_REGION: &'static str = "us-east-1";
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            path: PathBuf::from(Self::DEFAULT_PATH),
            account_id: names::EXAMPLE_ACCOUNT.to_string(),
            region: Self::DEFAULT_REGION.to_string(),
            key_file: None,
        }
    }
}

/// The embedded backend acting as one account in one region.
pub struct LocalBackend {
    identity: Identity,
    store: Arc<StoreSlot>,
    warnings: Vec<String>,
}

/// The store, opened on first use. Reading a store that does not exist is
/// `NoStore` (never an empty world); only a write creates it, so a plan
/// never makes a store as a side effect.
struct StoreSlot {
    dir: PathBuf,
    key: Option<sealing::StoreKey>,
    open: std::sync::Mutex<Option<Arc<Store>>>,
}

impl StoreSlot {
    fn get(&self, create: bool) -> BackendResult<Arc<Store>> {
        let mut open = match self.open.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(store) = open.as_ref() {
            return Ok(Arc::clone(store));
        }
        if !create && !self.dir.join(DB_FILE).exists() {
            return Err(BackendError::NoStore(self.dir.display().to_string()));
        }
        let store = Arc::new(Store::open(&self.dir, self.key.clone())?);
        *open = Some(Arc::clone(&store));
        Ok(store)
    }
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend")
            .field("identity", &self.identity)
            .field("path", &self.store.dir)
            .finish()
    }
}

impl LocalBackend {
    /// The store in directory `path`, acting as `account_id` in `region`.
    /// An existing store is opened (and checked) now; a missing one is
    /// created (directory mode 0700, database file mode 0600) by the first
    /// write, never by a read. What opening found worth a warning is in
    /// [`Self::warnings`].
    pub fn open(config: &LocalConfig) -> BackendResult<LocalBackend> {
        names::account_id(&config.account_id)
            .map_err(|e| BackendError::invalid("account_id", e.0))?;
        names::region(&config.region).map_err(|e| BackendError::invalid("region", e.0))?;
        let mut warnings = Vec::new();
        let key = sealing::StoreKey::configured(config.key_file.as_deref(), &mut warnings)?;
        let mut backend = LocalBackend {
            warnings: Vec::new(),
            identity: Identity {
                partition: Identity::partition_of(&config.region),
                account_id: config.account_id.clone(),
                region: config.region.clone(),
            },
            store: Arc::new(StoreSlot {
                dir: config.path.clone(),
                key,
                open: std::sync::Mutex::new(None),
            }),
        };
        match backend.store.get(false) {
            Ok(store) => warnings.extend_from_slice(store.warnings()),
            Err(BackendError::NoStore(_)) => {}
            Err(e) => return Err(e),
        }
        backend.warnings = warnings;
        Ok(backend)
    }

    /// The same store, acting as another account (or region).
    pub fn as_account(&self, account_id: &str, region: &str) -> BackendResult<LocalBackend> {
        names::account_id(account_id).map_err(|e| BackendError::invalid("account_id", e.0))?;
        names::region(region).map_err(|e| BackendError::invalid("region", e.0))?;
        Ok(LocalBackend {
            identity: Identity {
                partition: Identity::partition_of(region),
                account_id: account_id.to_string(),
                region: region.to_string(),
            },
            store: Arc::clone(&self.store),
            warnings: Vec::new(),
        })
    }

    /// What opening the store found worth a warning (its permissions, a
    /// key file others can read, keys sealed for the first time).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Makes the store if it does not exist yet (a server that owns it).
    pub fn create_store(&self) -> BackendResult<()> {
        self.store.get(true).map(drop)
    }

    /// Removes what writers that stopped left in the store: staged S3
    /// uploads (a server's, at its start). How many files.
    pub fn remove_stale_files(&self) -> usize {
        objects::remove_stale_staging(self.path()) + multipart::remove_stale_parts(self.path())
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.store.dir
    }

    /// Makes a function of this account use a code signing config (its
    /// own account's): the function's, if it exists, else a function known
    /// by name only (no code). Blocks for one short transaction.
    pub fn bind_function(&self, function_name: &str, csc_arn: &str) -> BackendResult<()> {
        self.store
            .get(true)?
            .write(|tx| functions::bind(tx, &self.identity, function_name, csc_arn, Utc::now()))
    }

    /// Detaches a function's code signing config (a function known by name
    /// only goes away); `false` if it had none.
    pub fn unbind_function(&self, function_name: &str) -> BackendResult<bool> {
        self.store
            .get(true)?
            .write(|tx| functions::unbind(tx, &self.identity, function_name))
    }

    /// The signing job this account started with `client_request_token`
    /// (a failed one too), if any.
    pub async fn signing_job_by_token(&self, token: &str) -> BackendResult<Option<SigningJob>> {
        let token = token.to_string();
        self.run(move |s, id| s.read(|tx| jobs::by_token(tx, id, &token)))
            .await
    }

    /// The file holding a layer version's content (one this account may use).
    pub async fn layer_content_file(&self, layer_version_arn: &str) -> BackendResult<PathBuf> {
        let arn = layer_version_arn.to_string();
        self.run(move |s, id| s.read(|tx| Ok(layers::visible(tx, s.dir(), id, &arn)?.content_file)))
            .await
    }

    /// The file holding a function's deployed code, if it has any.
    pub async fn function_code_file(&self, function: &str) -> BackendResult<Option<PathBuf>> {
        let function = function.to_string();
        self.run(move |s, id| {
            s.read(|tx| functions::code_file(tx, id, &function))
                .map(|f| f.map(|f| s.dir().join(f)))
        })
        .await
    }

    /// Runs a call that creates something on a blocking thread, creating
    /// the store if needed.
    async fn run_creating<T, F>(&self, f: F) -> BackendResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Identity) -> BackendResult<T> + Send + 'static,
    {
        self.on_store(true, f).await
    }

    /// Runs a call on existing objects on a blocking thread; a missing
    /// store is `NoStore`, never a fresh, empty one.
    async fn run<T, F>(&self, f: F) -> BackendResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Identity) -> BackendResult<T> + Send + 'static,
    {
        self.on_store(false, f).await
    }

    async fn on_store<T, F>(&self, create: bool, f: F) -> BackendResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Identity) -> BackendResult<T> + Send + 'static,
    {
        let slot = Arc::clone(&self.store);
        let identity = self.identity.clone();
        tokio::task::spawn_blocking(move || f(&*slot.get(create)?, &identity))
            .await
            .map_err(|e| BackendError::Internal(format!("local store task failed: {e}")))?
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn identity(&self) -> &Identity {
        &self.identity
    }

    fn store_dir(&self) -> Option<&Path> {
        Some(self.path())
    }

    fn kind(&self) -> Kind {
        Kind::Local
    }

    async fn put_signing_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.run_creating(move |s, id| {
            s.write(|tx| profiles::put(tx, s.at_rest(), id, &request, Utc::now()))
        })
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
            names::account_id(&owner).map_err(|e| BackendError::invalid("profile_owner", e.0))?;
            s.read(|tx| profiles::load(tx, id, &owner, &name))
        })
        .await
    }

    async fn list_signing_profiles(&self) -> BackendResult<Vec<SigningProfile>> {
        self.run(move |s, id| s.read(|tx| profiles::list(tx, id)))
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
        self.run_creating(move |s, id| jobs::start(s, id, &request, Utc::now()))
            .await
    }

    async fn describe_signing_job(&self, job_id: &str) -> BackendResult<SigningJob> {
        let job_id = job_id.to_string();
        self.run(move |s, id| jobs::describe(s, id, &job_id)).await
    }

    async fn list_signing_jobs(&self, filter: JobFilter) -> BackendResult<Vec<SigningJob>> {
        self.run(move |s, id| s.read(|tx| jobs::list(tx, id, &filter)))
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
        self.run_creating(move |s, id| s.write(|tx| csc::create(tx, id, &request, Utc::now())))
            .await
    }

    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig> {
        let arn = arn.to_string();
        self.run(move |s, id| s.read(|tx| csc::get(tx, id, &arn)))
            .await
    }

    async fn list_code_signing_configs(&self) -> BackendResult<Vec<CodeSigningConfig>> {
        self.run(move |s, id| s.read(|tx| csc::list(tx, id))).await
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

    async fn list_functions_by_code_signing_config(&self, arn: &str) -> BackendResult<Vec<String>> {
        let arn = arn.to_string();
        self.run(move |s, id| {
            s.read(|tx| {
                csc::get(tx, id, &arn)?;
                Ok(csc::users(tx, &arn)?
                    .into_iter()
                    .map(|name| {
                        format!(
                            "arn:{}:lambda:{}:{}:function:{name}",
                            id.partition, id.region, id.account_id
                        )
                    })
                    .collect())
            })
        })
        .await
    }

    async fn function_signing(&self, function: &str) -> BackendResult<FunctionSigning> {
        let found = self.get_function(function).await?;
        // A function known by name only has no deployed code to report on.
        FunctionSigning::of(&found).ok_or(BackendError::NotFound(Subject::Function(found.arn)))
    }

    async fn create_function(&self, request: CreateFunction) -> BackendResult<Function> {
        self.run_creating(move |s, id| functions::create(s, id, &request, Utc::now()))
            .await
    }

    async fn get_function(&self, function: &str) -> BackendResult<Function> {
        let function = function.to_string();
        self.run(move |s, id| s.read(|tx| functions::get(tx, id, &function)))
            .await
    }

    async fn update_function_code(&self, request: UpdateFunctionCode) -> BackendResult<Function> {
        self.run(move |s, id| functions::update_code(s, id, &request, Utc::now()))
            .await
    }

    async fn update_function_configuration(
        &self,
        request: UpdateFunctionConfiguration,
    ) -> BackendResult<Function> {
        self.run(move |s, id| {
            s.write(|tx| functions::update_configuration(tx, s.dir(), id, &request, Utc::now()))
        })
        .await
    }

    async fn delete_function(&self, function: &str) -> BackendResult<()> {
        let function = function.to_string();
        self.run(move |s, id| functions::delete(s, id, &function))
            .await
    }

    async fn put_function_code_signing_config(
        &self,
        function: &str,
        csc_arn: &str,
    ) -> BackendResult<()> {
        let (function, csc_arn) = (function.to_string(), csc_arn.to_string());
        self.run(move |s, id| {
            s.write(|tx| functions::put_code_signing_config(tx, id, &function, &csc_arn))
        })
        .await
    }

    async fn delete_function_code_signing_config(&self, function: &str) -> BackendResult<()> {
        let function = function.to_string();
        self.run(move |s, id| {
            s.write(|tx| functions::delete_code_signing_config(tx, id, &function))
        })
        .await
    }

    async fn list_tags(&self, arn: &str) -> BackendResult<Tags> {
        let arn = arn.to_string();
        self.run(move |s, id| s.read(|tx| tags::get(tx, id, &arn)))
            .await
    }

    async fn tag_resource(&self, arn: &str, tags: Tags) -> BackendResult<()> {
        let arn = arn.to_string();
        self.run(move |s, id| s.write(|tx| tags::add(tx, id, &arn, &tags)))
            .await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        let (arn, keys) = (arn.to_string(), keys.to_vec());
        self.run(move |s, id| s.write(|tx| tags::remove(tx, id, &arn, &keys)))
            .await
    }

    async fn publish_layer_version(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion> {
        self.run_creating(move |s, id| layers::publish(s, id, &request, Utc::now()))
            .await
    }

    async fn get_layer_version(&self, layer_version_arn: &str) -> BackendResult<LayerVersion> {
        let arn = layer_version_arn.to_string();
        self.run(move |s, id| s.read(|tx| Ok(layers::visible(tx, s.dir(), id, &arn)?.layer)))
            .await
    }

    async fn list_layer_versions(&self, layer_name: &str) -> BackendResult<Vec<LayerVersion>> {
        let name = layer_name.to_string();
        self.run(move |s, id| s.read(|tx| layers::list(tx, s.dir(), id, &name)))
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

    async fn check_signing_keys(&self) -> BackendResult<()> {
        let slot = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || match slot.get(false) {
            Ok(store) => store.at_rest().check_usable(),
            // The first write makes the store, sealed or not as configured.
            Err(BackendError::NoStore(_)) => Ok(()),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| BackendError::Internal(format!("local store task failed: {e}")))?
    }

    async fn output_sha384(&self, path: &Path) -> Option<[u8; 48]> {
        let (slot, path) = (Arc::clone(&self.store), path.to_path_buf());
        tokio::task::spawn_blocking(move || match slot.get(false) {
            // Inspected (not only hashed): the job's verification, next in a
            // plan, finds what it needs without reading the file again.
            Ok(store) => match store.known_outputs().inspect(&path) {
                Ok(inspection) => Some(inspection.file_sha384),
                // Not a zip any more: its digest still says it changed.
                Err(_) => crate::domain::digest::sha384_file(&path).ok(),
            },
            Err(_) => crate::domain::digest::sha384_file(&path).ok(),
        })
        .await
        .ok()?
    }

    async fn signature_evidence(&self, artifact: &ArtifactRef) -> BackendResult<Evidence> {
        let artifact = artifact.clone();
        let slot = Arc::clone(&self.store);
        let identity = self.identity.clone();
        tokio::task::spawn_blocking(move || match (slot.get(false), &artifact) {
            (Ok(store), _) => facts::signature_evidence(&store, &identity, &artifact),
            // A file speaks for itself; without a store nothing vouches for it.
            (Err(BackendError::NoStore(_)), ArtifactRef::SignedFile(path)) => {
                facts::file_without_store(&identity, path)
            }
            (Err(e), _) => Err(e),
        })
        .await
        .map_err(|e| BackendError::Internal(format!("local store task failed: {e}")))?
    }
}
