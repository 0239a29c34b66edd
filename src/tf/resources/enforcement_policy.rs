//! `data "lambdasign_enforcement_policy"`: the IAM policy of centralized
//! enforcement. Attached to developers, it lets them create functions (and
//! set a function's code signing config) only with one of the given code
//! signing configs, and denies them the administration of signing profiles
//! and code signing configs. Pure: no backend call.

use async_trait::async_trait;
use serde::Serialize;

use super::support::{set_attr, strings};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct EnforcementPolicyDataSource;

pub const DEFAULT_CONDITIONED_ACTIONS: [&str; 2] = [
    "lambda:CreateFunction",
    "lambda:PutFunctionCodeSigningConfig",
];
pub const DEFAULT_DENIED_ACTIONS: [&str; 4] = [
    "signer:PutSigningProfile",
    "lambda:CreateCodeSigningConfig",
    "lambda:UpdateCodeSigningConfig",
    "lambda:DeleteFunctionCodeSigningConfig",
];

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument {
    version: &'static str,
    statement: Vec<Statement>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    sid: &'static str,
    effect: &'static str,
    action: Vec<String>,
    resource: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<serde_json::Value>,
}

/// The policy document as JSON.
pub fn policy_json(csc_arns: &[String], conditioned: &[String], denied: &[String]) -> String {
    let mut statement = vec![Statement {
        sid: "AllowOnlyTrustedCodeSigningConfigs",
        effect: "Allow",
        action: conditioned.to_vec(),
        resource: "*",
        condition: Some(serde_json::json!({
            "ForAnyValue:StringEquals": { "lambda:CodeSigningConfig": csc_arns }
        })),
    }];
    if !denied.is_empty() {
        statement.push(Statement {
            sid: "DenyCodeSigningAdministration",
            effect: "Deny",
            action: denied.to_vec(),
            resource: "*",
            condition: None,
        });
    }
    serde_json::to_string_pretty(&PolicyDocument {
        version: "2012-10-17",
        statement,
    })
    .unwrap_or_default()
}

#[async_trait]
impl DataSource<Client> for EnforcementPolicyDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_enforcement_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new("The centralized-enforcement IAM policy document for developers: create functions only with one of the given code signing configs; no administration of signing profiles or code signing configs.")
            .attribute(Attribute::required("code_signing_config_arns", Type::list(Type::String)).describe("The code signing configs functions must use."))
            .attribute(Attribute::optional("conditioned_actions", Type::list(Type::String)).describe("Actions allowed only with one of those configs. Default: `lambda:CreateFunction`, `lambda:PutFunctionCodeSigningConfig`."))
            .attribute(Attribute::optional("denied_actions", Type::list(Type::String)).describe("Actions denied outright. Default: `signer:PutSigningProfile`, `lambda:CreateCodeSigningConfig`, `lambda:UpdateCodeSigningConfig`, `lambda:DeleteFunctionCodeSigningConfig`. An empty list leaves out the Deny statement."))
            .attribute(Attribute::computed("json", Type::String).describe("The policy document (IAM JSON)."))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(arns) = strings(config, "code_signing_config_arns") {
            if arns.is_empty() {
                diags.error_at(
                    AttributePath::attr("code_signing_config_arns"),
                    "No code signing configs",
                    "List at least one code signing config ARN.",
                );
            }
        }
        if strings(config, "conditioned_actions").is_some_and(|a| a.is_empty()) {
            diags.error_at(AttributePath::attr("conditioned_actions"), "No conditioned actions", "An IAM statement needs at least one action; leave `conditioned_actions` out for the defaults.");
        }
        for name in ["conditioned_actions", "denied_actions"] {
            for action in strings(config, name).unwrap_or_default() {
                if !action.contains(':') {
                    diags.error_at(
                        AttributePath::attr(name),
                        "Invalid action",
                        format!("{action:?} is not an IAM action such as lambda:CreateFunction."),
                    );
                }
            }
        }
        diags
    }

    async fn read(&self, _client: &Client, config: Value) -> DataSourceResponse {
        let defaults = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let arns = strings(&config, "code_signing_config_arns").unwrap_or_default();
        let conditioned = strings(&config, "conditioned_actions")
            .unwrap_or_else(|| defaults(&DEFAULT_CONDITIONED_ACTIONS));
        let denied =
            strings(&config, "denied_actions").unwrap_or_else(|| defaults(&DEFAULT_DENIED_ACTIONS));
        let mut state = config;
        set_attr(
            &mut state,
            "json",
            policy_json(&arns, &conditioned, &denied),
        );
        DataSourceResponse {
            state,
            diagnostics: Diagnostics::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_complete_iam_json() {
        let arns = vec![
            "arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0123456789abcdef0"
                .to_string(),
        ];
        let json = policy_json(
            &arns,
            &DEFAULT_CONDITIONED_ACTIONS.map(String::from),
            &DEFAULT_DENIED_ACTIONS.map(String::from),
        );
        let doc: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(doc["Version"], "2012-10-17");
        let allow = &doc["Statement"][0];
        assert_eq!(allow["Effect"], "Allow");
        assert_eq!(allow["Action"][0], "lambda:CreateFunction");
        assert_eq!(
            allow["Condition"]["ForAnyValue:StringEquals"]["lambda:CodeSigningConfig"][0],
            arns[0].as_str()
        );
        let deny = &doc["Statement"][1];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Action"].as_array().map(Vec::len), Some(4));
    }
}
