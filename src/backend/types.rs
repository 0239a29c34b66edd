//! The records backends exchange with resources. Plain data, no behaviour:
//! they mirror the Signer and Lambda API shapes the resources need.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub type Tags = BTreeMap<String, String>;

/// The only platform Lambda code signing uses.
pub const LAMBDA_PLATFORM: &str = "AWSLambda-SHA384-ECDSA";

/// Who a backend acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub partition: String,
    pub account_id: String,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityUnit {
    Days,
    Months,
    Years,
}

impl ValidityUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidityUnit::Days => "DAYS",
            ValidityUnit::Months => "MONTHS",
            ValidityUnit::Years => "YEARS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "DAYS" => Some(ValidityUnit::Days),
            "MONTHS" => Some(ValidityUnit::Months),
            "YEARS" => Some(ValidityUnit::Years),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureValidity {
    pub value: u32,
    pub unit: ValidityUnit,
}

impl Default for SignatureValidity {
    /// Signer's default: 135 months.
    fn default() -> Self {
        SignatureValidity {
            value: 135,
            unit: ValidityUnit::Months,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutSigningProfile {
    pub name: String,
    pub platform_id: String,
    pub validity: SignatureValidity,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileStatus {
    Active,
    Canceled,
    Revoked,
}

impl ProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::Active => "Active",
            ProfileStatus::Canceled => "Canceled",
            ProfileStatus::Revoked => "Revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRevocation {
    pub reason: String,
    /// Signatures made at or after this time are revoked.
    pub effective_time: DateTime<Utc>,
    /// When the revocation was recorded.
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningProfile {
    pub name: String,
    pub owner: String,
    pub arn: String,
    /// Signer's 10-character profile version.
    pub version: String,
    pub version_arn: String,
    pub platform_id: String,
    pub validity: SignatureValidity,
    pub status: ProfileStatus,
    pub revocation: Option<ProfileRevocation>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeSigningProfile {
    pub name: String,
    pub version: String,
    pub reason: String,
    pub effective_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddProfilePermission {
    pub profile_name: String,
    pub action: String,
    pub principal: String,
    pub statement_id: String,
    pub profile_version: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePermission {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub profile_version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePermissions {
    pub permissions: Vec<ProfilePermission>,
    /// Empty when the profile has no policy yet.
    pub revision_id: String,
}

/// Where a signing job reads from or writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectLocation {
    /// A file on the machine running Terraform (local backend; aws uploads it).
    File(PathBuf),
    /// An S3 object.
    S3 {
        bucket: String,
        key: String,
        version: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartSigningJob {
    pub profile_name: String,
    /// The account that owns the profile, if not this one.
    pub profile_owner: Option<String>,
    pub source: ObjectLocation,
    /// For `File`, the signed artifact's path; for `S3`, bucket and key prefix.
    pub destination: ObjectLocation,
    /// Same token, same job: retries never sign twice.
    pub client_request_token: String,
    /// aws: where a `File` source is uploaded for signing (bucket, key
    /// prefix); the bucket must have versioning enabled. Local: unused.
    pub staging: Option<(String, String)>,
    /// aws: where the signed object is downloaded to (streamed, hashed).
    /// Local: unused, its destination is the file itself.
    pub download_to: Option<PathBuf>,
    /// How long to wait for the job to finish (aws). Local: unused.
    pub timeout: std::time::Duration,
}

/// The default wait for a signing job (`timeouts.create`).
pub const DEFAULT_SIGNING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    InProgress,
    Failed,
    Succeeded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRevocation {
    pub reason: String,
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningJob {
    pub job_id: String,
    pub job_arn: String,
    pub owner: String,
    pub profile_name: String,
    pub profile_version_arn: String,
    pub status: JobStatus,
    pub status_reason: String,
    pub source: ObjectLocation,
    pub signed_object: ObjectLocation,
    /// SHA-384 (hex) of the signed artifact as produced.
    pub signed_sha384: String,
    pub signed_at: DateTime<Utc>,
    pub signature_expires_at: DateTime<Utc>,
    pub revocation: Option<JobRevocation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UntrustedArtifactAction {
    Warn,
    Enforce,
}

impl UntrustedArtifactAction {
    pub fn as_str(self) -> &'static str {
        match self {
            UntrustedArtifactAction::Warn => "Warn",
            UntrustedArtifactAction::Enforce => "Enforce",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Warn" => Some(UntrustedArtifactAction::Warn),
            "Enforce" => Some(UntrustedArtifactAction::Enforce),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSigningConfigInput {
    pub allowed_publishers: Vec<String>,
    pub untrusted_artifact_on_deployment: UntrustedArtifactAction,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSigningConfig {
    /// `csc-` followed by 17 hex characters, as Lambda's ids.
    pub id: String,
    pub arn: String,
    pub allowed_publishers: Vec<String>,
    pub untrusted_artifact_on_deployment: UntrustedArtifactAction,
    pub description: String,
    pub last_modified: DateTime<Utc>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishLayerVersion {
    pub layer_name: String,
    pub content: ObjectLocation,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVersion {
    pub layer_name: String,
    pub layer_arn: String,
    pub layer_version_arn: String,
    pub version: i64,
    pub owner: String,
    pub description: String,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    /// Hex SHA-384 of the published (signed) artifact.
    pub content_sha384: String,
    pub signing_profile_version_arn: Option<String>,
    pub signing_job_arn: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddLayerPermission {
    pub layer_name: String,
    pub version: i64,
    pub statement_id: String,
    /// A 12-digit account id or `*`.
    pub principal: String,
    /// Only with principal `*`: restrict to this organization (`o-...`).
    pub organization_id: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStatement {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerPolicy {
    pub statements: Vec<LayerStatement>,
    pub revision_id: String,
}

/// A signed artifact to verify, by what the configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRef {
    SignedFile(PathBuf),
    SigningJob(String),
    LayerVersion(String),
}
