//! End to end with the real `terraform` binary: offline through a filesystem
//! mirror, TLS on, on the embedded backend.

mod common;

use base64::Engine as _;
use common::terraform::{sha384sum, Workspace};

const ECHO: &str = r#"
resource "lambdasign_internal_echo" "a" {
  name  = "first"
  value = "v1"
}

output "id" {
  value = lambdasign_internal_echo.a.id
}
"#;

#[test]
fn init_validate_plan_apply_then_an_empty_plan() {
    let ws = Workspace::new();
    ws.main_tf(ECHO);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["validate", "-no-color"]);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(
        plan.contains("(known after apply)"),
        "id must be unknown at plan:\n{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.ok(&["output", "-raw", "id"]), "echo-first");
    assert_eq!(ws.plan_exit_code(), 0, "a second plan must be empty");

    // In-place update, then replacement when the RequiresReplace attribute changes.
    ws.main_tf(&ECHO.replace("\"v1\"", "\"v2\""));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0);
    ws.main_tf(&ECHO.replace("\"first\"", "\"second\""));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(
        plan.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.ok(&["output", "-raw", "id"]), "echo-second");

    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let state = ws.ok(&["state", "list"]);
    assert!(state.trim().is_empty(), "state after destroy: {state}");
}

#[test]
fn import_then_an_empty_plan() {
    let ws = Workspace::new();
    ws.main_tf("resource \"lambdasign_internal_echo\" \"imported\" {\n  name = \"legacy\"\n}\n");
    ws.ok(&["init", "-no-color"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_internal_echo.imported",
        "echo-legacy",
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import must round-trip");

    let bad = ws.run(&[
        "import",
        "-no-color",
        "lambdasign_internal_echo.imported",
        "nonsense",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Invalid import ID"));
}

#[test]
fn provider_functions_match_sha384sum() {
    let ws = Workspace::new();
    let artifact = ws.write(
        "artifact.zip",
        (0..100_000u32)
            .flat_map(|i| i.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    ws.main_tf(
        r#"
output "hex" {
  value = provider::lambdasign::file_sha384("${path.module}/artifact.zip")
}
output "b64" {
  value = provider::lambdasign::file_base64sha384("${path.module}/artifact.zip")
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let expected = sha384sum(&artifact);
    assert_eq!(expected.len(), 96);
    assert_eq!(ws.ok(&["output", "-raw", "hex"]), expected);
    let b64 = ws.ok(&["output", "-raw", "b64"]);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(hex::encode(decoded), expected);
    assert_eq!(ws.plan_exit_code(), 0);
}

#[test]
fn a_missing_file_is_a_function_error_naming_the_path() {
    let ws = Workspace::new();
    ws.main_tf(
        "output \"hex\" {\n  value = provider::lambdasign::file_sha384(\"missing.zip\")\n}\n",
    );
    ws.ok(&["init", "-no-color"]);
    let output = ws.run(&["plan", "-no-color"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing.zip"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");
}

#[test]
fn invalid_configuration_is_reported_at_the_attribute() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        format!(
            r#"
terraform {{
  required_providers {{
    lambdasign = {{ source = "{}" }}
  }}
}}

provider "lambdasign" {{
  region = "us-east-1"
  local {{
    account_id = "12345"
  }}
}}

resource "lambdasign_internal_echo" "ok" {{
  name = "fine"
}}
"#,
            common::terraform::SOURCE
        ),
    );
    ws.ok(&["init", "-no-color"]);
    let output = ws.run(&["validate", "-no-color"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Terraform quotes the offending line when the diagnostic has a path.
    assert!(stderr.contains("Invalid account_id"), "{stderr}");
    assert!(stderr.contains("account_id = \"12345\""), "{stderr}");
    assert!(stderr.contains("Conflicting backend settings"), "{stderr}");
    assert!(stderr.contains("region = \"us-east-1\""), "{stderr}");

    // Terraform validates resources once the provider block is valid.
    ws.main_tf("resource \"lambdasign_internal_echo\" \"bad\" {\n  name = \"\"\n}\n");
    let output = ws.run(&["validate", "-no-color"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Invalid name"), "{stderr}");
    assert!(stderr.contains("name = \"\""), "{stderr}");
}

#[test]
fn schema_json_lists_the_provider_and_functions() {
    let ws = Workspace::new();
    ws.main_tf("");
    ws.ok(&["init", "-no-color"]);
    let json = ws.ok(&["providers", "schema", "-json"]);
    let schema: serde_json::Value = serde_json::from_str(&json).expect("schema json");
    let provider = &schema["provider_schemas"]["local.test/lambdasign/lambdasign"];
    assert!(
        provider["provider"]["block"]["block_types"]["local"].is_object(),
        "{json}"
    );
    assert_eq!(
        provider["provider"]["block"]["block_types"]["local"]["block"]["attributes"]["account_id"]
            ["optional"],
        true,
        "`local {{}}` acts as the example account when account_id is left out"
    );
    assert!(provider["functions"]["file_sha384"].is_object(), "{json}");
    assert!(
        provider["functions"]["file_base64sha384"].is_object(),
        "{json}"
    );
}

#[test]
fn tf_log_shows_the_providers_log_lines() {
    let ws = Workspace::new();
    ws.main_tf(ECHO);
    ws.ok(&["init", "-no-color"]);
    let output = ws
        .command(&["plan", "-no-color"])
        .env("TF_LOG", "debug")
        .output()
        .expect("plan");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("provider configured"), "{stderr}");
    assert!(stderr.contains("@module=provider.lambdasign"), "{stderr}");
}

/// `moved` from the AWS provider's types (Terraform 1.8+'s
/// MoveResourceState): state written by hashicorp/aws becomes ours with no
/// change planned, and the next plan is empty. The AWS state is made here
/// in the AWS provider's shape from objects this provider created (the
/// real AWS provider cannot run offline; see `with_aws_provider_stand_in`).
#[test]
fn moved_from_the_aws_providers_types_plans_no_change() {
    let ws = Workspace::new();
    ws.with_aws_provider_stand_in();
    common::fixtures::write_zip(&ws.path("lib.zip"), "lib.js", b"module.exports = 1;\n");
    let config = r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
}

resource "lambdasign_signing_profile_permission" "partner" {
  profile_name = lambdasign_signing_profile.app.name
  action       = "signer:StartSigningJob"
  principal    = "222222222222"
  statement_id = "partner"
}

resource "lambdasign_code_signing_config" "csc" {
  allowed_publishers               = [lambdasign_signing_profile.app.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
}

resource "lambdasign_signed_artifact" "lib" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "lib.zip"
  output_file  = "lib.signed.zip"
}

resource "lambdasign_layer_version" "lib" {
  layer_name  = "lib"
  signed_file = "lib.signed.zip"
  depends_on  = [lambdasign_signed_artifact.lib]
}

resource "lambdasign_layer_grant" "partner" {
  layer_name     = lambdasign_layer_version.lib.layer_name
  version_number = lambdasign_layer_version.lib.version
  principal      = "222222222222"
  statement_id   = "partner"
}
"#;
    ws.main_tf(config);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);

    // The same objects, as the AWS provider records them.
    let mut state: serde_json::Value =
        serde_json::from_str(&ws.ok(&["state", "pull"])).expect("state");
    let aws_provider = r#"provider["registry.terraform.io/hashicorp/aws"]"#;
    let mut moves = String::new();
    for resource in state["resources"].as_array_mut().expect("resources") {
        let ours = resource["type"].as_str().expect("type").to_string();
        let a = resource["instances"][0]["attributes"].clone();
        let s = |key: &str| a[key].as_str().unwrap_or_default().to_string();
        let (aws_type, attributes) = match ours.as_str() {
            "lambdasign_signing_profile" => (
                "aws_signer_signing_profile",
                serde_json::json!({
                    "id": s("name"), "arn": s("arn"), "name": s("name"), "name_prefix": "",
                    "platform_id": s("platform_id"), "platform_display_name": s("platform_display_name"),
                    "signature_validity_period": [{"type": "MONTHS", "value": 135}],
                    "signing_material": [], "revocation_record": [], "status": s("status"),
                    "tags": {}, "tags_all": {}, "version": s("version"), "version_arn": s("version_arn"),
                }),
            ),
            "lambdasign_signing_profile_permission" => (
                "aws_signer_signing_profile_permission",
                serde_json::json!({
                    "id": format!("{}/{}", s("profile_name"), s("statement_id")),
                    "action": s("action"), "principal": s("principal"), "profile_name": s("profile_name"),
                    "profile_version": "", "statement_id": s("statement_id"), "statement_id_prefix": "",
                }),
            ),
            "lambdasign_code_signing_config" => (
                "aws_lambda_code_signing_config",
                serde_json::json!({
                    "id": s("arn"), "arn": s("arn"), "config_id": s("config_id"), "description": "",
                    "allowed_publishers": [{"signing_profile_version_arns": a["allowed_publishers"]}],
                    "policies": [{"untrusted_artifact_on_deployment": s("untrusted_artifact_on_deployment")}],
                    "last_modified": "2026-12-06T10:00:00.000+0000", "tags": {}, "tags_all": {},
                }),
            ),
            "lambdasign_layer_version" => (
                "aws_lambda_layer_version",
                serde_json::json!({
                    "id": s("arn"), "arn": s("arn"), "layer_arn": s("layer_arn"), "layer_name": s("layer_name"),
                    "version": a["version"].as_i64().expect("version").to_string(),
                    "filename": s("signed_file"), "s3_bucket": "", "s3_key": "", "s3_object_version": "",
                    "compatible_runtimes": [], "compatible_architectures": [], "description": "",
                    "license_info": "", "skip_destroy": false, "source_code_hash": "", "code_sha256": "",
                    "source_code_size": 0, "signing_job_arn": s("signing_job_arn"),
                    "signing_profile_version_arn": s("signing_profile_version_arn"),
                    "created_date": "2026-12-06T10:00:00.000+0000",
                }),
            ),
            "lambdasign_layer_grant" => (
                "aws_lambda_layer_version_permission",
                serde_json::json!({
                    "id": format!("{},{}", s("layer_name"), a["version_number"]),
                    "action": "lambda:GetLayerVersion", "layer_name": s("layer_name"),
                    "version_number": a["version_number"], "principal": s("principal"),
                    "organization_id": "", "statement_id": s("statement_id"), "skip_destroy": false,
                    "policy": "{}", "revision_id": "r1",
                }),
            ),
            _ => continue, // the signed artifact stays ours (a local file job has no AWS shape)
        };
        let name = resource["name"].as_str().expect("name").to_string();
        moves.push_str(&format!(
            "\nmoved {{\n  from = {aws_type}.old_{name}\n  to   = {ours}.{name}\n}}\n"
        ));
        resource["type"] = aws_type.into();
        resource["name"] = format!("old_{name}").into();
        resource["provider"] = aws_provider.into();
        resource["instances"][0]["attributes"] = attributes;
        resource["instances"][0]["schema_version"] = 0.into();
        resource["instances"][0]["dependencies"] = serde_json::json!([]);
        resource["instances"][0]
            .as_object_mut()
            .expect("instance")
            .remove("private");
    }
    state["serial"] = (state["serial"].as_i64().expect("serial") + 1).into();
    ws.write("aws.tfstate", state.to_string());
    ws.ok(&["state", "push", "-force", "aws.tfstate"]);
    ws.main_tf(&format!("{config}{moves}"));
    ws.ok(&["init", "-no-color"]);

    let plan = ws.ok(&["plan", "-no-color"]);
    assert_eq!(plan.matches(" has moved to ").count(), 5, "{plan}");
    assert!(
        plan.contains("0 to add, 0 to change, 0 to destroy"),
        "the move changes nothing: {plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0, "the next plan is empty");
}
