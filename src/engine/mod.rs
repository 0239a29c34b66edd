//! The engine: one module per resource with its whole behaviour (what it
//! validates, what it plans, what create/read/update/delete/import/list do,
//! which changes replace it), plus verification against the planned world.
//! Front ends translate to and from these use cases; backends do the I/O;
//! the domain decides.

pub mod code_signing_config;
pub(crate) mod deployment;
mod error;
pub mod function;
pub mod layer_grant;
pub mod layer_version;
mod locks;
pub(crate) mod planned;
pub mod profile_permission;
mod report;
pub(crate) mod rules;
pub mod signed_artifact;
pub mod signing_profile;
pub mod verification;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

pub use error::{EngineError, EngineResult, ErrorKind, Failed};
pub use report::{Finding, Report, Severity};

use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::Backend;
use crate::domain::identity::Identity;
use crate::domain::tags::Tags;
use locks::KeyedLocks;
use planned::PlannedWorld;

/// A value a plan knows now, or only after apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Planned<T> {
    Known(T),
    #[default]
    Unknown,
}

impl<T> Planned<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Planned::Known(value) => Some(value),
            Planned::Unknown => None,
        }
    }
}

/// Which backend to use, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendConfig {
    Local(LocalConfig),
    #[cfg(feature = "aws")]
    Aws(crate::backend::aws::AwsConfig),
}

/// The engine over one backend, acting as one account.
pub struct Engine {
    backend: Arc<dyn Backend>,
    locks: KeyedLocks,
    planned: PlannedWorld,
    default_tags: Tags,
    /// Signing jobs a create in this process returned (see
    /// `signed_artifact::delete`).
    signed_here: Mutex<HashSet<String>>,
    /// What this process changed, in order: a check that fails later in
    /// the same apply says what already stands.
    applied: Mutex<Vec<String>>,
}

/// An engine and what connecting it had to say.
pub struct Connected {
    pub engine: Engine,
    pub warnings: Vec<String>,
}

impl Engine {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Engine {
            backend,
            locks: KeyedLocks::default(),
            planned: PlannedWorld::default(),
            default_tags: Tags::new(),
            signed_here: Mutex::default(),
            applied: Mutex::default(),
        }
    }

    /// Shares this process's planned and applied grants with the other
    /// provider processes of the Terraform run that started it, and reads
    /// theirs (see [`planned::run_board`]).
    pub fn sharing_plans_with_the_run(mut self) -> Self {
        let board = planned::run_board::RunBoard::of_parent_run();
        if let Err(why) = &board {
            tracing::warn!(%why, "the other provider configurations of this run will not see this one's layer grants, nor it theirs");
        }
        self.planned = PlannedWorld::on_board(board);
        self
    }

    /// Tags every taggable resource gets unless it sets its own value.
    pub fn with_default_tags(mut self, tags: Tags) -> Self {
        self.default_tags = tags;
        self
    }

    /// Opens the configured backend.
    pub async fn connect(config: &BackendConfig) -> EngineResult<Connected> {
        match config {
            BackendConfig::Local(local) => {
                let backend = LocalBackend::open(local).map_err(|e| {
                    EngineError::from(e).doing(format!("the store at {}", local.path.display()))
                })?;
                Ok(Connected {
                    warnings: backend.warnings().to_vec(),
                    engine: Engine::new(Arc::new(backend)),
                })
            }
            #[cfg(feature = "aws")]
            BackendConfig::Aws(aws) => {
                let connected = crate::backend::aws::AwsBackend::connect(aws)
                    .await
                    .map_err(|e| EngineError::new(ErrorKind::AccessDenied, e.to_string()))?;
                Ok(Connected {
                    engine: Engine::new(Arc::new(connected.backend)),
                    warnings: connected.warnings,
                })
            }
        }
    }

    pub fn identity(&self) -> &Identity {
        self.backend.identity()
    }

    pub fn default_tags(&self) -> &Tags {
        &self.default_tags
    }

    /// The backend, for use cases in this layer.
    fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// What this process has planned so far.
    pub fn planned(&self) -> &PlannedWorld {
        &self.planned
    }

    /// Records a change this process made.
    fn note_applied(&self, what: String) {
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }

    /// The changes this process made so far (empty in a plan).
    fn applied(&self) -> Vec<String> {
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
