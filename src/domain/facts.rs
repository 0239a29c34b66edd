//! The facts Lambda's checks read, built in one place from what a backend
//! found: the signature's claims, what could be checked of the bytes, and
//! the signing job and profile records. Both backends hand over the same
//! [`Evidence`]; the rules that turn it into [`Facts`] live only here:
//! a failed or unfinished job means an invalid signature, a profile
//! revocation counts for the version that signed, and a record that cannot
//! be found (or a record of another version) fails the check that needed
//! it (never "not revoked").

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::checks::{Facts, Integrity, Revocation, Signature};
use super::job::{JobStatus, SigningJob};
use super::profile::SigningProfile;

/// A signed artifact to verify, by what the configuration names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArtifactRef {
    SignedFile(PathBuf),
    SigningJob(String),
    LayerVersion(String),
    /// An object in S3 (`version`: that version, else the latest), such
    /// as a function's deployment package.
    S3Object {
        bucket: String,
        key: String,
        version: Option<String>,
    },
}

impl std::fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArtifactRef::SignedFile(path) => write!(f, "{}", path.display()),
            ArtifactRef::SigningJob(arn) | ArtifactRef::LayerVersion(arn) => f.write_str(arn),
            ArtifactRef::S3Object {
                bucket,
                key,
                version,
            } => {
                write!(f, "s3://{bucket}/{key}")?;
                match version {
                    Some(v) => write!(f, "?versionId={v}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What a signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub profile_version_arn: String,
    pub job_arn: String,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a backend could check of the artifact's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bytes {
    /// The content matches the signed digest and the signature verifies
    /// with the profile version's public key (the local envelope).
    Verified,
    /// The content was changed after signing.
    Modified,
    /// The signature does not verify with the profile version's key.
    BadSignature,
    /// The signing profile version's key is not known here, or unreadable.
    UnknownKey(String),
    /// Signer's own output (aws): the signed object exists where the job
    /// wrote it. Signer's signature bytes cannot be checked locally.
    JobOutputPresent,
    /// The signed object is gone.
    Missing(String),
    /// The object at the job's output location was not made by that job.
    NotFromJob(String),
    /// Lambda holds its own copy (a published layer on aws): the job's
    /// success is what there is to know.
    HeldByLambda,
    /// The job made no output to check (it failed or has not finished).
    NoOutput,
    /// The content matches the digest its envelope signs, but the signature
    /// itself could not be checked (the signer's key or job is not readable
    /// here): Lambda, which can, still checks it at deploy time. Why.
    DigestMatches(String),
}

impl Bytes {
    /// A check of the bytes that could not be made in full, said so.
    pub fn unchecked(&self) -> Option<&str> {
        match self {
            Bytes::DigestMatches(why) => Some(why),
            _ => None,
        }
    }
}

/// Signer's answer to GetRevocationStatus for a signature: which of its
/// profile version and job are revoked (made for the deploy-time check in
/// an account that cannot read the signer's records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationStatus {
    pub revoked_entities: Vec<String>,
    pub asked_at: DateTime<Utc>,
}

/// A record looked up for the checks: found, or missing with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    Found(T),
    Missing(String),
}

impl<T> Lookup<T> {
    pub fn found(&self) -> Option<&T> {
        match self {
            Lookup::Found(value) => Some(value),
            Lookup::Missing(_) => None,
        }
    }
}

/// Everything a backend established about one artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Unsigned,
    Signed(Box<SignedEvidence>),
}

/// What is known of a signed artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEvidence {
    pub claims: Claims,
    pub bytes: Bytes,
    pub job: Lookup<SigningJob>,
    pub profile: Lookup<SigningProfile>,
    /// When set, revocation is Signer's answer, not the records'.
    pub revocation_status: Option<RevocationStatus>,
}

impl Evidence {
    pub fn signed(
        claims: Claims,
        bytes: Bytes,
        job: Lookup<SigningJob>,
        profile: Lookup<SigningProfile>,
    ) -> Self {
        Evidence::Signed(Box::new(SignedEvidence {
            claims,
            bytes,
            job,
            profile,
            revocation_status: None,
        }))
    }

    /// Revocation as Signer's GetRevocationStatus answered it.
    pub fn with_revocation_status(mut self, status: RevocationStatus) -> Self {
        if let Evidence::Signed(signed) = &mut self {
            signed.revocation_status = Some(status);
        }
        self
    }
}

/// The facts for the checks.
pub fn facts(evidence: &Evidence) -> Facts {
    let Evidence::Signed(signed) = evidence else {
        return Facts::default();
    };
    let SignedEvidence {
        claims,
        bytes,
        job,
        profile,
        revocation_status,
    } = signed.as_ref();
    if let Some(status) = revocation_status {
        return facts_by_revocation_status(claims, bytes, job.found(), status);
    }
    let mut missing_records = Vec::new();
    let job_revocation = match job {
        Lookup::Found(job) => job.revocation.as_ref().map(|r| Revocation {
            effective_time: r.revoked_at,
            recorded_at: r.revoked_at,
            reason: r.reason.clone(),
        }),
        Lookup::Missing(why) => {
            missing_records.push(format!("signing job {} {why}", claims.job_arn));
            None
        }
    };
    let profile_revocation = match profile {
        Lookup::Found(profile) if profile.version_arn == claims.profile_version_arn => {
            profile.revocation.as_ref().map(|r| Revocation {
                effective_time: r.effective_time,
                recorded_at: r.revoked_at,
                reason: r.reason.clone(),
            })
        }
        // A record of another version says nothing of this one's revocation.
        Lookup::Found(other) => {
            missing_records.push(format!(
                "signing profile version {} has no record here (the profile's record is for version {})",
                claims.profile_version_arn, other.version_arn
            ));
            None
        }
        Lookup::Missing(why) => {
            missing_records.push(format!(
                "signing profile version {} {why}",
                claims.profile_version_arn
            ));
            None
        }
    };
    Facts {
        signature: Some(Signature {
            integrity: integrity(bytes, job.found()),
            profile_version_arn: claims.profile_version_arn.clone(),
            job_arn: claims.job_arn.clone(),
            signed_at: claims.signed_at,
            expires_at: claims.expires_at,
        }),
        profile_revocation,
        job_revocation,
        missing_records,
    }
}

/// Facts whose revocation is what GetRevocationStatus answered for this
/// signature (its time, profile version and job).
fn facts_by_revocation_status(
    claims: &Claims,
    bytes: &Bytes,
    job: Option<&SigningJob>,
    status: &RevocationStatus,
) -> Facts {
    let revoked = |arn: &str, what: &str| {
        status
            .revoked_entities
            .iter()
            .any(|e| e == arn)
            .then(|| Revocation {
                // Signer answered for this signature's own time.
                effective_time: claims.signed_at,
                recorded_at: status.asked_at,
                reason: format!("Signer's GetRevocationStatus lists the {what} as revoked"),
            })
    };
    Facts {
        signature: Some(Signature {
            integrity: integrity(bytes, job),
            profile_version_arn: claims.profile_version_arn.clone(),
            job_arn: claims.job_arn.clone(),
            signed_at: claims.signed_at,
            expires_at: claims.expires_at,
        }),
        profile_revocation: revoked(&claims.profile_version_arn, "signing profile version"),
        job_revocation: revoked(&claims.job_arn, "signing job"),
        missing_records: Vec::new(),
    }
}

fn integrity(bytes: &Bytes, job: Option<&SigningJob>) -> Integrity {
    let invalid = |reason: String| Integrity::Invalid { reason };
    match job.map(|j| (j.status, j.status_reason.as_str())) {
        Some((JobStatus::Failed, reason)) => {
            return invalid(format!("the signing job failed: {reason}"))
        }
        Some((JobStatus::InProgress, _)) => {
            return invalid("the signing job has not finished".into())
        }
        _ => {}
    }
    match bytes {
        Bytes::Verified
        | Bytes::JobOutputPresent
        | Bytes::HeldByLambda
        | Bytes::DigestMatches(_) => Integrity::Valid,
        Bytes::Modified => invalid(
            "the content does not match the signed digest: it was modified after signing".into(),
        ),
        Bytes::BadSignature => {
            invalid("the signature does not verify with the profile version's public key".into())
        }
        Bytes::UnknownKey(why) => invalid(format!("signed by a profile version whose key {why}")),
        Bytes::Missing(location) => invalid(format!("the signed object is missing ({location})")),
        Bytes::NoOutput => invalid("the signing job made no signed output".into()),
        Bytes::NotFromJob(location) => invalid(format!(
            "the file at the signed object's location ({location}) was not produced by this job"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checks::Check;
    use crate::domain::job::{JobRevocation, ObjectLocation};
    use crate::domain::profile::{ProfileRevocation, ProfileStatus, SignatureValidity};

    const VERSION: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/app/Ab3De6Gh9J";
    const JOB: &str = "arn:aws:signer:us-east-1:123456789012:/signing-jobs/job-1";

    fn at(s: &str) -> DateTime<Utc> {
        crate::domain::time::parse_time(s).expect("time")
    }

    fn claims() -> Claims {
        Claims {
            profile_version_arn: VERSION.into(),
            job_arn: JOB.into(),
            signed_at: at("2026-01-01T00:00:00Z"),
            expires_at: at("2030-01-01T00:00:00Z"),
        }
    }

    fn job(status: JobStatus) -> SigningJob {
        SigningJob {
            job_id: "job-1".into(),
            job_arn: JOB.into(),
            owner: "123456789012".into(),
            profile_name: "app".into(),
            profile_owner: "123456789012".into(),
            profile_version_arn: VERSION.into(),
            platform_id: crate::domain::profile::LAMBDA_PLATFORM.into(),
            status,
            status_reason: "the source is not a zip".into(),
            source: ObjectLocation::File("in.zip".into()),
            signed_object: ObjectLocation::File("out.zip".into()),
            signed_sha384: String::new(),
            created_at: at("2026-01-01T00:00:00Z"),
            signed_at: at("2026-01-01T00:00:00Z"),
            signature_expires_at: at("2030-01-01T00:00:00Z"),
            revocation: None,
        }
    }

    fn profile(revocation: Option<ProfileRevocation>) -> SigningProfile {
        SigningProfile {
            name: "app".into(),
            owner: "123456789012".into(),
            arn: VERSION
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default(),
            version: "Ab3De6Gh9J".into(),
            version_arn: VERSION.into(),
            platform_id: crate::domain::profile::LAMBDA_PLATFORM.into(),
            validity: SignatureValidity::default(),
            status: ProfileStatus::Active,
            revocation,
            certificate_arn: None,
            signing_parameters: Default::default(),
            tags: Default::default(),
        }
    }

    fn evidence(
        bytes: Bytes,
        job: Lookup<SigningJob>,
        profile: Lookup<SigningProfile>,
    ) -> Evidence {
        Evidence::signed(claims(), bytes, job, profile)
    }

    fn integrity_of(evidence: &Evidence) -> Integrity {
        facts(evidence)
            .signature
            .map(|s| s.integrity)
            .expect("signed")
    }

    #[test]
    fn a_failed_or_unfinished_job_is_an_invalid_signature_whatever_the_bytes() {
        for status in [JobStatus::Failed, JobStatus::InProgress] {
            let e = evidence(
                Bytes::Verified,
                Lookup::Found(job(status)),
                Lookup::Found(profile(None)),
            );
            assert!(
                matches!(integrity_of(&e), Integrity::Invalid { .. }),
                "{status:?}"
            );
        }
        let ok = evidence(
            Bytes::Verified,
            Lookup::Found(job(JobStatus::Succeeded)),
            Lookup::Found(profile(None)),
        );
        assert_eq!(integrity_of(&ok), Integrity::Valid);
    }

    #[test]
    fn changed_missing_or_foreign_bytes_are_invalid() {
        for bytes in [
            Bytes::Modified,
            Bytes::BadSignature,
            Bytes::UnknownKey("is not known".into()),
            Bytes::Missing("out.zip".into()),
            Bytes::NotFromJob("out.zip".into()),
        ] {
            let e = evidence(
                bytes.clone(),
                Lookup::Found(job(JobStatus::Succeeded)),
                Lookup::Found(profile(None)),
            );
            assert!(
                matches!(integrity_of(&e), Integrity::Invalid { .. }),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn revocations_of_the_job_and_of_the_signing_version_count() {
        let mut revoked_job = job(JobStatus::Succeeded);
        revoked_job.revocation = Some(JobRevocation {
            reason: "leaked".into(),
            revoked_at: at("2026-02-01T00:00:00Z"),
            revoked_by: None,
        });
        let revocation = ProfileRevocation {
            reason: "key compromise".into(),
            effective_time: at("2025-12-01T00:00:00Z"),
            revoked_at: at("2026-02-01T00:00:00Z"),
            revoked_by: None,
        };
        let f = facts(&evidence(
            Bytes::Verified,
            Lookup::Found(revoked_job),
            Lookup::Found(profile(Some(revocation.clone()))),
        ));
        assert_eq!(f.job_revocation.map(|r| r.reason), Some("leaked".into()));
        assert_eq!(
            f.profile_revocation.map(|r| r.effective_time),
            Some(revocation.effective_time)
        );

        // Another version's record: its revocation is not this signature's,
        // and the signing version's is unknown, which fails the check.
        let mut other = profile(Some(revocation));
        other.version_arn = format!("{}/Zz9Yy8Xx7W", other.arn);
        let f = facts(&evidence(
            Bytes::Verified,
            Lookup::Found(job(JobStatus::Succeeded)),
            Lookup::Found(other),
        ));
        assert_eq!(f.profile_revocation, None);
        assert_eq!(f.missing_records.len(), 1, "{:?}", f.missing_records);
    }

    #[test]
    fn a_missing_job_or_profile_record_fails_the_revocation_check() {
        let policy = crate::domain::checks::Policy::new(
            &[VERSION],
            crate::domain::checks::Enforcement::Enforce,
        )
        .expect("policy");
        for e in [
            evidence(
                Bytes::Verified,
                Lookup::Missing("has no record".into()),
                Lookup::Found(profile(None)),
            ),
            evidence(
                Bytes::Verified,
                Lookup::Found(job(JobStatus::Succeeded)),
                Lookup::Missing("has no record".into()),
            ),
        ] {
            let verdict =
                crate::domain::checks::evaluate(&facts(&e), &policy, at("2026-06-01T00:00:00Z"));
            let revocation = verdict
                .result(Check::Revocation)
                .expect("revocation result");
            assert!(revocation.is_blocking(), "{revocation}");
            assert!(revocation.reason.contains("has no record"), "{revocation}");
            assert!(!verdict.allowed);
        }
    }

    #[test]
    fn unsigned_artifacts_have_no_signature() {
        assert_eq!(facts(&Evidence::Unsigned), Facts::default());
    }
}
