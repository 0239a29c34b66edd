//! `lambdasign_code_signing_config`: a Lambda code signing config (CSC):
//! which signing profile versions Lambda trusts, and whether untrusted code
//! is rejected (`Enforce`) or deployed with a warning (`Warn`).

use async_trait::async_trait;

use super::support::{
    backend_error, destroyed, format_time, refreshed, string, string_map, string_set, strings,
    tags_value, Object,
};
use crate::backend::{CodeSigningConfig, CodeSigningConfigInput, UntrustedArtifactAction};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;
use crate::domain::arn::{parse_publisher, PublisherError};
use crate::domain::checks::MAX_ALLOWED_PUBLISHERS;

pub struct CodeSigningConfigResource;

const MAX_DESCRIPTION: usize = 256;

#[async_trait]
impl Resource<Client> for CodeSigningConfigResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_code_signing_config"
    }

    fn schema(&self) -> Schema {
        Schema::new("A Lambda code signing config. Every argument updates in place. Deleting a config that functions still use fails and names them.")
            .attribute(Attribute::required("allowed_publishers", Type::set(Type::String)).describe("1 to 20 signing profile **version** ARNs (a profile's `version_arn`)."))
            .attribute(Attribute::optional_computed("untrusted_artifact_on_deployment", Type::String).describe("`Warn` (default): deploy and log failed checks. `Enforce`: reject. Integrity failures are always rejected."))
            .attribute(Attribute::optional("description", Type::String).describe("Up to 256 characters."))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags."))
            .attribute(Attribute::computed("arn", Type::String).describe("ARN of the config."))
            .attribute(Attribute::computed("config_id", Type::String).describe("Id of the config (`csc-...`)."))
            .attribute(Attribute::computed("last_modified", Type::String).describe("When the config last changed (RFC 3339)."))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(publishers) = strings(config, "allowed_publishers") {
            validate_publishers(&publishers, &mut diags);
        }
        if let Some(action) = string(config, "untrusted_artifact_on_deployment") {
            if UntrustedArtifactAction::parse(&action).is_none() {
                diags.error_at(
                    AttributePath::attr("untrusted_artifact_on_deployment"),
                    "Invalid policy",
                    format!("{action:?} must be \"Warn\" or \"Enforce\"."),
                );
            }
        }
        if let Some(description) = string(config, "description") {
            if description.chars().count() > MAX_DESCRIPTION {
                diags.error_at(
                    AttributePath::attr("description"),
                    "Description too long",
                    format!(
                        "The description has {} characters; at most {MAX_DESCRIPTION} are allowed.",
                        description.chars().count()
                    ),
                );
            }
        }
        diags
    }

    async fn plan(&self, _client: &Client, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_state;
        if planned
            .get_attr("untrusted_artifact_on_deployment")
            .is_some_and(Value::is_null)
        {
            super::support::set_attr(&mut planned, "untrusted_artifact_on_deployment", "Warn");
        }
        if request.prior_state.is_null() {
            plan::mark_computed_unknown(&self.schema(), &mut planned);
        } else if planned != request.prior_state {
            plan::set_unknown(&mut planned, "last_modified");
        }
        PlanResponse {
            planned_state: planned,
            planned_private: request.prior_private,
            ..PlanResponse::default()
        }
    }

    async fn apply(&self, client: &Client, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            private: request.planned_private,
            ..ApplyResponse::default()
        };
        let prior = request.prior_state;
        let planned = request.planned_state;
        if planned.is_null() {
            let arn = string(&prior, "arn").unwrap_or_default();
            let result = client.backend.delete_code_signing_config(&arn).await;
            destroyed(
                result,
                prior,
                &format!("delete code signing config {arn}"),
                &mut response,
            );
            return response;
        }
        let input = CodeSigningConfigInput {
            allowed_publishers: strings(&planned, "allowed_publishers").unwrap_or_default(),
            untrusted_artifact_on_deployment: string(&planned, "untrusted_artifact_on_deployment")
                .and_then(|a| UntrustedArtifactAction::parse(&a))
                .unwrap_or(UntrustedArtifactAction::Warn),
            description: string(&planned, "description").unwrap_or_default(),
            tags: string_map(&planned, "tags").unwrap_or_default(),
        };
        let result = if prior.is_null() {
            client.backend.create_code_signing_config(input).await
        } else {
            let arn = string(&prior, "arn").unwrap_or_default();
            client.backend.update_code_signing_config(&arn, input).await
        };
        match result {
            Ok(csc) => response.new_state = state_of(&csc, &planned),
            Err(e) => {
                backend_error(
                    &mut response.diagnostics,
                    "save the code signing config",
                    &e,
                );
                response.new_state = prior;
            }
        }
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let arn = string(&request.current_state, "arn").unwrap_or_default();
        let found = client.backend.get_code_signing_config(&arn).await.map(Some);
        refreshed(
            found,
            request,
            &format!("read code signing config {arn}"),
            state_of,
        )
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match client.backend.get_code_signing_config(id).await {
            Ok(csc) => response.state = state_of(&csc, &Value::Null),
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("import code signing config {id:?} (import by ARN)"),
                &e,
            ),
        }
        response
    }
}

/// 1 to 20 profile version ARNs; a profile ARN without its version is the
/// usual mistake, so it gets a hint of its own.
pub fn validate_publishers(publishers: &[String], diags: &mut Diagnostics) {
    let path = AttributePath::attr("allowed_publishers");
    if publishers.is_empty() || publishers.len() > MAX_ALLOWED_PUBLISHERS {
        diags.error_at(path.clone(), "Wrong number of allowed publishers", format!("A code signing config lists 1 to {MAX_ALLOWED_PUBLISHERS} signing profile version ARNs; this one lists {}.", publishers.len()));
    }
    for publisher in publishers {
        match parse_publisher(publisher) {
            Ok(_) => {}
            Err(e @ PublisherError::MissingVersion { .. }) => diags.error_at(
                path.clone(),
                "Signing profile ARN without a version",
                e.to_string(),
            ),
            Err(e) => diags.error_at(
                path.clone(),
                "Invalid allowed publisher",
                format!("{publisher:?}: {e}"),
            ),
        }
    }
}

fn state_of(csc: &CodeSigningConfig, prior: &Value) -> Value {
    Object::new()
        .set("allowed_publishers", string_set(&csc.allowed_publishers))
        .set(
            "untrusted_artifact_on_deployment",
            csc.untrusted_artifact_on_deployment.as_str(),
        )
        .set(
            "description",
            if csc.description.is_empty()
                && prior.get_attr("description").is_none_or(Value::is_null)
            {
                Value::Null
            } else {
                Value::string(csc.description.as_str())
            },
        )
        .set("tags", tags_value(&csc.tags, prior.get_attr("tags")))
        .set("arn", csc.arn.as_str())
        .set("config_id", csc.id.as_str())
        .set("last_modified", format_time(csc.last_modified))
        .build()
}
