//! Who acts: the account and region a backend works as.

use super::arn::Partition;

/// The account and region a backend acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub partition: Partition,
    pub account_id: String,
    pub region: String,
}

impl Identity {
    /// The partition a region belongs to (`cn-*`, `us-gov-*`, else `aws`).
    pub fn partition_of(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }
}
