//! Signer signing jobs on local files.
//!
//! A job is signed inside its `BEGIN IMMEDIATE` transaction: the token check,
//! the signature and the job record are one atomic step, so two callers with
//! the same `client_request_token` (threads or processes) never both sign,
//! and a crash leaves either no job (retry signs afresh) or a finished one.
//! Other writers wait for the write lock meanwhile (signing streams the
//! artifact once; Lambda artifacts are small enough for the busy timeout).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::ids;
use super::objects;
use super::profiles;
use super::store::{self, opt_time, parse_time, time_text};
use crate::backend::{BackendError, BackendResult, JobFilter, StartSigningJob, Subject};
use crate::domain::arn::JobArn;
use crate::domain::artifact;
use crate::domain::envelope::{Claims, Envelope};
use crate::domain::identity::Identity;
use crate::domain::job::{JobRevocation, JobStatus, ObjectLocation, SigningJob};
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

/// The signed object's key: the destination prefix, the job id, `.zip`
/// (where Signer writes a Lambda platform's output).
pub fn signed_key(prefix: &str, job_id: &str) -> String {
    format!("{prefix}{job_id}.zip")
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
    tx.query_row(&sql, args, from_row)
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
    let mut stmt = tx.prepare(&sql)?;
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

/// Starts (and, locally, finishes) a signing job. The outer result is the
/// transaction's: `Ok(Err(JobFailed))` commits the failed job's record.
/// A source that cannot be read (a missing file or S3 object) or an S3
/// destination bucket that does not exist fails the job, as Signer fails
/// such a job after accepting it. A signed S3 object is placed in
/// `placed` (for the caller to remove if the transaction fails).
pub fn start(
    tx: &Transaction<'_>,
    store_dir: &Path,
    id: &Identity,
    request: &StartSigningJob,
    now: DateTime<Utc>,
    placed: &mut Option<PathBuf>,
) -> BackendResult<BackendResult<SigningJob>> {
    let (source_text, source_s3) = match &request.source {
        ObjectLocation::File(path) => (path_text("source", path)?.to_string(), None),
        ObjectLocation::S3 { version: None, .. } => {
            return Err(BackendError::invalid(
                "source",
                "Signer signs one version of an S3 object: give the source object's version",
            ))
        }
        location @ ObjectLocation::S3 { .. } => (String::new(), s3_json(location)),
    };
    let destination_text = match &request.destination {
        ObjectLocation::File(path) => path_text("destination", path)?.to_string(),
        ObjectLocation::S3 { bucket, .. } => {
            names::bucket_name(bucket).map_err(|e| BackendError::invalid("destination", e.0))?;
            String::new()
        }
    };
    if request.client_request_token.is_empty() || request.client_request_token.len() > 64 {
        return Err(BackendError::invalid(
            "client_request_token",
            "1 to 64 characters",
        ));
    }
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
        return Ok(match job.status {
            JobStatus::Failed => Err(BackendError::JobFailed(job.status_reason)),
            _ => Ok(job),
        });
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
    let key = profiles::signing_key(tx, &profile)?;
    let job_id = ids::uuid_v4();
    let job_arn = job_arn(id, &job_id)?;
    let signed_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let expires_at = profile
        .validity
        .end(signed_at)
        .map_err(|e| BackendError::invalid("signature_validity", e.to_string()))?;

    let signed_s3 = match &request.destination {
        ObjectLocation::S3 { bucket, key, .. } => Some(ObjectLocation::S3 {
            bucket: bucket.clone(),
            key: signed_key(key, &job_id),
            version: None,
        }),
        ObjectLocation::File(_) => None,
    };
    let outcome = sign_into(
        tx,
        store_dir,
        request,
        signed_s3.as_ref(),
        placed,
        now,
        |digest| {
            Envelope::sign(
                Claims {
                    content_sha384: *digest,
                    profile_version_arn: profile.version_arn.clone(),
                    job_arn: job_arn.clone(),
                    signed_at: signed_at.timestamp(),
                    expires_at: expires_at.timestamp(),
                },
                &key,
            )
        },
    )?;
    let (status, reason, sha) = match outcome {
        Ok(sha) => (JobStatus::Succeeded, String::new(), sha),
        Err(reason) => (JobStatus::Failed, reason, String::new()),
    };
    tx.execute(
        &format!(
            "INSERT INTO signing_jobs ({COLUMNS}, region, client_request_token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, NULL, NULL, ?14, ?15, ?16, ?17, ?18)"
        ),
        params![
            job_id,
            job_arn,
            id.account_id,
            profile_owner,
            profile.name,
            profile.version_arn,
            status.as_str(),
            reason,
            source_text,
            destination_text,
            sha,
            time_text(signed_at),
            time_text(expires_at),
            time_text(now),
            source_s3,
            signed_s3.as_ref().and_then(s3_json),
            id.region,
            request.client_request_token
        ],
    )?;
    Ok(match status {
        JobStatus::Failed => Err(BackendError::JobFailed(reason)),
        _ => Ok(visible(tx, id, &job_id)?),
    })
}

/// Signs the source into the destination (a file, or a new version of the
/// signed S3 object). The inner result is the signed file's SHA-384 (hex),
/// or why the job fails; the outer one is a store failure.
fn sign_into(
    tx: &Transaction<'_>,
    store_dir: &Path,
    request: &StartSigningJob,
    signed_s3: Option<&ObjectLocation>,
    placed: &mut Option<PathBuf>,
    now: DateTime<Utc>,
    envelope: impl FnOnce(&[u8; 48]) -> Result<Envelope, crate::domain::envelope::EnvelopeError>,
) -> BackendResult<Result<String, String>> {
    let source = match source_file(tx, store_dir, &request.source) {
        Ok(path) => path,
        Err(BackendError::NotFound(subject)) => {
            return Ok(Err(format!("the source {subject} does not exist")))
        }
        Err(e) => return Err(e),
    };
    let source_name = match &request.source {
        ObjectLocation::File(path) => path.display().to_string(),
        ObjectLocation::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
    };
    let output = match signed_s3 {
        None => match &request.destination {
            ObjectLocation::File(path) => path.clone(),
            ObjectLocation::S3 { .. } => {
                return Err(BackendError::Internal("signed object without a key".into()))
            }
        },
        Some(ObjectLocation::S3 { bucket, .. }) => {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM s3_buckets WHERE name = ?1)",
                [bucket],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(Err(format!(
                    "the destination bucket {bucket} does not exist"
                )));
            }
            let staged = objects::staging_path(store_dir, bucket)?;
            *placed = Some(staged.clone());
            staged
        }
        Some(ObjectLocation::File(_)) => {
            return Err(BackendError::Internal("a signed object in a file".into()))
        }
    };
    let signed = match artifact::sign(&source, &output, envelope) {
        Ok(signed) => signed,
        Err(e) => return Ok(Err(format!("cannot sign {source_name}: {e}"))),
    };
    if let Some(ObjectLocation::S3 { bucket, key, .. }) = signed_s3 {
        store::set_mode(&output, 0o600)?;
        let new = objects::NewObject {
            bucket: bucket.clone(),
            key: key.clone(),
            content_type: Some("application/zip".into()),
            metadata: Default::default(),
        };
        let (_, replaced) = objects::record_version(tx, store_dir, &new, &output, placed, now)
            .map_err(|e| match e {
                objects::ObjectError::Store(e) => e,
                other => BackendError::Internal(format!("storing the signed object: {other}")),
            })?;
        if let Some(replaced) = replaced {
            // Another job's output under the same key (unversioned bucket):
            // S3 keeps only the newest.
            let _ = std::fs::remove_file(replaced);
        }
    }
    Ok(Ok(hex::encode(signed.signed_file_sha384)))
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
    tx.execute(
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
