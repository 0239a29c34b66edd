//! Lambda functions: their configuration, their deployed code (copied into
//! the store, one file per deployment, mode 0600), the layers recorded as
//! they were when attached, and their code signing config. Whether code
//! may be deployed is the engine's decision (`engine::function`), made
//! before these are called; this module stores the outcome.
//!
//! Only `$LATEST` exists: versions and aliases are not emulated. A
//! function "known by name only" (no code recorded) is what
//! [`LocalBackend::bind_function`](super::LocalBackend::bind_function)
//! makes for tests and what older stores' bindings became.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use sha2::{Digest, Sha256};

use super::store::{
    self, io_error, list_json, parse_list, parse_tags, tags_json, time_text, Cached, Store,
};
use super::{csc, ids, jobs, layers};
use crate::backend::{
    BackendError, BackendResult, CreateFunction, Subject, UpdateFunctionCode,
    UpdateFunctionConfiguration,
};
use crate::domain::arn::FunctionArn;
use crate::domain::artifact;
use crate::domain::field::{FieldError, FieldPath};
use crate::domain::files::TempFile;
use crate::domain::function::{
    self, DeployedCode, Function, FunctionLayer, SignedBy, DEFAULT_MEMORY_SIZE, DEFAULT_TIMEOUT,
};
use crate::domain::identity::Identity;
use crate::domain::names;
use crate::domain::tags::Tags;

/// A function of this account, by name, partial ARN or ARN. Another
/// account's is `AccessDenied`; a qualifier other than `$LATEST` names a
/// version or alias, which do not exist here.
pub fn resolve(id: &Identity, function: &str) -> BackendResult<FunctionArn> {
    let arn = FunctionArn::from_name_or_arn(function, id.partition, &id.region, &id.account_id)
        .map_err(|e| BackendError::invalid("function_name", format!("{function:?}: {e}")))?;
    if arn.account_id() != id.account_id || arn.region() != id.region {
        return Err(BackendError::AccessDenied(format!(
            "function {arn} belongs to account {} in {}, not to {} in {}",
            arn.account_id(),
            arn.region(),
            id.account_id,
            id.region
        )));
    }
    match arn.qualifier() {
        None | Some("$LATEST") => Ok(arn.unqualified()),
        Some(q) => Err(BackendError::NotFound(Subject::Function(format!(
            "{}:{q} (only $LATEST exists: function versions and aliases are not emulated)",
            arn.unqualified()
        )))),
    }
}

fn function_dir(store_dir: &Path, id: &Identity, name: &str) -> PathBuf {
    store_dir
        .join("functions")
        .join(&id.account_id)
        .join(&id.region)
        .join(name)
}

fn relative_code_path(id: &Identity, name: &str, file: &str) -> String {
    format!("functions/{}/{}/{name}/{file}", id.account_id, id.region)
}

const COLUMNS: &str =
    "name, role, runtime, handler, description, timeout, memory_size, architectures,
     environment, code_file, code_size, code_sha256, code_sha384, signing_profile_version_arn,
     signing_job_arn, layers, csc_arn, revision_id, last_modified, tags";

/// A stored function, and its code file (relative to the store).
struct Stored {
    function: Function,
    code_file: Option<String>,
}

fn layers_json(layers: &[FunctionLayer]) -> String {
    let list: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({
                "arn": l.arn,
                "code_size": l.code_size,
                "signing_profile_version_arn": l.signed_by.signing_profile_version_arn,
                "signing_job_arn": l.signed_by.signing_job_arn,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

fn parse_layers(text: &str) -> BackendResult<Vec<FunctionLayer>> {
    let list: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| BackendError::Internal(format!("local store: bad function layers: {e}")))?;
    Ok(list
        .iter()
        .map(|v| {
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            FunctionLayer {
                arn: text("arn").unwrap_or_default(),
                code_size: v.get("code_size").and_then(|x| x.as_u64()).unwrap_or(0),
                signed_by: SignedBy {
                    signing_profile_version_arn: text("signing_profile_version_arn"),
                    signing_job_arn: text("signing_job_arn"),
                },
            }
        })
        .collect())
}

fn from_row(id: &Identity, r: &Row<'_>) -> BackendResult<Stored> {
    let name: String = r.get(0)?;
    let arn = FunctionArn::new_in_partition(id.partition, &id.region, &id.account_id, &name)
        .map_err(|e| BackendError::Internal(format!("local store: {e}")))?;
    let code_file: Option<String> = r.get(9)?;
    let environment: BTreeMap<String, String> = serde_json::from_str(&r.get::<_, String>(8)?)
        .map_err(|e| BackendError::Internal(format!("local store: bad environment: {e}")))?;
    let code = code_file.as_ref().map(|_| -> BackendResult<DeployedCode> {
        Ok(DeployedCode {
            size: u64::try_from(r.get::<_, i64>(10)?).unwrap_or_default(),
            sha256_base64: r.get(11)?,
            sha384: r.get(12)?,
            signed_by: SignedBy {
                signing_profile_version_arn: r.get(13)?,
                signing_job_arn: r.get(14)?,
            },
        })
    });
    Ok(Stored {
        function: Function {
            name,
            arn: arn.to_string(),
            owner: id.account_id.clone(),
            role: r.get(1)?,
            runtime: r.get(2)?,
            handler: r.get(3)?,
            description: r.get(4)?,
            timeout: r.get(5)?,
            memory_size: r.get(6)?,
            architectures: parse_list(&r.get::<_, String>(7)?)?,
            environment,
            code: code.transpose()?,
            layers: parse_layers(&r.get::<_, String>(15)?)?,
            code_signing_config_arn: r.get(16)?,
            revision_id: r.get(17)?,
            last_modified: store::parse_time(&r.get::<_, String>(18)?)?,
            tags: parse_tags(&r.get::<_, String>(19)?)?,
        },
        code_file,
    })
}

fn find(tx: &Transaction<'_>, id: &Identity, name: &str) -> BackendResult<Option<Stored>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3"
    ))?;
    let mut rows = stmt.query(params![id.account_id, id.region, name])?;
    match rows.next()? {
        Some(row) => from_row(id, row).map(Some),
        None => Ok(None),
    }
}

fn load(tx: &Transaction<'_>, id: &Identity, arn: &FunctionArn) -> BackendResult<Stored> {
    find(tx, id, arn.name())?
        .ok_or_else(|| BackendError::NotFound(Subject::Function(arn.to_string())))
}

/// The function as stored (by name, partial ARN or ARN).
pub fn get(tx: &Transaction<'_>, id: &Identity, function: &str) -> BackendResult<Function> {
    Ok(load(tx, id, &resolve(id, function)?)?.function)
}

fn invalid_at(field: FieldPath, message: impl Into<String>) -> BackendError {
    BackendError::InvalidInput(FieldError {
        field,
        message: message.into(),
    })
}

fn check_rule(field: &'static str, rule: Result<(), names::Invalid>) -> BackendResult<()> {
    rule.map_err(|e| BackendError::invalid(field, e.0))
}

/// The layers as attached: each visible to this account (its own, or
/// granted), recorded with its size and signer.
fn layer_records(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    arns: &[String],
) -> BackendResult<Vec<FunctionLayer>> {
    check_rule("layers", function::layer_count(arns))?;
    let mut records = Vec::with_capacity(arns.len());
    for (index, arn) in arns.iter().enumerate() {
        let at = FieldPath::field("layers").index(index);
        let stored = match layers::visible(tx, store_dir, id, arn) {
            Ok(stored) => stored,
            Err(BackendError::NotFound(subject)) => {
                return Err(invalid_at(at, format!("{subject} does not exist")))
            }
            Err(BackendError::InvalidInput(e)) => return Err(invalid_at(at, e.message)),
            Err(e) => return Err(e),
        };
        let code_size = std::fs::metadata(&stored.content_file)
            .map(|m| m.len())
            .map_err(|e| io_error("cannot read layer content", &stored.content_file, e))?;
        records.push(FunctionLayer {
            arn: stored.layer.layer_version_arn,
            code_size,
            signed_by: SignedBy {
                signing_profile_version_arn: stored.layer.signing_profile_version_arn,
                signing_job_arn: stored.layer.signing_job_arn,
            },
        });
    }
    Ok(records)
}

/// Deployment package bytes copied into the function's directory under a
/// temporary name, with what Lambda reports of them.
struct StagedCode {
    temp: TempFile,
    size: u64,
    sha256_base64: String,
    sha384: String,
    signed_by: SignedBy,
}

fn stage_code(
    store: &Store,
    id: &Identity,
    name: &str,
    location: &crate::domain::job::ObjectLocation,
) -> BackendResult<StagedCode> {
    let source = store
        .read(|tx| jobs::source_file(tx, store.dir(), location))
        .map_err(|e| layers::s3_error("code", e))?;
    let dir = function_dir(store.dir(), id, name);
    let mut path = store.dir().to_path_buf();
    for part in ["functions", &id.account_id, &id.region, name] {
        path.push(part);
        store::create_private_dir(&path)?;
    }
    // Stale uploads of killed writers in this directory are removed here.
    let temp = layers::copy_private("code", &source, &dir)?;
    let inspection = artifact::inspect(temp.path()).map_err(|e| {
        BackendError::invalid(
            "code",
            format!("the deployment package is not a zip Lambda can unzip: {e}"),
        )
    })?;
    let (size, sha256) = sha256_of(temp.path())?;
    Ok(StagedCode {
        temp,
        size,
        sha256_base64: base64::engine::general_purpose::STANDARD.encode(sha256),
        sha384: hex::encode(inspection.file_sha384),
        signed_by: inspection
            .envelope
            .map(|e| SignedBy {
                signing_profile_version_arn: Some(e.claims.profile_version_arn),
                signing_job_arn: Some(e.claims.job_arn),
            })
            .unwrap_or_default(),
    })
}

fn sha256_of(path: &Path) -> BackendResult<(u64, [u8; 32])> {
    let mut file = std::fs::File::open(path).map_err(|e| io_error("cannot read", path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| io_error("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, hasher.finalize().into()))
}

/// Places staged code under its final name (inside the transaction that
/// records it); returns the name relative to the store.
fn place(
    store_dir: &Path,
    id: &Identity,
    name: &str,
    temp: TempFile,
    placed: &mut Option<PathBuf>,
) -> BackendResult<String> {
    let file = format!("{}.zip", ids::uuid_v4());
    let target = function_dir(store_dir, id, name).join(&file);
    temp.persist(&target)
        .map_err(|e| io_error("cannot place function code at", &target, e))?;
    *placed = Some(target);
    Ok(relative_code_path(id, name, &file))
}

fn check_revision(stored: &Stored, given: Option<&str>) -> BackendResult<()> {
    match given {
        Some(given) if !given.is_empty() && given != stored.function.revision_id => {
            Err(BackendError::StaleRevision(format!(
                "revision id {given:?} of function {} is stale (current revision {:?}): read the function again",
                stored.function.name, stored.function.revision_id
            )))
        }
        _ => Ok(()),
    }
}

fn validate_create(request: &CreateFunction) -> BackendResult<()> {
    check_rule("function_name", names::function_name(&request.name))?;
    check_rule("role", function::role(&request.role))?;
    if let Some(runtime) = &request.runtime {
        check_rule("runtime", names::runtime(runtime))?;
    }
    if let Some(handler) = &request.handler {
        check_rule("handler", function::handler(handler))?;
    }
    check_rule("description", names::description(&request.description))?;
    if let Some(timeout) = request.timeout {
        check_rule("timeout", function::timeout(timeout))?;
    }
    if let Some(memory) = request.memory_size {
        check_rule("memory_size", function::memory_size(memory))?;
    }
    if request.architectures.len() > 1 {
        return Err(BackendError::invalid(
            "architectures",
            "a function has exactly one architecture",
        ));
    }
    for arch in &request.architectures {
        check_rule("architectures", names::architecture(arch))?;
    }
    check_rule("tags", crate::domain::tags::check(&request.tags))
}

/// Creates a function with its code (a new file in the store).
pub fn create(
    store: &Store,
    id: &Identity,
    request: &CreateFunction,
    now: DateTime<Utc>,
) -> BackendResult<Function> {
    validate_create(request)?;
    let arn = resolve(id, &request.name)?;
    let staged = stage_code(store, id, &request.name, &request.code)?;
    let mut placed = None;
    let result = store.write(|tx| {
        if find(tx, id, &request.name)?.is_some() {
            return Err(BackendError::AlreadyExists {
                subject: Subject::Function(arn.to_string()),
                detail: format!("Function already exist: {}", request.name),
            });
        }
        if let Some(csc_arn) = &request.code_signing_config_arn {
            csc::get(tx, id, csc_arn)?;
        }
        let layers = layer_records(tx, store.dir(), id, &request.layers)?;
        let code_file = place(store.dir(), id, &request.name, staged.temp, &mut placed)?;
        let architectures = if request.architectures.is_empty() {
            vec!["x86_64".to_string()]
        } else {
            request.architectures.clone()
        };
        tx.cached_execute(
            "INSERT INTO functions
               (account, region, name, role, runtime, handler, description, timeout, memory_size,
                architectures, environment, code_file, code_size, code_sha256, code_sha384,
                signing_profile_version_arn, signing_job_arn, layers, csc_arn, revision_id,
                last_modified, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            params![
                id.account_id,
                id.region,
                request.name,
                request.role,
                request.runtime,
                request.handler,
                request.description,
                request.timeout.unwrap_or(DEFAULT_TIMEOUT),
                request.memory_size.unwrap_or(DEFAULT_MEMORY_SIZE),
                list_json(&architectures),
                serde_json::to_string(&request.environment).unwrap_or_else(|_| "{}".into()),
                code_file,
                i64::try_from(staged.size).unwrap_or(i64::MAX),
                staged.sha256_base64,
                staged.sha384,
                staged.signed_by.signing_profile_version_arn,
                staged.signed_by.signing_job_arn,
                layers_json(&layers),
                request.code_signing_config_arn,
                ids::uuid_v4(),
                time_text(now),
                tags_json(&request.tags)
            ],
        )?;
        Ok(load(tx, id, &arn)?.function)
    });
    if result.is_err() {
        if let Some(placed) = placed {
            let _ = std::fs::remove_file(placed);
        }
    }
    result
}

/// Replaces a function's code; the previous file is removed once the
/// change is committed.
pub fn update_code(
    store: &Store,
    id: &Identity,
    request: &UpdateFunctionCode,
    now: DateTime<Utc>,
) -> BackendResult<Function> {
    let arn = resolve(id, &request.function)?;
    store.read(|tx| load(tx, id, &arn))?;
    let staged = stage_code(store, id, arn.name(), &request.code)?;
    let mut placed = None;
    let result = store.write(|tx| {
        let stored = load(tx, id, &arn)?;
        check_revision(&stored, request.revision_id.as_deref())?;
        let code_file = place(store.dir(), id, arn.name(), staged.temp, &mut placed)?;
        tx.cached_execute(
            "UPDATE functions SET code_file = ?4, code_size = ?5, code_sha256 = ?6, code_sha384 = ?7,
                signing_profile_version_arn = ?8, signing_job_arn = ?9, revision_id = ?10, last_modified = ?11
             WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![
                id.account_id,
                id.region,
                arn.name(),
                code_file,
                i64::try_from(staged.size).unwrap_or(i64::MAX),
                staged.sha256_base64,
                staged.sha384,
                staged.signed_by.signing_profile_version_arn,
                staged.signed_by.signing_job_arn,
                ids::uuid_v4(),
                time_text(now)
            ],
        )?;
        Ok((load(tx, id, &arn)?.function, stored.code_file))
    });
    match result {
        Ok((function, old)) => {
            if let Some(old) = old {
                let _ = std::fs::remove_file(store.dir().join(old));
            }
            Ok(function)
        }
        Err(e) => {
            if let Some(placed) = placed {
                let _ = std::fs::remove_file(placed);
            }
            Err(e)
        }
    }
}

pub fn update_configuration(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    request: &UpdateFunctionConfiguration,
    now: DateTime<Utc>,
) -> BackendResult<Function> {
    let arn = resolve(id, &request.function)?;
    let stored = load(tx, id, &arn)?;
    check_revision(&stored, request.revision_id.as_deref())?;
    let current = stored.function;
    if let Some(role) = &request.role {
        check_rule("role", function::role(role))?;
    }
    if let Some(runtime) = &request.runtime {
        check_rule("runtime", names::runtime(runtime))?;
    }
    if let Some(handler) = &request.handler {
        check_rule("handler", function::handler(handler))?;
    }
    if let Some(description) = &request.description {
        check_rule("description", names::description(description))?;
    }
    if let Some(timeout) = request.timeout {
        check_rule("timeout", function::timeout(timeout))?;
    }
    if let Some(memory) = request.memory_size {
        check_rule("memory_size", function::memory_size(memory))?;
    }
    let layers = match &request.layers {
        Some(arns) => layer_records(tx, store_dir, id, arns)?,
        None => current.layers.clone(),
    };
    tx.cached_execute(
        "UPDATE functions SET role = ?4, runtime = ?5, handler = ?6, description = ?7, timeout = ?8,
            memory_size = ?9, environment = ?10, layers = ?11, revision_id = ?12, last_modified = ?13
         WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![
            id.account_id,
            id.region,
            arn.name(),
            request.role.as_ref().unwrap_or(&current.role),
            request.runtime.clone().or(current.runtime),
            request.handler.clone().or(current.handler),
            request.description.as_ref().unwrap_or(&current.description),
            request.timeout.unwrap_or(current.timeout),
            request.memory_size.unwrap_or(current.memory_size),
            serde_json::to_string(request.environment.as_ref().unwrap_or(&current.environment))
                .unwrap_or_else(|_| "{}".into()),
            layers_json(&layers),
            ids::uuid_v4(),
            time_text(now)
        ],
    )?;
    Ok(load(tx, id, &arn)?.function)
}

/// Deletes a function and its code.
pub fn delete(store: &Store, id: &Identity, function: &str) -> BackendResult<()> {
    let arn = resolve(id, function)?;
    let code_file = store.write(|tx| {
        let stored = load(tx, id, &arn)?;
        tx.cached_execute(
            "DELETE FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![id.account_id, id.region, arn.name()],
        )?;
        Ok(stored.code_file)
    })?;
    if let Some(file) = code_file {
        let path = store.dir().join(file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("cannot remove", &path, e)),
        }
    }
    Ok(())
}

/// Attaches a code signing config of this account (replacing any).
pub fn put_code_signing_config(
    tx: &Transaction<'_>,
    id: &Identity,
    function: &str,
    csc_arn: &str,
) -> BackendResult<()> {
    let arn = resolve(id, function)?;
    load(tx, id, &arn)?;
    csc::get(tx, id, csc_arn)?;
    tx.cached_execute(
        "UPDATE functions SET csc_arn = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, arn.name(), csc_arn],
    )?;
    Ok(())
}

pub fn delete_code_signing_config(
    tx: &Transaction<'_>,
    id: &Identity,
    function: &str,
) -> BackendResult<()> {
    let arn = resolve(id, function)?;
    load(tx, id, &arn)?;
    tx.cached_execute(
        "UPDATE functions SET csc_arn = NULL WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, arn.name()],
    )?;
    Ok(())
}

/// Makes `function_name` use the config: the function's if it exists,
/// else a function known by name only.
pub fn bind(
    tx: &Transaction<'_>,
    id: &Identity,
    function_name: &str,
    csc_arn: &str,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    names::function_name(function_name).map_err(|e| BackendError::invalid("function_name", e.0))?;
    csc::get(tx, id, csc_arn)?;
    tx.cached_execute(
        "INSERT INTO functions
           (account, region, name, role, runtime, handler, description, timeout, memory_size,
            architectures, environment, code_file, code_size, code_sha256, code_sha384, layers,
            csc_arn, revision_id, last_modified, tags)
         VALUES (?1, ?2, ?3, '', NULL, NULL, '', ?4, ?5, '[]', '{}', NULL, 0, '', '', '[]', ?6, ?7, ?8, '{}')
         ON CONFLICT (account, region, name) DO UPDATE SET csc_arn = excluded.csc_arn",
        params![
            id.account_id,
            id.region,
            function_name,
            DEFAULT_TIMEOUT,
            DEFAULT_MEMORY_SIZE,
            csc_arn,
            ids::uuid_v4(),
            time_text(now)
        ],
    )?;
    Ok(())
}

/// Detaches a function's config (a function known by name only goes
/// away); `false` if it had none.
pub fn unbind(tx: &Transaction<'_>, id: &Identity, function_name: &str) -> BackendResult<bool> {
    let had: bool = tx
        .cached_row(
            "SELECT csc_arn IS NOT NULL FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![id.account_id, id.region, function_name],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    tx.cached_execute(
        "DELETE FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3 AND code_file IS NULL",
        params![id.account_id, id.region, function_name],
    )?;
    tx.cached_execute(
        "UPDATE functions SET csc_arn = NULL WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, function_name],
    )?;
    Ok(had)
}

/// A function's tags.
pub fn tags(tx: &Transaction<'_>, id: &Identity, arn: &FunctionArn) -> BackendResult<Tags> {
    Ok(load(tx, id, arn)?.function.tags)
}

pub fn set_tags(
    tx: &Transaction<'_>,
    id: &Identity,
    arn: &FunctionArn,
    tags: &Tags,
) -> BackendResult<()> {
    load(tx, id, arn)?;
    tx.cached_execute(
        "UPDATE functions SET tags = ?4 WHERE account = ?1 AND region = ?2 AND name = ?3",
        params![id.account_id, id.region, arn.name(), tags_json(tags)],
    )?;
    Ok(())
}

/// The code file of a function (relative to the store), if it has code.
pub fn code_file(
    tx: &Transaction<'_>,
    id: &Identity,
    function: &str,
) -> BackendResult<Option<String>> {
    Ok(load(tx, id, &resolve(id, function)?)?.code_file)
}
