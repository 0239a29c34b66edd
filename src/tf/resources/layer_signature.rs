//! `data "lambdasign_layer_signature"`: for the account that consumes a
//! layer: who signed a layer version (possibly another account's, if it
//! granted this one), and optionally how it fares in Lambda's four checks
//! against a code signing config. A look-up: results are attributes, not
//! errors; use `lambdasign_verification` to block a plan.

use async_trait::async_trait;
use chrono::Utc;

use crate::domain::checks;
use crate::domain::facts::ArtifactRef;
use crate::domain::time::parse_time;
use crate::engine::rules::FieldRule;
use crate::engine::verification::{self, PolicyView};
use crate::engine::{layer_version, Engine};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::resources::verification::{check_type, checks_value};
use crate::tf::values::{opt_text, set, text};

pub struct LayerSignatureDataSource;

const LAYER_VERSION_ARN: &str = "layer_version_arn";
const CODE_SIGNING_CONFIG_ARN: &str = "code_signing_config_arn";
const AT: &str = "at";
const SIGNING_PROFILE_VERSION_ARN: &str = "signing_profile_version_arn";
const SIGNING_JOB_ARN: &str = "signing_job_arn";
const ALLOWED: &str = "allowed";
const CHECKS: &str = "checks";

fn layer_version_arn(text: &str) -> Result<(), crate::domain::names::Invalid> {
    text.parse::<crate::domain::arn::LayerVersionArn>()
        .map(|_| ())
        .map_err(|e| crate::domain::names::Invalid(format!("{text:?}: {e}")))
}

fn time(text: &str) -> Result<(), crate::domain::names::Invalid> {
    parse_time(text)
        .map(|_| ())
        .map_err(crate::domain::names::Invalid)
}

const RULES: &[FieldRule] = &[
    FieldRule::text(&[LAYER_VERSION_ARN], layer_version_arn),
    FieldRule::text(
        &[CODE_SIGNING_CONFIG_ARN],
        crate::engine::signed_artifact::csc_arn_rule,
    ),
    FieldRule::text(&[AT], time),
];

#[async_trait]
impl DataSource<Engine> for LayerSignatureDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_signature"
    }

    fn schema(&self) -> Schema {
        Schema::new("The signature of a layer version (possibly another account's, if it granted this one), and optionally its check results against a code signing config.")
            .attribute(Attribute::required(LAYER_VERSION_ARN, Type::String).describe("Layer version ARN."))
            .attribute(Attribute::optional(CODE_SIGNING_CONFIG_ARN, Type::String).describe("Evaluate the four checks against this config."))
            .attribute(Attribute::optional(AT, Type::String).describe("Evaluate as of this RFC 3339 time instead of now."))
            .attribute(Attribute::computed(SIGNING_PROFILE_VERSION_ARN, Type::String).describe("The profile version that signed the layer (null if unsigned)."))
            .attribute(Attribute::computed(SIGNING_JOB_ARN, Type::String).describe("The signing job (null if unsigned)."))
            .attribute(Attribute::computed(ALLOWED, Type::Bool).describe("With a config: whether Lambda would accept the layer."))
            .attribute(Attribute::computed(CHECKS, Type::list(check_type())).describe("With a config: the four checks' results."))
            .rules(RULES, &[])
    }

    async fn read(&self, engine: &Engine, config: Value) -> DataSourceResponse {
        let mut diagnostics = Diagnostics::new();
        let mut state = config.clone();
        let Some(arn) = text(&config, LAYER_VERSION_ARN) else {
            return DataSourceResponse { state, diagnostics };
        };
        let layer = match layer_version::read(engine, &arn).await {
            Ok(Some(layer)) => layer,
            Ok(None) => {
                diagnostics.error(
                    "Layer version not found",
                    format!("{arn} does not exist or is not visible to this account."),
                );
                return DataSourceResponse { state, diagnostics };
            }
            Err(e) => {
                convert::error(&mut diagnostics, "Cannot read the layer version", &e);
                return DataSourceResponse { state, diagnostics };
            }
        };
        set(
            &mut state,
            SIGNING_PROFILE_VERSION_ARN,
            opt_text(layer.signing_profile_version_arn.as_deref()),
        );
        set(
            &mut state,
            SIGNING_JOB_ARN,
            opt_text(layer.signing_job_arn.as_deref()),
        );
        if let Some(csc) = text(&config, CODE_SIGNING_CONFIG_ARN) {
            let at = text(&config, AT)
                .and_then(|t| parse_time(&t).ok())
                .unwrap_or_else(Utc::now);
            let verdict = async {
                let facts =
                    verification::facts(engine, &ArtifactRef::LayerVersion(arn.clone())).await?;
                match verification::policy(engine, &csc).await? {
                    PolicyView::Known(policy) => Ok(Some(checks::evaluate(&facts, &policy, at))),
                    PolicyView::Unknown(_) => Ok(None),
                }
            };
            match verdict.await {
                Ok(Some(verdict)) => {
                    set(&mut state, ALLOWED, verdict.allowed);
                    set(&mut state, CHECKS, checks_value(&verdict));
                }
                Ok(None) => {}
                Err(e) => convert::error(&mut diagnostics, "Cannot check the layer", &e),
            }
        }
        DataSourceResponse { state, diagnostics }
    }
}
