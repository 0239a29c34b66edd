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

/// Where Signer writes a job's signed object: the destination prefix, the
/// job id, then `.zip` (for the Lambda platforms).
pub fn signed_key(prefix: &str, job_id: &str) -> String {
    format!("{prefix}{job_id}.zip")
}

/// The destination prefix a job's signed object was written under: what
/// precedes the job id in its key (empty when the key does not name it).
pub fn destination_prefix<'a>(signed_key: &'a str, job_id: &str) -> &'a str {
    signed_key.rfind(job_id).map_or("", |at| &signed_key[..at])
}

/// The signing job that wrote an S3 object, by Signer's naming of what it
/// writes ([`signed_key`]).
/// `None` when the key cannot be a signing job's output.
pub fn job_id_of_signed_key(key: &str) -> Option<&str> {
    let stem = key.strip_suffix(".zip")?;
    let cut = stem.len().checked_sub(UUID_LEN)?;
    let id = stem.get(cut..)?;
    is_uuid(id).then_some(id)
}

const UUID_LEN: usize = 36;

fn is_uuid(text: &str) -> bool {
    text.len() == UUID_LEN
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_objects_name_their_job() {
        let id = "0f2b8a9e-1c3d-4e5f-8a7b-6c5d4e3f2a1b";
        assert_eq!(job_id_of_signed_key(&format!("signed/{id}.zip")), Some(id));
        assert_eq!(job_id_of_signed_key(&format!("{id}.zip")), Some(id));
        assert_eq!(
            job_id_of_signed_key(&format!("signed/{id}")),
            None,
            "no .zip"
        );
        assert_eq!(job_id_of_signed_key("signed/fn.zip"), None);
        assert_eq!(
            destination_prefix(&signed_key("signed/", id), id),
            "signed/"
        );
        assert_eq!(destination_prefix(&signed_key("", id), id), "");
        assert_eq!(destination_prefix("elsewhere.zip", id), "");
        assert_eq!(job_id_of_signed_key("x.zip"), None);
        assert_eq!(
            job_id_of_signed_key("signed/0f2b8a9e_1c3d-4e5f-8a7b-6c5d4e3f2a1b.zip"),
            None
        );
    }
}
