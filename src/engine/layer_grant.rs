//! Layer grants, whole: one statement of a layer version's policy per
//! resource, letting an account (or everyone, optionally within one
//! organization) use the layer version. Any number can share a version:
//! writes to one version's policy are serialised in this process and a
//! stale revision id is retried. Each grant reads back only its own
//! statement. `skip_destroy` keeps the grant in Lambda on destroy.

use super::locks::retry_on_stale_revision;
use super::planned::run_board::PlannedGrant;
use super::rules::{FieldRule, Shape};
use super::{Engine, EngineError, EngineResult, Report};
use crate::backend::{AddLayerPermission, BackendError, BackendResult};
use crate::domain::arn::{LayerArn, LayerVersionArn};
use crate::domain::field::FieldPath;
use crate::domain::layer::LayerStatement;
use crate::domain::names;

pub mod field {
    pub const LAYER_NAME: &str = "layer_name";
    pub const VERSION_NUMBER: &str = "version_number";
    pub const PRINCIPAL: &str = "principal";
    pub const ORGANIZATION_ID: &str = "organization_id";
    pub const STATEMENT_ID: &str = "statement_id";
    pub const SKIP_DESTROY: &str = "skip_destroy";
    pub const ACTION: &str = "action";
}
use field::*;

/// Every change but `skip_destroy` makes a new grant.
pub const REPLACE_ON_CHANGE: &[&str] = &[
    LAYER_NAME,
    VERSION_NUMBER,
    PRINCIPAL,
    ORGANIZATION_ID,
    STATEMENT_ID,
];

pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[LAYER_NAME], layer_name_or_arn),
    FieldRule::number(&[VERSION_NUMBER], super::rules::positive),
    FieldRule::text(&[PRINCIPAL], names::layer_principal),
    FieldRule::text(&[ORGANIZATION_ID], names::organization_id),
    FieldRule::text(&[STATEMENT_ID], names::layer_statement_id),
];

pub const SHAPE: &[Shape] = &[];

/// A layer named by name or by its ARN.
pub fn layer_name_or_arn(text: &str) -> Result<(), names::Invalid> {
    if text.starts_with("arn:") {
        text.parse::<LayerArn>()
            .map(|_| ())
            .map_err(|e| names::Invalid(format!("{text:?}: {e}")))
    } else {
        names::layer_name(text)
    }
}

/// The layer's name, also when given as its ARN.
pub fn layer_name(text: &str) -> String {
    text.parse::<LayerArn>()
        .map_or_else(|_| text.to_string(), |arn| arn.name().to_string())
}

/// An organization narrows only a grant to everyone.
pub fn check_organization(
    principal: Option<&str>,
    organization: Option<&str>,
) -> Result<(), EngineError> {
    match (principal, organization) {
        (Some(p), Some(_)) if p != "*" => Err(EngineError::invalid(
            ORGANIZATION_ID,
            "an organization condition applies only to a grant to everyone (`principal = \"*\"`)",
        )),
        _ => Ok(()),
    }
}

/// A grant as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSpec {
    /// The layer's name (or ARN, as configured).
    pub layer: String,
    pub version: i64,
    pub principal: String,
    pub organization_id: Option<String>,
    pub statement_id: String,
}

/// A grant as a plan knows it: the layer version it names, and who and
/// which statement when those are known now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPlan {
    /// The layer's name (or ARN, as configured).
    pub layer: String,
    pub version: i64,
    pub principal: Option<String>,
    pub statement_id: Option<String>,
}

/// The layer version a grant names, in the engine's account and region
/// unless `layer` is an ARN.
fn version_arn_of(engine: &Engine, layer: &str, version: i64) -> Option<LayerVersionArn> {
    let id = engine.identity();
    let arn = match layer.parse::<LayerArn>() {
        Ok(arn) => Ok(arn),
        Err(_) => {
            LayerArn::new_in_partition(id.partition, &id.region, &id.account_id, &layer_name(layer))
        }
    };
    arn.and_then(|arn| arn.with_version(version)).ok()
}

/// The layer version a grant names must exist, or be published in this run
/// (its number is then known only at apply, so it is not checked here).
/// Another account's layer is that account's to publish: a warning. The
/// grant goes on the planned world, where a reader of the layer version in
/// another provider configuration of the run sees it.
pub async fn plan(engine: &Engine, grant: &GrantPlan) -> Report {
    let mut report = Report::default();
    let name = layer_name(&grant.layer);
    let id = engine.identity();
    let Some(version_arn) = version_arn_of(engine, &grant.layer, grant.version) else {
        return report; // the field rules report a malformed name or version
    };
    let owner = version_arn.account_id().to_string();
    let version_arn = version_arn.to_string();
    engine.planned().plan_grant(PlannedGrant {
        layer_version_arn: version_arn.clone(),
        principal: grant.principal.clone(),
        statement_id: grant.statement_id.clone(),
    });
    if engine.planned().publishes_layer_version(&name) {
        return report;
    }
    match engine.backend().get_layer_version(&version_arn).await {
        Ok(_) => {}
        Err(e) if e.is_absent() && owner != id.account_id => report.warning(
            Some(FieldPath::field(VERSION_NUMBER)),
            "Layer version not found yet",
            format!("{version_arn} does not exist yet. Unless account {owner} publishes it before this apply, the grant fails."),
        ),
        Err(e) if e.is_absent() => report.error(
            Some(FieldPath::field(VERSION_NUMBER)),
            "Layer version not found",
            format!("{version_arn} does not exist, and no lambdasign_layer_version of this configuration publishes a version of layer {name:?}. Lambda refuses a grant on a missing version."),
        ),
        // Not knowing is no verdict: the grant itself tells at apply.
        Err(e) => report.warning(
            Some(FieldPath::field(VERSION_NUMBER)),
            "Cannot check the layer version at plan",
            format!("Reading {version_arn} failed ({e}); whether it exists is known at apply."),
        ),
    }
    report
}

fn lock_key(layer: &str, version: i64) -> String {
    format!("layer/{layer}/{version}")
}

pub async fn create(engine: &Engine, spec: &GrantSpec) -> EngineResult<LayerStatement> {
    check_organization(Some(&spec.principal), spec.organization_id.as_deref())?;
    let name = layer_name(&spec.layer);
    tracing::info!(layer = %name, version = spec.version, principal = %spec.principal, "granting layer version");
    let add = AddLayerPermission {
        layer_name: name.clone(),
        version: spec.version,
        statement_id: spec.statement_id.clone(),
        principal: spec.principal.clone(),
        organization_id: spec.organization_id.clone(),
        revision_id: None,
    };
    let _guard = engine.locks.lock(&lock_key(&name, spec.version)).await;
    let policy = retry_on_stale_revision(|| async {
        let revision = match engine.backend().get_layer_policy(&name, spec.version).await {
            Ok(policy) => Some(policy.revision_id),
            Err(BackendError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let request = AddLayerPermission {
            revision_id: revision.filter(|r| !r.is_empty()),
            ..add.clone()
        };
        engine.backend().add_layer_permission(request).await
    })
    .await
    .map_err(|e| {
        EngineError::from(e).doing(format!("grant layer {name} version {}", spec.version))
    })?;
    if let Some(layer_version_arn) = version_arn_of(engine, &spec.layer, spec.version) {
        engine.planned().grant_applied(PlannedGrant {
            layer_version_arn: layer_version_arn.to_string(),
            principal: Some(spec.principal.clone()),
            statement_id: Some(spec.statement_id.clone()),
        });
    }
    policy
        .statement(&spec.statement_id)
        .cloned()
        .ok_or_else(|| {
            EngineError::new(
                super::ErrorKind::Internal,
                format!(
                    "the grant {} did not appear in the policy of layer {name} version {}",
                    spec.statement_id, spec.version
                ),
            )
        })
}

/// The statement; gone (`None`) when it, its policy or its version is missing.
pub async fn read(
    engine: &Engine,
    layer: &str,
    version: i64,
    statement_id: &str,
) -> EngineResult<Option<LayerStatement>> {
    let name = layer_name(layer);
    match engine.backend().get_layer_policy(&name, version).await {
        Ok(policy) => Ok(policy.statement(statement_id).cloned()),
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e)
            .doing(format!("read the policy of layer {name} version {version}"))),
    }
}

/// Removes the grant if it is still there; gone already is success.
pub async fn delete(
    engine: &Engine,
    layer: &str,
    version: i64,
    statement_id: &str,
) -> EngineResult<()> {
    let name = layer_name(layer);
    tracing::info!(layer = %name, version, statement = %statement_id, "removing layer grant");
    let _guard = engine.locks.lock(&lock_key(&name, version)).await;
    let removed: BackendResult<()> = retry_on_stale_revision(|| async {
        let policy = match engine.backend().get_layer_policy(&name, version).await {
            Ok(policy) => policy,
            Err(BackendError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if policy.statement(statement_id).is_none() {
            return Ok(());
        }
        match engine
            .backend()
            .remove_layer_permission(&name, version, statement_id, Some(&policy.revision_id))
            .await
        {
            Ok(()) | Err(BackendError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await;
    removed.map_err(|e| {
        EngineError::from(e).doing(format!(
            "remove the grant {statement_id} of layer {name} version {version}"
        ))
    })
}

/// Every grant of one layer version (none when it has no policy).
pub async fn list(engine: &Engine, layer: &str, version: i64) -> EngineResult<Vec<LayerStatement>> {
    let name = layer_name(layer);
    match engine.backend().get_layer_policy(&name, version).await {
        Ok(policy) => Ok(policy.statements),
        Err(BackendError::NotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(EngineError::from(e)
            .doing(format!("read the policy of layer {name} version {version}"))),
    }
}

/// An import ID `layer_name,version_number,statement_id`, parsed.
pub fn parse_import_id(id: &str) -> EngineResult<(String, i64, String)> {
    let parts: Vec<&str> = id.split(',').collect();
    let [name, version, statement_id] = parts[..] else {
        return Err(EngineError::invalid(
            FieldPath::root(),
            format!("expected an import ID `layer_name,version_number,statement_id`, got {id:?}"),
        ));
    };
    let version = version
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            EngineError::invalid(
                FieldPath::root(),
                format!("{version:?} is not a layer version number"),
            )
        })?;
    Ok((name.to_string(), version, statement_id.to_string()))
}

pub async fn import(engine: &Engine, id: &str) -> EngineResult<(String, i64, LayerStatement)> {
    let (name, version, statement_id) = parse_import_id(id)?;
    let statement = read(engine, &name, version, &statement_id)
        .await?
        .ok_or_else(|| {
            EngineError::not_found(format!(
                "layer {name} version {version} has no statement {statement_id:?}"
            ))
        })?;
    Ok((name, version, statement))
}
