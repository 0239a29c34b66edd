//! Evidence from an artifact's own bytes, as Lambda judges it at deploy
//! time: function code in S3 (any bucket, any key, the version named) and
//! a layer version's content (its `Content.Location`), never their names.
//!
//! - Bytes carrying an `LSIG` envelope (what `serve` and the embedded store
//!   sign): the envelope's claims; integrity from the content digest, and
//!   the signature confirmed by the signing job's own output having these
//!   very bytes, where this account can read that job. Revocation from the
//!   job's and profile's records for this account's jobs, and from Signer's
//!   GetRevocationStatus for another account's (Lambda reads no one's job
//!   either).
//! - Bytes without one (Signer's own format, which AWS does not publish):
//!   the signing job of this account whose signed object has the same
//!   bytes, found among its latest jobs (a bounded ListSigningJobs lookup);
//!   none means unsigned as far as this account can see.

use std::path::Path;

use chrono::Utc;
use sha2::Digest as _;

use super::errors::{map, Conflict};
use super::{s3, AwsBackend};
use crate::backend::{BackendError, BackendResult};
use crate::domain::artifact::{self, Inspection};
use crate::domain::facts::{Bytes, Claims, Evidence, Lookup, RevocationStatus};
use crate::domain::files::TempFile;
use crate::domain::job::ObjectLocation;
use crate::domain::profile::LAMBDA_PLATFORM;
use crate::domain::time::from_unix;

/// The largest artifact read (Lambda deploys zips of at most 250 MB
/// unzipped; a zip is no larger).
const MAX_ARTIFACT: u64 = 262_144_000;
/// Jobs of this account looked through for unenveloped bytes.
const JOBS_SEARCHED: usize = 100;
/// Of those, how many same-sized outputs are read to compare.
const OUTPUTS_COMPARED: usize = 5;

impl AwsBackend {
    /// The evidence of function code in S3, from its bytes.
    pub(super) async fn object_evidence(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> BackendResult<Evidence> {
        let copy = s3::download_temp(&self.clients.s3, bucket, key, version, MAX_ARTIFACT).await?;
        let shown = match version {
            Some(v) => format!("s3://{bucket}/{key} (version {v})"),
            None => format!("s3://{bucket}/{key}"),
        };
        self.bytes_evidence(copy, &shown).await
    }

    /// The evidence of a layer version, from the content Lambda serves for
    /// it (GetLayerVersionByArn's `Content.Location`).
    pub(super) async fn layer_evidence(&self, arn: &str) -> BackendResult<Evidence> {
        let out = self.get_layer_by_arn(arn).await?;
        let location = super::errors::required(
            out.content().and_then(|c| c.location()),
            "lambda:GetLayerVersionByArn",
            "Content.Location",
        )?;
        match super::download::url_to_temp(location, MAX_ARTIFACT).await {
            Ok(copy) => {
                self.bytes_evidence(copy, &format!("layer version {arn}"))
                    .await
            }
            // Content this process cannot reach (no route to Lambda's
            // bucket): what Lambda records of the layer's signature.
            Err(why) => {
                tracing::debug!(%arn, %why, "layer content unreadable; judging by Lambda's record of its signature");
                match out.content().and_then(|c| c.signing_job_arn()) {
                    None => Ok(Evidence::Unsigned),
                    Some(job_arn) => self.job_evidence(job_arn, false).await,
                }
            }
        }
    }

    async fn bytes_evidence(&self, copy: TempFile, shown: &str) -> BackendResult<Evidence> {
        let path = copy.path().to_path_buf();
        let inspection = tokio::task::spawn_blocking(move || artifact::inspect(&path))
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| BackendError::invalid("code", format!("{shown}: {e}")))?;
        match &inspection.envelope {
            Some(envelope) => self.envelope_evidence(envelope, &inspection, shown).await,
            None => {
                self.evidence_by_job_output(copy.path(), &inspection, shown)
                    .await
            }
        }
    }

    async fn envelope_evidence(
        &self,
        envelope: &crate::domain::envelope::Envelope,
        inspection: &Inspection,
        shown: &str,
    ) -> BackendResult<Evidence> {
        let claims = &envelope.claims;
        let invalid_time =
            |e: String| BackendError::invalid("code", format!("{shown}: signature envelope: {e}"));
        let stated = Claims {
            profile_version_arn: claims.profile_version_arn.clone(),
            job_arn: claims.job_arn.clone(),
            signed_at: from_unix(claims.signed_at).map_err(invalid_time)?,
            expires_at: from_unix(claims.expires_at).map_err(invalid_time)?,
        };
        let job_account = claims
            .job_arn
            .parse::<crate::domain::arn::JobArn>()
            .map(|arn| arn.account_id().to_string())
            .map_err(|e| {
                BackendError::invalid(
                    "code",
                    format!("{shown}: the signature names {:?}: {e}", claims.job_arn),
                )
            })?;
        let modified = inspection.content_sha384 != claims.content_sha384;
        if job_account == self.identity.account_id {
            // This account's job: its records, and its output to compare.
            let mut evidence = self.job_evidence(&claims.job_arn, false).await?;
            if let Evidence::Signed(signed) = &mut evidence {
                signed.claims = stated;
                signed.bytes = if modified {
                    Bytes::Modified
                } else {
                    self.confirm_by_job_output(signed.job.found(), inspection)
                        .await?
                };
            }
            return Ok(evidence);
        }
        // Another account's signature: what Lambda itself can know.
        let bytes = if modified {
            Bytes::Modified
        } else {
            Bytes::DigestMatches(format!(
                "the signature was made by a signing job of account {job_account}, whose records this account cannot read, so it was checked against the signed digest only"
            ))
        };
        // An LSIG signature carries no certificate chain for the hashes
        // Signer asks for; its signed content digest stands in as the one.
        let status = self
            .revocation_status(&stated, &hex::encode(claims.content_sha384))
            .await?;
        Ok(Evidence::signed(
            stated,
            bytes,
            Lookup::Missing(format!("belongs to account {job_account}")),
            Lookup::Missing(format!("belongs to account {job_account}")),
        )
        .with_revocation_status(status))
    }

    /// `Verified` when the job's own signed object has these very bytes;
    /// else the digest is all that could be checked.
    async fn confirm_by_job_output(
        &self,
        job: Option<&crate::domain::job::SigningJob>,
        inspection: &Inspection,
    ) -> BackendResult<Bytes> {
        let Some(ObjectLocation::S3 { bucket, key, .. }) = job
            .map(|j| &j.signed_object)
            .filter(|o| matches!(o, ObjectLocation::S3 { bucket, key, .. } if !bucket.is_empty() && !key.is_empty()))
        else {
            return Ok(Bytes::DigestMatches(
                "the signing job names no signed object to compare with".into(),
            ));
        };
        let job_id = job.map(|j| j.job_id.as_str()).unwrap_or_default();
        let output = self.job_output(job_id, bucket, key).await?;
        let Some((version, _)) = output.filter(|(_, size)| *size == inspection.file_len) else {
            return Ok(Bytes::DigestMatches(format!(
                "the signing job's own output s3://{bucket}/{key} is gone or differs, so the signature was checked against the signed digest only"
            )));
        };
        let digest = s3::digest(&self.clients.s3, bucket, key, version.as_deref()).await?;
        Ok(if digest == hex::encode(inspection.file_sha384) {
            Bytes::Verified
        } else {
            Bytes::DigestMatches(format!(
                "the signing job's own output s3://{bucket}/{key} differs, so the signature was checked against the signed digest only"
            ))
        })
    }

    /// Bytes in a format this provider cannot read: the signing job of this
    /// account that wrote the same bytes, if one of its latest did.
    async fn evidence_by_job_output(
        &self,
        file: &Path,
        inspection: &Inspection,
        shown: &str,
    ) -> BackendResult<Evidence> {
        let digest = {
            let path = file.to_path_buf();
            tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                let mut hasher = sha2::Sha384::new();
                std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
                Ok(hex::encode(hasher.finalize()))
            })
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| BackendError::Internal(format!("reading {shown}: {e}")))?
        };
        // Signer pages ListSigningJobs by at most 25.
        let mut jobs = Vec::new();
        let mut next: Option<String> = None;
        while jobs.len() < JOBS_SEARCHED {
            let out = self
                .clients
                .signer
                .list_signing_jobs()
                .status(aws_sdk_signer::types::SigningStatus::Succeeded)
                .max_results(25)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| map("signer:ListSigningJobs", Conflict::State, e))?;
            jobs.extend(out.jobs().iter().cloned());
            next = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if next.is_none() {
                break;
            }
        }
        let mut compared = 0;
        for job in jobs.iter().take(JOBS_SEARCHED) {
            let (Some(job_id), Some(s3_out)) =
                (job.job_id(), job.signed_object().and_then(|o| o.s3()))
            else {
                continue;
            };
            let (Some(bucket), Some(key)) = (
                s3_out.bucket_name().filter(|b| !b.is_empty()),
                s3_out.key().filter(|k| !k.is_empty()),
            ) else {
                continue;
            };
            if compared == OUTPUTS_COMPARED {
                break;
            }
            let Some((version, size)) = self.job_output(job_id, bucket, key).await? else {
                continue;
            };
            if size != inspection.file_len {
                continue;
            }
            compared += 1;
            if s3::digest(&self.clients.s3, bucket, key, version.as_deref()).await? == digest {
                let id = &self.identity;
                let job_arn = crate::domain::arn::JobArn::new_in_partition(
                    id.partition,
                    &id.region,
                    &id.account_id,
                    job_id,
                )
                .map_err(|e| {
                    BackendError::Internal(format!("signer:ListSigningJobs job {job_id}: {e}"))
                })?
                .to_string();
                let mut evidence = self.job_evidence(&job_arn, false).await?;
                if let Evidence::Signed(signed) = &mut evidence {
                    signed.bytes = Bytes::Verified;
                }
                return Ok(evidence);
            }
        }
        tracing::debug!(%shown, "no signature envelope, and no recent signing job of this account wrote these bytes: unsigned");
        Ok(Evidence::Unsigned)
    }

    /// A job's own output at its key: the first version written there
    /// (Signer writes it once), or, in a bucket without versions, what is
    /// there if it was written by the time the job finished; with its size.
    /// `None`: nothing there is the job's (bytes put over the key Signer
    /// wrote are not Signer's).
    async fn job_output(
        &self,
        job_id: &str,
        bucket: &str,
        key: &str,
    ) -> BackendResult<Option<(Option<String>, u64)>> {
        if let Some((version, size)) = s3::first_version(&self.clients.s3, bucket, key).await? {
            return Ok(Some((Some(version), size)));
        }
        let Some(stat) = s3::stat(&self.clients.s3, bucket, key).await? else {
            return Ok(None);
        };
        let record = self.describe_job_record(job_id).await?;
        Ok(written_by_job(&record, &stat).then_some((None, stat.size)))
    }

    /// Signer's GetRevocationStatus for a signature.
    async fn revocation_status(
        &self,
        claims: &Claims,
        certificate_hash: &str,
    ) -> BackendResult<RevocationStatus> {
        let at = aws_sdk_signer::primitives::DateTime::from_secs(claims.signed_at.timestamp());
        let out = self
            .clients
            .signer
            .get_revocation_status()
            .signature_timestamp(at)
            .platform_id(LAMBDA_PLATFORM)
            .profile_version_arn(&claims.profile_version_arn)
            .job_arn(&claims.job_arn)
            .certificate_hashes(certificate_hash)
            .send()
            .await
            .map_err(|e| map("signer:GetRevocationStatus", Conflict::State, e))?;
        Ok(RevocationStatus {
            revoked_entities: out.revoked_entities().to_vec(),
            asked_at: Utc::now(),
        })
    }
}

/// Whether an object at a job's output key can be the job's own output:
/// written no later than the job finished (HTTP dates are whole seconds).
fn written_by_job(job: &crate::domain::job::SigningJob, stat: &s3::Stat) -> bool {
    stat.last_modified
        .is_some_and(|written| written <= job.signed_at + chrono::TimeDelta::seconds(1))
}
