//! Lambda layer versions: content copied into the store (immutable once
//! published), version numbers never reused, and per-version permissions.
//!
//! The local backend does not model AWS Organizations: a statement with
//! principal `*` restricted to an `organization_id` grants every account
//! here, exactly like an unrestricted `*`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ids;
use super::jobs::file_path;
use super::store::{self, io_error, list_json, parse_list, parse_time, time_text, Store};
use crate::backend::{
    AddLayerPermission, BackendError, BackendResult, Identity, LayerPolicy, LayerStatement,
    LayerVersion, PublishLayerVersion,
};
use crate::domain::artifact;

pub const LAYER_ACTION: &str = "lambda:GetLayerVersion";
const ARCHITECTURES: [&str; 2] = ["x86_64", "arm64"];

pub fn layer_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:lambda:{region}:{account}:layer:{name}")
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn validate_name(name: &str) -> BackendResult<()> {
    if (1..=64).contains(&name.len()) && name.bytes().all(is_name_char) {
        Ok(())
    } else {
        Err(BackendError::InvalidInput(format!(
            "layer_name: {name:?} is not a valid layer name (1 to 64 letters, digits, hyphens or underscores)"
        )))
    }
}

/// A layer version's key, as an ARN names it.
pub struct VersionKey {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub version: i64,
}

pub fn parse_version_arn(text: &str) -> BackendResult<VersionKey> {
    let parts: Vec<&str> = text.split(':').collect();
    let malformed = || {
        BackendError::InvalidInput(format!(
            "{text:?} is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)"
        ))
    };
    if parts.len() != 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "layer" {
        return Err(malformed());
    }
    let version: i64 = parts[7].parse().map_err(|_| malformed())?;
    validate_name(parts[6]).map_err(|_| malformed())?;
    Ok(VersionKey {
        partition: parts[1].into(),
        region: parts[3].into(),
        account: parts[4].into(),
        name: parts[6].into(),
        version,
    })
}

/// A stored layer version and where its content lives.
pub struct StoredVersion {
    pub layer: LayerVersion,
    pub content_file: PathBuf,
}

fn find(
    tx: &Transaction<'_>,
    store_dir: &Path,
    key: &VersionKey,
) -> BackendResult<Option<StoredVersion>> {
    let row = tx
        .query_row(
            "SELECT description, compatible_runtimes, compatible_architectures, content_sha384,
                    signing_profile_version_arn, signing_job_arn, created_at, content_file
             FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
            params![key.account, key.region, key.name, key.version],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((
        description,
        runtimes,
        architectures,
        sha,
        profile_version_arn,
        job_arn,
        created_at,
        file,
    )) = row
    else {
        return Ok(None);
    };
    let layer_arn = layer_arn(&key.partition, &key.region, &key.account, &key.name);
    Ok(Some(StoredVersion {
        layer: LayerVersion {
            layer_name: key.name.clone(),
            layer_version_arn: format!("{layer_arn}:{}", key.version),
            layer_arn,
            version: key.version,
            owner: key.account.clone(),
            description,
            compatible_runtimes: parse_list(&runtimes)?,
            compatible_architectures: parse_list(&architectures)?,
            content_sha384: sha,
            signing_profile_version_arn: profile_version_arn,
            signing_job_arn: job_arn,
            created_at: parse_time(&created_at)?,
        },
        content_file: store_dir.join(file),
    }))
}

fn own_key(id: &Identity, name: &str, version: i64) -> VersionKey {
    VersionKey {
        partition: id.partition.clone(),
        region: id.region.clone(),
        account: id.account_id.clone(),
        name: name.to_string(),
        version,
    }
}

fn load_own(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<StoredVersion> {
    let key = own_key(id, name, version);
    find(tx, store_dir, &key)?.ok_or_else(|| {
        BackendError::NotFound(format!(
            "layer version {}:{version}",
            layer_arn(&id.partition, &id.region, &id.account_id, name)
        ))
    })
}

/// A layer version by ARN as this account sees it: its own always, another
/// account's only if a statement grants this account or `*`. Otherwise
/// `AccessDenied` (whether or not the version exists, as Lambda does not
/// reveal other accounts' layers).
pub fn visible(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    layer_version_arn: &str,
) -> BackendResult<StoredVersion> {
    let key = parse_version_arn(layer_version_arn)?;
    if key.account == id.account_id {
        return find(tx, store_dir, &key)?
            .ok_or_else(|| BackendError::NotFound(format!("layer version {layer_version_arn}")));
    }
    let granted: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM layer_permissions
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4 AND principal IN (?5, '*'))",
        params![key.account, key.region, key.name, key.version, id.account_id],
        |r| r.get(0),
    )?;
    match find(tx, store_dir, &key)? {
        Some(found) if granted => Ok(found),
        _ => Err(BackendError::AccessDenied(format!(
            "account {} may not use layer version {layer_version_arn}: its owner has not granted lambda:GetLayerVersion to this account",
            id.account_id
        ))),
    }
}

/// Copies the content into the store (streaming, mode 0600, under 0700
/// directories), then records the version in one transaction.
pub fn publish(
    store: &Store,
    id: &Identity,
    request: &PublishLayerVersion,
    now: DateTime<Utc>,
) -> BackendResult<LayerVersion> {
    validate_name(&request.layer_name)?;
    let source = file_path("content", &request.content)?;
    if request.description.chars().count() > 256 {
        return Err(BackendError::InvalidInput(
            "description: at most 256 characters".into(),
        ));
    }
    if request.compatible_runtimes.len() > 15 {
        return Err(BackendError::InvalidInput(
            "compatible_runtimes: at most 15".into(),
        ));
    }
    if request.compatible_architectures.len() > 2 {
        return Err(BackendError::InvalidInput(
            "compatible_architectures: at most 2".into(),
        ));
    }
    for arch in &request.compatible_architectures {
        if !ARCHITECTURES.contains(&arch.as_str()) {
            return Err(BackendError::InvalidInput(format!(
                "compatible_architectures: {arch:?} is not one of x86_64, arm64"
            )));
        }
    }

    let relative_dir = PathBuf::from("layers")
        .join(&id.account_id)
        .join(&id.region)
        .join(&request.layer_name);
    let mut dir = store.dir().to_path_buf();
    for part in relative_dir.components() {
        dir.push(part);
        store::create_private_dir(&dir)?;
    }
    let temp = dir.join(format!(".upload-{}.tmp", ids::uuid_v4()));
    let copied = copy_private(source, &temp).and_then(|()| {
        artifact::inspect(&temp)
            .map_err(|e| BackendError::InvalidInput(format!("content: {}: {e}", source.display())))
    });
    let inspection = match copied {
        Ok(inspection) => inspection,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };

    let mut placed: Option<PathBuf> = None;
    let result = store.write(|tx| {
        tx.execute(
            "INSERT INTO layers (account, region, name, last_version) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (account, region, name) DO UPDATE SET last_version = last_version + 1",
            params![id.account_id, id.region, request.layer_name],
        )?;
        let version: i64 = tx.query_row(
            "SELECT last_version FROM layers WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![id.account_id, id.region, request.layer_name],
            |r| r.get(0),
        )?;
        let file_name = format!("{version}.zip");
        let target = dir.join(&file_name);
        std::fs::rename(&temp, &target).map_err(|e| io_error("cannot place layer content at", &target, e))?;
        placed = Some(target);
        let (profile_version_arn, job_arn) = match &inspection.envelope {
            Some(envelope) => (
                Some(envelope.claims.profile_version_arn.clone()),
                Some(envelope.claims.job_arn.clone()),
            ),
            None => (None, None),
        };
        let relative = relative_dir.join(&file_name);
        let relative = relative
            .to_str()
            .ok_or_else(|| BackendError::Internal("local store: non-UTF-8 layer path".into()))?;
        tx.execute(
            "INSERT INTO layer_versions
               (account, region, name, version, description, compatible_runtimes, compatible_architectures,
                content_sha384, signing_profile_version_arn, signing_job_arn, created_at, content_file)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id.account_id,
                id.region,
                request.layer_name,
                version,
                request.description,
                list_json(&request.compatible_runtimes),
                list_json(&request.compatible_architectures),
                hex::encode(inspection.file_sha384),
                profile_version_arn,
                job_arn,
                time_text(now),
                relative
            ],
        )?;
        Ok(load_own(tx, store.dir(), id, &request.layer_name, version)?.layer)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(placed.as_deref().unwrap_or(&temp));
    }
    result
}

/// Streams `source` into a new file at `target` created with mode 0600.
fn copy_private(source: &Path, target: &Path) -> BackendResult<()> {
    let mut input = std::fs::File::open(source).map_err(|e| {
        BackendError::InvalidInput(format!("content: cannot read {}: {e}", source.display()))
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut output = options
        .open(target)
        .map_err(|e| io_error("cannot create", target, e))?;
    std::io::copy(&mut input, &mut output).map_err(|e| {
        BackendError::InvalidInput(format!("content: cannot copy {}: {e}", source.display()))
    })?;
    output
        .sync_all()
        .map_err(|e| io_error("cannot write", target, e))?;
    store::set_mode(target, 0o600)
}

/// Deletes a version, its policy and its stored content. Deleting a version
/// that does not exist succeeds, as Lambda's DeleteLayerVersion does. The
/// version number is never reused.
pub fn delete(store: &Store, id: &Identity, name: &str, version: i64) -> BackendResult<()> {
    validate_name(name)?;
    let file = store.write(|tx| {
        let Some(found) = find(tx, store.dir(), &own_key(id, name, version))? else {
            return Ok(None);
        };
        tx.execute(
            "DELETE FROM layer_permissions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
            params![id.account_id, id.region, name, version],
        )?;
        tx.execute(
            "DELETE FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
            params![id.account_id, id.region, name, version],
        )?;
        Ok(Some(found.content_file))
    })?;
    if let Some(file) = file {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("cannot remove", &file, e)),
        }
    }
    Ok(())
}

fn policy(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<LayerPolicy> {
    let revision_id: String = tx.query_row(
        "SELECT policy_revision FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![id.account_id, id.region, name, version],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare(
        "SELECT statement_id, principal, organization_id FROM layer_permissions
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4 ORDER BY seq",
    )?;
    let statements = stmt
        .query_map(params![id.account_id, id.region, name, version], |r| {
            Ok(LayerStatement {
                statement_id: r.get(0)?,
                action: LAYER_ACTION.to_string(),
                principal: r.get(1)?,
                organization_id: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LayerPolicy {
        statements,
        revision_id,
    })
}

fn stale(name: &str, version: i64, given: &str, current: &str) -> BackendError {
    BackendError::PreconditionFailed(format!(
        "revision id {given:?} of the policy of layer version {name}:{version} is stale (current revision {current:?}): read the policy again"
    ))
}

fn set_revision(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<()> {
    tx.execute(
        "UPDATE layer_versions SET policy_revision = ?5 WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![id.account_id, id.region, name, version, ids::uuid_v4()],
    )?;
    Ok(())
}

pub fn add_permission(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    request: &AddLayerPermission,
) -> BackendResult<LayerPolicy> {
    let (name, version) = (&request.layer_name, request.version);
    validate_name(name)?;
    let sid = &request.statement_id;
    if !(1..=100).contains(&sid.len()) || !sid.bytes().all(is_name_char) {
        return Err(BackendError::InvalidInput(format!(
            "statement_id: {sid:?} must be 1 to 100 letters, digits, hyphens or underscores"
        )));
    }
    let principal = &request.principal;
    let is_account = principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit());
    if !is_account && principal != "*" {
        return Err(BackendError::InvalidInput(format!(
            "principal: {principal:?} must be a 12-digit account id or *"
        )));
    }
    if let Some(org) = &request.organization_id {
        if principal != "*" {
            return Err(BackendError::InvalidInput(
                "organization_id: only allowed with principal * (it restricts * to one organization)".into(),
            ));
        }
        let body = org.strip_prefix("o-").unwrap_or("");
        let ok = org.starts_with("o-")
            && (10..=32).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(BackendError::InvalidInput(format!(
                "organization_id: {org:?} is not an organization id (o- and 10 to 32 lowercase letters or digits)"
            )));
        }
    }
    load_own(tx, store_dir, id, name, version)?;
    let current = policy(tx, id, name, version)?;
    if let Some(given) = &request.revision_id {
        if *given != current.revision_id {
            return Err(stale(name, version, given, &current.revision_id));
        }
    }
    if current.statements.iter().any(|s| s.statement_id == *sid) {
        return Err(BackendError::Conflict(format!(
            "statement id {sid:?} is already in the policy of layer version {name}:{version}"
        )));
    }
    tx.execute(
        "INSERT INTO layer_permissions (account, region, name, version, statement_id, principal, organization_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id.account_id, id.region, name, version, sid, principal, request.organization_id],
    )?;
    set_revision(tx, id, name, version)?;
    policy(tx, id, name, version)
}

/// A version's policy. A version without statements has no policy:
/// `NotFound`, as Lambda's GetLayerVersionPolicy answers
/// ResourceNotFoundException.
pub fn get_policy(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<LayerPolicy> {
    load_own(tx, store_dir, id, name, version)?;
    let found = policy(tx, id, name, version)?;
    if found.statements.is_empty() {
        return Err(BackendError::NotFound(format!(
            "policy of layer version {name}:{version} (no statements)"
        )));
    }
    Ok(found)
}

pub fn remove_permission(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    name: &str,
    version: i64,
    statement_id: &str,
    revision_id: Option<&str>,
) -> BackendResult<()> {
    load_own(tx, store_dir, id, name, version)?;
    let current = policy(tx, id, name, version)?;
    if let Some(given) = revision_id {
        if given != current.revision_id {
            return Err(stale(name, version, given, &current.revision_id));
        }
    }
    let removed = tx.execute(
        "DELETE FROM layer_permissions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4 AND statement_id = ?5",
        params![id.account_id, id.region, name, version, statement_id],
    )?;
    if removed == 0 {
        return Err(BackendError::NotFound(format!(
            "statement {statement_id:?} in the policy of layer version {name}:{version}"
        )));
    }
    set_revision(tx, id, name, version)
}
