//! Layer versions and their permission policies.

use chrono::{DateTime, Utc};

/// The only action a layer grant gives.
pub const LAYER_ACTION: &str = "lambda:GetLayerVersion";

/// A layer version, as Lambda describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVersion {
    pub layer_name: String,
    pub layer_arn: String,
    pub layer_version_arn: String,
    pub version: i64,
    pub owner: String,
    pub description: String,
    pub license_info: Option<String>,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    /// Hex SHA-384 of the published (signed) artifact.
    pub content_sha384: String,
    pub signing_profile_version_arn: Option<String>,
    pub signing_job_arn: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One statement of a layer version's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStatement {
    pub statement_id: String,
    pub action: String,
    /// A 12-digit account id or `*`.
    pub principal: String,
    /// Only with principal `*`: restricted to this organization.
    pub organization_id: Option<String>,
}

/// A layer version's policy and its revision id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerPolicy {
    pub statements: Vec<LayerStatement>,
    pub revision_id: String,
}

impl LayerPolicy {
    pub fn statement(&self, statement_id: &str) -> Option<&LayerStatement> {
        self.statements
            .iter()
            .find(|s| s.statement_id == statement_id)
    }
}
