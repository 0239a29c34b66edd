//! The requests backends take: what to create or change, in the shapes of
//! the Signer and Lambda APIs. The records they return are the domain's
//! model types.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::domain::checks::Enforcement;
use crate::domain::function::Function;
pub use crate::domain::function::SignedBy;
use crate::domain::job::ObjectLocation;
use crate::domain::profile::SignatureValidity;
use crate::domain::tags::Tags;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutSigningProfile {
    pub name: String,
    pub platform_id: String,
    pub validity: SignatureValidity,
    /// `signing_material`: a certificate (non-Lambda platforms).
    pub certificate_arn: Option<String>,
    pub signing_parameters: std::collections::BTreeMap<String, String>,
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
    /// prefix); the bucket must have versioning enabled.
    pub staging: Option<Staging>,
    /// aws: where the signed object is downloaded to (streamed, hashed).
    pub download_to: Option<PathBuf>,
    /// How long to wait for the job to finish (aws). Zero does not wait:
    /// the job is returned as Signer describes it, possibly `InProgress`
    /// (CloudFormation's handlers poll through callbacks instead).
    pub timeout: std::time::Duration,
}

/// Where a local source is uploaded before Signer signs it (aws backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staging {
    pub bucket: String,
    pub prefix: String,
}

/// The default wait for a signing job (`timeouts.create`).
pub const DEFAULT_SIGNING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Which signing jobs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only jobs signed by this profile version.
    pub profile_version_arn: Option<String>,
    /// Only jobs signed at or after this time.
    pub signed_at_or_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSigningConfigInput {
    pub allowed_publishers: Vec<String>,
    pub enforcement: Enforcement,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishLayerVersion {
    pub layer_name: String,
    pub content: ObjectLocation,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    pub description: String,
    pub license_info: Option<String>,
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

/// What a deployed function's code and layers were signed with, as Lambda
/// reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionSigning {
    pub function_arn: String,
    pub code: SignedBy,
    pub layers: Vec<(String, SignedBy)>,
}

impl FunctionSigning {
    /// What a function's record says; `None` for a function without code.
    pub fn of(function: &Function) -> Option<FunctionSigning> {
        let code = function.code.as_ref()?;
        Some(FunctionSigning {
            function_arn: function.arn.clone(),
            code: code.signed_by.clone(),
            layers: function
                .layers
                .iter()
                .map(|l| (l.arn.clone(), l.signed_by.clone()))
                .collect(),
        })
    }
}

/// A new function: its configuration, code, layers and code signing config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFunction {
    pub name: String,
    pub role: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub description: String,
    /// `None`: Lambda's default.
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub architectures: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// The deployment package: a local file or an S3 object.
    pub code: ObjectLocation,
    /// Layer version ARNs, in order.
    pub layers: Vec<String>,
    pub code_signing_config_arn: Option<String>,
    pub tags: Tags,
}

/// New code for a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFunctionCode {
    /// A name, partial ARN or ARN.
    pub function: String,
    pub code: ObjectLocation,
    /// When given, the function's current revision id.
    pub revision_id: Option<String>,
}

/// A configuration change; `None` leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateFunctionConfiguration {
    /// A name, partial ARN or ARN.
    pub function: String,
    pub role: Option<String>,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub environment: Option<BTreeMap<String, String>>,
    /// The complete new list of layer version ARNs.
    pub layers: Option<Vec<String>>,
    pub revision_id: Option<String>,
}
