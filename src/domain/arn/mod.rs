//! ARNs of Signer and Lambda, typed: each kind parses from its string form,
//! prints back unchanged, and is valid by construction. A user who typed a
//! wrong ARN is told which part is wrong and why.

mod lambda;
mod signer;

use std::fmt;
use std::str::FromStr;

pub use lambda::*;
pub use signer::*;

use super::names;

/// The AWS partitions in which AWS Signer and Lambda code signing exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Partition {
    /// `aws`: the commercial regions.
    #[default]
    Aws,
    /// `aws-cn`: the China regions (`cn-*`).
    AwsCn,
    /// `aws-us-gov`: the GovCloud (US) regions (`us-gov-*`).
    AwsUsGov,
}

impl Partition {
    /// Every supported partition, in the order listed in error messages.
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    /// The partition as written in an ARN.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The region-name prefix that the partition requires, if any.
    fn region_prefix(self) -> Option<&'static str> {
        match self {
            Partition::Aws => None,
            Partition::AwsCn => Some("cn-"),
            Partition::AwsUsGov => Some("us-gov-"),
        }
    }

    /// Whether `region` belongs to this partition.
    fn contains_region(self, region: &str) -> bool {
        match self.region_prefix() {
            Some(prefix) => region.starts_with(prefix),
            None => Partition::ALL
                .iter()
                .filter_map(|p| p.region_prefix())
                .all(|prefix| !region.starts_with(prefix)),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Partition {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Partition::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ArnError::Partition {
                found: s.to_owned(),
            })
    }
}

/// Why a string is not the ARN that was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("the ARN is empty")]
    Empty,
    #[error("an ARN starts with \"arn:\"; found {found:?}")]
    NotAnArn { found: String },
    #[error(
        "an ARN has six colon-separated fields (arn:partition:service:region:account:resource); found {count}"
    )]
    FieldCount { count: usize },
    #[error("partition must be one of \"aws\", \"aws-cn\", \"aws-us-gov\"; found {found:?}")]
    Partition { found: String },
    #[error("service must be {expected:?}; found {found:?}")]
    Service {
        expected: &'static str,
        found: String,
    },
    #[error("region {found:?} is not an AWS region name such as \"us-east-1\"")]
    Region { found: String },
    #[error("region {region:?} is not in partition {partition:?}")]
    PartitionRegionMismatch {
        partition: Partition,
        region: String,
    },
    #[error("account id must be exactly 12 digits; found {found:?}")]
    Account { found: String },
    #[error("resource must be {expected}; found {found:?}")]
    Resource {
        expected: &'static str,
        found: String,
    },
    #[error(
        "signing profile name must be 2 to 64 characters from letters, digits and '_'; found {found:?}"
    )]
    ProfileName { found: String },
    #[error("signing profile version must be exactly 10 letters or digits; found {found:?}")]
    ProfileVersion { found: String },
    #[error(
        "signing job id must be 1 to 64 characters from letters, digits and '-'; found {found:?}"
    )]
    JobId { found: String },
    #[error("layer name must be 1 to 64 letters, digits, '-' or '_'; found {found:?}")]
    LayerName { found: String },
    #[error("layer version must be a whole number of at least 1; found {found:?}")]
    LayerVersion { found: String },
    #[error("code signing config id must be \"csc-\" and 17 lower-case letters or digits; found {found:?}")]
    CscId { found: String },
    #[error("function name must be 1 to 64 letters, digits, '-' or '_'; found {found:?}")]
    FunctionName { found: String },
    #[error("expected a {expected} but found a {found}")]
    WrongKind { expected: ArnKind, found: ArnKind },
}

/// Which kind of ARN a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArnKind {
    Profile,
    ProfileVersion,
    Job,
    CodeSigningConfig,
    Layer,
    LayerVersion,
    Function,
}

impl fmt::Display for ArnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArnKind::Profile => "signing profile ARN",
            ArnKind::ProfileVersion => "signing profile version ARN",
            ArnKind::Job => "signing job ARN",
            ArnKind::CodeSigningConfig => "code signing config ARN",
            ArnKind::Layer => "layer ARN",
            ArnKind::LayerVersion => "layer version ARN",
            ArnKind::Function => "function ARN",
        })
    }
}

fn validate_region(region: &str) -> Result<(), ArnError> {
    names::region(region).map_err(|_| ArnError::Region {
        found: region.to_owned(),
    })
}

fn validate_partition_region(partition: Partition, region: &str) -> Result<(), ArnError> {
    validate_region(region)?;
    if partition.contains_region(region) {
        Ok(())
    } else {
        Err(ArnError::PartitionRegionMismatch {
            partition,
            region: region.to_owned(),
        })
    }
}

fn validate_account(account: &str) -> Result<(), ArnError> {
    names::account_id(account).map_err(|_| ArnError::Account {
        found: account.to_owned(),
    })
}

/// The fields of any ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`),
/// unchecked, borrowed from its text: for the one field code needs of an
/// ARN whose kind it does not know (or is not one of the typed ARNs here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnFields<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    /// Everything after the fifth colon (it may hold colons itself).
    pub resource: &'a str,
}

impl<'a> ArnFields<'a> {
    pub fn parse(s: &'a str) -> Result<Self, ArnError> {
        if s.is_empty() {
            return Err(ArnError::Empty);
        }
        if !s.starts_with("arn:") {
            return Err(ArnError::NotAnArn {
                found: s.to_owned(),
            });
        }
        let mut fields = s.splitn(6, ':');
        let _arn = fields.next();
        let parts: Vec<&str> = fields.collect();
        let [partition, service, region, account_id, resource] = parts[..] else {
            return Err(ArnError::FieldCount {
                count: parts.len() + 1,
            });
        };
        Ok(ArnFields {
            partition,
            service,
            region,
            account_id,
            resource,
        })
    }
}

/// The six fields of an ARN whose service is `service`.
fn fields<'a>(s: &'a str, service: &'static str) -> Result<[&'a str; 5], ArnError> {
    let found = ArnFields::parse(s)?;
    if found.service != service {
        return Err(ArnError::Service {
            expected: service,
            found: found.service.to_owned(),
        });
    }
    Ok([
        found.partition,
        found.service,
        found.region,
        found.account_id,
        found.resource,
    ])
}
