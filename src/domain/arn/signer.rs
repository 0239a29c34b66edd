//! AWS Signer ARNs, in the forms AWS uses them:
//!
//! | kind                    | form                                                                      |
//! |-------------------------|---------------------------------------------------------------------------|
//! | signing profile         | `arn:{partition}:signer:{region}:{account}:/signing-profiles/{name}`          |
//! | signing profile version | `arn:{partition}:signer:{region}:{account}:/signing-profiles/{name}/{version}` |
//! | signing job             | `arn:{partition}:signer:{region}:{account}:/signing-jobs/{job_id}`            |
//!
//! Each part is checked by a small rule with its own error, so that a user
//! who typed a wrong ARN is told which part is wrong and why. Values of the
//! types here are valid by construction: their fields are private, and
//! `Display` prints a string that `FromStr` parses back to an equal value.

use std::fmt;
use std::str::FromStr;

use super::{validate_account, validate_partition_region, ArnError, ArnFields, ArnKind, Partition};
use crate::domain::names;

const SIGNER_RESOURCES: &str = "\"/signing-profiles/NAME[/VERSION]\" or \"/signing-jobs/JOB_ID\"";
const PROFILES_PREFIX: &str = "/signing-profiles/";
const JOBS_PREFIX: &str = "/signing-jobs/";

/// A signing profile ARN, without a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileArn {
    partition: Partition,
    region: String,
    account_id: String,
    name: String,
}

/// A signing profile version ARN: what Lambda's allowed publishers list and
/// what a signature records as its signer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileVersionArn {
    profile: ProfileArn,
    version: String,
}

/// A signing job ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobArn {
    partition: Partition,
    region: String,
    account_id: String,
    job_id: String,
}

/// Any of the three Signer ARN kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignerArn {
    Profile(ProfileArn),
    ProfileVersion(ProfileVersionArn),
    Job(JobArn),
}

// ---------------------------------------------------------------------------
// Part rules: one small function per part, each with its own error.

fn validate_profile_name(name: &str) -> Result<(), ArnError> {
    names::profile_name(name).map_err(|_| ArnError::ProfileName {
        found: name.to_owned(),
    })
}

fn validate_profile_version(version: &str) -> Result<(), ArnError> {
    names::profile_version(version).map_err(|_| ArnError::ProfileVersion {
        found: version.to_owned(),
    })
}

fn validate_job_id(job_id: &str) -> Result<(), ArnError> {
    names::job_id(job_id).map_err(|_| ArnError::JobId {
        found: job_id.to_owned(),
    })
}

// ---------------------------------------------------------------------------
// Constructors and accessors.

impl ProfileArn {
    /// A signing profile ARN in the `aws` partition.
    pub fn new(region: &str, account_id: &str, name: &str) -> Result<Self, ArnError> {
        Self::new_in_partition(Partition::Aws, region, account_id, name)
    }

    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        name: &str,
    ) -> Result<Self, ArnError> {
        validate_partition_region(partition, region)?;
        validate_account(account_id)?;
        validate_profile_name(name)?;
        Ok(ProfileArn {
            partition,
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The ARN of version `version` of this profile.
    pub fn with_version(&self, version: &str) -> Result<ProfileVersionArn, ArnError> {
        validate_profile_version(version)?;
        Ok(ProfileVersionArn {
            profile: self.clone(),
            version: version.to_owned(),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl ProfileVersionArn {
    /// A signing profile version ARN in the `aws` partition.
    pub fn new(
        region: &str,
        account_id: &str,
        name: &str,
        version: &str,
    ) -> Result<Self, ArnError> {
        ProfileArn::new(region, account_id, name)?.with_version(version)
    }

    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        name: &str,
        version: &str,
    ) -> Result<Self, ArnError> {
        ProfileArn::new_in_partition(partition, region, account_id, name)?.with_version(version)
    }

    /// The ARN of the profile this is a version of.
    pub fn profile_arn(&self) -> &ProfileArn {
        &self.profile
    }

    pub fn partition(&self) -> Partition {
        self.profile.partition
    }
    pub fn region(&self) -> &str {
        &self.profile.region
    }
    pub fn account_id(&self) -> &str {
        &self.profile.account_id
    }
    pub fn name(&self) -> &str {
        &self.profile.name
    }
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl JobArn {
    /// A signing job ARN in the `aws` partition.
    pub fn new(region: &str, account_id: &str, job_id: &str) -> Result<Self, ArnError> {
        Self::new_in_partition(Partition::Aws, region, account_id, job_id)
    }

    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        job_id: &str,
    ) -> Result<Self, ArnError> {
        validate_partition_region(partition, region)?;
        validate_account(account_id)?;
        validate_job_id(job_id)?;
        Ok(JobArn {
            partition,
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            job_id: job_id.to_owned(),
        })
    }

    /// The account that started the job (and can describe it).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn job_id(&self) -> &str {
        &self.job_id
    }
}

impl SignerArn {
    pub fn kind(&self) -> ArnKind {
        match self {
            SignerArn::Profile(_) => ArnKind::Profile,
            SignerArn::ProfileVersion(_) => ArnKind::ProfileVersion,
            SignerArn::Job(_) => ArnKind::Job,
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing and printing.

impl FromStr for SignerArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ArnFields {
            partition,
            service,
            region,
            account_id: account,
            resource,
        } = ArnFields::parse(s)?;
        // The resource (sixth field) contains no colon in Signer ARNs, so a
        // seventh field is an error rather than part of the resource.
        if resource.contains(':') {
            return Err(ArnError::FieldCount {
                count: 6 + resource.matches(':').count(),
            });
        }
        let partition: Partition = partition.parse()?;
        if service != "signer" {
            return Err(ArnError::Service {
                expected: "signer",
                found: service.to_owned(),
            });
        }
        validate_partition_region(partition, region)?;
        validate_account(account)?;

        if let Some(rest) = resource.strip_prefix(PROFILES_PREFIX) {
            let mut segments = rest.split('/');
            let name = segments.next().unwrap_or_default();
            let version = segments.next();
            if segments.next().is_some() {
                return Err(ArnError::Resource {
                    expected: SIGNER_RESOURCES,
                    found: resource.to_owned(),
                });
            }
            let profile = ProfileArn::new_in_partition(partition, region, account, name)?;
            match version {
                None => Ok(SignerArn::Profile(profile)),
                Some(version) => Ok(SignerArn::ProfileVersion(profile.with_version(version)?)),
            }
        } else if let Some(job_id) = resource.strip_prefix(JOBS_PREFIX) {
            Ok(SignerArn::Job(JobArn::new_in_partition(
                partition, region, account, job_id,
            )?))
        } else {
            Err(ArnError::Resource {
                expected: SIGNER_RESOURCES,
                found: resource.to_owned(),
            })
        }
    }
}

impl fmt::Display for SignerArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignerArn::Profile(a) => a.fmt(f),
            SignerArn::ProfileVersion(a) => a.fmt(f),
            SignerArn::Job(a) => a.fmt(f),
        }
    }
}

impl FromStr for ProfileArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse()? {
            SignerArn::Profile(a) => Ok(a),
            other => Err(ArnError::WrongKind {
                expected: ArnKind::Profile,
                found: other.kind(),
            }),
        }
    }
}

impl FromStr for ProfileVersionArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse()? {
            SignerArn::ProfileVersion(a) => Ok(a),
            other => Err(ArnError::WrongKind {
                expected: ArnKind::ProfileVersion,
                found: other.kind(),
            }),
        }
    }
}

impl FromStr for JobArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse()? {
            SignerArn::Job(a) => Ok(a),
            other => Err(ArnError::WrongKind {
                expected: ArnKind::Job,
                found: other.kind(),
            }),
        }
    }
}

impl fmt::Display for ProfileArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:signer:{}:{}:{PROFILES_PREFIX}{}",
            self.partition, self.region, self.account_id, self.name
        )
    }
}

impl fmt::Display for ProfileVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.profile, self.version)
    }
}

impl fmt::Display for JobArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:signer:{}:{}:{JOBS_PREFIX}{}",
            self.partition, self.region, self.account_id, self.job_id
        )
    }
}

// ---------------------------------------------------------------------------
// Allowed publishers.

/// Why a string cannot be one of Lambda's allowed publishers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublisherError {
    /// The commonest mistake: the profile's `arn` instead of its `version_arn`.
    #[error(
        "{profile_arn} is a signing profile ARN without a version; allowed publishers must be \
         profile version ARNs such as {profile_arn}/<VERSION>; use the profile's version ARN \
         (`profileVersionArn` in Signer's API and the AWS CLI, `version_arn` in Terraform, \
         `ProfileVersionArn` in CloudFormation)"
    )]
    MissingVersion { profile_arn: ProfileArn },
    #[error("not a signing profile version ARN: {reason}")]
    Malformed { reason: String },
}

/// Parses one entry of Lambda's allowed publishers: a signing profile
/// *version* ARN.
pub fn parse_publisher(s: &str) -> Result<ProfileVersionArn, PublisherError> {
    match s.parse::<SignerArn>() {
        Ok(SignerArn::ProfileVersion(arn)) => Ok(arn),
        Ok(SignerArn::Profile(profile_arn)) => Err(PublisherError::MissingVersion { profile_arn }),
        Ok(other) => Err(PublisherError::Malformed {
            reason: format!("{s} is a {}", other.kind()),
        }),
        Err(e) => Err(PublisherError::Malformed {
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProfile";
    const VERSION: &str =
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProfile/Ab3De6Gh9J";
    const JOB: &str =
        "arn:aws:signer:us-east-1:123456789012:/signing-jobs/2a7d0b6c-1b2c-4d5e-8f90-a1b2c3d4e5f6";

    /// Valid ARNs of each kind: each parses as that kind and prints back unchanged.
    const ROUND_TRIPS: &[(&str, &str, ArnKind)] = &[
        ("profile ARN", PROFILE, ArnKind::Profile),
        ("profile version ARN", VERSION, ArnKind::ProfileVersion),
        ("job ARN", JOB, ArnKind::Job),
        (
            "China partition",
            "arn:aws-cn:signer:cn-north-1:123456789012:/signing-profiles/ab/0123456789",
            ArnKind::ProfileVersion,
        ),
        (
            "GovCloud partition",
            "arn:aws-us-gov:signer:us-gov-west-1:123456789012:/signing-profiles/ab",
            ArnKind::Profile,
        ),
        (
            "shortest profile name (2)",
            "arn:aws:signer:ap-southeast-2:000000000000:/signing-profiles/a_",
            ArnKind::Profile,
        ),
        (
            "one-character job id",
            "arn:aws:signer:eu-central-1:123456789012:/signing-jobs/x",
            ArnKind::Job,
        ),
    ];

    #[test]
    fn valid_arns_round_trip() {
        for &(name, s, kind) in ROUND_TRIPS {
            let arn: SignerArn = s.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(arn.kind(), kind, "{name}");
            assert_eq!(arn.to_string(), s, "{name}");
            match kind {
                ArnKind::Profile => assert_eq!(s.parse::<ProfileArn>().unwrap().to_string(), s),
                ArnKind::ProfileVersion => {
                    assert_eq!(s.parse::<ProfileVersionArn>().unwrap().to_string(), s)
                }
                ArnKind::Job => assert_eq!(s.parse::<JobArn>().unwrap().to_string(), s),
                other => panic!("{name}: a {other} is not a Signer ARN"),
            }
        }
    }

    #[test]
    fn profile_version_arn_parts() {
        let arn: ProfileVersionArn = VERSION.parse().unwrap();
        assert_eq!(arn.partition(), Partition::Aws);
        assert_eq!(arn.region(), "us-east-1");
        assert_eq!(arn.account_id(), "123456789012");
        assert_eq!(arn.name(), "MyProfile");
        assert_eq!(arn.version(), "Ab3De6Gh9J");
        assert_eq!(arn.profile_arn().to_string(), PROFILE);
        let built =
            ProfileVersionArn::new("us-east-1", "123456789012", "MyProfile", "Ab3De6Gh9J").unwrap();
        assert_eq!(built, arn);
        let job: JobArn = JOB.parse().unwrap();
        assert_eq!(job.job_id(), "2a7d0b6c-1b2c-4d5e-8f90-a1b2c3d4e5f6");
    }

    fn long(c: char, n: usize) -> String {
        std::iter::repeat_n(c, n).collect()
    }

    /// Malformed ARNs: each is rejected with a reason naming the wrong part.
    #[test]
    fn malformed_arns_are_rejected_with_a_specific_reason() {
        let p = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/";
        let j = "arn:aws:signer:us-east-1:123456789012:/signing-jobs/";
        let rows: Vec<(&str, String, &str)> = vec![
            ("empty", String::new(), "empty"),
            ("not an ARN", "MyProfile".into(), "starts with \"arn:\""),
            (
                "too few fields",
                "arn:aws:signer:us-east-1".into(),
                "six colon-separated",
            ),
            (
                "too many fields",
                format!("{VERSION}:x"),
                "six colon-separated",
            ),
            (
                "unknown partition",
                PROFILE.replace("arn:aws:", "arn:aws-iso:"),
                "partition",
            ),
            (
                "wrong service",
                PROFILE.replace(":signer:", ":lambda:"),
                "service must be \"signer\"",
            ),
            (
                "bad region",
                PROFILE.replace("us-east-1", "US-EAST-1"),
                "region",
            ),
            ("empty region", PROFILE.replace("us-east-1", ""), "region"),
            (
                "China region in aws",
                PROFILE.replace("us-east-1", "cn-north-1"),
                "not in partition",
            ),
            (
                "aws region in aws-cn",
                PROFILE.replace("arn:aws:", "arn:aws-cn:"),
                "not in partition",
            ),
            (
                "11-digit account",
                PROFILE.replace("123456789012", "12345678901"),
                "12 digits",
            ),
            (
                "13-digit account",
                PROFILE.replace("123456789012", "1234567890123"),
                "12 digits",
            ),
            (
                "account with letter",
                PROFILE.replace("123456789012", "12345678901a"),
                "12 digits",
            ),
            (
                "unknown resource",
                PROFILE.replace("signing-profiles", "profiles"),
                "resource",
            ),
            (
                "missing leading slash",
                PROFILE.replace(":/signing", ":signing"),
                "resource",
            ),
            ("profile name too short", format!("{p}a"), "profile name"),
            (
                "profile name 65 chars",
                format!("{p}{}", long('a', 65)),
                "profile name",
            ),
            (
                "profile name with hyphen",
                format!("{p}my-profile"),
                "profile name",
            ),
            ("empty profile name", p.into(), "profile name"),
            ("version 9 chars", format!("{PROFILE}/ABCDEFGHI"), "version"),
            (
                "version 11 chars",
                format!("{PROFILE}/ABCDEFGHIJK"),
                "version",
            ),
            (
                "version with underscore",
                format!("{PROFILE}/ABCDE_GHIJ"),
                "version",
            ),
            ("trailing slash", format!("{PROFILE}/"), "version"),
            ("extra segment", format!("{VERSION}/x"), "resource"),
            ("empty job id", j.into(), "job id"),
            ("job id 65 chars", format!("{j}{}", long('a', 65)), "job id"),
            ("job id with slash", format!("{j}a/b"), "job id"),
        ];
        for (name, s, want) in rows {
            let err = s.parse::<SignerArn>().expect_err(name);
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
        // Boundaries that are still valid.
        assert!(format!("{p}{}", long('a', 64))
            .parse::<ProfileArn>()
            .is_ok());
        assert!(format!("{j}{}", long('a', 64)).parse::<JobArn>().is_ok());
    }

    #[test]
    fn each_type_rejects_the_other_kinds() {
        let err = PROFILE.parse::<ProfileVersionArn>().unwrap_err();
        assert_eq!(
            err,
            ArnError::WrongKind {
                expected: ArnKind::ProfileVersion,
                found: ArnKind::Profile
            }
        );
        assert!(VERSION.parse::<ProfileArn>().is_err());
        assert!(JOB.parse::<ProfileArn>().is_err());
        assert!(VERSION.parse::<JobArn>().is_err());
    }

    #[test]
    fn publisher_must_be_a_profile_version_arn() {
        assert_eq!(parse_publisher(VERSION).unwrap().to_string(), VERSION);

        let err = parse_publisher(PROFILE).unwrap_err();
        assert!(matches!(err, PublisherError::MissingVersion { .. }));
        let msg = err.to_string();
        assert!(msg.contains("without a version"), "{msg}");
        assert!(msg.contains(&format!("{PROFILE}/<VERSION>")), "{msg}");
        assert!(msg.contains("`version_arn`"), "{msg}");

        let err = parse_publisher(JOB).unwrap_err();
        assert!(
            matches!(err, PublisherError::Malformed { ref reason } if reason.contains("signing job ARN"))
        );

        let err = parse_publisher("arn:aws:signer:us-east-1:123:/signing-profiles/P/ABCDEFGHIJ")
            .unwrap_err();
        assert!(
            matches!(err, PublisherError::Malformed { ref reason } if reason.contains("12 digits"))
        );
    }

    fn region() -> impl Strategy<Value = String> {
        "(us|eu|ap)-(east|west|southeast)-[1-9]"
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".*") {
            let _ = s.parse::<SignerArn>();
            let _ = s.parse::<ProfileArn>();
            let _ = s.parse::<ProfileVersionArn>();
            let _ = s.parse::<JobArn>();
            let _ = parse_publisher(&s);
        }

        #[test]
        fn parsing_arn_like_strings_never_panics(
            s in "arn:(aws|aws-cn|x)?:(signer)?:[a-z0-9-]{0,15}:[0-9]{0,13}:/?(signing-profiles|signing-jobs)?/?[a-zA-Z0-9_/-]{0,20}"
        ) {
            let _ = s.parse::<SignerArn>();
            let _ = parse_publisher(&s);
        }

        #[test]
        fn built_version_arns_round_trip(
            region in region(),
            account in "[0-9]{12}",
            name in "[a-zA-Z0-9_]{2,64}",
            version in "[a-zA-Z0-9]{10}",
        ) {
            let arn = ProfileVersionArn::new(&region, &account, &name, &version).unwrap();
            let printed = arn.to_string();
            prop_assert_eq!(printed.parse::<ProfileVersionArn>().unwrap(), arn.clone());
            prop_assert_eq!(parse_publisher(&printed).unwrap(), arn);
        }

        #[test]
        fn built_job_arns_round_trip(
            region in region(),
            account in "[0-9]{12}",
            job_id in "[a-zA-Z0-9-]{1,64}",
        ) {
            let arn = JobArn::new(&region, &account, &job_id).unwrap();
            prop_assert_eq!(arn.to_string().parse::<JobArn>().unwrap(), arn);
        }
    }
}
