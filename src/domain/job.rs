//! Signing jobs: where a job reads and writes, its status, and the
//! revocation of its signature.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

/// Where a signing job reads from or writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectLocation {
    /// A file on this machine (local backend; the aws backend uploads it).
    File(PathBuf),
    /// An S3 object.
    S3 {
        bucket: String,
        key: String,
        version: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    InProgress,
    Failed,
    Succeeded,
}

impl JobStatus {
    /// As Signer spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::InProgress => "InProgress",
            JobStatus::Failed => "Failed",
            JobStatus::Succeeded => "Succeeded",
        }
    }
}

/// A revocation of one job's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRevocation {
    pub reason: String,
    pub revoked_at: DateTime<Utc>,
    pub revoked_by: Option<String>,
}

/// A signing job, as Signer describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningJob {
    pub job_id: String,
    pub job_arn: String,
    /// The account that started the job.
    pub owner: String,
    pub profile_name: String,
    /// The account that owns the profile.
    pub profile_owner: String,
    pub profile_version_arn: String,
    pub platform_id: String,
    pub status: JobStatus,
    pub status_reason: String,
    pub source: ObjectLocation,
    pub signed_object: ObjectLocation,
    /// SHA-384 (hex) of the signed artifact as produced.
    pub signed_sha384: String,
    pub created_at: DateTime<Utc>,
    pub signed_at: DateTime<Utc>,
    pub signature_expires_at: DateTime<Utc>,
    pub revocation: Option<JobRevocation>,
}

impl SigningJob {
    pub fn is_revoked(&self) -> bool {
        self.revocation.is_some()
    }
}
