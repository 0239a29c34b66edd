//! What this store can establish about a signed artifact: the envelope's
//! claims, the bytes checked against the profile version's public key, and
//! the job and profile records the claims name. Turning that into the
//! checks' facts is the domain's job (`domain::facts`).

use std::path::Path;

use rusqlite::Transaction;

use super::store::Store;
use super::{jobs, layers, objects, profiles};
use crate::backend::{BackendError, BackendResult};
use crate::domain::artifact::{self, ArtifactError, Inspection};
use crate::domain::facts::{ArtifactRef, Bytes, Claims, Evidence, Lookup};
use crate::domain::identity::Identity;
use crate::domain::job::{JobStatus, ObjectLocation};
use crate::domain::keys::PublicKey;
use crate::domain::time::from_unix;

/// Why a record the checks need is missing: this store has never heard of it.
const NO_RECORD: &str = "has no record in this store";

fn inspect(field: &'static str, path: &Path) -> BackendResult<Inspection> {
    artifact::inspect(path).map_err(|e| inspect_error(field, path, e))
}

fn inspect_error(field: &'static str, path: &Path, e: ArtifactError) -> BackendError {
    let message = match e {
        // These name the file already.
        ArtifactError::Io { .. } | ArtifactError::Modified(_) => e.to_string(),
        _ => format!("{}: {e}", path.display()),
    };
    BackendError::invalid(field, message)
}

/// What the bytes of an inspected artifact say, checked against the key
/// of the profile version its envelope names (`tx`: the store's records;
/// `None` when there is no store yet, so there are none).
/// `is_jobs_recorded_output`: the whole file is, byte for byte, the output
/// this store's signing job wrote, so its envelope carries a signature the
/// store made with that key, and the ECDSA equation (most of a plan's cost
/// per artifact) would only say so again; the envelope's form is still
/// checked (an old high-S signature fails). Any other bytes are verified.
fn of_inspection(
    tx: Option<&Transaction<'_>>,
    id: &Identity,
    inspection: &Inspection,
    is_jobs_recorded_output: bool,
) -> BackendResult<Evidence> {
    let Some(envelope) = &inspection.envelope else {
        return Ok(Evidence::Unsigned);
    };
    let claims = &envelope.claims;
    let public_key = match tx {
        Some(tx) => profiles::public_key(tx, &claims.profile_version_arn)?,
        None => None,
    };
    let bytes = match public_key {
        None => Bytes::UnknownKey(NO_RECORD.into()),
        Some(sec1) => match PublicKey::from_sec1_bytes(&sec1) {
            Err(e) => Bytes::UnknownKey(format!("is unreadable: {e}")),
            Ok(_) if inspection.content_sha384 != claims.content_sha384 => Bytes::Modified,
            Ok(key) => {
                let valid = if is_jobs_recorded_output {
                    envelope.well_formed()
                } else {
                    envelope.signature_valid(&key)
                };
                if valid {
                    Bytes::Verified
                } else {
                    Bytes::BadSignature
                }
            }
        },
    };
    let invalid_time = |e: String| BackendError::Internal(format!("signature envelope: {e}"));
    let (job, profile) = match tx {
        Some(tx) => (
            jobs::find_by_arn(tx, &claims.job_arn)?,
            profiles::by_version_arn(tx, id, &claims.profile_version_arn)?,
        ),
        None => (None, None),
    };
    let job = job.map_or_else(|| Lookup::Missing(NO_RECORD.into()), Lookup::Found);
    let profile = profile.map_or_else(|| Lookup::Missing(NO_RECORD.into()), Lookup::Found);
    Ok(Evidence::signed(
        Claims {
            profile_version_arn: claims.profile_version_arn.clone(),
            job_arn: claims.job_arn.clone(),
            signed_at: from_unix(claims.signed_at).map_err(invalid_time)?,
            expires_at: from_unix(claims.expires_at).map_err(invalid_time)?,
        },
        bytes,
        job,
        profile,
    ))
}

/// What a signed file says when there is no store yet: its bytes, and no
/// record of who signed it.
pub fn file_without_store(id: &Identity, path: &Path) -> BackendResult<Evidence> {
    of_inspection(None, id, &inspect("signed_file", path)?, false)
}

pub fn signature_evidence(
    store: &Store,
    id: &Identity,
    artifact: &ArtifactRef,
) -> BackendResult<Evidence> {
    match artifact {
        ArtifactRef::SignedFile(path) => {
            let inspection = inspect("signed_file", path)?;
            store.read(|tx| of_inspection(Some(tx), id, &inspection, false))
        }
        ArtifactRef::LayerVersion(arn) => {
            let stored = store.read(|tx| layers::visible(tx, store.dir(), id, arn))?;
            if !stored.content_file.exists() {
                return Err(BackendError::Internal(format!(
                    "local store: the content of layer version {arn} is missing ({})",
                    stored.content_file.display()
                )));
            }
            let inspection = inspect("layer_version_arn", &stored.content_file)?;
            store.read(|tx| of_inspection(Some(tx), id, &inspection, false))
        }
        ArtifactRef::S3Object {
            bucket,
            key,
            version,
        } => {
            let stored = store.read(|tx| {
                objects::object_file(tx, store.dir(), bucket, key, version.as_deref())
            })?;
            let inspection = inspect("signed_object", &stored.file)?;
            store.read(|tx| of_inspection(Some(tx), id, &inspection, false))
        }
        ArtifactRef::SigningJob(arn) => {
            let job = store.read(|tx| jobs::visible_by_arn(tx, id, arn))?;
            // The job's output as it is now: its file, or the current
            // version of its signed S3 object.
            let path = match &job.signed_object {
                ObjectLocation::File(path) => Some(path.clone()),
                ObjectLocation::S3 { bucket, key, .. } => {
                    match store.read(|tx| objects::object_file(tx, store.dir(), bucket, key, None))
                    {
                        Ok(stored) => Some(stored.file),
                        Err(BackendError::NotFound(_)) => None,
                        Err(e) => return Err(e),
                    }
                }
            };
            let shown = match &job.signed_object {
                ObjectLocation::File(path) => path.display().to_string(),
                ObjectLocation::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
            };
            // The job's own record speaks for it when its output cannot.
            let from_job = |bytes: Bytes| -> BackendResult<Evidence> {
                let profile =
                    store.read(|tx| profiles::by_version_arn(tx, id, &job.profile_version_arn))?;
                Ok(Evidence::signed(
                    Claims {
                        profile_version_arn: job.profile_version_arn.clone(),
                        job_arn: job.job_arn.clone(),
                        signed_at: job.signed_at,
                        expires_at: job.signature_expires_at,
                    },
                    bytes,
                    Lookup::Found(job.clone()),
                    profile.map_or_else(|| Lookup::Missing(NO_RECORD.into()), Lookup::Found),
                ))
            };
            if job.status != JobStatus::Succeeded {
                return from_job(Bytes::NoOutput);
            }
            let Some(path) = path.filter(|p| p.exists()) else {
                return from_job(Bytes::Missing(shown));
            };
            let inspection = store
                .known_outputs()
                .inspect(&path)
                .map_err(|e| inspect_error("signing_job_arn", &path, e))?;
            let recorded = hex::encode(inspection.file_sha384) == job.signed_sha384;
            let evidence = store.read(|tx| of_inspection(Some(tx), id, &inspection, recorded))?;
            match &evidence {
                Evidence::Signed(signed) if signed.claims.job_arn == job.job_arn => Ok(evidence),
                _ => from_job(Bytes::NotFromJob(shown)),
            }
        }
    }
}
