//! The world as planned: what the resources this process has planned so
//! far will make of code signing configs and signing profiles once applied.
//!
//! Terraform plans a provider configuration's resources in one process,
//! dependencies first, so a check planned after a change sees it: a policy
//! flipped to Enforce, a publisher removed, a revocation added. Each plan
//! step records what it will do here; verification reads through it.
//! Layer grants, which a reader in another provider configuration needs,
//! also go on the run's board ([`run_board`]).

pub mod run_board;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::domain::checks::{Enforcement, Policy};
use run_board::{GrantPage, PlannedGrant, RunBoard};

/// A code signing config as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedPolicy {
    /// The policy after this run's change.
    Known(Policy),
    /// Something it depends on is known only after apply.
    Unknown(PartialPolicy),
}

/// What a plan knows of a policy that is known only after apply: a list of
/// allowed publishers may hold unknown values beside known ones, and the
/// known ones already tell which signers a change leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartialPolicy {
    /// What is unknown, as a sentence about the config's fields.
    pub why: String,
    /// The allowed publishers known now.
    pub known_publishers: Vec<String>,
    /// Whether the list holds values known only after apply.
    pub more_publishers: bool,
    /// The enforcement, when known.
    pub enforcement: Option<Enforcement>,
}

impl PartialPolicy {
    /// Whether `signer` is certain to be an allowed publisher.
    pub fn surely_allows(&self, signer: &str) -> bool {
        self.known_publishers.iter().any(|p| p == signer)
    }
}

/// The signed artifact that writes an output file, as a plan knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputWriter {
    /// An artifact in state (or a replacement's create step): its job id.
    Job(String),
    /// A new artifact: what it signs (profile and source), so that one
    /// planned twice in a process is one, and two that differ are two.
    New(String),
}

/// A signing profile version's revocation as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRevocation {
    pub profile_name: String,
    pub reason: String,
    pub effective_time: DateTime<Utc>,
}

#[derive(Default)]
struct World {
    /// By code signing config ARN.
    policies: HashMap<String, PlannedPolicy>,
    /// By signing profile version ARN.
    revocations: HashMap<String, PlannedRevocation>,
    /// Profiles (by owner and name) that this run creates: their version
    /// is known only after apply.
    new_profiles: HashMap<(String, String), ()>,
    /// Layers that publish a new version in this run, by name: its number
    /// is known only after apply.
    new_layer_versions: HashMap<String, ()>,
    /// Signed artifacts' output files (absolute), each with the artifact
    /// that writes it.
    outputs: HashMap<PathBuf, OutputWriter>,
    /// Layer grants this process plans and applies (its page of the run's
    /// board).
    grants: GrantPage,
}

/// What this process has planned, shared by every plan step.
#[derive(Default)]
pub struct PlannedWorld {
    world: Mutex<World>,
    board: Board,
}

/// Whether this process shares its grants with the rest of its run.
#[derive(Default)]
enum Board {
    /// Not a provider process Terraform started (the CLI, `serve`, ...).
    #[default]
    Unshared,
    Shared(RunBoard),
    /// A provider process, but the board cannot be used: why.
    Unavailable(String),
}

impl PlannedWorld {
    /// A planned world whose grants the run's other processes see (or that
    /// says why they cannot).
    pub fn on_board(board: Result<RunBoard, String>) -> Self {
        PlannedWorld {
            world: Mutex::default(),
            board: board.map_or_else(Board::Unavailable, Board::Shared),
        }
    }

    /// Why the other provider configurations of the run cannot see this
    /// process's plans, if they cannot.
    pub fn board_unavailable(&self) -> Option<&str> {
        match &self.board {
            Board::Unavailable(why) => Some(why),
            _ => None,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        match self.world.lock() {
            Ok(mut world) => f(&mut world),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub fn plan_policy(&self, csc_arn: &str, policy: PlannedPolicy) {
        self.with(|w| w.policies.insert(csc_arn.to_string(), policy));
    }

    pub fn policy(&self, csc_arn: &str) -> Option<PlannedPolicy> {
        self.with(|w| w.policies.get(csc_arn).cloned())
    }

    pub fn plan_revocation(&self, version_arn: &str, revocation: PlannedRevocation) {
        self.with(|w| w.revocations.insert(version_arn.to_string(), revocation));
    }

    pub fn revocation(&self, version_arn: &str) -> Option<PlannedRevocation> {
        self.with(|w| w.revocations.get(version_arn).cloned())
    }

    pub fn plan_new_profile(&self, owner: &str, name: &str) {
        self.with(|w| {
            w.new_profiles
                .insert((owner.to_string(), name.to_string()), ())
        });
    }

    pub fn is_new_profile(&self, owner: &str, name: &str) -> bool {
        self.with(|w| {
            w.new_profiles
                .contains_key(&(owner.to_string(), name.to_string()))
        })
    }

    pub fn plan_new_layer_version(&self, layer_name: &str) {
        self.with(|w| w.new_layer_versions.insert(layer_name.to_string(), ()));
    }

    pub fn publishes_layer_version(&self, layer_name: &str) -> bool {
        self.with(|w| w.new_layer_versions.contains_key(layer_name))
    }

    /// `writer` writes `output`. `Err` names the other artifact planned to
    /// write it in this process.
    pub fn plan_output(&self, output: PathBuf, writer: OutputWriter) -> Result<(), OutputWriter> {
        self.with(|w| match w.outputs.get(&output) {
            Some(other) if *other != writer => Err(other.clone()),
            Some(_) => Ok(()),
            None => {
                w.outputs.insert(output, writer);
                Ok(())
            }
        })
    }

    /// A grant this run makes, for this process's and the run's readers.
    pub fn plan_grant(&self, grant: PlannedGrant) {
        self.with(|w| {
            if w.grants.plan(grant) {
                self.publish(&w.grants);
            }
        });
    }

    /// A grant this process has applied.
    pub fn grant_applied(&self, grant: PlannedGrant) {
        self.with(|w| {
            if w.grants.apply(grant) {
                self.publish(&w.grants);
            }
        });
    }

    fn publish(&self, page: &GrantPage) {
        if let Board::Shared(board) = &self.board {
            board.publish(page);
        }
    }

    /// The grants of the run so far, by any of its processes, that may let
    /// `account` use a layer version, each with whether it is applied.
    pub fn grants_to(&self, layer_version_arn: &str, account: &str) -> Vec<(PlannedGrant, bool)> {
        let mut seen = self.with(|w| w.grants.grants_of(layer_version_arn));
        if let Board::Shared(board) = &self.board {
            for page in board.others() {
                seen.extend(page.grants_of(layer_version_arn));
            }
        }
        let mut grants: Vec<(PlannedGrant, bool)> = Vec::new();
        for (grant, applied) in seen.into_iter().filter(|(g, _)| g.covers(account)) {
            match grants.iter_mut().find(|(g, _)| *g == grant) {
                Some((_, known)) => *known |= applied,
                None => grants.push((grant, applied)),
            }
        }
        grants
    }
}
