//! Lambda code signing configs, and the function bindings that stand in for
//! Lambda functions using them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ids;
use super::store::{list_json, parse_list, parse_tags, parse_time, tags_json, time_text};
use crate::backend::{
    BackendError, BackendResult, CodeSigningConfig, CodeSigningConfigInput, Identity,
    UntrustedArtifactAction,
};
use crate::domain::arn;

const MAX_PUBLISHERS: usize = 20;
const MAX_DESCRIPTION: usize = 256;

pub fn csc_arn(id: &Identity, account: &str, csc_id: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{account}:code-signing-config:{csc_id}",
        id.partition, id.region
    )
}

fn validate(input: &CodeSigningConfigInput) -> BackendResult<()> {
    let n = input.allowed_publishers.len();
    if !(1..=MAX_PUBLISHERS).contains(&n) {
        return Err(BackendError::InvalidInput(format!(
            "allowed_publishers: a code signing config allows 1 to {MAX_PUBLISHERS} signing profile versions, got {n}"
        )));
    }
    let mut seen = BTreeSet::new();
    for (i, publisher) in input.allowed_publishers.iter().enumerate() {
        arn::parse_publisher(publisher)
            .map_err(|e| BackendError::InvalidInput(format!("allowed_publishers[{i}]: {e}")))?;
        if !seen.insert(publisher.as_str()) {
            return Err(BackendError::InvalidInput(format!(
                "allowed_publishers[{i}]: {publisher} is listed more than once"
            )));
        }
    }
    let chars = input.description.chars().count();
    if chars > MAX_DESCRIPTION {
        return Err(BackendError::InvalidInput(format!(
            "description: at most {MAX_DESCRIPTION} characters, got {chars}"
        )));
    }
    Ok(())
}

/// The id in one of this account's CSC ARNs. Another account's ARN is
/// `AccessDenied` (functions only use their own account's configs).
fn own_id<'a>(id: &Identity, csc_arn: &'a str) -> BackendResult<&'a str> {
    let parts: Vec<&str> = csc_arn.split(':').collect();
    let malformed = || {
        BackendError::InvalidInput(format!(
            "{csc_arn:?} is not a code signing config ARN (arn:aws:lambda:REGION:ACCOUNT:code-signing-config:csc-...)"
        ))
    };
    if parts.len() != 7
        || parts[0] != "arn"
        || parts[2] != "lambda"
        || parts[5] != "code-signing-config"
    {
        return Err(malformed());
    }
    if parts[4] != id.account_id {
        return Err(BackendError::AccessDenied(format!(
            "code signing config {csc_arn} belongs to account {}, not {}",
            parts[4], id.account_id
        )));
    }
    Ok(parts[6])
}

fn load(tx: &Transaction<'_>, id: &Identity, csc_arn: &str) -> BackendResult<CodeSigningConfig> {
    let csc_id = own_id(id, csc_arn)?;
    let row = tx
        .query_row(
            "SELECT id, arn, allowed_publishers, untrusted_artifact_on_deployment, description, tags, last_modified
             FROM code_signing_configs WHERE arn = ?1 AND account = ?2",
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
    let Some((csc_id_row, arn, publishers, untrusted, description, tags, last_modified)) = row
    else {
        return Err(BackendError::NotFound(format!(
            "code signing config {csc_id}"
        )));
    };
    Ok(CodeSigningConfig {
        id: csc_id_row,
        arn,
        allowed_publishers: parse_list(&publishers)?,
        untrusted_artifact_on_deployment: UntrustedArtifactAction::parse(&untrusted).ok_or_else(
            || BackendError::Internal(format!("local store: unknown action {untrusted:?}")),
        )?,
        description,
        last_modified: parse_time(&last_modified)?,
        tags: parse_tags(&tags)?,
    })
}

pub fn create(
    tx: &Transaction<'_>,
    id: &Identity,
    input: &CodeSigningConfigInput,
    now: DateTime<Utc>,
) -> BackendResult<CodeSigningConfig> {
    validate(input)?;
    let csc_id = ids::code_signing_config_id();
    let arn = csc_arn(id, &id.account_id, &csc_id);
    tx.execute(
        "INSERT INTO code_signing_configs
           (id, arn, account, region, allowed_publishers, untrusted_artifact_on_deployment, description, tags, last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            csc_id,
            arn,
            id.account_id,
            id.region,
            list_json(&input.allowed_publishers),
            input.untrusted_artifact_on_deployment.as_str(),
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
    tx.execute(
        "UPDATE code_signing_configs
         SET allowed_publishers = ?2, untrusted_artifact_on_deployment = ?3, description = ?4, tags = ?5, last_modified = ?6
         WHERE arn = ?1",
        params![
            csc_arn,
            list_json(&input.allowed_publishers),
            input.untrusted_artifact_on_deployment.as_str(),
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
    let mut stmt = tx.prepare(
        "SELECT function_name FROM function_bindings WHERE csc_arn = ?1 ORDER BY function_name",
    )?;
    let users = stmt
        .query_map([csc_arn], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if !users.is_empty() {
        return Err(BackendError::InUse(format!(
            "code signing config {csc_arn} is used by function(s) {}; detach it from them first",
            users.join(", ")
        )));
    }
    tx.execute("DELETE FROM code_signing_configs WHERE arn = ?1", [csc_arn])?;
    Ok(())
}

/// Makes `function_name` (this account) use the config, replacing any
/// previous binding of that function.
pub fn bind_function(
    tx: &Transaction<'_>,
    id: &Identity,
    function_name: &str,
    csc_arn: &str,
) -> BackendResult<()> {
    if function_name.is_empty() || function_name.len() > 140 {
        return Err(BackendError::InvalidInput(
            "function_name: 1 to 140 characters".into(),
        ));
    }
    load(tx, id, csc_arn)?;
    tx.execute(
        "INSERT INTO function_bindings (account, region, function_name, csc_arn) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account, region, function_name) DO UPDATE SET csc_arn = excluded.csc_arn",
        params![id.account_id, id.region, function_name, csc_arn],
    )?;
    Ok(())
}

/// Removes a function's binding; `false` if it had none.
pub fn unbind_function(
    tx: &Transaction<'_>,
    id: &Identity,
    function_name: &str,
) -> BackendResult<bool> {
    let removed = tx.execute(
        "DELETE FROM function_bindings WHERE account = ?1 AND region = ?2 AND function_name = ?3",
        params![id.account_id, id.region, function_name],
    )?;
    Ok(removed > 0)
}
