//! The `provider "lambdasign"` block: its schema, its validation, and the
//! typed configuration it becomes. `local { }` selects the embedded backend;
//! everything else configures the aws backend.

use std::path::PathBuf;

use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};

pub const DEFAULT_LOCAL_PATH: &str = ".lambdasign";
pub const DEFAULT_REGION: &str = "us-east-1";

/// The AWS-backend settings at the top level of the provider block.
const AWS_ATTRIBUTES: [&str; 3] = ["region", "profile", "max_retries"];
const AWS_BLOCKS: [&str; 2] = ["assume_role", "endpoints"];
const ENDPOINT_SERVICES: [&str; 4] = ["lambda", "signer", "s3", "sts"];

pub fn schema() -> Schema {
    let local = Block::new("Use the embedded, offline backend: Signer and Lambda's signing semantics emulated in one SQLite store. Several provider aliases (one per emulated account) may share one store.")
        .attribute(Attribute::optional("path", Type::String).describe(format!("Directory holding the store; created (mode 0700) if missing. Default `{DEFAULT_LOCAL_PATH}`.")))
        .attribute(Attribute::required("account_id", Type::String).describe("The 12-digit emulated AWS account this provider instance acts as."))
        .attribute(Attribute::optional("region", Type::String).describe(format!("The emulated region. Default `{DEFAULT_REGION}`.")));
    let assume_role =
        Block::new("Assume this IAM role for every call (one provider alias per account).")
            .attribute(
                Attribute::required("role_arn", Type::String)
                    .describe("ARN of the role to assume."),
            )
            .attribute(
                Attribute::optional("session_name", Type::String)
                    .describe("Session name recorded in CloudTrail."),
            )
            .attribute(
                Attribute::optional("external_id", Type::String)
                    .describe("External ID the role's trust policy requires."),
            );
    let mut endpoints = Block::new("Custom service endpoints (LocalStack, moto, VPC endpoints). S3 uses path-style addressing when set.");
    for service in ENDPOINT_SERVICES {
        endpoints = endpoints.attribute(
            Attribute::optional(service, Type::String)
                .describe(format!("Endpoint URL for {service}.")),
        );
    }
    Schema::new("Manage AWS Lambda code signing end to end, and verify at plan time what Lambda would decide at deploy time.")
        .attribute(Attribute::optional("region", Type::String).describe("AWS region (aws backend). Defaults to the SDK's region chain."))
        .attribute(Attribute::optional("profile", Type::String).describe("Shared-config profile name (aws backend)."))
        .attribute(Attribute::optional("max_retries", Type::Number).describe("Retries per AWS call after the first attempt (default 2), with the SDK's standard retry mode and backoff (aws backend)."))
        .block(NestedBlock::single("local", local))
        .block(NestedBlock::single("assume_role", assume_role))
        .block(NestedBlock::single("endpoints", endpoints))
}

/// Which backend the provider talks to, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendConfig {
    Local(LocalConfig),
    Aws(AwsConfig),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalConfig {
    pub path: PathBuf,
    pub account_id: String,
    pub region: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub max_retries: Option<u32>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Endpoints {
    pub lambda: Option<String>,
    pub signer: Option<String>,
    pub s3: Option<String>,
    pub sts: Option<String>,
}

/// Checks what can be checked while some values may still be unknown.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let local = config.get_attr("local").filter(|v| !v.is_null());
    if let Some(local) = local {
        for name in AWS_ATTRIBUTES.iter().chain(AWS_BLOCKS.iter()) {
            if config.get_attr(name).is_some_and(|v| !v.is_null()) {
                diags.error_at(
                    AttributePath::attr(*name),
                    "Conflicting backend settings",
                    format!("`{name}` configures the aws backend, but this provider block also has a `local` block, which selects the embedded backend. Remove one of them."),
                );
            }
        }
        let at = |name: &str| AttributePath::attr("local").then(name);
        if let Some(Value::String(account_id)) = local.get_attr("account_id") {
            check_account_id(account_id, at("account_id"), &mut diags);
        }
        if let Some(Value::String(region)) = local.get_attr("region") {
            check_region(region, at("region"), &mut diags);
        }
        if let Some(Value::String(path)) = local.get_attr("path") {
            if path.trim().is_empty() {
                diags.error_at(
                    at("path"),
                    "Empty store path",
                    "`path` must name a directory.",
                );
            }
        }
        return diags;
    }
    if let Some(Value::String(region)) = config.get_attr("region") {
        check_region(region, AttributePath::attr("region"), &mut diags);
    }
    if let Some(Value::Number(n)) = config.get_attr("max_retries") {
        if n.as_i64().is_none_or(|n| !(0..=100).contains(&n)) {
            diags.error_at(
                AttributePath::attr("max_retries"),
                "Invalid max_retries",
                format!("`max_retries` must be a whole number from 0 to 100, got {n}."),
            );
        }
    }
    if let Some(Value::String(arn)) = config
        .get_attr("assume_role")
        .and_then(|r| r.get_attr("role_arn"))
    {
        if !is_role_arn(arn) {
            diags.error_at(
                AttributePath::attr("assume_role").then("role_arn"),
                "Invalid role ARN",
                format!("{arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)."),
            );
        }
    }
    if let Some(endpoints) = config.get_attr("endpoints").filter(|v| !v.is_null()) {
        for service in ENDPOINT_SERVICES {
            if let Some(Value::String(url)) = endpoints.get_attr(service) {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    diags.error_at(
                        AttributePath::attr("endpoints").then(service),
                        "Invalid endpoint URL",
                        format!("{url:?} must be an http:// or https:// URL."),
                    );
                }
            }
        }
    }
    diags
}

/// Turns a validated configuration into typed settings. Unknown values are
/// an error here: the provider cannot act on a configuration it cannot see.
pub fn parse(config: &Value, diags: &mut Diagnostics) -> Option<BackendConfig> {
    let before = diags.iter().count();
    diags.extend(validate(config));
    if !config.is_wholly_known() {
        diags.error(
            "Provider configuration not known",
            "The provider configuration depends on values that are known only after apply. Use values known at plan time (variables, locals, literals).",
        );
    }
    if diags
        .iter()
        .skip(before)
        .any(|d| d.severity == crate::tf::plugin::diagnostics::Severity::Error)
    {
        return None;
    }
    let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    if let Some(local) = config.get_attr("local").filter(|v| !v.is_null()) {
        return Some(BackendConfig::Local(LocalConfig {
            path: PathBuf::from(
                string(local.get_attr("path")).unwrap_or_else(|| DEFAULT_LOCAL_PATH.into()),
            ),
            account_id: string(local.get_attr("account_id")).unwrap_or_default(),
            region: string(local.get_attr("region")).unwrap_or_else(|| DEFAULT_REGION.into()),
        }));
    }
    let assume_role = config
        .get_attr("assume_role")
        .filter(|v| !v.is_null())
        .map(|r| AssumeRole {
            role_arn: string(r.get_attr("role_arn")).unwrap_or_default(),
            session_name: string(r.get_attr("session_name")),
            external_id: string(r.get_attr("external_id")),
        });
    let endpoints = config.get_attr("endpoints").filter(|v| !v.is_null());
    let endpoint = |service: &str| string(endpoints.and_then(|e| e.get_attr(service)));
    Some(BackendConfig::Aws(AwsConfig {
        region: string(config.get_attr("region")),
        profile: string(config.get_attr("profile")),
        max_retries: config
            .get_attr("max_retries")
            .and_then(Value::as_number)
            .and_then(|n| n.as_i64())
            .and_then(|n| u32::try_from(n).ok()),
        assume_role,
        endpoints: Endpoints {
            lambda: endpoint("lambda"),
            signer: endpoint("signer"),
            s3: endpoint("s3"),
            sts: endpoint("sts"),
        },
    }))
}

fn check_account_id(account_id: &str, path: AttributePath, diags: &mut Diagnostics) {
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        diags.error_at(
            path,
            "Invalid account ID",
            format!("{account_id:?} is not an AWS account ID: it must be exactly 12 digits, e.g. \"111111111111\"."),
        );
    }
}

/// AWS region names: lower-case words joined by dashes, ending in a number
/// (`us-east-1`, `us-gov-west-1`, `ap-southeast-3`).
fn check_region(region: &str, path: AttributePath, diags: &mut Diagnostics) {
    let parts: Vec<&str> = region.split('-').collect();
    let valid = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !valid {
        diags.error_at(
            path,
            "Invalid region",
            format!("{region:?} is not an AWS region name such as \"us-east-1\"."),
        );
    }
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    /// A full provider config value with every attribute present (null unless given).
    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut all: BTreeMap<String, Value> = [
            "region",
            "profile",
            "max_retries",
            "local",
            "assume_role",
            "endpoints",
        ]
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
        for (k, v) in pairs {
            all.insert(k.to_string(), v.clone());
        }
        Value::Object(all)
    }

    fn local(account_id: &str) -> Value {
        object(&[
            ("path", Value::Null),
            ("account_id", Value::string(account_id)),
            ("region", Value::Null),
        ])
    }

    fn error_paths(diags: &Diagnostics) -> Vec<String> {
        diags
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect()
    }

    #[test]
    fn local_block_selects_the_embedded_backend_with_defaults() {
        let mut diags = Diagnostics::new();
        let parsed = parse(&config(&[("local", local("111111111111"))]), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            parsed,
            Some(BackendConfig::Local(LocalConfig {
                path: PathBuf::from(".lambdasign"),
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
            }))
        );
    }

    #[test]
    fn account_id_must_be_twelve_digits() {
        for bad in ["11111111111", "1111111111111", "11111111111a", ""] {
            let diags = validate(&config(&[("local", local(bad))]));
            assert_eq!(error_paths(&diags), vec!["local.account_id"], "{bad:?}");
        }
    }

    #[test]
    fn local_together_with_aws_settings_is_an_error_at_each_setting() {
        let diags = validate(&config(&[
            ("local", local("111111111111")),
            ("region", Value::string("us-east-1")),
            ("profile", Value::string("dev")),
        ]));
        assert_eq!(error_paths(&diags), vec!["region", "profile"]);
    }

    #[test]
    fn unknown_values_pass_validation_but_not_configuration() {
        let value = config(&[(
            "local",
            object(&[
                ("path", Value::Null),
                ("account_id", Value::unknown()),
                ("region", Value::Null),
            ]),
        )]);
        assert!(validate(&value).is_empty());
        let mut diags = Diagnostics::new();
        assert_eq!(parse(&value, &mut diags), None);
        assert!(diags.has_errors());
    }

    #[test]
    fn aws_settings_are_parsed_and_checked() {
        let role = object(&[
            (
                "role_arn",
                Value::string("arn:aws:iam::222222222222:role/deployer"),
            ),
            ("session_name", Value::string("tf")),
            ("external_id", Value::Null),
        ]);
        let mut diags = Diagnostics::new();
        let parsed = parse(
            &config(&[
                ("region", Value::string("eu-west-1")),
                ("assume_role", role),
            ]),
            &mut diags,
        );
        let Some(BackendConfig::Aws(aws)) = parsed else {
            panic!("expected aws config, got {parsed:?} / {diags:?}");
        };
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            aws.assume_role.map(|r| r.role_arn).as_deref(),
            Some("arn:aws:iam::222222222222:role/deployer")
        );

        let bad = validate(&config(&[
            ("region", Value::string("Europe")),
            (
                "assume_role",
                object(&[
                    ("role_arn", Value::string("arn:aws:iam::1:user/x")),
                    ("session_name", Value::Null),
                    ("external_id", Value::Null),
                ]),
            ),
            (
                "endpoints",
                object(&[
                    ("lambda", Value::string("localhost:5000")),
                    ("signer", Value::Null),
                    ("s3", Value::Null),
                    ("sts", Value::Null),
                ]),
            ),
        ]));
        assert_eq!(
            error_paths(&bad),
            vec!["region", "assume_role.role_arn", "endpoints.lambda"]
        );
    }
}
