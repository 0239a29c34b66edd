//! The IAM policy of centralized enforcement. Attached to developers, it
//! lets them create functions (and set a function's code signing config)
//! only with one of the given code signing configs, and denies them the
//! administration of signing profiles and code signing configs.

use serde::Serialize;

/// Allowed to developers only with one of the given configs.
pub const DEFAULT_CONDITIONED_ACTIONS: [&str; 2] = [
    "lambda:CreateFunction",
    "lambda:PutFunctionCodeSigningConfig",
];
/// Denied to developers by default: creating profiles and changing configs.
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
    let document = PolicyDocument {
        version: "2012-10-17",
        statement,
    };
    // Plain strings and lists serialise infallibly.
    serde_json::to_string_pretty(&document).unwrap_or_default()
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
