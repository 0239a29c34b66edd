//! Signer signing jobs on local files and objects of the emulated S3.
//!
//! A job is reserved in one short transaction, signed outside any
//! transaction, and finished in a second one (see [`start`]): other writers
//! never wait for an artifact to be copied. A per-job lock file held by the
//! signing process tells a live writer from a dead one, so a job left
//! `InProgress` by a crash is taken over by the next caller with its token,
//! and a new job never writes where a live one is writing.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::ids;
use super::objects;
use super::profiles;
use super::store::{self, io_error, opt_time, parse_time, time_text, Cached, Store};
use crate::backend::{BackendError, BackendResult, JobFilter, StartSigningJob, Subject};
use crate::domain::arn::JobArn;
use crate::domain::artifact;
use crate::domain::envelope::{Claims, Envelope};
use crate::domain::files;
use crate::domain::identity::Identity;
use crate::domain::job::{signed_key, JobRevocation, JobStatus, ObjectLocation, SigningJob};
use crate::domain::keys::SigningKey;
use crate::domain::names;
use crate::domain::permission::SignerAction;
use crate::domain::profile::LAMBDA_PLATFORM;

fn job_arn(id: &Identity, job_id: &str) -> BackendResult<String> {
    JobArn::new_in_partition(id.partition, &id.region, &id.account_id, job_id)
        .map(|arn| arn.to_string())
        .map_err(|e| BackendError::Internal(format!("local store: {e}")))
}

/// The file holding a location's bytes: a local file as it is, an S3
/// object (that version, else the current one) from the emulated S3.
pub fn source_file(
    tx: &Transaction<'_>,
    store_dir: &Path,
    location: &ObjectLocation,
) -> BackendResult<PathBuf> {
    match location {
        ObjectLocation::File(path) => Ok(path.clone()),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => Ok(objects::object_file(tx, store_dir, bucket, key, version.as_deref())?.file),
    }
}

/// Where an S3 location is recorded: JSON `{bucket, key, version}`.
fn s3_json(location: &ObjectLocation) -> Option<String> {
    match location {
        ObjectLocation::File(_) => None,
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => {
            Some(serde_json::json!({"bucket": bucket, "key": key, "version": version}).to_string())
        }
    }
}

fn s3_location(text: &str) -> BackendResult<ObjectLocation> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| BackendError::Internal(format!("local store: bad S3 location: {e}")))?;
    let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_string);
    Ok(ObjectLocation::S3 {
        bucket: field("bucket").unwrap_or_default(),
        key: field("key").unwrap_or_default(),
        version: field("version"),
    })
}

/// A file location's path as recorded (an S3 location is recorded as JSON,
/// with an empty path).
fn location_text(field: &'static str, location: &ObjectLocation) -> BackendResult<String> {
    match location {
        ObjectLocation::File(path) => Ok(path_text(field, path)?.to_string()),
        ObjectLocation::S3 { .. } => Ok(String::new()),
    }
}

fn path_text<'a>(field: &'static str, path: &'a Path) -> BackendResult<&'a str> {
    path.to_str().ok_or_else(|| {
        BackendError::invalid(field, format!("{} is not a UTF-8 path", path.display()))
    })
}

const COLUMNS: &str = "job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason,
     source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at,
     revoked_by, created_at, source_s3, signed_s3";
const COLUMN_COUNT: usize = 19;

fn from_row(r: &Row<'_>) -> rusqlite::Result<[Option<String>; COLUMN_COUNT]> {
    let mut out: [Option<String>; COLUMN_COUNT] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(i)?;
    }
    Ok(out)
}

fn to_job(cols: [Option<String>; COLUMN_COUNT]) -> BackendResult<SigningJob> {
    let [job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason, source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at, revoked_by, created_at, source_s3, signed_s3] =
        cols;
    let text = |v: Option<String>| v.unwrap_or_default();
    let status = match status.as_deref() {
        Some("InProgress") => JobStatus::InProgress,
        Some("Failed") => JobStatus::Failed,
        Some("Succeeded") => JobStatus::Succeeded,
        other => {
            return Err(BackendError::Internal(format!(
                "local store: unknown job status {other:?}"
            )))
        }
    };
    let revocation = match (revocation_reason, opt_time(revoked_at)?) {
        (Some(reason), Some(revoked_at)) => Some(JobRevocation {
            reason,
            revoked_at,
            revoked_by,
        }),
        _ => None,
    };
    let signed_at = parse_time(&text(signed_at))?;
    // Stores before schema 2 did not record the start: it is the signing time.
    let created_at = match created_at.filter(|t| !t.is_empty()) {
        Some(t) => parse_time(&t)?,
        None => signed_at,
    };
    Ok(SigningJob {
        job_id: text(job_id),
        job_arn: text(job_arn),
        owner: text(owner),
        profile_name: text(profile_name),
        profile_owner: text(profile_owner),
        profile_version_arn: text(profile_version_arn),
        platform_id: LAMBDA_PLATFORM.to_string(),
        status,
        status_reason: text(status_reason),
        source: match source_s3 {
            Some(json) => s3_location(&json)?,
            None => ObjectLocation::File(PathBuf::from(text(source_path))),
        },
        signed_object: match signed_s3 {
            Some(json) => s3_location(&json)?,
            None => ObjectLocation::File(PathBuf::from(text(signed_path))),
        },
        signed_sha384: text(signed_sha384),
        created_at,
        signed_at,
        signature_expires_at: parse_time(&text(expires_at))?,
        revocation,
    })
}

fn find_where(
    tx: &Transaction<'_>,
    condition: &str,
    args: impl rusqlite::Params,
) -> BackendResult<Option<SigningJob>> {
    let sql = format!("SELECT {COLUMNS} FROM signing_jobs WHERE {condition}");
    tx.cached_row(&sql, args, from_row)
        .optional()?
        .map(to_job)
        .transpose()
}

/// The job this account started with `token`, if any.
pub fn by_token(
    tx: &Transaction<'_>,
    id: &Identity,
    token: &str,
) -> BackendResult<Option<SigningJob>> {
    find_where(
        tx,
        "owner = ?1 AND region = ?2 AND client_request_token = ?3",
        params![id.account_id, id.region, token],
    )
}

pub fn find_by_arn(tx: &Transaction<'_>, job_arn: &str) -> BackendResult<Option<SigningJob>> {
    find_where(tx, "job_arn = ?1", [job_arn])
}

fn is_visible(job: &SigningJob, id: &Identity) -> bool {
    job.owner == id.account_id || job.profile_owner == id.account_id
}

/// A job visible to this account: its owner's or its profile owner's.
pub fn visible(tx: &Transaction<'_>, id: &Identity, job_id: &str) -> BackendResult<SigningJob> {
    match find_where(tx, "job_id = ?1", [job_id])? {
        Some(job) if is_visible(&job, id) => Ok(job),
        _ => Err(BackendError::NotFound(Subject::SigningJob(
            job_id.to_string(),
        ))),
    }
}

/// A job by ARN, visible to this account.
pub fn visible_by_arn(tx: &Transaction<'_>, id: &Identity, arn: &str) -> BackendResult<SigningJob> {
    match find_by_arn(tx, arn)? {
        Some(job) if is_visible(&job, id) => Ok(job),
        _ => Err(BackendError::NotFound(Subject::SigningJob(arn.to_string()))),
    }
}

/// Jobs this account started or made with its profiles, newest first.
pub fn list(
    tx: &Transaction<'_>,
    id: &Identity,
    filter: &JobFilter,
) -> BackendResult<Vec<SigningJob>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signing_jobs
         WHERE region = ?1 AND (owner = ?2 OR profile_owner = ?2)
           AND (?3 IS NULL OR profile_version_arn = ?3)
         ORDER BY signed_at DESC, job_id"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![id.region, id.account_id, filter.profile_version_arn],
        from_row,
    )?;
    let mut jobs = Vec::new();
    for row in rows {
        let job = to_job(row?)?;
        if filter.signed_at_or_after.is_none_or(|t| job.signed_at >= t) {
            jobs.push(job);
        }
    }
    Ok(jobs)
}

/// How often a caller waits for another process signing the same token.
const BUSY_POLL: Duration = Duration::from_millis(50);

/// A job being signed by this process: what to sign with, and the lock on
/// `jobs/<job_id>.lock` that says its writer is alive (the OS releases it
/// when the process dies, however it dies).
struct Work {
    job: SigningJob,
    key: Arc<SigningKey>,
    lock: File,
    lock_path: PathBuf,
}

/// What the reserving transaction decided.
enum Reserved {
    /// The token's job is finished: returned as it is.
    Finished(Box<SigningJob>),
    /// This process signs (a new job, or one whose writer died).
    Sign(Box<Work>),
    /// Another live process is signing this token's job.
    Busy(String),
}

fn lock_path(store: &Store, job_id: &str) -> PathBuf {
    store.dir().join("jobs").join(format!("{job_id}.lock"))
}

/// Takes the writer lock of a job: `Some` when no live process holds it.
fn try_lock_writer(store: &Store, job_id: &str) -> BackendResult<Option<(File, PathBuf)>> {
    let path = lock_path(store, job_id);
    if let Some(dir) = path.parent() {
        store::create_private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options
        .open(&path)
        .map_err(|e| io_error("cannot open the job lock", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some((file, path))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error("cannot lock", &path, e)),
    }
}

/// A job as a read finds it. One left `InProgress` by a process that
/// stopped (its writer lock is free) is resolved now, as failed, rather
/// than shown as running until some retry takes it over: a retry with its
/// token then signs anew.
pub fn describe(store: &Store, id: &Identity, job_id: &str) -> BackendResult<SigningJob> {
    let job = store.read(|tx| visible(tx, id, job_id))?;
    if job.status != JobStatus::InProgress {
        return Ok(job);
    }
    let Some((lock, lock_path)) = try_lock_writer(store, &job.job_id)? else {
        return Ok(job); // its writer is alive
    };
    let resolved = store.write(|tx| {
        tx.cached_execute(
            "UPDATE signing_jobs SET status = 'Failed', status_reason = ?2
             WHERE job_id = ?1 AND status = 'InProgress'",
            params![
                job.job_id,
                "abandoned: the process signing it stopped before it finished; sign again"
            ],
        )?;
        visible(tx, id, &job.job_id)
    });
    let _ = std::fs::remove_file(&lock_path);
    drop(lock);
    resolved
}

/// Whether a stored job was started with these parameters (an S3
/// destination is recorded as the object written: prefix + job id + `.zip`).
fn same_request(job: &SigningJob, request: &StartSigningJob, profile_owner: &str) -> bool {
    let destination_matches = match (&job.signed_object, &request.destination) {
        (
            ObjectLocation::S3 { bucket, key, .. },
            ObjectLocation::S3 {
                bucket: wanted_bucket,
                key: prefix,
                ..
            },
        ) => bucket == wanted_bucket && *key == signed_key(prefix, &job.job_id),
        (recorded, wanted) => recorded == wanted,
    };
    job.profile_name == request.profile_name
        && job.profile_owner == profile_owner
        && job.source == request.source
        && destination_matches
}

/// Starts (and, locally, finishes) a signing job, in three steps so the
/// store's write lock is held only for record writes, never while the
/// artifact is copied:
///
/// 1. one short transaction reserves the job: the token check, and the job
///    row `InProgress` with this process holding its writer lock;
/// 2. the artifact is signed, outside any transaction;
/// 3. one short transaction records the outcome.
///
/// The same `client_request_token` never signs twice, across threads and
/// processes: a finished job is returned; one whose writer is alive is
/// waited for (up to `request.timeout`); one whose writer died (a crash or
/// a kill between steps 1 and 3) is taken over and completed with the
/// same job id, ARN and claims. A failed job's token is retired (kept on
/// the failed record with its job id appended), so a retry signs anew.
pub fn start(
    store: &Store,
    id: &Identity,
    request: &StartSigningJob,
    now: DateTime<Utc>,
) -> BackendResult<SigningJob> {
    match &request.source {
        ObjectLocation::File(path) => {
            path_text("source", path)?;
            // Before any record: a FIFO or device source would block the
            // signing. (A missing source makes a failed job, as Signer's would.)
            if let Err(e) = files::open_regular(path) {
                if files::is_not_regular(&e) {
                    return Err(BackendError::invalid(
                        "source",
                        format!("cannot read {}: {e}", path.display()),
                    ));
                }
            }
        }
        ObjectLocation::S3 { version: None, .. } => {
            return Err(BackendError::invalid(
                "source",
                "Signer signs one version of an S3 object: give the source object's version",
            ))
        }
        ObjectLocation::S3 { bucket, .. } => {
            // As Signer: the source bucket keeps versions (a missing bucket
            // makes a failed job, as a missing object does).
            if store.read(|tx| objects::versioning_enabled(tx, bucket))? == Some(false) {
                return Err(BackendError::invalid(
                    "source",
                    format!("bucket {bucket} does not have versioning enabled: Signer signs objects of versioned buckets only"),
                ));
            }
        }
    }
    match &request.destination {
        ObjectLocation::File(path) => {
            path_text("destination", path)?;
        }
        ObjectLocation::S3 { bucket, .. } => {
            names::bucket_name(bucket).map_err(|e| BackendError::invalid("destination", e.0))?;
        }
    }
    if request.client_request_token.is_empty() || request.client_request_token.len() > 64 {
        return Err(BackendError::invalid(
            "client_request_token",
            "1 to 64 characters",
        ));
    }
    let deadline = Instant::now() + request.timeout;
    let work = loop {
        match store.write(|tx| reserve(tx, store, id, request, now))? {
            Reserved::Finished(job) => return Ok(*job),
            Reserved::Sign(work) => break work,
            Reserved::Busy(job_id) if Instant::now() >= deadline => {
                return Err(BackendError::Conflict(format!(
                    "signing job {job_id} (client request token {:?}) is still being signed by another process",
                    request.client_request_token
                )))
            }
            Reserved::Busy(_) => std::thread::sleep(BUSY_POLL),
        }
    };
    let Work {
        job,
        key,
        lock,
        lock_path,
    } = *work;
    let signed = sign_outside(store, &job, |digest| {
        Envelope::sign(
            Claims {
                content_sha384: *digest,
                profile_version_arn: job.profile_version_arn.clone(),
                job_arn: job.job_arn.clone(),
                signed_at: job.signed_at.timestamp(),
                expires_at: job.signature_expires_at.timestamp(),
            },
            &key,
        )
    });
    drop(key);
    let finished = signed.and_then(|outcome| finish(store, id, &job, outcome, now));
    // The record is final before the lock goes: whoever takes the lock next
    // reads a finished job.
    let _ = std::fs::remove_file(&lock_path);
    drop(lock);
    let finished = finished?;
    match finished.status {
        JobStatus::Failed => Err(BackendError::JobFailed(finished.status_reason)),
        _ => Ok(finished),
    }
}

/// What step 2 of [`start`] made: the signed file's SHA-384 (hex) and, for
/// an S3 destination, the staged file that becomes the object's new
/// version; or why the job fails.
type Signed = Result<(String, Option<PathBuf>), String>;

/// Step 2 of [`start`], outside any transaction: signs the job's source
/// (a file, or the S3 object version) into its destination (the file, or a
/// staged file for the signed S3 object). The outer error is the store's.
fn sign_outside(
    store: &Store,
    job: &SigningJob,
    envelope: impl FnOnce(&[u8; 48]) -> Result<Envelope, crate::domain::envelope::EnvelopeError>,
) -> BackendResult<Signed> {
    let source = match store.read(|tx| source_file(tx, store.dir(), &job.source)) {
        Ok(path) => path,
        Err(BackendError::NotFound(subject)) => {
            return Ok(Err(format!("the source {subject} does not exist")))
        }
        Err(e) => return Err(e),
    };
    let source_name = match &job.source {
        ObjectLocation::File(path) => path.display().to_string(),
        ObjectLocation::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
    };
    let (output, staged) = match &job.signed_object {
        ObjectLocation::File(path) => (path.clone(), false),
        ObjectLocation::S3 { bucket, .. } => {
            let exists: bool = store.read(|tx| {
                Ok(tx.cached_row(
                    "SELECT EXISTS (SELECT 1 FROM s3_buckets WHERE name = ?1)",
                    [bucket],
                    |r| r.get(0),
                )?)
            })?;
            if !exists {
                return Ok(Err(format!(
                    "the destination bucket {bucket} does not exist"
                )));
            }
            (objects::staging_path(store.dir(), bucket)?, true)
        }
    };
    match artifact::sign(&source, &output, envelope) {
        Ok(signed) => {
            if !staged {
                store.known_outputs().remember(&output, &signed);
            }
            Ok(Ok((
                hex::encode(signed.signed_file_sha384),
                staged.then_some(output),
            )))
        }
        Err(e) => {
            if staged {
                let _ = std::fs::remove_file(&output);
            }
            Ok(Err(format!("cannot sign {source_name}: {e}")))
        }
    }
}

/// Step 3 of [`start`]: one transaction records the outcome (and the new
/// version of a signed S3 object). A staged or placed object file is
/// removed if the transaction fails; an object version it replaced
/// (S3 keeps only the newest without versioning) once it commits.
fn finish(
    store: &Store,
    id: &Identity,
    job: &SigningJob,
    signed: Signed,
    now: DateTime<Utc>,
) -> BackendResult<SigningJob> {
    let (status, reason, sha, staged) = match signed {
        Ok((sha, staged)) => (JobStatus::Succeeded, String::new(), sha, staged),
        Err(reason) => (JobStatus::Failed, reason, String::new(), None),
    };
    let mut placed = None;
    let result = store.write(|tx| {
        let mut replaced = None;
        if let (Some(staged), ObjectLocation::S3 { bucket, key, .. }) =
            (&staged, &job.signed_object)
        {
            store::set_mode(staged, 0o600)?;
            let new = objects::NewObject {
                bucket: bucket.clone(),
                key: key.clone(),
                content_type: Some("application/zip".into()),
                metadata: Default::default(),
            };
            replaced =
                objects::record_version(tx, store.dir(), &new, staged, &mut placed, now, None)
                    .map_err(|e| match e {
                        objects::ObjectError::Store(e) => e,
                        other => {
                            BackendError::Internal(format!("storing the signed object: {other}"))
                        }
                    })?
                    .1;
        }
        tx.cached_execute(
            "UPDATE signing_jobs SET status = ?2, status_reason = ?3, signed_sha384 = ?4
             WHERE job_id = ?1 AND status = 'InProgress'",
            params![job.job_id, status.as_str(), reason, sha],
        )?;
        Ok((visible(tx, id, &job.job_id)?, replaced))
    });
    match result {
        Ok((finished, replaced)) => {
            if let Some(replaced) = replaced {
                let _ = std::fs::remove_file(replaced);
            }
            Ok(finished)
        }
        Err(e) => {
            if let Some(file) = placed.or(staged) {
                let _ = std::fs::remove_file(file);
            }
            Err(e)
        }
    }
}

/// Step 1 of [`start`], in the write transaction.
fn reserve(
    tx: &Transaction<'_>,
    store: &Store,
    id: &Identity,
    request: &StartSigningJob,
    now: DateTime<Utc>,
) -> BackendResult<Reserved> {
    let profile_owner = request
        .profile_owner
        .as_deref()
        .unwrap_or(&id.account_id)
        .to_string();
    names::account_id(&profile_owner).map_err(|e| BackendError::invalid("profile_owner", e.0))?;

    if let Some(job) = find_where(
        tx,
        "owner = ?1 AND region = ?2 AND client_request_token = ?3",
        params![id.account_id, id.region, request.client_request_token],
    )? {
        if !same_request(&job, request, &profile_owner) {
            return Err(BackendError::Conflict(format!(
                "client request token {:?} was already used for signing job {} with different parameters",
                request.client_request_token, job.job_id
            )));
        }
        match job.status {
            JobStatus::Succeeded => return Ok(Reserved::Finished(Box::new(job))),
            JobStatus::InProgress => {
                return match try_lock_writer(store, &job.job_id)? {
                    // Its writer died: this process completes the job.
                    Some((lock, lock_path)) => {
                        tracing::warn!(job = %job.job_id, "taking over a signing job whose process stopped");
                        let key = profiles::signing_key(tx, store, &job.profile_version_arn)?;
                        Ok(Reserved::Sign(Box::new(Work {
                            job,
                            key,
                            lock,
                            lock_path,
                        })))
                    }
                    None => Ok(Reserved::Busy(job.job_id)),
                };
            }
            JobStatus::Failed => {
                // A retry after a failure signs anew; the failed job keeps its record.
                tx.cached_execute(
                    "UPDATE signing_jobs SET client_request_token = client_request_token || '#' || job_id
                     WHERE job_id = ?1",
                    [&job.job_id],
                )?;
            }
        }
    }

    let profile = profiles::load(tx, id, &profile_owner, &request.profile_name)?;
    if profile_owner != id.account_id
        && !profiles::grants(
            tx,
            &profile,
            &id.region,
            &id.account_id,
            SignerAction::StartSigningJob,
        )?
    {
        return Err(BackendError::AccessDenied(format!(
            "account {} may not start signing jobs with {}: its owner has not granted signer:StartSigningJob to this account",
            id.account_id, profile.arn
        )));
    }
    if !profile.can_sign() {
        return Err(BackendError::invalid(
            "profile_name",
            format!(
                "signing profile {} is {}; only an Active profile can sign",
                profile.arn,
                profile.status.as_str()
            ),
        ));
    }
    let job_id = ids::uuid_v4();
    // An S3 destination is a new key per job (prefix + job id): only a
    // file can be claimed by two jobs.
    if let ObjectLocation::File(destination) = &request.destination {
        claim_destination(tx, store, destination, &job_id)?;
    }
    let key = profiles::signing_key(tx, store, &profile.version_arn)?;
    let job_arn = job_arn(id, &job_id)?;
    let signed_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let expires_at = profile
        .validity
        .end(signed_at)
        .map_err(|e| BackendError::invalid("signature_validity", e.to_string()))?;
    // Where Signer writes an S3 destination's output: prefix + job id + `.zip`.
    let signed_s3 = match &request.destination {
        ObjectLocation::S3 { bucket, key, .. } => Some(ObjectLocation::S3 {
            bucket: bucket.clone(),
            key: signed_key(key, &job_id),
            version: None,
        }),
        ObjectLocation::File(_) => None,
    };
    tx.cached_execute(
        &format!(
            "INSERT INTO signing_jobs ({COLUMNS}, region, client_request_token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'InProgress', 'signing', ?7, ?8, '', ?9, ?10, NULL, NULL, NULL, ?11, ?12, ?13, ?14, ?15)"
        ),
        params![
            job_id,
            job_arn,
            id.account_id,
            profile_owner,
            profile.name,
            profile.version_arn,
            location_text("source", &request.source)?,
            location_text("destination", &request.destination)?,
            time_text(signed_at),
            time_text(expires_at),
            time_text(now),
            s3_json(&request.source),
            signed_s3.as_ref().and_then(s3_json),
            id.region,
            request.client_request_token
        ],
    )?;
    // Locked before the row is visible to anyone: a reader who sees it
    // InProgress finds its writer alive.
    let Some((lock, lock_path)) = try_lock_writer(store, &job_id)? else {
        return Err(BackendError::Internal(format!(
            "local store: the lock of new signing job {job_id} is held by another process"
        )));
    };
    let job = visible(tx, id, &job_id)?;
    Ok(Reserved::Sign(Box::new(Work {
        job,
        key,
        lock,
        lock_path,
    })))
}

/// A new job may not write where another job is still being written: a live
/// writer there is a `Conflict`; a dead one's job is marked failed
/// (abandoned), saying which job took its output path.
fn claim_destination(
    tx: &Transaction<'_>,
    store: &Store,
    destination: &Path,
    new_job_id: &str,
) -> BackendResult<()> {
    let destination_text = path_text("destination", destination)?;
    let others: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT job_id FROM signing_jobs WHERE signed_path = ?1 AND status = 'InProgress'",
        )?;
        let rows = stmt.query_map([destination_text], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for other in others {
        match try_lock_writer(store, &other)? {
            None => {
                return Err(BackendError::Conflict(format!(
                    "{destination_text} is being written by signing job {other}, still in progress (in this process or another): give each signing its own output"
                )))
            }
            Some((lock, lock_path)) => {
                tx.cached_execute(
                    "UPDATE signing_jobs SET status = 'Failed', status_reason = ?2 WHERE job_id = ?1",
                    params![
                        other,
                        format!("abandoned: the process signing it stopped before it finished, and signing job {new_job_id} now writes its output path")
                    ],
                )?;
                let _ = std::fs::remove_file(&lock_path);
                drop(lock);
            }
        }
    }
    Ok(())
}

/// Revokes a job's signature (job owner or profile owner). Revocations are
/// final: repeating one with the same reason is a no-op, with another
/// reason a `Conflict`.
pub fn revoke_signature(
    tx: &Transaction<'_>,
    id: &Identity,
    job_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> BackendResult<()> {
    let job = visible(tx, id, job_id)?;
    if reason.trim().is_empty() {
        return Err(BackendError::invalid(
            "reason",
            "a revocation needs a reason",
        ));
    }
    if job.status != JobStatus::Succeeded {
        return Err(BackendError::Conflict(format!(
            "signing job {job_id} is {} and made no signature to revoke",
            job.status.as_str()
        )));
    }
    if let Some(existing) = job.revocation {
        if existing.reason == reason {
            return Ok(());
        }
        return Err(BackendError::Conflict(format!(
            "the signature of signing job {job_id} was already revoked at {} ({:?}); a signature revocation is final",
            time_text(existing.revoked_at),
            existing.reason
        )));
    }
    tx.cached_execute(
        "UPDATE signing_jobs SET revocation_reason = ?2, revoked_at = ?3, revoked_by = ?4 WHERE job_id = ?1",
        params![
            job_id,
            reason,
            time_text(now),
            format!("arn:{}:iam::{}:root", id.partition, id.account_id)
        ],
    )?;
    Ok(())
}
