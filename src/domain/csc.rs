//! Code signing configs: which signing profile versions Lambda trusts, and
//! whether untrusted code is rejected (`Enforce`) or deployed with a
//! warning (`Warn`). The allowed-publishers rule is [`Policy::new`].

use chrono::{DateTime, Utc};

use super::checks::{Enforcement, Policy, PolicyError};
use super::tags::Tags;

/// A code signing config, as Lambda describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSigningConfig {
    /// `csc-` followed by 17 characters, as Lambda's ids.
    pub id: String,
    pub arn: String,
    pub allowed_publishers: Vec<String>,
    pub enforcement: Enforcement,
    pub description: String,
    pub last_modified: DateTime<Utc>,
    pub tags: Tags,
}

impl CodeSigningConfig {
    /// The policy the checks apply. A stored config that breaks the rules
    /// (edited behind our back) is an error, never a permissive policy.
    pub fn policy(&self) -> Result<Policy, Vec<PolicyError>> {
        Policy::new(&self.allowed_publishers, self.enforcement)
    }
}
