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
use super::jobs;
use super::store::{self, io_error, list_json, parse_list, parse_time, time_text, Cached, Store};
use crate::backend::{
    AddLayerPermission, BackendError, BackendResult, PublishLayerVersion, Subject,
};
use crate::domain::arn::{LayerArn, LayerVersionArn};
use crate::domain::artifact;
use crate::domain::files::{self, TempFile};
use crate::domain::identity::Identity;
use crate::domain::layer::{LayerPolicy, LayerStatement, LayerVersion, LAYER_ACTION};
use crate::domain::names;

/// Most runtimes and architectures a layer version may list.
const MAX_RUNTIMES: usize = 15;
const MAX_ARCHITECTURES: usize = 2;

fn validate_name(name: &str) -> BackendResult<()> {
    names::layer_name(name).map_err(|e| BackendError::invalid("layer_name", e.0))
}

/// A layer version's key, as an ARN names it.
fn parse_version_arn(text: &str) -> BackendResult<LayerVersionArn> {
    text.parse()
        .map_err(|e| BackendError::invalid("layer_version_arn", format!("{text:?}: {e}")))
}

fn own_arn(id: &Identity, name: &str, version: i64) -> BackendResult<LayerVersionArn> {
    LayerArn::new_in_partition(id.partition, &id.region, &id.account_id, name)
        .and_then(|layer| layer.with_version(version))
        .map_err(|e| BackendError::invalid("layer_name", e.to_string()))
}

/// A stored layer version and where its content lives.
pub struct StoredVersion {
    pub layer: LayerVersion,
    pub content_file: PathBuf,
}

fn find(
    tx: &Transaction<'_>,
    store_dir: &Path,
    key: &LayerVersionArn,
) -> BackendResult<Option<StoredVersion>> {
    let row = tx
        .cached_row(
            "SELECT description, compatible_runtimes, compatible_architectures, content_sha384,
                    signing_profile_version_arn, signing_job_arn, created_at, content_file, license_info
             FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
            params![key.account_id(), key.region(), key.name(), key.version()],
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
                    r.get::<_, Option<String>>(8)?,
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
        license_info,
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(StoredVersion {
        layer: LayerVersion {
            layer_name: key.name().to_string(),
            layer_version_arn: key.to_string(),
            layer_arn: key.layer_arn().to_string(),
            version: key.version(),
            owner: key.account_id().to_string(),
            description,
            license_info,
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

fn load_own(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<StoredVersion> {
    let key = own_arn(id, name, version)?;
    find(tx, store_dir, &key)?
        .ok_or_else(|| BackendError::NotFound(Subject::LayerVersion(key.to_string())))
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
    if key.account_id() == id.account_id {
        return find(tx, store_dir, &key)?.ok_or_else(|| {
            BackendError::NotFound(Subject::LayerVersion(layer_version_arn.to_string()))
        });
    }
    let granted: bool = tx.cached_row(
        "SELECT EXISTS (SELECT 1 FROM layer_permissions
         WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4 AND principal IN (?5, '*'))",
        params![key.account_id(), key.region(), key.name(), key.version(), id.account_id],
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

/// A missing S3 object given as content is Lambda's
/// InvalidParameterValueException (S3's NoSuchKey), about `field`.
pub fn s3_error(field: &'static str, e: BackendError) -> BackendError {
    match e {
        BackendError::NotFound(subject) => BackendError::invalid(
            field,
            format!("cannot read the content: {subject} does not exist"),
        ),
        other => other,
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
    let source = store
        .read(|tx| jobs::source_file(tx, store.dir(), &request.content))
        .map_err(|e| s3_error("content", e))?;
    let source = source.as_path();
    names::description(&request.description)
        .map_err(|e| BackendError::invalid("description", e.0))?;
    if request.compatible_runtimes.len() > MAX_RUNTIMES {
        return Err(BackendError::invalid(
            "compatible_runtimes",
            format!("at most {MAX_RUNTIMES}"),
        ));
    }
    for runtime in &request.compatible_runtimes {
        names::runtime(runtime).map_err(|e| BackendError::invalid("compatible_runtimes", e.0))?;
    }
    if request.compatible_architectures.len() > MAX_ARCHITECTURES {
        return Err(BackendError::invalid(
            "compatible_architectures",
            format!("at most {MAX_ARCHITECTURES}"),
        ));
    }
    for arch in &request.compatible_architectures {
        names::architecture(arch)
            .map_err(|e| BackendError::invalid("compatible_architectures", e.0))?;
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
    // Stale uploads of killed writers in this directory are removed here.
    let temp = copy_private("content", source, &dir)?;
    let inspection = artifact::inspect(temp.path())
        .map_err(|e| BackendError::invalid("content", format!("{}: {e}", source.display())))?;

    let mut placed: Option<PathBuf> = None;
    let result = store.write(|tx| {
        tx.cached_execute(
            "INSERT INTO layers (account, region, name, last_version) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (account, region, name) DO UPDATE SET last_version = last_version + 1",
            params![id.account_id, id.region, request.layer_name],
        )?;
        let version: i64 = tx.cached_row(
            "SELECT last_version FROM layers WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![id.account_id, id.region, request.layer_name],
            |r| r.get(0),
        )?;
        let file_name = format!("{version}.zip");
        let target = dir.join(&file_name);
        temp.persist(&target)
            .map_err(|e| io_error("cannot place layer content at", &target, e))?;
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
        tx.cached_execute(
            "INSERT INTO layer_versions
               (account, region, name, version, description, compatible_runtimes, compatible_architectures,
                content_sha384, signing_profile_version_arn, signing_job_arn, created_at, content_file,
                license_info)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
                relative,
                request.license_info
            ],
        )?;
        Ok(load_own(tx, store.dir(), id, &request.layer_name, version)?.layer)
    });
    if let (Err(_), Some(placed)) = (&result, &placed) {
        let _ = std::fs::remove_file(placed);
    }
    result
}

/// Streams `source` (a regular file) into a new temporary file in `dir`
/// (mode 0600, named and locked as ours: see `files::TempFile`); a source
/// that cannot be read is an error about `field`.
pub(super) fn copy_private(
    field: &'static str,
    source: &Path,
    dir: &Path,
) -> BackendResult<TempFile> {
    let mut input = files::open_regular(source).map_err(|e| {
        BackendError::invalid(field, format!("cannot read {}: {e}", source.display()))
    })?;
    let mut temp =
        TempFile::new_in(dir).map_err(|e| io_error("cannot create a file in", dir, e))?;
    std::io::copy(&mut input, temp.as_file_mut()).map_err(|e| {
        BackendError::invalid(field, format!("cannot copy {}: {e}", source.display()))
    })?;
    temp.as_file()
        .sync_all()
        .map_err(|e| io_error("cannot write", temp.path(), e))?;
    Ok(temp)
}

/// Deletes a version, its policy and its stored content. Deleting a version
/// that does not exist succeeds, as Lambda's DeleteLayerVersion does. The
/// version number is never reused.
/// The versions of one of this account's layers, newest first.
pub fn list(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    name: &str,
) -> BackendResult<Vec<LayerVersion>> {
    validate_name(name)?;
    let mut stmt = tx.prepare_cached(
        "SELECT version FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3
         ORDER BY version DESC",
    )?;
    let versions = stmt
        .query_map(params![id.account_id, id.region, name], |r| {
            r.get::<_, i64>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    versions
        .into_iter()
        .map(|version| Ok(load_own(tx, store_dir, id, name, version)?.layer))
        .collect()
}

pub fn delete(store: &Store, id: &Identity, name: &str, version: i64) -> BackendResult<()> {
    validate_name(name)?;
    let file = store.write(|tx| {
        let Some(found) = find(tx, store.dir(), &own_arn(id, name, version)?)? else {
            return Ok(None);
        };
        tx.cached_execute(
            "DELETE FROM layer_permissions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
            params![id.account_id, id.region, name, version],
        )?;
        tx.cached_execute(
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
    let revision_id: String = tx.cached_row(
        "SELECT policy_revision FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![id.account_id, id.region, name, version],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare_cached(
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
    BackendError::StaleRevision(format!(
        "revision id {given:?} of the policy of layer version {name}:{version} is stale (current revision {current:?}): read the policy again"
    ))
}

fn set_revision(
    tx: &Transaction<'_>,
    id: &Identity,
    name: &str,
    version: i64,
) -> BackendResult<()> {
    tx.cached_execute(
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
    names::layer_statement_id(sid).map_err(|e| BackendError::invalid("statement_id", e.0))?;
    let principal = &request.principal;
    names::layer_principal(principal).map_err(|e| BackendError::invalid("principal", e.0))?;
    if let Some(org) = &request.organization_id {
        if principal != "*" {
            return Err(BackendError::invalid(
                "organization_id",
                "only allowed with principal * (it restricts * to one organization)",
            ));
        }
        names::organization_id(org).map_err(|e| BackendError::invalid("organization_id", e.0))?;
    }
    load_own(tx, store_dir, id, name, version)?;
    let current = policy(tx, id, name, version)?;
    if let Some(given) = &request.revision_id {
        if *given != current.revision_id {
            return Err(stale(name, version, given, &current.revision_id));
        }
    }
    if current.statement(sid).is_some() {
        return Err(BackendError::AlreadyExists {
            subject: Subject::LayerStatement {
                layer_version: own_arn(id, name, version)?.to_string(),
                statement_id: sid.clone(),
            },
            detail: "statement ids are unique within a layer version's policy".into(),
        });
    }
    tx.cached_execute(
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
        return Err(BackendError::NotFound(Subject::LayerPolicy(
            own_arn(id, name, version)?.to_string(),
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
    let removed = tx.cached_execute(
        "DELETE FROM layer_permissions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4 AND statement_id = ?5",
        params![id.account_id, id.region, name, version, statement_id],
    )?;
    if removed == 0 {
        return Err(BackendError::NotFound(Subject::LayerStatement {
            layer_version: own_arn(id, name, version)?.to_string(),
            statement_id: statement_id.to_string(),
        }));
    }
    set_revision(tx, id, name, version)
}
