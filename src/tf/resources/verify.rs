//! Verification as resources and data sources report it: load a CSC's
//! policy, evaluate the four checks for an artifact, and turn the verdict
//! into diagnostics (errors for blocking failures, warnings for `Warn`) and
//! into state values.

use chrono::{DateTime, Utc};

use crate::backend::{ArtifactRef, CodeSigningConfig, UntrustedArtifactAction};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::provider::Client;
use crate::tf::resources::support::{backend_error_at, Object};
use crate::domain::checks::{self, Enforcement, Facts, Policy, Status, Verdict};

/// The type of one check result in state.
pub fn check_type() -> Type {
    Type::object([
        ("check", Type::String),
        ("status", Type::String),
        ("blocking", Type::Bool),
        ("reason", Type::String),
    ])
}

pub fn enforcement(action: UntrustedArtifactAction) -> Enforcement {
    match action {
        UntrustedArtifactAction::Warn => Enforcement::Warn,
        UntrustedArtifactAction::Enforce => Enforcement::Enforce,
    }
}

/// The policy a CSC stands for.
pub fn policy_of(csc: &CodeSigningConfig) -> Result<Policy, String> {
    Policy::new(
        &csc.allowed_publishers,
        enforcement(csc.untrusted_artifact_on_deployment),
    )
    .map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Loads a CSC and its policy; failures become an error at `path`.
pub async fn load_policy(
    client: &Client,
    csc_arn: &str,
    path: AttributePath,
    diags: &mut Diagnostics,
) -> Option<Policy> {
    let csc = match client.backend.get_code_signing_config(csc_arn).await {
        Ok(csc) => csc,
        Err(e) => {
            backend_error_at(
                diags,
                path,
                &format!("read code signing config {csc_arn}"),
                &e,
            );
            return None;
        }
    };
    match policy_of(&csc) {
        Ok(policy) => Some(policy),
        Err(reason) => {
            diags.error_at(
                path,
                "Invalid code signing config",
                format!("{csc_arn}: {reason}"),
            );
            None
        }
    }
}

/// Evaluates the four checks for one artifact against one policy.
pub async fn evaluate(
    client: &Client,
    artifact: &ArtifactRef,
    policy: &Policy,
    at: DateTime<Utc>,
    path: AttributePath,
    diags: &mut Diagnostics,
) -> Option<Verdict> {
    match client.backend.signature_facts(artifact).await {
        Ok(facts) => Some(checks::evaluate(&facts, policy, at)),
        Err(e) => {
            backend_error_at(diags, path, "read the artifact's signature", &e);
            None
        }
    }
}

/// Checks one artifact, whose signature facts were read once, against
/// every config in `verify_against`; diagnostics point at that attribute.
pub async fn report_against_configs(
    client: &Client,
    facts: &Facts,
    cscs: &[String],
    subject: &str,
    diags: &mut Diagnostics,
) {
    let path = AttributePath::attr("verify_against");
    for csc in cscs {
        if let Some(policy) = load_policy(client, csc, path.clone(), diags).await {
            let verdict = checks::evaluate(facts, &policy, Utc::now());
            report(&verdict, subject, csc, &path, diags);
        }
    }
}

/// One diagnostic per failed check: an error if it blocks deployment, a
/// warning if Lambda would deploy anyway (`Warn`).
pub fn report(
    verdict: &Verdict,
    subject: &str,
    against: &str,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    for result in &verdict.results {
        let Status::Failed { blocking } = result.status else {
            continue;
        };
        let summary = format!("{subject}: {} check failed", result.check);
        let detail = format!("{}\n\nChecked against {against}.", result.reason);
        if blocking {
            diags.error_at(
                path.clone(),
                summary,
                format!("{detail} Lambda would reject this deployment."),
            );
        } else {
            diags.warning_at(
                path.clone(),
                summary,
                format!("{detail} Lambda would deploy it (policy Warn) and log a warning."),
            );
        }
    }
}

/// The verdict's results as a state value: a list of check objects.
pub fn checks_value(verdict: &Verdict) -> Value {
    Value::List(
        verdict
            .results
            .iter()
            .map(|result| {
                let (status, blocking) = match result.status {
                    Status::Passed => ("passed", false),
                    Status::Failed { blocking } => ("failed", blocking),
                    Status::NotApplicable => ("not_applicable", false),
                };
                Object::new()
                    .set("check", result.check.to_string())
                    .set("status", status)
                    .set("blocking", blocking)
                    .set("reason", result.reason.as_str())
                    .build()
            })
            .collect(),
    )
}
