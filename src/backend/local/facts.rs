//! What the four checks need to know about a signed artifact, established
//! against the keys and revocations in this store.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use super::store::Store;
use super::{jobs, layers, profiles};
use crate::backend::{
    ArtifactRef, BackendError, BackendResult, Identity, JobStatus, ObjectLocation,
};
use crate::domain::artifact::{self, Inspection};
use crate::domain::checks::{Facts, Integrity, Revocation, Signature};
use crate::domain::keys::PublicKey;

pub const UNKNOWN_PROFILE_VERSION: &str = "signed by a profile version this store does not know";
pub const MISSING_SIGNED_OBJECT: &str = "signed object is missing";

fn unix(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn inspect(path: &Path) -> BackendResult<Inspection> {
    artifact::inspect(path)
        .map_err(|e| BackendError::InvalidInput(format!("{}: {e}", path.display())))
}

/// Revocations recorded for a profile version and a job.
fn revocations(
    tx: &Transaction<'_>,
    version_arn: &str,
    job_arn: &str,
) -> BackendResult<(Option<Revocation>, Option<Revocation>)> {
    let profile = profiles::version_facts(tx, version_arn)?
        .and_then(|v| v.revocation)
        .map(|r| Revocation {
            effective_time: r.effective_time,
            recorded_at: r.revoked_at,
            reason: r.reason,
        });
    let job = jobs::find_by_arn(tx, job_arn)?
        .and_then(|row| row.job.revocation)
        .map(|r| Revocation {
            effective_time: r.revoked_at,
            recorded_at: r.revoked_at,
            reason: r.reason,
        });
    Ok((profile, job))
}

/// Facts about an inspected artifact.
fn of_inspection(tx: &Transaction<'_>, inspection: &Inspection) -> BackendResult<Facts> {
    let Some(envelope) = &inspection.envelope else {
        return Ok(Facts {
            signature: None,
            profile_revocation: None,
            job_revocation: None,
        });
    };
    let claims = &envelope.claims;
    let integrity = match profiles::version_facts(tx, &claims.profile_version_arn)? {
        None => Integrity::Invalid {
            reason: UNKNOWN_PROFILE_VERSION.into(),
        },
        Some(version) => {
            match PublicKey::from_sec1_bytes(&version.public_key_sec1) {
                Err(e) => Integrity::Invalid {
                    reason: format!("the profile version's public key is unreadable: {e}"),
                },
                Ok(key) => {
                    if inspection.content_sha384 != claims.content_sha384 {
                        Integrity::Invalid {
                        reason: "the content does not match the signed digest: it was modified after signing".into(),
                    }
                    } else if !envelope.signature_valid(&key) {
                        Integrity::Invalid {
                        reason: "the signature does not verify with the profile version's public key".into(),
                    }
                    } else {
                        Integrity::Valid
                    }
                }
            }
        }
    };
    let (profile_revocation, job_revocation) =
        revocations(tx, &claims.profile_version_arn, &claims.job_arn)?;
    Ok(Facts {
        signature: Some(Signature {
            integrity,
            profile_version_arn: claims.profile_version_arn.clone(),
            job_arn: claims.job_arn.clone(),
            signed_at: unix(claims.signed_at),
            expires_at: unix(claims.expires_at),
        }),
        profile_revocation,
        job_revocation,
    })
}

pub fn signature_facts(
    store: &Store,
    id: &Identity,
    artifact: &ArtifactRef,
) -> BackendResult<Facts> {
    match artifact {
        ArtifactRef::SignedFile(path) => {
            let inspection = inspect(path)?;
            store.read(|tx| of_inspection(tx, &inspection))
        }
        ArtifactRef::LayerVersion(arn) => {
            let stored = store.read(|tx| layers::visible(tx, store.dir(), id, arn))?;
            if !stored.content_file.exists() {
                return Err(BackendError::Internal(format!(
                    "local store: the content of layer version {arn} is missing ({})",
                    stored.content_file.display()
                )));
            }
            let inspection = inspect(&stored.content_file)?;
            store.read(|tx| of_inspection(tx, &inspection))
        }
        ArtifactRef::SigningJob(arn) => {
            let job = store.read(|tx| match jobs::find_by_arn(tx, arn)? {
                Some(row)
                    if row.job.owner == id.account_id || row.profile_owner == id.account_id =>
                {
                    Ok(row.job)
                }
                _ => Err(BackendError::NotFound(format!("signing job {arn}"))),
            })?;
            let invalid = |reason: String| -> BackendResult<Facts> {
                let (profile_revocation, job_revocation) =
                    store.read(|tx| revocations(tx, &job.profile_version_arn, &job.job_arn))?;
                Ok(Facts {
                    signature: Some(Signature {
                        integrity: Integrity::Invalid { reason },
                        profile_version_arn: job.profile_version_arn.clone(),
                        job_arn: job.job_arn.clone(),
                        signed_at: job.signed_at,
                        expires_at: job.signature_expires_at,
                    }),
                    profile_revocation,
                    job_revocation,
                })
            };
            if job.status == JobStatus::Failed {
                return invalid(format!("the signing job failed: {}", job.status_reason));
            }
            let ObjectLocation::File(path) = &job.signed_object else {
                return Err(BackendError::Internal(
                    "local store: a job with an S3 signed object".into(),
                ));
            };
            if !path.exists() {
                return invalid(format!("{MISSING_SIGNED_OBJECT} ({})", path.display()));
            }
            let inspection = inspect(path)?;
            let facts = store.read(|tx| of_inspection(tx, &inspection))?;
            match &facts.signature {
                Some(signature) if signature.job_arn == job.job_arn => Ok(facts),
                _ => invalid(format!(
                    "the file at the signed object's location ({}) was not produced by this job",
                    path.display()
                )),
            }
        }
    }
}
