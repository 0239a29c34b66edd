//! A Lambda function deployment checked as Lambda checks it at deploy time:
//! the function's code and each of its layers, under the function's code
//! signing config, through the four checks. CloudFormation's
//! pre-deployment hook asks this before Lambda is called.
//!
//! Every artifact is judged by its bytes, as Lambda judges it: function code
//! is the S3 object version the deployment names (wherever it is stored and
//! whatever its key), a layer is the content Lambda holds for it. What the
//! backend could not check in full (another account's signature, read
//! without access to its signer's records) is said in the verdict's note;
//! Lambda still checks it at deploy time.

use chrono::{DateTime, Utc};

use super::verification::{self, PolicyView};
use super::{Engine, EngineError, EngineResult, ErrorKind};
use crate::domain::checks::{self, Enforcement, Facts, Verdict};
use crate::domain::facts::{ArtifactRef, Evidence};
use crate::domain::field::FieldPath;

/// The fields a deployment names, for errors.
pub mod field {
    pub const CODE_SIGNING_CONFIG_ARN: &str = "code_signing_config_arn";
    pub const CODE: &str = "code";
    pub const LAYERS: &str = "layers";
}

/// A function's code, as a deployment names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionCode {
    /// A zip in S3.
    Object {
        bucket: String,
        key: String,
        version: Option<String>,
    },
    /// Code inlined in the request (no signature can travel with it).
    Inline,
    /// A container image: Lambda does not code-sign images.
    Image(String),
}

/// What a deployment would put in front of Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub code_signing_config_arn: String,
    pub code: FunctionCode,
    /// Layer version ARNs, in order.
    pub layers: Vec<String>,
}

/// What the checks say of one artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactVerdict {
    /// `code`, or `layer <arn>`.
    pub name: String,
    /// `None`: not checked (a container image), or it cannot be deployed at
    /// all (`problem`).
    pub verdict: Option<Verdict>,
    /// Why the artifact counts as unsigned, or why it was not checked.
    pub note: Option<String>,
    /// A reason the deployment fails whatever the checks say (a layer that
    /// does not exist).
    pub problem: Option<String>,
}

impl ArtifactVerdict {
    /// Whether Lambda would refuse the deployment because of this artifact.
    pub fn blocks(&self) -> bool {
        self.problem.is_some() || self.verdict.as_ref().is_some_and(|v| !v.allowed)
    }
}

/// The deployment's verdict: one entry for the code, one per layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentVerdict {
    pub code_signing_config_arn: String,
    pub enforcement: Enforcement,
    pub artifacts: Vec<ArtifactVerdict>,
}

impl DeploymentVerdict {
    pub fn allowed(&self) -> bool {
        !self.artifacts.iter().any(ArtifactVerdict::blocks)
    }

    /// One sentence per blocking failure: integrity always, the other
    /// checks under Enforce.
    pub fn blocking(&self) -> Vec<String> {
        let mut out = Vec::new();
        for artifact in &self.artifacts {
            if let Some(problem) = &artifact.problem {
                out.push(format!("{}: {problem}", artifact.name));
            }
            if let Some(verdict) = &artifact.verdict {
                for result in verdict.blocking() {
                    out.push(self.sentence(artifact, &result.check.to_string(), &result.reason));
                }
            }
        }
        out
    }

    /// What could not be checked in full, for artifacts that were checked
    /// (Lambda still checks it at deploy time).
    pub fn limits(&self) -> Vec<String> {
        self.artifacts
            .iter()
            .filter(|a| a.verdict.is_some())
            .filter_map(|a| a.note.as_ref().map(|n| format!("{}: {n}", a.name)))
            .collect()
    }

    /// One sentence per failure Lambda would only log (Warn).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for artifact in &self.artifacts {
            if let Some(verdict) = &artifact.verdict {
                for result in verdict.warnings() {
                    out.push(self.sentence(artifact, &result.check.to_string(), &result.reason));
                }
            } else if let Some(note) = &artifact.note {
                out.push(format!("{}: not checked: {note}", artifact.name));
            }
        }
        out
    }

    fn sentence(&self, artifact: &ArtifactVerdict, check: &str, reason: &str) -> String {
        let note = artifact
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        format!("{}: {check} check failed: {reason}{note}", artifact.name)
    }
}

/// Checks a deployment against its code signing config as of `at`.
/// A config that cannot be read is an error (NotFound when it does not
/// exist); a layer that does not exist is a blocking problem.
pub async fn check(
    engine: &Engine,
    deployment: &Deployment,
    at: DateTime<Utc>,
) -> EngineResult<DeploymentVerdict> {
    let csc = &deployment.code_signing_config_arn;
    let policy = match verification::policy(engine, csc)
        .await
        .map_err(|e| e.at(FieldPath::field(field::CODE_SIGNING_CONFIG_ARN)))?
    {
        PolicyView::Known(policy) => policy,
        PolicyView::Unknown(partial) => {
            return Err(EngineError::new(
                ErrorKind::NotStabilized,
                format!("the policy of {csc} is not known yet ({})", partial.why),
            ))
        }
    };
    let mut artifacts = Vec::with_capacity(1 + deployment.layers.len());
    let (facts, note, problem) = match &deployment.code {
        FunctionCode::Object {
            bucket,
            key,
            version,
        } => {
            let object = ArtifactRef::S3Object {
                bucket: bucket.clone(),
                key: key.clone(),
                version: version.clone(),
            };
            match judged(engine, &object, field::CODE).await? {
                Ok((facts, note)) => (Some(facts), note, None),
                Err(gone) => (
                    None,
                    None,
                    Some(format!("Lambda cannot read the code: {gone}")),
                ),
            }
        }
        FunctionCode::Inline => (
            Some(Facts::default()),
            Some("inline code (ZipFile) carries no signature".to_string()),
            None,
        ),
        FunctionCode::Image(uri) => (
            None,
            Some(format!(
                "{uri} is a container image; Lambda does not apply code signing to images"
            )),
            None,
        ),
    };
    artifacts.push(ArtifactVerdict {
        name: match &deployment.code {
            FunctionCode::Object {
                bucket,
                key,
                version,
            } => format!(
                "code s3://{bucket}/{key}{}",
                version
                    .as_ref()
                    .map(|v| format!(" (version {v})"))
                    .unwrap_or_default()
            ),
            _ => "code".to_string(),
        },
        verdict: facts.map(|facts| checks::evaluate(&facts, &policy, at)),
        note,
        problem,
    });
    for arn in &deployment.layers {
        let name = format!("layer {arn}");
        let layer = ArtifactRef::LayerVersion(arn.clone());
        artifacts.push(match judged(engine, &layer, field::LAYERS).await? {
            Ok((facts, note)) => ArtifactVerdict {
                name,
                verdict: Some(checks::evaluate(&facts, &policy, at)),
                note,
                problem: None,
            },
            Err(gone) => ArtifactVerdict {
                name,
                verdict: None,
                note: None,
                problem: Some(format!(
                    "Lambda cannot use the layer version: it does not exist or is not shared with this account ({gone})"
                )),
            },
        });
    }
    Ok(DeploymentVerdict {
        code_signing_config_arn: csc.clone(),
        enforcement: policy.enforcement(),
        artifacts,
    })
}

/// The facts of an artifact from its bytes, and a note on what could not
/// be checked in full; `Err` with the reason when it does not exist (or
/// cannot be read by this account).
async fn judged(
    engine: &Engine,
    artifact: &ArtifactRef,
    field: &'static str,
) -> EngineResult<Result<(Facts, Option<String>), String>> {
    match verification::evidence_and_facts(engine, artifact).await {
        Ok((evidence, facts)) => {
            let note = match &evidence {
                Evidence::Signed(signed) => signed.bytes.unchecked().map(|why| {
                    format!("not fully checked here: {why}; Lambda checks the signature itself at deploy time")
                }),
                Evidence::Unsigned => None,
            };
            Ok(Ok((facts, note)))
        }
        // Lambda fails the deployment for what it cannot find or read.
        Err(e) if e.is_not_found() || e.kind == ErrorKind::AccessDenied => Ok(Err(e.message)),
        Err(e) => Err(e.at(FieldPath::field(field))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checks::{Check, CheckResult, Status};

    fn verdict(check: Check, blocking: bool) -> Verdict {
        Verdict {
            results: vec![CheckResult {
                check,
                status: Status::Failed { blocking },
                reason: "because".into(),
            }],
            allowed: !blocking,
        }
    }

    #[test]
    fn blocking_failures_and_warnings_are_told_apart() {
        let outcome = DeploymentVerdict {
            code_signing_config_arn: "csc".into(),
            enforcement: Enforcement::Warn,
            artifacts: vec![
                ArtifactVerdict {
                    name: "code".into(),
                    verdict: Some(verdict(Check::SourceMismatch, false)),
                    note: Some("unsigned".into()),
                    problem: None,
                },
                ArtifactVerdict {
                    name: "layer a".into(),
                    verdict: Some(verdict(Check::Integrity, true)),
                    note: None,
                    problem: None,
                },
                ArtifactVerdict {
                    name: "layer b".into(),
                    verdict: None,
                    note: None,
                    problem: Some("does not exist".into()),
                },
            ],
        };
        assert!(!outcome.allowed());
        assert_eq!(
            outcome.blocking(),
            vec![
                "layer a: integrity check failed: because".to_string(),
                "layer b: does not exist".to_string()
            ]
        );
        assert_eq!(
            outcome.warnings(),
            vec!["code: source mismatch check failed: because (unsigned)".to_string()]
        );
    }
}
