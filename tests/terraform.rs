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
