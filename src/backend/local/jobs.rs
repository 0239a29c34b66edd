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
use super::profiles;
use super::store::{opt_time, parse_time, time_text};
use crate::backend::{
    BackendError, BackendResult, Identity, JobRevocation, JobStatus, ObjectLocation, ProfileStatus,
    SigningJob, StartSigningJob,
};
use crate::domain::artifact;
use crate::domain::envelope::{Claims, Envelope};

pub fn job_arn(id: &Identity, account: &str, job_id: &str) -> String {
    format!(
        "arn:{}:signer:{}:{account}:/signing-jobs/{job_id}",
        id.partition, id.region
    )
}

/// The local path of a `File` location; S3 is for the aws backend.
pub fn file_path<'a>(field: &str, location: &'a ObjectLocation) -> BackendResult<&'a Path> {
    match location {
        ObjectLocation::File(path) => Ok(path),
        ObjectLocation::S3 { bucket, key, .. } => Err(BackendError::InvalidInput(format!(
            "{field}: s3://{bucket}/{key} is an S3 object, but the local backend signs local files: give a file path (or use the aws backend for S3)"
        ))),
    }
}

fn path_text<'a>(field: &str, path: &'a Path) -> BackendResult<&'a str> {
    path.to_str().ok_or_else(|| {
        BackendError::InvalidInput(format!("{field}: {} is not a UTF-8 path", path.display()))
    })
}

fn status_text(status: JobStatus) -> &'static str {
    match status {
        JobStatus::InProgress => "InProgress",
        JobStatus::Failed => "Failed",
        JobStatus::Succeeded => "Succeeded",
    }
}

const COLUMNS: &str = "job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason,
     source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at";

/// A job row plus the profile owner (which `SigningJob` does not carry).
pub struct JobRow {
    pub job: SigningJob,
    pub profile_owner: String,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<[Option<String>; 15]> {
    let mut out: [Option<String>; 15] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(i)?;
    }
    Ok(out)
}

fn to_job(cols: [Option<String>; 15]) -> BackendResult<JobRow> {
    let [job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason, source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at] =
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
        (Some(reason), Some(revoked_at)) => Some(JobRevocation { reason, revoked_at }),
        _ => None,
    };
    Ok(JobRow {
        profile_owner: text(profile_owner),
        job: SigningJob {
            job_id: text(job_id),
            job_arn: text(job_arn),
            owner: text(owner),
            profile_name: text(profile_name),
            profile_version_arn: text(profile_version_arn),
            status,
            status_reason: text(status_reason),
            source: ObjectLocation::File(PathBuf::from(text(source_path))),
            signed_object: ObjectLocation::File(PathBuf::from(text(signed_path))),
            signed_sha384: text(signed_sha384),
            signed_at: parse_time(&text(signed_at))?,
            signature_expires_at: parse_time(&text(expires_at))?,
            revocation,
        },
    })
}

fn find_where(
    tx: &Transaction<'_>,
    condition: &str,
    args: impl rusqlite::Params,
) -> BackendResult<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM signing_jobs WHERE {condition}");
    tx.query_row(&sql, args, from_row)
        .optional()?
        .map(to_job)
        .transpose()
}

pub fn find_by_arn(tx: &Transaction<'_>, job_arn: &str) -> BackendResult<Option<JobRow>> {
    find_where(tx, "job_arn = ?1", [job_arn])
}

/// A job visible to this account: its owner's or its profile owner's.
pub fn visible(tx: &Transaction<'_>, id: &Identity, job_id: &str) -> BackendResult<JobRow> {
    match find_where(tx, "job_id = ?1", [job_id])? {
        Some(row) if row.job.owner == id.account_id || row.profile_owner == id.account_id => {
            Ok(row)
        }
        _ => Err(BackendError::NotFound(format!("signing job {job_id}"))),
    }
}

/// Starts (and, locally, finishes) a signing job. The outer result is the
/// transaction's: `Ok(Err(JobFailed))` commits the failed job's record.
pub fn start(
    tx: &Transaction<'_>,
    id: &Identity,
    request: &StartSigningJob,
    now: DateTime<Utc>,
) -> BackendResult<BackendResult<SigningJob>> {
    let source = file_path("source", &request.source)?;
    let destination = file_path("destination", &request.destination)?;
    let source_text = path_text("source", source)?;
    let destination_text = path_text("destination", destination)?;
    if request.client_request_token.is_empty() || request.client_request_token.len() > 64 {
        return Err(BackendError::InvalidInput(
            "client_request_token: 1 to 64 characters".into(),
        ));
    }
    let profile_owner = request
        .profile_owner
        .as_deref()
        .unwrap_or(&id.account_id)
        .to_string();
    profiles::validate_account("profile_owner", &profile_owner)?;

    if let Some(existing) = find_where(
        tx,
        "owner = ?1 AND region = ?2 AND client_request_token = ?3",
        params![id.account_id, id.region, request.client_request_token],
    )? {
        let job = existing.job;
        if job.profile_name != request.profile_name
            || existing.profile_owner != profile_owner
            || job.source != request.source
            || job.signed_object != request.destination
        {
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
        && !profiles::may_start_signing_job(tx, &profile, &id.region, &id.account_id)?
    {
        return Err(BackendError::AccessDenied(format!(
            "account {} may not start signing jobs with {}: its owner has not granted signer:StartSigningJob to this account",
            id.account_id, profile.arn
        )));
    }
    if profile.status != ProfileStatus::Active {
        return Err(BackendError::InvalidInput(format!(
            "signing profile {} is {}; only an Active profile can sign",
            profile.arn,
            profile.status.as_str()
        )));
    }
    let key = profiles::signing_key(tx, &profile)?;
    let job_id = ids::uuid_v4();
    let job_arn = job_arn(id, &id.account_id, &job_id);
    let signed_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let expires_at = profiles::validity_end(signed_at, profile.validity)?;

    let signed = artifact::sign(source, destination, |digest| {
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
    });
    let (status, reason, sha) = match &signed {
        Ok(signed) => (
            JobStatus::Succeeded,
            String::new(),
            hex::encode(signed.signed_file_sha384),
        ),
        Err(e) => (
            JobStatus::Failed,
            format!("cannot sign {source_text}: {e}"),
            String::new(),
        ),
    };
    tx.execute(
        &format!(
            "INSERT INTO signing_jobs ({COLUMNS}, region, client_request_token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, NULL, ?14, ?15)"
        ),
        params![
            job_id,
            job_arn,
            id.account_id,
            profile_owner,
            profile.name,
            profile.version_arn,
            status_text(status),
            reason,
            source_text,
            destination_text,
            sha,
            time_text(signed_at),
            time_text(expires_at),
            id.region,
            request.client_request_token
        ],
    )?;
    Ok(match status {
        JobStatus::Failed => Err(BackendError::JobFailed(reason)),
        _ => Ok(visible(tx, id, &job_id)?.job),
    })
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
    let row = visible(tx, id, job_id)?;
    if reason.trim().is_empty() {
        return Err(BackendError::InvalidInput(
            "reason: a revocation needs a reason".into(),
        ));
    }
    if row.job.status != JobStatus::Succeeded {
        return Err(BackendError::InvalidInput(format!(
            "signing job {job_id} is {} and made no signature to revoke",
            status_text(row.job.status)
        )));
    }
    if let Some(existing) = row.job.revocation {
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
        "UPDATE signing_jobs SET revocation_reason = ?2, revoked_at = ?3 WHERE job_id = ?1",
        params![job_id, reason, time_text(now)],
    )?;
    Ok(())
}
