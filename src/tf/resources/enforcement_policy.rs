//! `data "lambdasign_enforcement_policy"`: the centralized-enforcement IAM
//! policy document (`domain::enforcement_policy`). Pure: no backend call.

use async_trait::async_trait;

use crate::domain::enforcement_policy::{
    policy_json, DEFAULT_CONDITIONED_ACTIONS, DEFAULT_DENIED_ACTIONS,
};
use crate::domain::names::Invalid;
use crate::engine::rules::FieldRule;
use crate::engine::Engine;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::values::{set, texts};

pub struct EnforcementPolicyDataSource;

const CODE_SIGNING_CONFIG_ARNS: &str = "code_signing_config_arns";
const CONDITIONED_ACTIONS: &str = "conditioned_actions";
const DENIED_ACTIONS: &str = "denied_actions";
const JSON: &str = "json";

fn iam_action(text: &str) -> Result<(), Invalid> {
    match text.split_once(':') {
        Some((service, action)) if !service.is_empty() && !action.is_empty() => Ok(()),
        _ => Err(Invalid(format!(
            "{text:?} is not an IAM action such as lambda:CreateFunction"
        ))),
    }
}

const RULES: &[FieldRule] = &[
    FieldRule::each(
        &[CODE_SIGNING_CONFIG_ARNS],
        crate::engine::signed_artifact::csc_arn_rule,
    ),
    FieldRule::each(&[CONDITIONED_ACTIONS], iam_action),
    FieldRule::each(&[DENIED_ACTIONS], iam_action),
];

#[async_trait]
impl DataSource<Engine> for EnforcementPolicyDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_enforcement_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new("The centralized-enforcement IAM policy document for developers: create functions only with one of the given code signing configs; no administration of signing profiles or code signing configs.")
            .attribute(Attribute::required(CODE_SIGNING_CONFIG_ARNS, Type::list(Type::String)).describe("The code signing configs functions must use."))
            .attribute(Attribute::optional(CONDITIONED_ACTIONS, Type::list(Type::String)).describe("Actions allowed only with one of those configs. Default: `lambda:CreateFunction`, `lambda:PutFunctionCodeSigningConfig`."))
            .attribute(Attribute::optional(DENIED_ACTIONS, Type::list(Type::String)).describe("Actions denied outright. Default: `signer:PutSigningProfile`, `lambda:CreateCodeSigningConfig`, `lambda:UpdateCodeSigningConfig`, `lambda:DeleteFunctionCodeSigningConfig`. An empty list leaves out the Deny statement."))
            .attribute(Attribute::computed(JSON, Type::String).describe("The policy document (IAM JSON)."))
            .rules(RULES, &[])
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if texts(config, CODE_SIGNING_CONFIG_ARNS).is_some_and(|a| a.is_empty()) {
            diags.error_at(
                AttributePath::attr(CODE_SIGNING_CONFIG_ARNS),
                "No code signing configs",
                "List at least one code signing config ARN.",
            );
        }
        if texts(config, CONDITIONED_ACTIONS).is_some_and(|a| a.is_empty()) {
            diags.error_at(AttributePath::attr(CONDITIONED_ACTIONS), "No conditioned actions", "An IAM statement needs at least one action; leave `conditioned_actions` out for the defaults.");
        }
    }

    async fn read(&self, _engine: &Engine, config: Value) -> DataSourceResponse {
        let defaults = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let arns = texts(&config, CODE_SIGNING_CONFIG_ARNS).unwrap_or_default();
        let conditioned = texts(&config, CONDITIONED_ACTIONS)
            .unwrap_or_else(|| defaults(&DEFAULT_CONDITIONED_ACTIONS));
        let denied =
            texts(&config, DENIED_ACTIONS).unwrap_or_else(|| defaults(&DEFAULT_DENIED_ACTIONS));
        let mut state = config;
        set(&mut state, JSON, policy_json(&arns, &conditioned, &denied));
        DataSourceResponse {
            state,
            diagnostics: Diagnostics::new(),
        }
    }
}
