//! Lambda functions as far as code signing reaches: their deployed code
//! (what signed it), their layers, the code signing config they use, and
//! the few configuration values Lambda's API reports with them. The rules
//! on a function's configuration values live here, once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::checks::{Check, Verdict};
use super::names::Invalid;
use super::tags::Tags;

/// Lambda's default timeout (seconds) and memory (MB).
pub const DEFAULT_TIMEOUT: i64 = 3;
pub const DEFAULT_MEMORY_SIZE: i64 = 128;
/// Most layers a function may use.
pub const MAX_LAYERS: usize = 5;
/// Lambda's longest handler.
pub const MAX_HANDLER: usize = 128;

/// What signed a piece of deployed code, as Lambda reports it (both `None`:
/// unsigned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedBy {
    pub signing_profile_version_arn: Option<String>,
    pub signing_job_arn: Option<String>,
}

/// A function's deployment package as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedCode {
    pub size: u64,
    /// Base64 of the package's SHA-256 (Lambda's `CodeSha256`).
    pub sha256_base64: String,
    /// Hex SHA-384 of the package (empty when the service does not say).
    pub sha384: String,
    pub signed_by: SignedBy,
}

/// A layer version a function uses, as recorded when it was attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionLayer {
    pub arn: String,
    pub code_size: u64,
    pub signed_by: SignedBy,
}

/// A Lambda function (its `$LATEST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub arn: String,
    pub owner: String,
    pub role: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub description: String,
    pub timeout: i64,
    pub memory_size: i64,
    pub architectures: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// `None`: a function known by name only (no code recorded).
    pub code: Option<DeployedCode>,
    pub layers: Vec<FunctionLayer>,
    pub code_signing_config_arn: Option<String>,
    pub revision_id: String,
    pub last_modified: DateTime<Utc>,
    pub tags: Tags,
}

/// Timeout in seconds: 1 to 900.
pub fn timeout(value: i64) -> Result<(), Invalid> {
    if (1..=900).contains(&value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{value} is not a function timeout: 1 to 900 seconds"
        )))
    }
}

/// Memory in MB: 128 to 10240.
pub fn memory_size(value: i64) -> Result<(), Invalid> {
    if (128..=10240).contains(&value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{value} is not a function memory size: 128 to 10240 MB"
        )))
    }
}

/// A handler such as `index.handler`: 1 to 128 characters without spaces.
pub fn handler(text: &str) -> Result<(), Invalid> {
    if !text.is_empty() && text.len() <= MAX_HANDLER && !text.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{text:?} is not a handler: 1 to {MAX_HANDLER} characters without spaces, such as \"index.handler\""
        )))
    }
}

/// At most [`MAX_LAYERS`] layer version ARNs, none twice.
pub fn layer_count(layers: &[String]) -> Result<(), Invalid> {
    if layers.len() > MAX_LAYERS {
        return Err(Invalid(format!(
            "{} layers; a function can use at most {MAX_LAYERS}",
            layers.len()
        )));
    }
    for (i, layer) in layers.iter().enumerate() {
        if layers[..i].contains(layer) {
            return Err(Invalid(format!("{layer} is listed twice")));
        }
    }
    Ok(())
}

/// The execution role: an IAM role ARN.
pub fn role(text: &str) -> Result<(), Invalid> {
    super::principal::role_arn(text)
}

/// Why Lambda refuses a deployment under a code signing config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The integrity check failed: refused whatever the policy
    /// (Lambda's `InvalidCodeSignatureException`).
    InvalidSignature,
    /// Expiry, source mismatch or revocation under `Enforce` (Lambda's
    /// `CodeVerificationFailedException`).
    VerificationFailed,
}

/// A deployment Lambda refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeployRejection {
    pub kind: RejectionKind,
    pub message: String,
}

/// Lambda's deploy-time decision over the verdicts of a function's code
/// and layers (each named by `subject`, such as "the code" or "layer ARN"):
/// any integrity failure refuses with `InvalidSignature`, any other
/// blocking failure with `VerificationFailed`; otherwise the deployment
/// goes ahead, with the failures Lambda only logs (`Warn`) returned.
pub fn deploy_decision(checked: &[(String, Verdict)]) -> Result<Vec<String>, DeployRejection> {
    let failures = |integrity: bool| -> Vec<String> {
        checked
            .iter()
            .flat_map(|(subject, verdict)| {
                verdict
                    .blocking()
                    .filter(move |r| (r.check == Check::Integrity) == integrity)
                    .map(move |r| format!("{subject}: {r}"))
            })
            .collect()
    };
    let integrity = failures(true);
    if !integrity.is_empty() {
        return Err(DeployRejection {
            kind: RejectionKind::InvalidSignature,
            message: format!(
                "Lambda cannot deploy the function: the signature is invalid. {}",
                integrity.join(" ")
            ),
        });
    }
    let blocking = failures(false);
    if !blocking.is_empty() {
        return Err(DeployRejection {
            kind: RejectionKind::VerificationFailed,
            message: format!(
                "Lambda cannot deploy the function: code signature verification failed under the Enforce policy. {}",
                blocking.join(" ")
            ),
        });
    }
    Ok(checked
        .iter()
        .flat_map(|(subject, verdict)| verdict.warnings().map(move |r| format!("{subject}: {r}")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_values_follow_lambdas_limits() {
        assert!(timeout(1).is_ok() && timeout(900).is_ok());
        assert!(timeout(0).is_err() && timeout(901).is_err());
        assert!(memory_size(128).is_ok() && memory_size(10240).is_ok());
        assert!(memory_size(127).is_err() && memory_size(10241).is_err());
        assert!(handler("index.handler").is_ok());
        assert!(handler("").is_err() && handler("a b").is_err());
        let arns: Vec<String> = (1..=6)
            .map(|v| format!("arn:aws:lambda:us-east-1:111111111111:layer:l:{v}"))
            .collect();
        assert!(layer_count(&arns[..5]).is_ok());
        assert!(layer_count(&arns).is_err());
        assert!(layer_count(&[arns[0].clone(), arns[0].clone()]).is_err());
        assert!(role("arn:aws:iam::111111111111:role/exec").is_ok());
        assert!(role("exec").is_err());
    }

    #[test]
    fn integrity_refuses_in_any_mode_other_failures_only_under_enforce() {
        use crate::domain::checks::{evaluate, Enforcement, Facts, Integrity, Policy, Signature};
        let allowed = "arn:aws:signer:us-east-1:111111111111:/signing-profiles/app/Ab3De6Gh9J";
        let other = "arn:aws:signer:us-east-1:111111111111:/signing-profiles/other/Zz9Yy8Xx7W";
        let now = chrono::Utc::now();
        let facts = |signer: &str, integrity: Integrity| Facts {
            signature: Some(Signature {
                integrity,
                profile_version_arn: signer.into(),
                job_arn: "arn:aws:signer:us-east-1:111111111111:/signing-jobs/j".into(),
                signed_at: now - chrono::Duration::days(1),
                expires_at: now + chrono::Duration::days(1),
            }),
            ..Facts::default()
        };
        let tampered = Integrity::Invalid {
            reason: "modified".into(),
        };
        for enforcement in [Enforcement::Warn, Enforcement::Enforce] {
            let policy = Policy::new(&[allowed], enforcement).expect("policy");
            let verdict = |f: &Facts| evaluate(f, &policy, now);
            let good = (
                "the code".to_string(),
                verdict(&facts(allowed, Integrity::Valid)),
            );
            assert_eq!(deploy_decision(std::slice::from_ref(&good)), Ok(vec![]));
            let bad = (
                "layer L".to_string(),
                verdict(&facts(allowed, tampered.clone())),
            );
            let refused = deploy_decision(&[good.clone(), bad]).expect_err("tampered");
            assert_eq!(refused.kind, RejectionKind::InvalidSignature);
            assert!(refused.message.contains("layer L"), "{refused}");
            let foreign = (
                "the code".to_string(),
                verdict(&facts(other, Integrity::Valid)),
            );
            let unsigned = ("layer U".to_string(), verdict(&Facts::default()));
            match enforcement {
                Enforcement::Enforce => {
                    let refused = deploy_decision(&[foreign, unsigned]).expect_err("enforce");
                    assert_eq!(refused.kind, RejectionKind::VerificationFailed);
                    assert!(refused.message.contains("layer U"), "{refused}");
                }
                Enforcement::Warn => {
                    let warnings = deploy_decision(&[foreign, unsigned]).expect("warn deploys");
                    assert_eq!(warnings.len(), 2, "{warnings:?}");
                }
            }
        }
    }
}
