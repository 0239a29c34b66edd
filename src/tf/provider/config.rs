//! The `provider "lambdasign"` block: its schema, its validation, and the
//! typed configuration it becomes. `local { }` selects the embedded backend;
//! everything else configures the aws backend. `default_tags` applies to
//! every taggable resource.

use std::path::PathBuf;

use crate::backend::local::LocalConfig;
use crate::domain::names;
use crate::domain::tags::{self, Tags};
use crate::engine::BackendConfig;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};

#[cfg(feature = "aws")]
use crate::backend::aws::{AssumeRole, AwsConfig, Endpoints};

/// The AWS-backend settings at the top level of the provider block.
const AWS_ATTRIBUTES: [&str; 3] = ["region", "profile", "max_retries"];
const AWS_BLOCKS: [&str; 2] = ["assume_role", "endpoints"];
const ENDPOINT_SERVICES: [&str; 4] = ["lambda", "signer", "s3", "sts"];

pub fn schema() -> Schema {
    let local = Block::new("Use the embedded, offline backend: Signer and Lambda's signing semantics emulated in one SQLite store. Several provider aliases (one per emulated account) may share one store.")
        .attribute(Attribute::optional("path", Type::String).describe(format!("Directory holding the store; created (mode 0700) by the first apply that writes to it. Default `{}`.", LocalConfig::DEFAULT_PATH)))
        .attribute(Attribute::optional("account_id", Type::String).describe(format!("The 12-digit emulated AWS account this provider instance acts as. Default `{}` (the AWS documentation's example account).", names::EXAMPLE_ACCOUNT)))
        .attribute(Attribute::optional("region", Type::String).describe(format!("The emulated region. Default `{}`.", LocalConfig::DEFAULT_REGION)))
        .attribute(Attribute::optional("key_file", Type::String).describe(format!("File holding the store key (32 random bytes as 64 hex digits or base64, e.g. from `openssl rand -hex 32`) that seals the signing keys in the store (AES-256-GCM). Default: the key in the `{}` environment variable, if set. Once a store has been given a key it signs only with that key. Keep the key file outside version control, apart from the store.", crate::backend::local::STORE_KEY_ENV)));
    let default_tags = Block::new("Tags every taggable resource (signing profiles, code signing configs) gets, unless it sets the same key itself.")
        .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("The tags."));
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
        .block(NestedBlock::single("default_tags", default_tags))
        .block(NestedBlock::single("assume_role", assume_role))
        .block(NestedBlock::single("endpoints", endpoints))
}

/// The provider's settings: a backend, and the default tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub backend: BackendConfig,
    pub default_tags: Tags,
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
            check(names::account_id(account_id), at("account_id"), &mut diags);
        }
        if let Some(Value::String(region)) = local.get_attr("region") {
            check(names::region(region), at("region"), &mut diags);
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
        if let Some(Value::String(path)) = local.get_attr("key_file") {
            if path.trim().is_empty() {
                diags.error_at(
                    at("key_file"),
                    "Empty key file path",
                    "`key_file` must name the file holding the store key.",
                );
            }
        }
        check_default_tags(config, &mut diags);
        return diags;
    }
    check_default_tags(config, &mut diags);
    if let Some(Value::String(region)) = config.get_attr("region") {
        check(
            names::region(region),
            AttributePath::attr("region"),
            &mut diags,
        );
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
        check(
            crate::domain::principal::role_arn(arn),
            AttributePath::attr("assume_role").then("role_arn"),
            &mut diags,
        );
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
pub fn parse(config: &Value, diags: &mut Diagnostics) -> Option<Settings> {
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
    let default_tags = config
        .get_attr("default_tags")
        .filter(|v| !v.is_null())
        .and_then(|d| crate::tf::values::text_map(d, "tags"))
        .unwrap_or_default();
    if let Some(local) = config.get_attr("local").filter(|v| !v.is_null()) {
        let defaults = LocalConfig::default();
        return Some(Settings {
            backend: BackendConfig::Local(LocalConfig {
                path: string(local.get_attr("path")).map_or(defaults.path, PathBuf::from),
                account_id: string(local.get_attr("account_id")).unwrap_or(defaults.account_id),
                region: string(local.get_attr("region")).unwrap_or(defaults.region),
                key_file: string(local.get_attr("key_file")).map(PathBuf::from),
            }),
            default_tags,
        });
    }
    aws_settings(config, default_tags, diags)
}

#[cfg(feature = "aws")]
fn aws_settings(config: &Value, default_tags: Tags, _diags: &mut Diagnostics) -> Option<Settings> {
    let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let assume_role = config
        .get_attr("assume_role")
        .filter(|v| !v.is_null())
        .and_then(|r| {
            Some(AssumeRole {
                role_arn: string(r.get_attr("role_arn"))?,
                session_name: string(r.get_attr("session_name")),
                external_id: string(r.get_attr("external_id")),
            })
        });
    let endpoints = config.get_attr("endpoints").filter(|v| !v.is_null());
    let endpoint = |service: &str| string(endpoints.and_then(|e| e.get_attr(service)));
    Some(Settings {
        backend: BackendConfig::Aws(AwsConfig {
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
        }),
        default_tags,
    })
}

#[cfg(not(feature = "aws"))]
fn aws_settings(_config: &Value, _default_tags: Tags, diags: &mut Diagnostics) -> Option<Settings> {
    diags.error(
        "The aws backend is not built in",
        "This build of the provider has only the local backend: add a `local { }` block.",
    );
    None
}

fn check(rule: Result<(), names::Invalid>, path: AttributePath, diags: &mut Diagnostics) {
    if let Err(e) = rule {
        let field = match path.steps().last() {
            Some(crate::tf::plugin::diagnostics::PathStep::Attribute(name)) => name.clone(),
            _ => "value".to_string(),
        };
        diags.error_at(path, format!("Invalid {field}"), e.0);
    }
}

fn check_default_tags(config: &Value, diags: &mut Diagnostics) {
    let Some(map) = config
        .get_attr("default_tags")
        .and_then(|d| d.get_attr("tags"))
        .and_then(Value::as_map)
    else {
        return;
    };
    for (key, value) in map {
        let path = AttributePath::attr("default_tags")
            .then("tags")
            .key(key.clone());
        check(tags::key(key), path.clone(), diags);
        if let Some(text) = value.as_str() {
            check(tags::value(text), path, diags);
        }
    }
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
            "default_tags",
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
            parsed.map(|s| s.backend),
            Some(BackendConfig::Local(LocalConfig {
                path: PathBuf::from(".lambdasign"),
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
                key_file: None,
            }))
        );
    }

    #[test]
    fn an_empty_local_block_acts_as_the_example_account() {
        let empty = object(&[
            ("path", Value::Null),
            ("account_id", Value::Null),
            ("region", Value::Null),
        ]);
        let mut diags = Diagnostics::new();
        let parsed = parse(&config(&[("local", empty)]), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(matches!(
            parsed.map(|s| s.backend),
            Some(BackendConfig::Local(LocalConfig { account_id, .. })) if account_id == "123456789012"
        ));
    }

    #[test]
    fn default_tags_are_parsed_and_checked() {
        let tags = |pairs: &[(&str, &str)]| {
            object(&[(
                "tags",
                Value::Map(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::string(*v)))
                        .collect(),
                ),
            )])
        };
        let mut diags = Diagnostics::new();
        let parsed = parse(
            &config(&[
                ("local", local("111111111111")),
                ("default_tags", tags(&[("team", "platform")])),
            ]),
            &mut diags,
        );
        assert_eq!(parsed.map(|s| s.default_tags.len()), Some(1));
        let bad = validate(&config(&[
            ("local", local("111111111111")),
            ("default_tags", tags(&[("aws:x", "y")])),
        ]));
        assert_eq!(error_paths(&bad), vec!["default_tags.tags[\"aws:x\"]"]);
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
    #[cfg(feature = "aws")]
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
        let Some(BackendConfig::Aws(aws)) = parsed.clone().map(|s| s.backend) else {
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
