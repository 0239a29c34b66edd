//! Signer signing profiles, their versions (with the private keys, which
//! never leave this module except into a signing closure), revocations and
//! profile permissions.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ids;
use super::store::{is_unique_violation, opt_time, parse_tags, parse_time, tags_json, time_text};
use crate::backend::{
    AddProfilePermission, BackendError, BackendResult, Identity, ProfilePermission,
    ProfilePermissions, ProfileRevocation, ProfileStatus, PutSigningProfile, RevokeSigningProfile,
    SignatureValidity, SigningProfile, Tags, ValidityUnit, LAMBDA_PLATFORM,
};
use crate::domain::checks;
use crate::domain::keys::SigningKey;

/// The actions a signing profile policy may grant.
pub const PROFILE_ACTIONS: [&str; 4] = [
    "signer:StartSigningJob",
    "signer:GetSigningProfile",
    "signer:RevokeSignature",
    "signer:SignPayload",
];

pub fn profile_arn(id: &Identity, account: &str, name: &str) -> String {
    format!(
        "arn:{}:signer:{}:{account}:/signing-profiles/{name}",
        id.partition, id.region
    )
}

pub fn version_arn(id: &Identity, account: &str, name: &str, version: &str) -> String {
    format!("{}/{version}", profile_arn(id, account, name))
}

pub fn checks_unit(unit: ValidityUnit) -> checks::ValidityUnit {
    match unit {
        ValidityUnit::Days => checks::ValidityUnit::Days,
        ValidityUnit::Months => checks::ValidityUnit::Months,
        ValidityUnit::Years => checks::ValidityUnit::Years,
    }
}

/// When a signature made at `signed_at` with this validity expires.
pub fn validity_end(
    signed_at: DateTime<Utc>,
    validity: SignatureValidity,
) -> BackendResult<DateTime<Utc>> {
    checks::validity_end(signed_at, validity.value, checks_unit(validity.unit))
        .map_err(|e| BackendError::InvalidInput(format!("signature_validity_period: {e}")))
}

fn validate_name(name: &str) -> BackendResult<()> {
    let ok = (2..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(BackendError::InvalidInput(format!(
            "name: {name:?} is not a valid signing profile name (2 to 64 letters, digits or underscores)"
        )))
    }
}

pub fn validate_account(field: &str, account: &str) -> BackendResult<()> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(BackendError::InvalidInput(format!(
            "{field}: {account:?} is not a 12-digit AWS account id"
        )))
    }
}

fn parse_status(text: &str) -> BackendResult<ProfileStatus> {
    match text {
        "Active" => Ok(ProfileStatus::Active),
        "Canceled" => Ok(ProfileStatus::Canceled),
        "Revoked" => Ok(ProfileStatus::Revoked),
        other => Err(BackendError::Internal(format!(
            "local store: unknown profile status {other:?}"
        ))),
    }
}

/// The profile `name` owned by `account`, or `None`.
pub fn find(
    tx: &Transaction<'_>,
    id: &Identity,
    account: &str,
    name: &str,
) -> BackendResult<Option<SigningProfile>> {
    let row = tx
        .query_row(
            "SELECT p.platform_id, p.validity_value, p.validity_unit, p.status, p.version, p.tags,
                    v.revocation_reason, v.revocation_effective_time, v.revoked_at
             FROM signing_profiles p
             JOIN signing_profile_versions v
               ON v.account = p.account AND v.region = p.region AND v.name = p.name AND v.version = p.version
             WHERE p.account = ?1 AND p.region = ?2 AND p.name = ?3",
            params![account, id.region, name],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((platform_id, value, unit, status, version, tags, reason, effective, revoked_at)) =
        row
    else {
        return Ok(None);
    };
    let unit = ValidityUnit::parse(&unit).ok_or_else(|| {
        BackendError::Internal(format!("local store: unknown validity unit {unit:?}"))
    })?;
    let revocation = match (reason, opt_time(effective)?, opt_time(revoked_at)?) {
        (Some(reason), Some(effective_time), Some(revoked_at)) => Some(ProfileRevocation {
            reason,
            effective_time,
            revoked_at,
        }),
        _ => None,
    };
    Ok(Some(SigningProfile {
        name: name.to_string(),
        owner: account.to_string(),
        arn: profile_arn(id, account, name),
        version_arn: version_arn(id, account, name, &version),
        version,
        platform_id,
        validity: SignatureValidity { value, unit },
        status: parse_status(&status)?,
        revocation,
        tags: parse_tags(&tags)?,
    }))
}

/// The profile `name` owned by `account`, or `NotFound`.
pub fn load(
    tx: &Transaction<'_>,
    id: &Identity,
    account: &str,
    name: &str,
) -> BackendResult<SigningProfile> {
    find(tx, id, account, name)?.ok_or_else(|| {
        BackendError::NotFound(format!(
            "signing profile {}",
            profile_arn(id, account, name)
        ))
    })
}

pub fn put(
    tx: &Transaction<'_>,
    id: &Identity,
    request: &PutSigningProfile,
    now: DateTime<Utc>,
) -> BackendResult<SigningProfile> {
    validate_name(&request.name)?;
    if request.platform_id != LAMBDA_PLATFORM {
        return Err(BackendError::InvalidInput(format!(
            "platform_id: {:?} is not supported; the only supported platform is {LAMBDA_PLATFORM}",
            request.platform_id
        )));
    }
    validity_end(now, request.validity)?;
    if let Some(existing) = find(tx, id, &id.account_id, &request.name)? {
        return Err(BackendError::Conflict(format!(
            "signing profile {} already exists (status {}); Signer never reuses a profile name, not even a canceled one",
            existing.arn,
            existing.status.as_str()
        )));
    }
    let version = ids::profile_version();
    let key = SigningKey::generate();
    let private = key
        .to_pkcs8_der()
        .map_err(|e| BackendError::Internal(format!("cannot encode the new profile key: {e}")))?;
    let public = key.public_key().to_sec1_bytes();
    let now_text = time_text(now);
    tx.execute(
        "INSERT INTO signing_profiles
           (account, region, name, platform_id, validity_value, validity_unit, status, version, tags, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Active', ?7, ?8, ?9)",
        params![
            id.account_id,
            id.region,
            request.name,
            request.platform_id,
            request.validity.value,
            request.validity.unit.as_str(),
            version,
            tags_json(&request.tags),
            now_text
        ],
    )?;
    tx.execute(
        "INSERT INTO signing_profile_versions
           (version_arn, account, region, name, version, private_key_pkcs8, public_key_sec1, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            version_arn(id, &id.account_id, &request.name, &version),
            id.account_id,
            id.region,
            request.name,
            version,
            &private[..],
            public,
            now_text
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
    let changed = tx.execute(
        "UPDATE signing_profiles SET tags = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name, tags_json(tags)],
    )?;
    if changed == 0 {
        return Err(BackendError::NotFound(format!(
            "signing profile {}",
            profile_arn(id, &id.account_id, name)
        )));
    }
    load(tx, id, &id.account_id, name)
}

/// Active becomes Canceled; Canceled stays (idempotent); a Revoked profile
/// stays Revoked (already unusable, and the revocation is the stronger fact).
pub fn cancel(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<()> {
    load(tx, id, &id.account_id, name)?;
    tx.execute(
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
        return Err(BackendError::NotFound(format!(
            "signing profile version {}",
            version_arn(id, &id.account_id, &request.name, &request.version)
        )));
    }
    if request.reason.trim().is_empty() {
        return Err(BackendError::InvalidInput(
            "reason: a revocation needs a reason".into(),
        ));
    }
    if request.effective_time > now {
        return Err(BackendError::InvalidInput(format!(
            "effective_time: {} is in the future; a revocation takes effect at or before now ({})",
            time_text(request.effective_time),
            time_text(now)
        )));
    }
    if let Some(existing) = &profile.revocation {
        if request.effective_time > existing.effective_time {
            return Err(BackendError::InvalidInput(format!(
                "effective_time: {} is later than the recorded revocation time {}; revocation is irreversible and its effective time can only move earlier",
                time_text(request.effective_time),
                time_text(existing.effective_time)
            )));
        }
        if request.effective_time == existing.effective_time {
            return Ok(profile);
        }
    }
    tx.execute(
        "UPDATE signing_profile_versions
         SET revocation_reason = ?5, revocation_effective_time = ?6, revoked_at = ?7
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![
            id.account_id,
            id.region,
            request.name,
            request.version,
            request.reason,
            time_text(request.effective_time),
            time_text(now)
        ],
    )?;
    tx.execute(
        "UPDATE signing_profiles SET status = 'Revoked' WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, request.name],
    )?;
    load(tx, id, &id.account_id, &request.name)
}

fn policy_revision(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<String> {
    tx.query_row(
        "SELECT policy_revision FROM signing_profiles WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .ok_or_else(|| BackendError::NotFound(format!("signing profile {}", profile_arn(id, &id.account_id, name))))
}

fn new_policy_revision(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<String> {
    let revision = ids::uuid_v4();
    tx.execute(
        "UPDATE signing_profiles SET policy_revision = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, name, revision],
    )?;
    Ok(revision)
}

fn stale(name: &str, given: &str, current: &str) -> BackendError {
    BackendError::PreconditionFailed(format!(
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
    if !PROFILE_ACTIONS.contains(&request.action.as_str()) {
        return Err(BackendError::InvalidInput(format!(
            "action: {:?} is not a signing profile action; use one of {}",
            request.action,
            PROFILE_ACTIONS.join(", ")
        )));
    }
    if request.principal.trim().is_empty() {
        return Err(BackendError::InvalidInput(
            "principal: must not be empty".into(),
        ));
    }
    if request.statement_id.is_empty() || request.statement_id.len() > 100 {
        return Err(BackendError::InvalidInput(
            "statement_id: 1 to 100 characters".into(),
        ));
    }
    if let Some(version) = &request.profile_version {
        if version.len() != 10 || !version.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(BackendError::InvalidInput(format!(
                "profile_version: {version:?} is not a signing profile version (10 letters or digits)"
            )));
        }
    }
    if let Some(given) = &request.revision_id {
        if *given != current {
            return Err(stale(name, given, &current));
        }
    }
    let inserted = tx.execute(
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
            return Err(BackendError::Conflict(format!(
                "statement id {:?} is already in the policy of signing profile {name}",
                request.statement_id
            )))
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
    let mut stmt = tx.prepare(
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
    let removed = tx.execute(
        "DELETE FROM signing_profile_permissions
         WHERE account = ?1 AND region = ?2 AND profile_name = ?3 AND statement_id = ?4",
        params![id.account_id, id.region, name, statement_id],
    )?;
    if removed == 0 {
        return Err(BackendError::NotFound(format!(
            "statement {statement_id:?} in the policy of signing profile {name}"
        )));
    }
    new_policy_revision(tx, id, name)
}

/// Whether `owner`'s profile policy lets `caller` start signing jobs with
/// `version`: a `signer:StartSigningJob` statement whose principal is the
/// caller's account id (or an ARN in it) and whose version, if any, matches.
pub fn may_start_signing_job(
    tx: &Transaction<'_>,
    profile: &SigningProfile,
    region: &str,
    caller: &str,
) -> BackendResult<bool> {
    let in_account = format!(":{caller}:");
    Ok(statements(tx, &profile.owner, region, &profile.name)?
        .iter()
        .any(|s| {
            s.action == "signer:StartSigningJob"
                && (s.principal == caller || s.principal.contains(&in_account))
                && s.profile_version
                    .as_deref()
                    .is_none_or(|v| v == profile.version)
        }))
}

/// The private key of a profile's current version (never returned by any
/// `Backend` method; used only to sign inside this store).
pub fn signing_key(tx: &Transaction<'_>, profile: &SigningProfile) -> BackendResult<SigningKey> {
    let der: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(tx.query_row(
        "SELECT private_key_pkcs8 FROM signing_profile_versions WHERE version_arn = ?1",
        [&profile.version_arn],
        |r| r.get::<_, Vec<u8>>(0),
    )?);
    SigningKey::from_pkcs8_der(&der).map_err(|e| {
        BackendError::Internal(format!(
            "local store: unreadable key of {}: {e}",
            profile.version_arn
        ))
    })
}

/// Public data of a profile version, by its ARN, whoever owns it.
pub struct VersionFacts {
    pub public_key_sec1: Vec<u8>,
    pub revocation: Option<ProfileRevocation>,
}

pub fn version_facts(
    tx: &Transaction<'_>,
    version_arn: &str,
) -> BackendResult<Option<VersionFacts>> {
    let row = tx
        .query_row(
            "SELECT public_key_sec1, revocation_reason, revocation_effective_time, revoked_at
             FROM signing_profile_versions WHERE version_arn = ?1",
            [version_arn],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((public_key_sec1, reason, effective, revoked_at)) = row else {
        return Ok(None);
    };
    let revocation = match (reason, effective, revoked_at) {
        (Some(reason), Some(effective), Some(revoked_at)) => Some(ProfileRevocation {
            reason,
            effective_time: parse_time(&effective)?,
            revoked_at: parse_time(&revoked_at)?,
        }),
        _ => None,
    };
    Ok(Some(VersionFacts {
        public_key_sec1,
        revocation,
    }))
}
