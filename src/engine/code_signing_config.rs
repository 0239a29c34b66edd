//! Code signing configs, whole: which signing profile versions Lambda
//! trusts (1 to 20 version ARNs) and whether untrusted code is rejected
//! (`Enforce`) or deployed with a warning (`Warn`). Everything updates in
//! place; a change is planned into the world every later check sees, and
//! on a backend that knows the functions using the config, the plan names
//! those whose next deployment it would block. Deleting a config still in
//! use fails and names the users.

use super::planned::{PartialPolicy, PlannedPolicy};
use super::rules::{enforcement_rule, policy_error};
use super::rules::{FieldRule, Shape};
use super::{Engine, EngineError, EngineResult, Planned, Report};
use crate::backend::{BackendError, CodeSigningConfigInput};
use crate::domain::checks::{Enforcement, Policy};
use crate::domain::csc::CodeSigningConfig;
use crate::domain::field::FieldPath;
use crate::domain::names;
use crate::domain::tags::{self, Tags};

pub mod field {
    pub const ALLOWED_PUBLISHERS: &str = "allowed_publishers";
    pub const UNTRUSTED_ARTIFACT_ON_DEPLOYMENT: &str = "untrusted_artifact_on_deployment";
    pub const DESCRIPTION: &str = "description";
    pub const TAGS: &str = "tags";
    pub const TAGS_ALL: &str = "tags_all";
    pub const ARN: &str = "arn";
    pub const CONFIG_ID: &str = "config_id";
    pub const LAST_MODIFIED: &str = "last_modified";
}
use field::*;

/// Nothing replaces a config: every change updates it in place.
pub const REPLACE_ON_CHANGE: &[&str] = &[];

pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[UNTRUSTED_ARTIFACT_ON_DEPLOYMENT], enforcement_rule),
    FieldRule::text(&[DESCRIPTION], names::description),
    FieldRule::tag_keys(&[TAGS]),
    FieldRule::tag_values(&[TAGS]),
];

pub const SHAPE: &[Shape] = &[];

/// The allowed-publishers rule (1 to 20 distinct version ARNs), each
/// violation at its element.
pub fn check_publishers(publishers: &[String], at: FieldPath) -> Vec<EngineError> {
    match Policy::new(publishers, Enforcement::Warn) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| policy_error(e, at.clone())).collect(),
    }
}

/// A config as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CscSpec {
    pub allowed_publishers: Vec<String>,
    pub enforcement: Enforcement,
    pub description: String,
    /// The config's own tags (the provider's defaults are added to them).
    pub tags: Tags,
}

impl CscSpec {
    fn input(&self, engine: &Engine) -> CodeSigningConfigInput {
        CodeSigningConfigInput {
            allowed_publishers: self.allowed_publishers.clone(),
            enforcement: self.enforcement,
            description: self.description.clone(),
            tags: tags::effective(engine.default_tags(), &self.tags),
        }
    }
}

/// What one plan step of a config knows.
#[derive(Debug, Clone)]
pub struct CscChange<'a> {
    /// The config as recorded (`None`: it is created; its ARN is unknown).
    pub prior: Option<&'a CodeSigningConfig>,
    pub allowed_publishers: Planned<Vec<String>>,
    /// The known elements of `allowed_publishers` when the list holds
    /// values known only after apply.
    pub known_publishers: Vec<String>,
    pub enforcement: Planned<Enforcement>,
}

/// Plans a config: the policy it will have is what every later check in
/// this run sees; the functions it would block are named.
pub async fn plan(engine: &Engine, change: &CscChange<'_>) -> Report {
    let mut report = Report::new();
    let Some(prior) = change.prior else {
        return report;
    };
    let planned = match (&change.allowed_publishers, &change.enforcement) {
        (Planned::Known(publishers), Planned::Known(enforcement)) => {
            match Policy::new(publishers, *enforcement) {
                Ok(policy) => PlannedPolicy::Known(policy),
                Err(errors) => {
                    for e in &errors {
                        report.failure(
                            "Invalid allowed publishers",
                            &policy_error(e, FieldPath::field(ALLOWED_PUBLISHERS)),
                        );
                    }
                    return report;
                }
            }
        }
        (publishers, enforcement) => {
            let (known_publishers, more_publishers) = match publishers {
                Planned::Known(all) => (all.clone(), false),
                Planned::Unknown => (change.known_publishers.clone(), true),
            };
            let why = if more_publishers {
                format!("its `{ALLOWED_PUBLISHERS}` hold values known only after apply")
            } else {
                format!("its `{UNTRUSTED_ARTIFACT_ON_DEPLOYMENT}` is known only after apply")
            };
            PlannedPolicy::Unknown(PartialPolicy {
                why,
                known_publishers,
                more_publishers,
                enforcement: enforcement.known().copied(),
            })
        }
    };
    let changed = match &planned {
        PlannedPolicy::Known(policy) => {
            policy.enforcement() != prior.enforcement
                || !same_set(&prior.allowed_publishers, policy)
        }
        PlannedPolicy::Unknown(partial) => {
            let field = if partial.more_publishers {
                ALLOWED_PUBLISHERS
            } else {
                UNTRUSTED_ARTIFACT_ON_DEPLOYMENT
            };
            report.warning(
                Some(FieldPath::field(field)),
                "Checks against this config run at apply",
                format!("The policy of {} is known only after apply: {}. Signed artifacts and layers that `verify_against` it plan an update, so that their checks run when this run applies, after this config is changed.", prior.arn, partial.why),
            );
            true
        }
    };
    if let PlannedPolicy::Known(policy) = &planned {
        if changed {
            functions_blocked(engine, prior, policy, &mut report).await;
        }
    }
    engine.planned().plan_policy(&prior.arn, planned);
    report
}

fn same_set(recorded: &[String], policy: &Policy) -> bool {
    let allowed: std::collections::BTreeSet<String> = policy
        .allowed_publishers()
        .iter()
        .map(ToString::to_string)
        .collect();
    let before: std::collections::BTreeSet<String> = recorded.iter().cloned().collect();
    allowed == before
}

/// The functions using the config whose next deployment of the same code
/// the new policy would block: code or a layer signed by a profile version
/// it no longer allows, under `Enforce`.
async fn functions_blocked(
    engine: &Engine,
    prior: &CodeSigningConfig,
    policy: &Policy,
    report: &mut Report,
) {
    if policy.enforcement() != Enforcement::Enforce {
        return;
    }
    let functions = match engine
        .backend()
        .list_functions_by_code_signing_config(&prior.arn)
        .await
    {
        Ok(functions) => functions,
        Err(e) => {
            report.warning(
                Some(FieldPath::field(ALLOWED_PUBLISHERS)),
                "Could not list the functions using this config",
                e.to_string(),
            );
            return;
        }
    };
    let mut blocked = Vec::new();
    for function in &functions {
        match engine.backend().function_signing(function).await {
            Ok(signing) => {
                let mut reasons = Vec::new();
                let mut judge = |what: String, signer: Option<&String>| match signer {
                    Some(arn) if policy.allows(arn) => {}
                    Some(arn) => reasons.push(format!("{what} is signed by {arn}")),
                    None => reasons.push(format!("{what} is unsigned")),
                };
                judge(
                    "its code".into(),
                    signing.code.signing_profile_version_arn.as_ref(),
                );
                for (layer, signer) in &signing.layers {
                    judge(
                        format!("layer {layer}"),
                        signer.signing_profile_version_arn.as_ref(),
                    );
                }
                if !reasons.is_empty() {
                    blocked.push(format!("{}: {}", signing.function_arn, reasons.join("; ")));
                }
            }
            // Functions known by name only (the local backend's bindings) have no code to judge.
            Err(BackendError::NotFound(_)) => {}
            Err(e) => blocked.push(format!("{function}: cannot read its code signing ({e})")),
        }
    }
    if !blocked.is_empty() {
        report.warning(
            Some(FieldPath::field(ALLOWED_PUBLISHERS)),
            format!("This change blocks the next deployment of {} function(s)", blocked.len()),
            format!(
                "Under the planned policy (Enforce), Lambda would reject deploying these functions' current code and layers again:\n  - {}",
                blocked.join("\n  - ")
            ),
        );
    }
}

pub async fn create(engine: &Engine, spec: &CscSpec) -> EngineResult<CodeSigningConfig> {
    tracing::info!(publishers = spec.allowed_publishers.len(), enforcement = %spec.enforcement, "creating code signing config");
    engine
        .backend()
        .create_code_signing_config(spec.input(engine))
        .await
        .map_err(|e| EngineError::from(e).doing("create the code signing config"))
}

/// The config; gone (`None`) when missing.
pub async fn read(engine: &Engine, arn: &str) -> EngineResult<Option<CodeSigningConfig>> {
    match engine.backend().get_code_signing_config(arn).await {
        Ok(csc) => Ok(Some(csc)),
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e).doing(format!("read code signing config {arn}"))),
    }
}

pub async fn update(engine: &Engine, arn: &str, spec: &CscSpec) -> EngineResult<CodeSigningConfig> {
    tracing::info!(%arn, enforcement = %spec.enforcement, "updating code signing config");
    let csc = engine
        .backend()
        .update_code_signing_config(arn, spec.input(engine))
        .await
        .map_err(|e| EngineError::from(e).doing(format!("update code signing config {arn}")))?;
    engine.note_applied(format!(
        "code signing config {arn} (allowed publishers {}; {})",
        csc.allowed_publishers.join(", "),
        csc.enforcement
    ));
    Ok(csc)
}

/// Deletes the config; already gone counts as done. A config still in use
/// fails, naming its users.
pub async fn delete(engine: &Engine, arn: &str) -> EngineResult<()> {
    tracing::info!(%arn, "deleting code signing config");
    match engine.backend().delete_code_signing_config(arn).await {
        Ok(()) | Err(BackendError::NotFound(_)) => Ok(()),
        Err(e) => Err(EngineError::from(e).doing(format!("delete code signing config {arn}"))),
    }
}

/// Imports by ARN.
pub async fn import(engine: &Engine, arn: &str) -> EngineResult<CodeSigningConfig> {
    engine
        .backend()
        .get_code_signing_config(arn)
        .await
        .map_err(|e| {
            EngineError::from(e).doing(format!(
                "import code signing config {arn:?} (import by ARN)"
            ))
        })
}

pub async fn list(engine: &Engine) -> EngineResult<Vec<CodeSigningConfig>> {
    Ok(engine.backend().list_code_signing_configs().await?)
}
