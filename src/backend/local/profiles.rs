//! Signer signing profiles, their versions (with the private keys, which
//! never leave this module except into a signing closure), revocations and
//! profile permissions.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::ids;
use super::sealing::AtRest;
use super::store::{
    is_unique_violation, opt_time, parse_tags, tags_json, time_text, Cached, Store,
};
use crate::backend::{
    AddProfilePermission, BackendError, BackendResult, PutSigningProfile, RevokeSigningProfile,
    Subject,
};
use crate::domain::arn::{ProfileArn, ProfileVersionArn};
use crate::domain::identity::Identity;
use crate::domain::keys::SigningKey;
use crate::domain::names;
use crate::domain::permission::{ProfilePermission, ProfilePermissions, SignerAction};
use crate::domain::profile::{
    revocation_change, ProfileRevocation, ProfileStatus, SignatureValidity, SigningProfile,
    LAMBDA_PLATFORM,
};
use crate::domain::tags::Tags;

pub fn profile_arn(id: &Identity, account: &str, name: &str) -> BackendResult<String> {
    ProfileArn::new_in_partition(id.partition, &id.region, account, name)
        .map(|arn| arn.to_string())
        .map_err(|e| BackendError::invalid("name", e.to_string()))
}

fn version_arn(id: &Identity, account: &str, name: &str, version: &str) -> BackendResult<String> {
    ProfileVersionArn::new_in_partition(id.partition, &id.region, account, name, version)
        .map(|arn| arn.to_string())
        .map_err(|e| BackendError::Internal(format!("local store: {e}")))
}

fn corrupt(what: &str) -> BackendError {
    BackendError::Internal(format!("local store: {what}"))
}

const PROFILE_COLUMNS: &str = "p.platform_id, p.validity_value, p.validity_unit, p.status, p.version, p.tags,
     p.certificate_arn, p.signing_parameters,
     v.revocation_reason, v.revocation_effective_time, v.revoked_at, v.revoked_by, p.name, p.account";

fn profile_from_row(id: &Identity, r: &Row<'_>) -> BackendResult<SigningProfile> {
    let text = |i: usize| r.get::<_, String>(i);
    let opt = |i: usize| r.get::<_, Option<String>>(i);
    let (name, account) = (text(12)?, text(13)?);
    let unit = text(2)?;
    let unit = unit
        .parse()
        .map_err(|_| corrupt(&format!("unknown validity unit {unit:?}")))?;
    let status = text(3)?;
    let status = ProfileStatus::parse(&status)
        .ok_or_else(|| corrupt(&format!("unknown status {status:?}")))?;
    let revocation = match (opt(8)?, opt_time(opt(9)?)?, opt_time(opt(10)?)?) {
        (Some(reason), Some(effective_time), Some(revoked_at)) => Some(ProfileRevocation {
            reason,
            effective_time,
            revoked_at,
            revoked_by: opt(11)?,
        }),
        _ => None,
    };
    let version = text(4)?;
    let parameters: BTreeMap<String, String> = serde_json::from_str(&text(7)?)
        .map_err(|e| corrupt(&format!("bad signing parameters: {e}")))?;
    Ok(SigningProfile {
        arn: profile_arn(id, &account, &name)?,
        version_arn: version_arn(id, &account, &name, &version)?,
        name,
        owner: account,
        version,
        platform_id: text(0)?,
        validity: SignatureValidity {
            value: r.get(1)?,
            unit,
        },
        status,
        revocation,
        certificate_arn: opt(6)?,
        signing_parameters: parameters,
        tags: parse_tags(&text(5)?)?,
    })
}

/// The profile `name` owned by `account`, or `None`.
pub fn find(
    tx: &Transaction<'_>,
    id: &Identity,
    account: &str,
    name: &str,
) -> BackendResult<Option<SigningProfile>> {
    let sql = format!(
        "SELECT {PROFILE_COLUMNS} FROM signing_profiles p
         JOIN signing_profile_versions v
           ON v.account = p.account AND v.region = p.region AND v.name = p.name AND v.version = p.version
         WHERE p.account = ?1 AND p.region = ?2 AND p.name = ?3"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account, id.region, name])?;
    match rows.next()? {
        Some(row) => profile_from_row(id, row).map(Some),
        None => Ok(None),
    }
}

/// This account's profiles, canceled ones included, by name.
pub fn list(tx: &Transaction<'_>, id: &Identity) -> BackendResult<Vec<SigningProfile>> {
    let sql = format!(
        "SELECT {PROFILE_COLUMNS} FROM signing_profiles p
         JOIN signing_profile_versions v
           ON v.account = p.account AND v.region = p.region AND v.name = p.name AND v.version = p.version
         WHERE p.account = ?1 AND p.region = ?2 ORDER BY p.name"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![id.account_id, id.region])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(profile_from_row(id, row)?);
    }
    Ok(out)
}

/// The profile `name` owned by `account`, or `NotFound`.
pub fn load(
    tx: &Transaction<'_>,
    id: &Identity,
    account: &str,
    name: &str,
) -> BackendResult<SigningProfile> {
    find(tx, id, account, name)?
        .ok_or_else(|| BackendError::NotFound(Subject::SigningProfile(name.to_string())))
}

pub fn put(
    tx: &Transaction<'_>,
    at_rest: &AtRest,
    id: &Identity,
    request: &PutSigningProfile,
    now: DateTime<Utc>,
) -> BackendResult<SigningProfile> {
    names::profile_name(&request.name).map_err(|e| BackendError::invalid("name", e.0))?;
    if request.platform_id != LAMBDA_PLATFORM {
        return Err(BackendError::invalid(
            "platform_id",
            format!(
                "{:?}: only {LAMBDA_PLATFORM} is emulated by the local backend",
                request.platform_id
            ),
        ));
    }
    request
        .validity
        .end(now)
        .map_err(|e| BackendError::invalid("signature_validity", e.to_string()))?;
    crate::domain::tags::check(&request.tags).map_err(|e| BackendError::invalid("tags", e.0))?;
    if let Some(existing) = find(tx, id, &id.account_id, &request.name)? {
        return Err(BackendError::AlreadyExists {
            subject: Subject::SigningProfile(existing.arn),
            detail: format!(
                "its status is {}, and Signer never reuses a profile name, not even a canceled one",
                existing.status.as_str()
            ),
        });
    }
    let version = ids::profile_version();
    let key = SigningKey::generate();
    let private = key
        .to_pkcs8_der()
        .map_err(|e| BackendError::Internal(format!("cannot encode the new profile key: {e}")))?;
    let public = key.public_key().to_sec1_bytes();
    let version_arn = version_arn(id, &id.account_id, &request.name, &version)?;
    let (stored_key, sealed) = at_rest.protect(&version_arn, &private)?;
    let now_text = time_text(now);
    let parameters = serde_json::to_string(&request.signing_parameters)
        .map_err(|e| BackendError::Internal(format!("cannot encode signing parameters: {e}")))?;
    tx.cached_execute(
        "INSERT INTO signing_profiles
           (account, region, name, platform_id, validity_value, validity_unit, status, version, tags,
            created_at, certificate_arn, signing_parameters)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Active', ?7, ?8, ?9, ?10, ?11)",
        params![
            id.account_id,
            id.region,
            request.name,
            request.platform_id,
            request.validity.value,
            request.validity.unit.as_str(),
            version,
            tags_json(&request.tags),
            now_text,
            request.certificate_arn,
            parameters
        ],
    )?;
    tx.cached_execute(
        "INSERT INTO signing_profile_versions
           (version_arn, account, region, name, version, private_key_pkcs8, public_key_sec1, created_at,
            private_key_sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            version_arn,
            id.account_id,
            id.region,
            request.name,
            version,
            stored_key,
            public,
            now_text,
            sealed
        ],
    )?;
    load(tx, id, &id.account_id, &request.name)
}

pub fn set_tags(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
    tags: &Tags,
) -> BackendResult<SigningProfile> {
    crate::domain::tags::check(tags).map_err(|e| BackendError::invalid("tags", e.0))?;
    let changed = tx.cached_execute(
        "UPDATE signing_profiles SET tags = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name, tags_json(tags)],
    )?;
    if changed == 0 {
        return Err(BackendError::NotFound(Subject::SigningProfile(
            name.to_string(),
        )));
    }
    load(tx, id, &id.account_id, name)
}

/// Active becomes Canceled; Canceled stays (idempotent); a Revoked profile
/// stays Revoked (already unusable, and the revocation is the stronger fact).
pub fn cancel(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<()> {
    load(tx, id, &id.account_id, name)?;
    tx.cached_execute(
        "UPDATE signing_profiles SET status = 'Canceled'
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND status = 'Active'",
        params![id.account_id, id.region, name],
    )?;
    Ok(())
}

pub fn revoke(
    tx: &Transaction<'_>,
    id: &Identity,
    request: &RevokeSigningProfile,
    now: DateTime<Utc>,
) -> BackendResult<SigningProfile> {
    let profile = load(tx, id, &id.account_id, &request.name)?;
    if profile.version != request.version {
        return Err(BackendError::NotFound(Subject::ProfileVersion(
            version_arn(id, &id.account_id, &request.name, &request.version)
                .unwrap_or_else(|_| request.version.clone()),
        )));
    }
    let record = revocation_change(
        profile.revocation.as_ref(),
        &request.reason,
        request.effective_time,
        now,
    )
    .map_err(|e| BackendError::invalid("effective_time", e.to_string()))?;
    if !record {
        return Ok(profile);
    }
    tx.cached_execute(
        "UPDATE signing_profile_versions
         SET revocation_reason = ?5, revocation_effective_time = ?6, revoked_at = ?7, revoked_by = ?8
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![
            id.account_id,
            id.region,
            request.name,
            request.version,
            request.reason,
            time_text(request.effective_time),
            time_text(now),
            format!("arn:{}:iam::{}:root", id.partition, id.account_id)
        ],
    )?;
    tx.cached_execute(
        "UPDATE signing_profiles SET status = 'Revoked' WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, request.name],
    )?;
    load(tx, id, &id.account_id, &request.name)
}

fn policy_revision(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<String> {
    tx.cached_row(
        "SELECT policy_revision FROM signing_profiles WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .ok_or_else(|| BackendError::NotFound(Subject::SigningProfile(name.to_string())))
}

fn new_policy_revision(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<String> {
    let revision = ids::uuid_v4();
    tx.cached_execute(
        "UPDATE signing_profiles SET policy_revision = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name, revision],
    )?;
    Ok(revision)
}

fn stale(name: &str, given: &str, current: &str) -> BackendError {
    BackendError::StaleRevision(format!(
        "revision id {given:?} of the policy of signing profile {name} is stale (current revision {current:?}): read the policy again"
    ))
}

pub fn add_permission(
    tx: &Transaction<'_>,
    id: &Identity,
    request: &AddProfilePermission,
) -> BackendResult<String> {
    let name = &request.profile_name;
    let current = policy_revision(tx, id, name)?;
    SignerAction::parse(&request.action).map_err(|e| BackendError::invalid("action", e.0))?;
    crate::domain::principal::signer_principal(&request.principal)
        .map_err(|e| BackendError::invalid("principal", e.0))?;
    names::profile_statement_id(&request.statement_id)
        .map_err(|e| BackendError::invalid("statement_id", e.0))?;
    if let Some(version) = &request.profile_version {
        names::profile_version(version)
            .map_err(|e| BackendError::invalid("profile_version", e.0))?;
    }
    if let Some(given) = &request.revision_id {
        if *given != current {
            return Err(stale(name, given, &current));
        }
    }
    let inserted = tx.cached_execute(
        "INSERT INTO signing_profile_permissions
           (account, region, profile_name, statement_id, action, principal, profile_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id.account_id,
            id.region,
            name,
            request.statement_id,
            request.action,
            request.principal,
            request.profile_version
        ],
    );
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(BackendError::AlreadyExists {
                subject: Subject::ProfileStatement {
                    profile: name.clone(),
                    statement_id: request.statement_id.clone(),
                },
                detail: "statement ids are unique within a profile's policy".into(),
            })
        }
        Err(e) => return Err(e.into()),
    }
    new_policy_revision(tx, id, name)
}

fn statements(
    tx: &Transaction<'_>,
    account: &str,
    region: &str,
    name: &str,
) -> BackendResult<Vec<ProfilePermission>> {
    let mut stmt = tx.prepare_cached(
        "SELECT statement_id, action, principal, profile_version FROM signing_profile_permissions
         WHERE account = ?1 AND region = ?2 AND profile_name = ?3 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![account, region, name], |r| {
        Ok(ProfilePermission {
            statement_id: r.get(0)?,
            action: r.get(1)?,
            principal: r.get(2)?,
            profile_version: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn list_permissions(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
) -> BackendResult<ProfilePermissions> {
    let revision_id = policy_revision(tx, id, name)?;
    Ok(ProfilePermissions {
        permissions: statements(tx, &id.account_id, &id.region, name)?,
        revision_id,
    })
}

pub fn remove_permission(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
    statement_id: &str,
    revision_id: &str,
) -> BackendResult<String> {
    let current = policy_revision(tx, id, name)?;
    if revision_id != current {
        return Err(stale(name, revision_id, &current));
    }
    let removed = tx.cached_execute(
        "DELETE FROM signing_profile_permissions
         WHERE account = ?1 AND region = ?2 AND profile_name = ?3 AND statement_id = ?4",
        params![id.account_id, id.region, name, statement_id],
    )?;
    if removed == 0 {
        return Err(BackendError::NotFound(Subject::ProfileStatement {
            profile: name.to_string(),
            statement_id: statement_id.to_string(),
        }));
    }
    new_policy_revision(tx, id, name)
}

/// Whether `owner`'s profile policy lets `caller` do `action` with the
/// profile's current version: a statement for that action whose principal
/// is the caller's account id (or an ARN in it) and whose version, if any,
/// matches.
pub fn grants(
    tx: &Transaction<'_>,
    profile: &SigningProfile,
    region: &str,
    caller: &str,
    action: SignerAction,
) -> BackendResult<bool> {
    let in_account = format!(":{caller}:");
    Ok(statements(tx, &profile.owner, region, &profile.name)?
        .iter()
        .any(|s| {
            s.action == action.as_str()
                && (s.principal == caller || s.principal.contains(&in_account))
                && s.profile_version
                    .as_deref()
                    .is_none_or(|v| v == profile.version)
        }))
}

/// The private key of a profile version (never returned by any `Backend`
/// method; used only to sign inside this store), unsealed if need be and
/// parsed once per process (`key_cache`).
pub fn signing_key(
    tx: &Transaction<'_>,
    store: &Store,
    version_arn: &str,
) -> BackendResult<Arc<SigningKey>> {
    let (stored, sealed): (Vec<u8>, bool) = tx
        .cached_row(
            "SELECT private_key_pkcs8, private_key_sealed FROM signing_profile_versions WHERE version_arn = ?1",
            [version_arn],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| BackendError::NotFound(Subject::ProfileVersion(version_arn.to_string())))?;
    let stored = zeroize::Zeroizing::new(stored);
    store.signing_keys().get_or_parse(version_arn, &stored, || {
        let der = store.at_rest().reveal(version_arn, &stored, sealed)?;
        SigningKey::from_pkcs8_der(&der).map_err(|e| {
            BackendError::Internal(format!("local store: unreadable key of {version_arn}: {e}"))
        })
    })
}

/// The public key of a profile version, by its ARN, whoever owns it.
pub fn public_key(tx: &Transaction<'_>, version_arn: &str) -> BackendResult<Option<Vec<u8>>> {
    Ok(tx
        .cached_row(
            "SELECT public_key_sec1 FROM signing_profile_versions WHERE version_arn = ?1",
            [version_arn],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()?)
}

/// The profile a version ARN belongs to (its record, whoever owns it),
/// as it is now; `None` when the store knows no such version.
pub fn by_version_arn(
    tx: &Transaction<'_>,
    id: &Identity,
    version_arn: &str,
) -> BackendResult<Option<SigningProfile>> {
    let row = tx
        .cached_row(
            "SELECT account, region, name, version, revocation_reason, revocation_effective_time,
                    revoked_at, revoked_by
             FROM signing_profile_versions WHERE version_arn = ?1",
            [version_arn],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((account, region, name, version, reason, effective, revoked_at, revoked_by)) = row
    else {
        return Ok(None);
    };
    let home = Identity {
        region,
        ..id.clone()
    };
    let Some(mut profile) = find(tx, &home, &account, &name)? else {
        return Ok(None);
    };
    // The version asked about, with its own revocation record.
    profile.version_arn = version_arn.to_string();
    profile.version = version;
    profile.revocation = match (reason, opt_time(effective)?, opt_time(revoked_at)?) {
        (Some(reason), Some(effective_time), Some(revoked_at)) => Some(ProfileRevocation {
            reason,
            effective_time,
            revoked_at,
            revoked_by,
        }),
        _ => None,
    };
    Ok(Some(profile))
}
