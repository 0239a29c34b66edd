//! `data "lambdasign_code_signing_config"`: a code signing config by ARN,
//! with the AWS provider's attributes in this provider's flat shape.

use async_trait::async_trait;

use crate::domain::time::format_time;
use crate::engine::code_signing_config::{self as engine, field::*};
use crate::engine::rules::FieldRule;
use crate::engine::Engine;
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::values::{map, set, text, text_set};

pub struct CodeSigningConfigDataSource;

const RULES: &[FieldRule] = &[FieldRule::text(
    &[ARN],
    crate::engine::signed_artifact::csc_arn_rule,
)];

#[async_trait]
impl DataSource<Engine> for CodeSigningConfigDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_code_signing_config"
    }

    fn schema(&self) -> Schema {
        Schema::new("Looks up a code signing config by ARN.")
            .attribute(Attribute::required(ARN, Type::String).describe("ARN of the config."))
            .attribute(Attribute::computed(CONFIG_ID, Type::String).describe("Id of the config (`csc-...`)."))
            .attribute(Attribute::computed(ALLOWED_PUBLISHERS, Type::set(Type::String)).describe("The allowed signing profile version ARNs (the AWS provider's `allowed_publishers[0].signing_profile_version_arns`)."))
            .attribute(Attribute::computed(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, Type::String).describe("`Warn` or `Enforce` (the AWS provider's `policies[0].untrusted_artifact_on_deployment`)."))
            .attribute(Attribute::computed(DESCRIPTION, Type::String).describe("Description."))
            .attribute(Attribute::computed(LAST_MODIFIED, Type::String).describe("When the config last changed (RFC 3339)."))
            .attribute(Attribute::computed(TAGS, Type::map(Type::String)).describe("Tags."))
            .rules(RULES, &[])
    }

    async fn read(&self, engine: &Engine, config: Value) -> DataSourceResponse {
        let mut diagnostics = Diagnostics::new();
        let mut state = config;
        let Some(arn) = text(&state, ARN) else {
            return DataSourceResponse { state, diagnostics };
        };
        match engine::read(engine, &arn).await {
            Ok(Some(csc)) => {
                set(&mut state, CONFIG_ID, csc.id.as_str());
                set(
                    &mut state,
                    ALLOWED_PUBLISHERS,
                    text_set(&csc.allowed_publishers),
                );
                set(
                    &mut state,
                    UNTRUSTED_ARTIFACT_ON_DEPLOYMENT,
                    csc.enforcement.as_str(),
                );
                set(&mut state, DESCRIPTION, csc.description.as_str());
                set(&mut state, LAST_MODIFIED, format_time(csc.last_modified));
                set(&mut state, TAGS, map(&csc.tags));
            }
            Ok(None) => diagnostics.error(
                "Code signing config not found",
                format!("{arn} does not exist."),
            ),
            Err(e) => convert::error(&mut diagnostics, "Cannot read the code signing config", &e),
        }
        DataSourceResponse { state, diagnostics }
    }
}
