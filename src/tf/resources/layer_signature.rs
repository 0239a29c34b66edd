//! `data "lambdasign_layer_signature"`: for the account that consumes a
//! layer: who signed a layer version, and (given a code signing config) how
//! it fares in Lambda's four checks. A look-up: results are attributes, not
//! errors; use `lambdasign_verification` to block a plan.

use async_trait::async_trait;
use chrono::Utc;

use super::support::{backend_error_at, opt_string, parse_time, set_attr, string};
use super::verify;
use crate::backend::ArtifactRef;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct LayerSignatureDataSource;

#[async_trait]
impl DataSource<Client> for LayerSignatureDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_signature"
    }

    fn schema(&self) -> Schema {
        Schema::new("The signature of a layer version (possibly another account's, if it granted this one), and optionally its check results against a code signing config.")
            .attribute(Attribute::required("layer_version_arn", Type::String).describe("Layer version ARN."))
            .attribute(Attribute::optional("code_signing_config_arn", Type::String).describe("Evaluate the four checks against this config."))
            .attribute(Attribute::optional("at", Type::String).describe("Evaluate as of this RFC 3339 time instead of now."))
            .attribute(Attribute::computed("signing_profile_version_arn", Type::String).describe("The profile version that signed the layer (null if unsigned)."))
            .attribute(Attribute::computed("signing_job_arn", Type::String).describe("The signing job (null if unsigned)."))
            .attribute(Attribute::computed("allowed", Type::Bool).describe("With a config: whether Lambda would accept the layer."))
            .attribute(Attribute::computed("checks", Type::list(verify::check_type())).describe("With a config: the four checks' results."))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(at) = string(config, "at") {
            if let Err(reason) = parse_time(&at) {
                diags.error_at(AttributePath::attr("at"), "Invalid time", reason);
            }
        }
        diags
    }

    async fn read(&self, client: &Client, config: Value) -> DataSourceResponse {
        let mut diags = Diagnostics::new();
        let arn = string(&config, "layer_version_arn").unwrap_or_default();
        let path = AttributePath::attr("layer_version_arn");
        let mut state = config.clone();
        match client.backend.get_layer_version(&arn).await {
            Ok(layer) => {
                set_attr(
                    &mut state,
                    "signing_profile_version_arn",
                    opt_string(layer.signing_profile_version_arn.as_deref()),
                );
                set_attr(
                    &mut state,
                    "signing_job_arn",
                    opt_string(layer.signing_job_arn.as_deref()),
                );
            }
            Err(e) => {
                backend_error_at(&mut diags, path, &format!("read layer version {arn}"), &e);
                return DataSourceResponse {
                    state,
                    diagnostics: diags,
                };
            }
        }
        if let Some(csc) = string(&config, "code_signing_config_arn") {
            let at = string(&config, "at")
                .and_then(|t| parse_time(&t).ok())
                .unwrap_or_else(Utc::now);
            if let Some(policy) = verify::load_policy(
                client,
                &csc,
                AttributePath::attr("code_signing_config_arn"),
                &mut diags,
            )
            .await
            {
                if let Some(verdict) = verify::evaluate(
                    client,
                    &ArtifactRef::LayerVersion(arn),
                    &policy,
                    at,
                    path,
                    &mut diags,
                )
                .await
                {
                    set_attr(&mut state, "allowed", verdict.allowed);
                    set_attr(&mut state, "checks", verify::checks_value(&verdict));
                }
            }
        }
        DataSourceResponse {
            state,
            diagnostics: diags,
        }
    }
}
