//! Lambda code signing configs (the functions using them are in
//! `functions`).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ids;
use super::store::{list_json, parse_list, parse_tags, parse_time, tags_json, time_text, Cached};
use crate::backend::{BackendError, BackendResult, CodeSigningConfigInput, Subject};
use crate::domain::arn::CscArn;
use crate::domain::checks::{Enforcement, Policy};
use crate::domain::csc::CodeSigningConfig;
use crate::domain::field::{FieldError, FieldPath};
use crate::domain::identity::Identity;
use crate::domain::names;

fn csc_arn(id: &Identity, csc_id: &str) -> BackendResult<String> {
    CscArn::new_in_partition(id.partition, &id.region, &id.account_id, csc_id)
        .map(|arn| arn.to_string())
        .map_err(|e| BackendError::Internal(format!("local store: {e}")))
}

/// The allowed-publishers rule is the domain's; its first violation names
/// the offending element.
fn validate(input: &CodeSigningConfigInput) -> BackendResult<()> {
    if let Err(errors) = Policy::new(&input.allowed_publishers, input.enforcement) {
        if let Some(first) = errors.first() {
            let mut field = FieldPath::field("allowed_publishers");
            if let Some(index) = first.index() {
                field = field.index(index);
            }
            return Err(BackendError::InvalidInput(FieldError {
                field,
                message: first.to_string(),
            }));
        }
    }
    names::description(&input.description)
        .map_err(|e| BackendError::invalid("description", e.0))?;
    crate::domain::tags::check(&input.tags).map_err(|e| BackendError::invalid("tags", e.0))
}

/// The id in one of this account's CSC ARNs. Another account's ARN is
/// `AccessDenied` (functions only use their own account's configs).
fn own_id(id: &Identity, csc_arn: &str) -> BackendResult<String> {
    let arn: CscArn = csc_arn
        .parse()
        .map_err(|e| BackendError::invalid("arn", format!("{csc_arn:?}: {e}")))?;
    if arn.account_id() != id.account_id || arn.region() != id.region {
        return Err(BackendError::AccessDenied(format!(
            "code signing config {csc_arn} belongs to account {} in {}, not to {} in {}",
            arn.account_id(),
            arn.region(),
            id.account_id,
            id.region
        )));
    }
    Ok(arn.id().to_string())
}

const COLUMNS: &str =
    "id, arn, allowed_publishers, untrusted_artifact_on_deployment, description, tags, last_modified";

type Row = (String, String, String, String, String, String, String);

fn to_config(row: Row) -> BackendResult<CodeSigningConfig> {
    let (csc_id, arn, publishers, untrusted, description, tags, last_modified) = row;
    Ok(CodeSigningConfig {
        id: csc_id,
        arn,
        allowed_publishers: parse_list(&publishers)?,
        enforcement: untrusted.parse::<Enforcement>().map_err(|_| {
            BackendError::Internal(format!("local store: unknown action {untrusted:?}"))
        })?,
        description,
        last_modified: parse_time(&last_modified)?,
        tags: parse_tags(&tags)?,
    })
}

fn load(tx: &Transaction<'_>, id: &Identity, csc_arn: &str) -> BackendResult<CodeSigningConfig> {
    own_id(id, csc_arn)?;
    let row = tx
        .cached_row(
            &format!("SELECT {COLUMNS} FROM code_signing_configs WHERE arn = ?1 AND account = ?2"),
            params![csc_arn, id.account_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    match row {
        Some(row) => to_config(row),
        None => Err(BackendError::NotFound(Subject::CodeSigningConfig(
            csc_arn.to_string(),
        ))),
    }
}

/// This account's configs, oldest first.
pub fn list(tx: &Transaction<'_>, id: &Identity) -> BackendResult<Vec<CodeSigningConfig>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM code_signing_configs WHERE account = ?1 AND region = ?2 ORDER BY rowid"
    ))?;
    let rows = stmt.query_map(params![id.account_id, id.region], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    rows.map(|row| to_config(row?)).collect()
}

pub fn create(
    tx: &Transaction<'_>,
    id: &Identity,
    input: &CodeSigningConfigInput,
    now: DateTime<Utc>,
) -> BackendResult<CodeSigningConfig> {
    validate(input)?;
    let csc_id = ids::code_signing_config_id();
    let arn = csc_arn(id, &csc_id)?;
    tx.cached_execute(
        "INSERT INTO code_signing_configs
           (id, arn, account, region, allowed_publishers, untrusted_artifact_on_deployment, description, tags, last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            csc_id,
            arn,
            id.account_id,
            id.region,
            list_json(&input.allowed_publishers),
            input.enforcement.as_str(),
            input.description,
            tags_json(&input.tags),
            time_text(now)
        ],
    )?;
    load(tx, id, &arn)
}

pub fn get(tx: &Transaction<'_>, id: &Identity, csc_arn: &str) -> BackendResult<CodeSigningConfig> {
    load(tx, id, csc_arn)
}

/// Updates in place: same id and ARN, new `last_modified`.
pub fn update(
    tx: &Transaction<'_>,
    id: &Identity,
    csc_arn: &str,
    input: &CodeSigningConfigInput,
    now: DateTime<Utc>,
) -> BackendResult<CodeSigningConfig> {
    load(tx, id, csc_arn)?;
    validate(input)?;
    tx.cached_execute(
        "UPDATE code_signing_configs
         SET allowed_publishers = ?2, untrusted_artifact_on_deployment = ?3, description = ?4, tags = ?5, last_modified = ?6
         WHERE arn = ?1",
        params![
            csc_arn,
            list_json(&input.allowed_publishers),
            input.enforcement.as_str(),
            input.description,
            tags_json(&input.tags),
            time_text(now)
        ],
    )?;
    load(tx, id, csc_arn)
}

/// Deletes a config no function uses; otherwise `InUse` naming the functions.
pub fn delete(tx: &Transaction<'_>, id: &Identity, csc_arn: &str) -> BackendResult<()> {
    load(tx, id, csc_arn)?;
    let users = users(tx, csc_arn)?;
    if !users.is_empty() {
        return Err(BackendError::InUse {
            subject: Subject::CodeSigningConfig(csc_arn.to_string()),
            users: users
                .into_iter()
                .map(|name| format!("function {name}"))
                .collect(),
        });
    }
    tx.cached_execute("DELETE FROM code_signing_configs WHERE arn = ?1", [csc_arn])?;
    Ok(())
}

/// Replaces a config's tags (tagging does not change `last_modified`).
pub fn set_tags(
    tx: &Transaction<'_>,
    id: &Identity,
    csc_arn: &str,
    tags: &crate::domain::tags::Tags,
) -> BackendResult<()> {
    load(tx, id, csc_arn)?;
    crate::domain::tags::check(tags).map_err(|e| BackendError::invalid("tags", e.0))?;
    tx.cached_execute(
        "UPDATE code_signing_configs SET tags = ?2 WHERE arn = ?1",
        params![csc_arn, tags_json(tags)],
    )?;
    Ok(())
}

/// The functions (names) using a code signing config.
pub fn users(tx: &Transaction<'_>, csc_arn: &str) -> BackendResult<Vec<String>> {
    let mut stmt =
        tx.prepare_cached("SELECT name FROM functions WHERE csc_arn = ?1 ORDER BY name")?;
    let users = stmt
        .query_map([csc_arn], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}
