//! Signing profile permissions, whole: one statement of a profile's policy
//! per resource. Many may target one profile at once: writes to one
//! profile's policy are serialised in this process, and a stale revision id
//! (another process won the race) is retried with a fresh one. Each
//! permission reads back only its own statement. Every change replaces it.

use super::locks::retry_on_stale_revision;
use super::rules::{FieldRule, Shape};
use super::{Engine, EngineError, EngineResult, Planned, Report};
use crate::backend::{AddProfilePermission, BackendError, BackendResult};
use crate::domain::field::FieldPath;
use crate::domain::names;
use crate::domain::permission::{lambda_action, ProfilePermission};
use crate::domain::profile::ProfileStatus;

pub mod field {
    pub const PROFILE_NAME: &str = "profile_name";
    pub const ACTION: &str = "action";
    pub const PRINCIPAL: &str = "principal";
    pub const STATEMENT_ID: &str = "statement_id";
    pub const STATEMENT_ID_PREFIX: &str = "statement_id_prefix";
    pub const PROFILE_VERSION: &str = "profile_version";
}
use field::*;

/// Every change makes a new statement.
pub const REPLACE_ON_CHANGE: &[&str] = &[
    PROFILE_NAME,
    ACTION,
    PRINCIPAL,
    STATEMENT_ID,
    STATEMENT_ID_PREFIX,
    PROFILE_VERSION,
];

pub const DEFAULT_PREFIX: &str = "terraform-";

pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[PROFILE_NAME], names::profile_name),
    FieldRule::text(&[ACTION], lambda_action),
    FieldRule::text(&[PRINCIPAL], crate::domain::principal::signer_principal),
    FieldRule::text(&[STATEMENT_ID], names::profile_statement_id),
    FieldRule::text(&[STATEMENT_ID_PREFIX], names::profile_statement_id_prefix),
    FieldRule::text(&[PROFILE_VERSION], names::profile_version),
];

pub const SHAPE: &[Shape] = &[Shape::Conflicts(STATEMENT_ID, STATEMENT_ID_PREFIX)];

/// A permission as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSpec {
    pub profile_name: String,
    pub action: String,
    pub principal: String,
    /// A fixed statement id, or `None` for one generated from `prefix`.
    pub statement_id: Option<String>,
    pub statement_id_prefix: Option<String>,
    pub profile_version: Option<String>,
}

/// A permission as recorded: its profile and its statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub profile_name: String,
    pub statement: ProfilePermission,
}

fn lock_key(profile: &str) -> String {
    format!("profile/{profile}")
}

/// Plans a new permission: a profile that neither exists nor is created in
/// this run is an error now, not at apply.
pub async fn plan(engine: &Engine, creating: bool, profile_name: &Planned<String>) -> Report {
    let mut report = Report::new();
    let Planned::Known(name) = profile_name else {
        return report;
    };
    if creating {
        check_profile_exists(
            engine,
            name,
            None,
            FieldPath::field(PROFILE_NAME),
            &mut report,
        )
        .await;
    }
    report
}

/// The profile a plan step names must exist, or be created in this run,
/// and be able to sign. Shared with the signed artifact.
pub(super) async fn check_profile_exists(
    engine: &Engine,
    name: &str,
    owner: Option<&str>,
    field: FieldPath,
    report: &mut Report,
) {
    let owner_account = owner.unwrap_or(&engine.identity().account_id).to_string();
    if engine.planned().is_new_profile(&owner_account, name) {
        return;
    }
    match engine.backend().get_signing_profile(name, owner).await {
        Ok(profile) if profile.status == ProfileStatus::Active => {}
        Ok(profile) => report.error(
            Some(field),
            "Signing profile cannot be used",
            format!(
                "Signing profile {} is {}; only an Active profile signs or grants.",
                profile.arn,
                profile.status.as_str()
            ),
        ),
        // Another account's profile may be made in this run by another
        // provider configuration, which plans in a process of its own.
        Err(e) if e.is_absent() && owner_account != engine.identity().account_id => report.warning(
            Some(field),
            "Signing profile not found yet",
            format!("Signing profile {name:?} of account {owner_account} does not exist yet. If another provider configuration of this run creates it, it is used (and checked) at apply; otherwise apply fails."),
        ),
        Err(e) if e.is_absent() => report.error(
            Some(field),
            "Signing profile not found",
            format!("Signing profile {name:?} does not exist in account {owner_account}. If this configuration creates it, refer to it (for example `lambdasign_signing_profile.NAME.name`) so that Terraform creates it first."),
        ),
        Err(e) => report.warning(
            Some(field),
            "Could not check the signing profile",
            format!("{e}. Apply fails if it does not exist."),
        ),
    }
}

/// Adds the statement. Returns the permission as recorded.
pub async fn create(engine: &Engine, spec: &PermissionSpec) -> EngineResult<Permission> {
    let statement_id = spec.statement_id.clone().unwrap_or_else(|| {
        names::generated(
            spec.statement_id_prefix
                .as_deref()
                .unwrap_or(DEFAULT_PREFIX),
        )
    });
    tracing::info!(profile = %spec.profile_name, statement = %statement_id, principal = %spec.principal, "adding signing profile permission");
    let add = AddProfilePermission {
        profile_name: spec.profile_name.clone(),
        action: spec.action.clone(),
        principal: spec.principal.clone(),
        statement_id: statement_id.clone(),
        profile_version: spec.profile_version.clone(),
        revision_id: None,
    };
    let _guard = engine.locks.lock(&lock_key(&spec.profile_name)).await;
    retry_on_stale_revision(|| async {
        let revision = engine
            .backend()
            .list_profile_permissions(&add.profile_name)
            .await?
            .revision_id;
        let request = AddProfilePermission {
            revision_id: Some(revision).filter(|r| !r.is_empty()),
            ..add.clone()
        };
        engine.backend().add_profile_permission(request).await
    })
    .await
    .map_err(|e| {
        EngineError::from(e).doing(format!(
            "add statement {statement_id} to signing profile {}",
            spec.profile_name
        ))
    })?;
    Ok(Permission {
        profile_name: spec.profile_name.clone(),
        statement: ProfilePermission {
            statement_id,
            action: spec.action.clone(),
            principal: spec.principal.clone(),
            profile_version: spec.profile_version.clone(),
        },
    })
}

/// The statement; gone (`None`) when it or its profile is missing.
pub async fn read(
    engine: &Engine,
    profile: &str,
    statement_id: &str,
) -> EngineResult<Option<Permission>> {
    match engine.backend().list_profile_permissions(profile).await {
        Ok(policy) => Ok(policy.statement(statement_id).map(|statement| Permission {
            profile_name: profile.to_string(),
            statement: statement.clone(),
        })),
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e)
            .doing(format!("read the permissions of signing profile {profile}"))),
    }
}

/// Removes the statement if it is still there; gone already is success.
pub async fn delete(engine: &Engine, profile: &str, statement_id: &str) -> EngineResult<()> {
    tracing::info!(%profile, statement = %statement_id, "removing signing profile permission");
    let _guard = engine.locks.lock(&lock_key(profile)).await;
    let removed: BackendResult<()> = retry_on_stale_revision(|| async {
        let policy = match engine.backend().list_profile_permissions(profile).await {
            Ok(policy) => policy,
            Err(BackendError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if policy.statement(statement_id).is_none() {
            return Ok(());
        }
        match engine
            .backend()
            .remove_profile_permission(profile, statement_id, &policy.revision_id)
            .await
        {
            Ok(_) | Err(BackendError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await;
    removed.map_err(|e| {
        EngineError::from(e).doing(format!(
            "remove statement {statement_id} from signing profile {profile}"
        ))
    })
}

/// Imports `PROFILE/STATEMENT_ID`, as the AWS provider does.
pub async fn import(engine: &Engine, id: &str) -> EngineResult<Permission> {
    let Some((profile, statement_id)) = id.split_once('/') else {
        return Err(EngineError::invalid(
            FieldPath::root(),
            format!("expected an import ID `profile_name/statement_id`, got {id:?}"),
        ));
    };
    read(engine, profile, statement_id).await?.ok_or_else(|| {
        EngineError::not_found(format!(
            "signing profile {profile} has no statement {statement_id:?}"
        ))
    })
}

/// Every statement of every profile of this account that is not canceled.
pub async fn list(engine: &Engine) -> EngineResult<Vec<Permission>> {
    let mut all = Vec::new();
    for profile in super::signing_profile::list(engine).await? {
        if let Some(policy) = match engine
            .backend()
            .list_profile_permissions(&profile.name)
            .await
        {
            Ok(policy) => Some(policy),
            Err(BackendError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        } {
            all.extend(policy.permissions.into_iter().map(|statement| Permission {
                profile_name: profile.name.clone(),
                statement,
            }));
        }
    }
    Ok(all)
}

/// The prefix a generated statement id was made from (for import).
pub fn prefix_of(statement_id: &str) -> Option<&str> {
    super::signing_profile::prefix_of(statement_id)
}
