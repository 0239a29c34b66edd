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

/// The local path of a `File` location; S3 is for the aws backend.
pub fn file_path<'a>(field: &'static str, location: &'a ObjectLocation) -> BackendResult<&'a Path> {
    match location {
        ObjectLocation::File(path) => Ok(path),
        ObjectLocation::S3 { bucket, key, .. } => Err(BackendError::invalid(field, format!(
            "s3://{bucket}/{key} is an S3 object, but the local backend signs local files: give a file path (or use the aws backend for S3)"
        ))),
    }
}

fn path_text<'a>(field: &'static str, path: &'a Path) -> BackendResult<&'a str> {
    path.to_str().ok_or_else(|| {
        BackendError::invalid(field, format!("{} is not a UTF-8 path", path.display()))
    })
}

const COLUMNS: &str = "job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason,
     source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at,
     revoked_by, created_at";
const COLUMN_COUNT: usize = 17;

fn from_row(r: &Row<'_>) -> rusqlite::Result<[Option<String>; COLUMN_COUNT]> {
    let mut out: [Option<String>; COLUMN_COUNT] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(i)?;
    }
    Ok(out)
}

fn to_job(cols: [Option<String>; COLUMN_COUNT]) -> BackendResult<SigningJob> {
    let [job_id, job_arn, owner, profile_owner, profile_name, profile_version_arn, status, status_reason, source_path, signed_path, signed_sha384, signed_at, expires_at, revocation_reason, revoked_at, revoked_by, created_at] =
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
        source: ObjectLocation::File(PathBuf::from(text(source_path))),
        signed_object: ObjectLocation::File(PathBuf::from(text(signed_path))),
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

    if let Some(existing) = find_where(
        tx,
        "owner = ?1 AND region = ?2 AND client_request_token = ?3",
        params![id.account_id, id.region, request.client_request_token],
    )? {
        let job = existing;
        if job.profile_name != request.profile_name
            || job.profile_owner != profile_owner
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, NULL, NULL, ?14, ?15, ?16)"
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
            id.region,
            request.client_request_token
        ],
    )?;
    Ok(match status {
        JobStatus::Failed => Err(BackendError::JobFailed(reason)),
        _ => Ok(visible(tx, id, &job_id)?),
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
