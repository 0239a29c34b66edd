//! Lambda ARNs, in the forms Lambda uses them:
//!
//! | kind                | form                                                          |
//! |---------------------|---------------------------------------------------------------|
//! | code signing config | `arn:{partition}:lambda:{region}:{account}:code-signing-config:csc-{17}` |
//! | layer               | `arn:{partition}:lambda:{region}:{account}:layer:{name}`       |
//! | layer version       | `arn:{partition}:lambda:{region}:{account}:layer:{name}:{version}` |
//! | function            | `arn:{partition}:lambda:{region}:{account}:function:{name}[:{qualifier}]` |

use std::fmt;
use std::str::FromStr;

use super::{fields, validate_account, validate_partition_region, ArnError, ArnKind, Partition};
use crate::domain::names;

const LAMBDA_RESOURCES: &str =
    "\"code-signing-config:csc-ID\", \"layer:NAME[:VERSION]\" or \"function:NAME[:QUALIFIER]\"";

/// Where a Lambda object lives: partition, region and account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Home {
    partition: Partition,
    region: String,
    account_id: String,
}

impl Home {
    fn new(partition: Partition, region: &str, account_id: &str) -> Result<Self, ArnError> {
        validate_partition_region(partition, region)?;
        validate_account(account_id)?;
        Ok(Home {
            partition,
            region: region.to_owned(),
            account_id: account_id.to_owned(),
        })
    }

    fn prefix(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}",
            self.partition, self.region, self.account_id
        )
    }
}

/// A code signing config ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CscArn {
    home: Home,
    id: String,
}

/// A layer ARN (all versions).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerArn {
    home: Home,
    name: String,
}

/// A layer version ARN: what functions attach.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerVersionArn {
    layer: LayerArn,
    version: i64,
}

/// A function ARN, optionally qualified by a version or alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionArn {
    home: Home,
    name: String,
    qualifier: Option<String>,
}

/// Any Lambda ARN this project uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LambdaArn {
    CodeSigningConfig(CscArn),
    Layer(LayerArn),
    LayerVersion(LayerVersionArn),
    Function(FunctionArn),
}

/// `csc-` and 17 lower-case letters or digits, as Lambda makes them.
fn validate_csc_id(id: &str) -> Result<(), ArnError> {
    let valid = id.strip_prefix("csc-").is_some_and(|rest| {
        rest.len() == 17
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if valid {
        Ok(())
    } else {
        Err(ArnError::CscId {
            found: id.to_owned(),
        })
    }
}

fn validate_layer_name(name: &str) -> Result<(), ArnError> {
    names::layer_name(name).map_err(|_| ArnError::LayerName {
        found: name.to_owned(),
    })
}

fn parse_layer_version(text: &str) -> Result<i64, ArnError> {
    text.parse::<i64>()
        .ok()
        .filter(|v| *v >= 1 && !text.starts_with('+') && !text.starts_with('0'))
        .ok_or_else(|| ArnError::LayerVersion {
            found: text.to_owned(),
        })
}

fn validate_function_name(name: &str) -> Result<(), ArnError> {
    names::function_name(name).map_err(|_| ArnError::FunctionName {
        found: name.to_owned(),
    })
}

impl CscArn {
    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        id: &str,
    ) -> Result<Self, ArnError> {
        let home = Home::new(partition, region, account_id)?;
        validate_csc_id(id)?;
        Ok(CscArn {
            home,
            id: id.to_owned(),
        })
    }

    pub fn region(&self) -> &str {
        &self.home.region
    }
    pub fn account_id(&self) -> &str {
        &self.home.account_id
    }
    /// The config's id, `csc-...`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl LayerArn {
    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        name: &str,
    ) -> Result<Self, ArnError> {
        let home = Home::new(partition, region, account_id)?;
        validate_layer_name(name)?;
        Ok(LayerArn {
            home,
            name: name.to_owned(),
        })
    }

    /// The ARN of version `version` of this layer.
    pub fn with_version(&self, version: i64) -> Result<LayerVersionArn, ArnError> {
        if version < 1 {
            return Err(ArnError::LayerVersion {
                found: version.to_string(),
            });
        }
        Ok(LayerVersionArn {
            layer: self.clone(),
            version,
        })
    }

    pub fn partition(&self) -> Partition {
        self.home.partition
    }
    pub fn region(&self) -> &str {
        &self.home.region
    }
    pub fn account_id(&self) -> &str {
        &self.home.account_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl LayerVersionArn {
    pub fn layer_arn(&self) -> &LayerArn {
        &self.layer
    }
    pub fn account_id(&self) -> &str {
        self.layer.account_id()
    }
    pub fn region(&self) -> &str {
        self.layer.region()
    }
    pub fn name(&self) -> &str {
        self.layer.name()
    }
    pub fn version(&self) -> i64 {
        self.version
    }
}

impl FunctionArn {
    pub fn new_in_partition(
        partition: Partition,
        region: &str,
        account_id: &str,
        name: &str,
    ) -> Result<Self, ArnError> {
        let home = Home::new(partition, region, account_id)?;
        validate_function_name(name)?;
        Ok(FunctionArn {
            home,
            name: name.to_owned(),
            qualifier: None,
        })
    }

    /// A function as Lambda's `FunctionName` parameters name it: a name,
    /// a partial ARN (`ACCOUNT:function:NAME`) or a full ARN, each with an
    /// optional `:QUALIFIER`. A name or partial ARN is completed with the
    /// caller's partition, region (and account).
    pub fn from_name_or_arn(
        text: &str,
        partition: Partition,
        region: &str,
        account_id: &str,
    ) -> Result<Self, ArnError> {
        if text.starts_with("arn:") {
            return text.parse();
        }
        let parts: Vec<&str> = text.split(':').collect();
        let (account, name, qualifier) = match parts[..] {
            [name] => (account_id, name, None),
            [name, qualifier] => (account_id, name, Some(qualifier)),
            [account, "function", name] => (account, name, None),
            [account, "function", name, qualifier] => (account, name, Some(qualifier)),
            _ => {
                return Err(ArnError::FunctionName {
                    found: text.to_owned(),
                })
            }
        };
        let home = Home::new(partition, region, account)?;
        validate_function_name(name)?;
        let qualifier = qualifier.map(str::to_owned);
        if qualifier.as_deref().is_some_and(|q| !valid_qualifier(q)) {
            return Err(ArnError::FunctionName {
                found: text.to_owned(),
            });
        }
        Ok(FunctionArn {
            home,
            name: name.to_owned(),
            qualifier,
        })
    }

    /// The same function without a qualifier.
    pub fn unqualified(&self) -> FunctionArn {
        FunctionArn {
            qualifier: None,
            ..self.clone()
        }
    }

    pub fn account_id(&self) -> &str {
        &self.home.account_id
    }
    pub fn region(&self) -> &str {
        &self.home.region
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn qualifier(&self) -> Option<&str> {
        self.qualifier.as_deref()
    }
}

/// A version or alias: 1 to 128 letters, digits, '-', '_' or '$'.
fn valid_qualifier(q: &str) -> bool {
    !q.is_empty()
        && q.len() <= 128
        && q.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'$')
}

impl LambdaArn {
    pub fn kind(&self) -> ArnKind {
        match self {
            LambdaArn::CodeSigningConfig(_) => ArnKind::CodeSigningConfig,
            LambdaArn::Layer(_) => ArnKind::Layer,
            LambdaArn::LayerVersion(_) => ArnKind::LayerVersion,
            LambdaArn::Function(_) => ArnKind::Function,
        }
    }
}

impl FromStr for LambdaArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let [partition, _service, region, account, resource] = fields(s, "lambda")?;
        let partition: Partition = partition.parse()?;
        let home = Home::new(partition, region, account)?;
        let parts: Vec<&str> = resource.split(':').collect();
        let wrong = || ArnError::Resource {
            expected: LAMBDA_RESOURCES,
            found: resource.to_owned(),
        };
        match parts[..] {
            ["code-signing-config", id] => {
                validate_csc_id(id)?;
                Ok(LambdaArn::CodeSigningConfig(CscArn {
                    home,
                    id: id.to_owned(),
                }))
            }
            ["layer", name] => {
                validate_layer_name(name)?;
                Ok(LambdaArn::Layer(LayerArn {
                    home,
                    name: name.to_owned(),
                }))
            }
            ["layer", name, version] => {
                validate_layer_name(name)?;
                let version = parse_layer_version(version)?;
                Ok(LambdaArn::LayerVersion(LayerVersionArn {
                    layer: LayerArn {
                        home,
                        name: name.to_owned(),
                    },
                    version,
                }))
            }
            ["function", name] | ["function", name, _] => {
                validate_function_name(name)?;
                let qualifier = parts.get(2).map(|q| (*q).to_owned());
                if qualifier.as_deref().is_some_and(|q| !valid_qualifier(q)) {
                    return Err(wrong());
                }
                Ok(LambdaArn::Function(FunctionArn {
                    home,
                    name: name.to_owned(),
                    qualifier,
                }))
            }
            _ => Err(wrong()),
        }
    }
}

macro_rules! lambda_kind {
    ($ty:ident, $variant:ident, $kind:ident) => {
        impl FromStr for $ty {
            type Err = ArnError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.parse::<LambdaArn>()? {
                    LambdaArn::$variant(arn) => Ok(arn),
                    other => Err(ArnError::WrongKind {
                        expected: ArnKind::$kind,
                        found: other.kind(),
                    }),
                }
            }
        }
    };
}

lambda_kind!(CscArn, CodeSigningConfig, CodeSigningConfig);
lambda_kind!(LayerArn, Layer, Layer);
lambda_kind!(LayerVersionArn, LayerVersion, LayerVersion);
lambda_kind!(FunctionArn, Function, Function);

impl fmt::Display for CscArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:code-signing-config:{}", self.home.prefix(), self.id)
    }
}

impl fmt::Display for LayerArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:layer:{}", self.home.prefix(), self.name)
    }
}

impl fmt::Display for LayerVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layer, self.version)
    }
}

impl fmt::Display for FunctionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:function:{}", self.home.prefix(), self.name)?;
        match &self.qualifier {
            Some(q) => write!(f, ":{q}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for LambdaArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LambdaArn::CodeSigningConfig(a) => a.fmt(f),
            LambdaArn::Layer(a) => a.fmt(f),
            LambdaArn::LayerVersion(a) => a.fmt(f),
            LambdaArn::Function(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSC: &str =
        "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0a1b2c3d4e5f6a7b8";
    const LAYER: &str = "arn:aws:lambda:eu-west-1:111111111111:layer:greeting-layer";
    const LAYER_VERSION: &str = "arn:aws:lambda:eu-west-1:111111111111:layer:greeting-layer:3";
    const FUNCTION: &str = "arn:aws-us-gov:lambda:us-gov-west-1:222222222222:function:app:live";

    #[test]
    fn valid_arns_round_trip_as_their_kind() {
        for (text, kind) in [
            (CSC, ArnKind::CodeSigningConfig),
            (LAYER, ArnKind::Layer),
            (LAYER_VERSION, ArnKind::LayerVersion),
            (FUNCTION, ArnKind::Function),
        ] {
            let arn: LambdaArn = text.parse().expect(text);
            assert_eq!(arn.kind(), kind);
            assert_eq!(arn.to_string(), text);
        }
        let version: LayerVersionArn = LAYER_VERSION.parse().expect("layer version");
        assert_eq!(
            (version.account_id(), version.name(), version.version()),
            ("111111111111", "greeting-layer", 3)
        );
        assert_eq!(version.layer_arn().to_string(), LAYER);
        let csc: CscArn = CSC.parse().expect("csc");
        assert_eq!(csc.id(), "csc-0a1b2c3d4e5f6a7b8");
    }

    #[test]
    fn malformed_arns_say_which_part_is_wrong() {
        type Expect = fn(&ArnError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("", |e| matches!(e, ArnError::Empty)),
            ("lambda:layer:x", |e| matches!(e, ArnError::NotAnArn { .. })),
            ("arn:aws:signer:us-east-1:123456789012:layer:x", |e| {
                matches!(e, ArnError::Service { .. })
            }),
            ("arn:aws:lambda:us-east-1:1234:layer:x", |e| {
                matches!(e, ArnError::Account { .. })
            }),
            (
                "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1",
                |e| matches!(e, ArnError::CscId { .. }),
            ),
            ("arn:aws:lambda:us-east-1:123456789012:layer:x:0", |e| {
                matches!(e, ArnError::LayerVersion { .. })
            }),
            ("arn:aws:lambda:us-east-1:123456789012:layer:x:abc", |e| {
                matches!(e, ArnError::LayerVersion { .. })
            }),
            (
                "arn:aws:lambda:us-east-1:123456789012:layer:bad name:1",
                |e| matches!(e, ArnError::LayerName { .. }),
            ),
            ("arn:aws:lambda:us-east-1:123456789012:alias:x", |e| {
                matches!(e, ArnError::Resource { .. })
            }),
        ];
        for (text, expected) in cases {
            let error = text.parse::<LambdaArn>().expect_err(text);
            assert!(expected(&error), "{text:?}: {error}");
        }
        assert!(matches!(
            LAYER.parse::<LayerVersionArn>(),
            Err(ArnError::WrongKind {
                expected: ArnKind::LayerVersion,
                found: ArnKind::Layer
            })
        ));
    }

    #[test]
    fn functions_are_named_by_name_partial_arn_or_arn() {
        let resolve = |text: &str| {
            FunctionArn::from_name_or_arn(text, Partition::Aws, "us-east-1", "111111111111").map(
                |arn| {
                    (
                        arn.unqualified().to_string(),
                        arn.qualifier().map(str::to_owned),
                    )
                },
            )
        };
        let full = "arn:aws:lambda:us-east-1:111111111111:function:orders".to_string();
        assert_eq!(resolve("orders"), Ok((full.clone(), None)));
        assert_eq!(
            resolve("orders:$LATEST"),
            Ok((full.clone(), Some("$LATEST".into())))
        );
        assert_eq!(
            resolve("111111111111:function:orders"),
            Ok((full.clone(), None))
        );
        assert_eq!(
            resolve("222222222222:function:orders:prod"),
            Ok((
                "arn:aws:lambda:us-east-1:222222222222:function:orders".into(),
                Some("prod".into())
            ))
        );
        assert_eq!(resolve(&full), Ok((full.clone(), None)));
        for bad in [
            "",
            "bad name",
            "a:b:c",
            "1:function:x",
            "orders:",
            "x:function:y:z:w",
        ] {
            assert!(resolve(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics() {
        use proptest::prelude::*;
        proptest!(|(s in "arn:aws:lambda:[a-z0-9:-]{0,60}")| {
            let _ = s.parse::<LambdaArn>();
        });
    }
}
