//! `data "lambdasign_verification"`: what Lambda would decide at deploy
//! time, decided at plan time. Each artifact (function code or layer) is
//! checked against one policy (a CSC, or an inline `policy` block); every
//! blocking failure is an error diagnostic on that artifact's block, every
//! `Warn` failure a warning, and the results are attributes.

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::Utc;

use super::support::{block, parse_time, string, strings};
use super::verify;
use crate::backend::{ArtifactRef, UntrustedArtifactAction};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::provider::Client;
use crate::domain::checks::Policy;

pub struct VerificationDataSource;

const SOURCES: [&str; 3] = ["signed_file", "signing_job_arn", "layer_version_arn"];

#[async_trait]
impl DataSource<Client> for VerificationDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_verification"
    }

    fn schema(&self) -> Schema {
        let policy = Block::new("An inline policy, instead of `code_signing_config_arn`.")
            .attribute(
                Attribute::required("allowed_publishers", Type::set(Type::String))
                    .describe("1 to 20 signing profile version ARNs."),
            )
            .attribute(
                Attribute::optional("untrusted_artifact_on_deployment", Type::String)
                    .describe("`Warn` (default) or `Enforce`."),
            );
        let artifact = Block::new("One function code package or layer to check. Set exactly one of `signed_file`, `signing_job_arn`, `layer_version_arn`.")
            .attribute(Attribute::required("name", Type::String).describe("A name for the artifact, used in diagnostics."))
            .attribute(Attribute::optional("signed_file", Type::String).describe("A signed zip on disk."))
            .attribute(Attribute::optional("signing_job_arn", Type::String).describe("A signing job's ARN (its signed output is checked)."))
            .attribute(Attribute::optional("layer_version_arn", Type::String).describe("A layer version, as attached to the function."))
            .attribute(Attribute::computed("allowed", Type::Bool).describe("Whether Lambda would accept this artifact."))
            .attribute(Attribute::computed("checks", Type::list(verify::check_type())).describe("The four checks in Lambda's order: `check`, `status` (`passed`, `failed`, `not_applicable`), `blocking`, `reason`."));
        Schema::new("Verifies signed artifacts at plan time as Lambda would at deploy time: integrity, expiry, source mismatch and revocation under the code signing config's Warn/Enforce policy. Blocking failures are errors, Warn failures are warnings.")
            .attribute(Attribute::optional("code_signing_config_arn", Type::String).describe("The code signing config to check against."))
            .attribute(Attribute::optional("at", Type::String).describe("Evaluate as of this RFC 3339 time instead of now (e.g. to see what expires before a release)."))
            .attribute(Attribute::computed("allowed", Type::Bool).describe("Whether Lambda would accept every artifact."))
            .block(NestedBlock::single("policy", policy))
            .block(NestedBlock::list("artifact", artifact).items(1, 0))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let csc = config
            .get_attr("code_signing_config_arn")
            .is_some_and(|v| !v.is_null());
        let inline = config.get_attr("policy").is_some_and(|v| !v.is_null());
        if csc == inline {
            diags.error_at(
                AttributePath::attr("code_signing_config_arn"),
                "Exactly one policy",
                "Set `code_signing_config_arn` or a `policy` block (exactly one).",
            );
        }
        if let Some(policy) = block(config, "policy") {
            if let Some(publishers) = strings(policy, "allowed_publishers") {
                let mut inner = Diagnostics::new();
                super::code_signing_config::validate_publishers(&publishers, &mut inner);
                for d in inner {
                    diags.error_at(
                        AttributePath::attr("policy").then("allowed_publishers"),
                        d.summary,
                        d.detail,
                    );
                }
            }
            if let Some(action) = string(policy, "untrusted_artifact_on_deployment") {
                if UntrustedArtifactAction::parse(&action).is_none() {
                    diags.error_at(
                        AttributePath::attr("policy").then("untrusted_artifact_on_deployment"),
                        "Invalid policy",
                        format!("{action:?} must be \"Warn\" or \"Enforce\"."),
                    );
                }
            }
        }
        if let Some(at) = string(config, "at") {
            if let Err(reason) = parse_time(&at) {
                diags.error_at(AttributePath::attr("at"), "Invalid time", reason);
            }
        }
        for (index, artifact) in config
            .get_attr("artifact")
            .and_then(Value::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let set: Vec<&str> = SOURCES
                .iter()
                .copied()
                .filter(|s| artifact.get_attr(s).is_some_and(|v| !v.is_null()))
                .collect();
            if set.len() != 1 {
                diags.error_at(AttributePath::attr("artifact").index(index), "Exactly one artifact source", format!("Set exactly one of signed_file, signing_job_arn, layer_version_arn (found {}).", set.len()));
            }
        }
        diags
    }

    async fn read(&self, client: &Client, config: Value) -> DataSourceResponse {
        let mut diags = Diagnostics::new();
        let at = string(&config, "at")
            .and_then(|t| parse_time(&t).ok())
            .unwrap_or_else(Utc::now);
        let (policy, against) = match (
            string(&config, "code_signing_config_arn"),
            block(&config, "policy"),
        ) {
            (Some(arn), _) => (
                verify::load_policy(
                    client,
                    &arn,
                    AttributePath::attr("code_signing_config_arn"),
                    &mut diags,
                )
                .await,
                arn,
            ),
            (None, Some(inline)) => (
                inline_policy(inline, &mut diags),
                "the inline policy".to_string(),
            ),
            (None, None) => (None, String::new()),
        };
        let Some(policy) = policy else {
            return DataSourceResponse {
                state: config,
                diagnostics: diags,
            };
        };
        let mut all_allowed = true;
        let mut artifacts = Vec::new();
        for (index, artifact) in config
            .get_attr("artifact")
            .and_then(Value::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let name = string(artifact, "name").unwrap_or_default();
            let (field, reference) = if let Some(file) = string(artifact, "signed_file") {
                ("signed_file", ArtifactRef::SignedFile(PathBuf::from(file)))
            } else if let Some(job) = string(artifact, "signing_job_arn") {
                ("signing_job_arn", ArtifactRef::SigningJob(job))
            } else if let Some(layer) = string(artifact, "layer_version_arn") {
                ("layer_version_arn", ArtifactRef::LayerVersion(layer))
            } else {
                artifacts.push(artifact.clone());
                continue;
            };
            let path = AttributePath::attr("artifact").index(index).then(field);
            let mut result = artifact.clone();
            match verify::evaluate(client, &reference, &policy, at, path.clone(), &mut diags).await
            {
                Some(verdict) => {
                    let what = if field == "layer_version_arn" {
                        format!("Layer {name:?}")
                    } else {
                        format!("Artifact {name:?}")
                    };
                    verify::report(&verdict, &what, &against, &path, &mut diags);
                    all_allowed &= verdict.allowed;
                    super::support::set_attr(&mut result, "allowed", verdict.allowed);
                    super::support::set_attr(&mut result, "checks", verify::checks_value(&verdict));
                }
                None => all_allowed = false,
            }
            artifacts.push(result);
        }
        let mut state = config;
        super::support::set_attr(&mut state, "artifact", Value::List(artifacts));
        super::support::set_attr(&mut state, "allowed", all_allowed);
        DataSourceResponse {
            state,
            diagnostics: diags,
        }
    }
}

fn inline_policy(inline: &Value, diags: &mut Diagnostics) -> Option<Policy> {
    let publishers = strings(inline, "allowed_publishers").unwrap_or_default();
    let action = string(inline, "untrusted_artifact_on_deployment")
        .and_then(|a| UntrustedArtifactAction::parse(&a))
        .unwrap_or(UntrustedArtifactAction::Warn);
    match Policy::new(&publishers, verify::enforcement(action)) {
        Ok(policy) => Some(policy),
        Err(errors) => {
            for error in errors {
                diags.error_at(
                    AttributePath::attr("policy").then("allowed_publishers"),
                    "Invalid policy",
                    error.to_string(),
                );
            }
            None
        }
    }
}
