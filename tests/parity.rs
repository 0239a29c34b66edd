//! What users of the AWS provider's signer and code-signing resources rely
//! on, with the real `terraform` on the embedded backend: provider-wide
//! default tags and `tags_all`, the profile's signing material, parameters,
//! platform display name and revocation record, the layer version's
//! `license_info` and `skip_destroy`, the `lambdasign_code_signing_config`
//! and `lambdasign_signing_job` data sources, and imports by the AWS
//! provider's IDs with an empty plan after.

mod common;

use common::fixtures::{runtime, store, write_zip};
use common::terraform::{Workspace, SOURCE};
use lambdasign::backend::Backend;

fn provider(default_tags: &str) -> String {
    format!(
        "provider \"lambdasign\" {{\n  local {{\n    account_id = \"111111111111\"\n  }}\n  default_tags {{\n    tags = {{ {default_tags} }}\n  }}\n}}\n"
    )
}

fn with_provider(ws: &Workspace, default_tags: &str, body: &str) {
    ws.main_tf_with_provider(&provider(default_tags), body);
}

fn apply(ws: &Workspace) {
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
}

const TAGGED: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "tagged_profile"
  tags = { team = "payments", owner = "platform" }
  signing_parameters = { purpose = "release" }
}

resource "lambdasign_code_signing_config" "csc" {
  allowed_publishers = [lambdasign_signing_profile.app.version_arn]
  tags               = { team = "payments" }
}

output "profile_tags_all" {
  value = lambdasign_signing_profile.app.tags_all
}

output "display_name" {
  value = lambdasign_signing_profile.app.platform_display_name
}
"#;

#[test]
fn default_tags_reach_tags_all_and_a_change_updates_in_place() {
    let ws = Workspace::new();
    with_provider(&ws, "env = \"prod\", owner = \"platform\"", TAGGED);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert_eq!(
        ws.plan_exit_code(),
        0,
        "second plan (a tag set both ways is no diff)"
    );
    let tags_all = ws.ok(&["output", "-json", "profile_tags_all"]);
    let tags_all: serde_json::Value = serde_json::from_str(&tags_all).expect("json");
    assert_eq!(tags_all["env"], "prod");
    assert_eq!(tags_all["team"], "payments");
    assert_eq!(ws.ok(&["output", "-raw", "display_name"]), "AWS Lambda");
    let stored = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .get_signing_profile("tagged_profile", None)
            .await
            .expect("profile")
            .tags
    });
    assert_eq!(stored.get("env").map(String::as_str), Some("prod"));

    // A default tag added: each tagged resource updates `tags_all` in place.
    with_provider(
        &ws,
        "env = \"prod\", owner = \"platform\", cost = \"42\"",
        TAGGED,
    );
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 2 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(plan.contains("tags_all"), "{plan}");
    apply(&ws);
    assert_eq!(
        ws.plan_exit_code(),
        0,
        "second plan after the default tags changed"
    );

    // Import round trips keep tags apart from default tags.
    ws.ok(&[
        "state",
        "rm",
        "lambdasign_signing_profile.app",
        "lambdasign_code_signing_config.csc",
    ]);
    let arn = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .list_code_signing_configs()
            .await
            .expect("configs")[0]
            .arn
            .clone()
    });
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signing_profile.app",
        "tagged_profile",
    ]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_code_signing_config.csc",
        &arn,
    ]);
    // Without the configuration an import cannot tell a tag the profile sets
    // itself to a default's value (`owner`) from the default: the first plan
    // adds it back to `tags`, changing nothing in `tags_all`.
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(
        plan.contains("+ \"owner\" = \"platform\"") && !plan.contains("tags_all"),
        "{plan}"
    );
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "import must round-trip");
}

#[test]
fn a_revoked_profile_shows_its_revocation_record_and_the_platform_is_checked() {
    let ws = Workspace::new();
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "app" {
  name = "recorded_profile"
  revocation {
    reason         = "retired"
    effective_time = "2001-01-01T00:00:00Z"
  }
}

output "record" {
  value = lambdasign_signing_profile.app.revocation_record
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    let record: serde_json::Value =
        serde_json::from_str(&ws.ok(&["output", "-json", "record"])).expect("json");
    assert_eq!(
        record[0]["revocation_effective_from"],
        "2001-01-01T00:00:00Z"
    );
    assert!(
        record[0]["revoked_by"]
            .as_str()
            .is_some_and(|by| by.contains("111111111111")),
        "{record}"
    );
    assert_eq!(ws.plan_exit_code(), 0);

    // Another of Signer's platforms: accepted by the schema, refused by the
    // embedded backend at plan, naming the attribute.
    ws.main_tf("resource \"lambdasign_signing_profile\" \"notation\" {\n  name        = \"notation_profile\"\n  platform_id = \"Notation-OCI-SHA384-ECDSA\"\n}\n");
    let output = ws.run(&["plan", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert!(!output.status.success());
    assert!(
        stderr.contains("only AWSLambda-SHA384-ECDSA is emulated"),
        "{stderr}"
    );
    assert!(stderr.contains("platform_id"), "{stderr}");
    // An unknown platform is refused at validate.
    ws.main_tf("resource \"lambdasign_signing_profile\" \"bad\" {\n  platform_id = \"NoSuchPlatform\"\n}\n");
    let output = ws.run(&["validate", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert!(!output.status.success());
    assert!(
        stderr.contains("Invalid platform_id") && stderr.contains("NoSuchPlatform"),
        "{stderr}"
    );
}

#[test]
fn layer_versions_keep_license_info_and_skip_destroy_keeps_the_old_version_shared() {
    let ws = Workspace::new();
    write_zip(&ws.path("v1.zip"), "lib.js", b"module.exports = 1;\n");
    write_zip(&ws.path("v2.zip"), "lib.js", b"module.exports = 2;\n");
    let config = |source: &str| {
        format!(
            r#"
resource "lambdasign_signing_profile" "app" {{
  name = "layer_profile"
}}

resource "lambdasign_signed_artifact" "lib" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "{source}"
  output_file  = "lib.signed.zip"
}}

resource "lambdasign_layer_version" "lib" {{
  layer_name   = "lib"
  signed_file  = lambdasign_signed_artifact.lib.signed_file
  license_info = "MIT"
  skip_destroy = true
}}

resource "lambdasign_layer_grant" "partner" {{
  layer_name     = lambdasign_layer_version.lib.layer_name
  version_number = lambdasign_layer_version.lib.version
  principal      = "222222222222"
  statement_id   = "partner"
}}
"#
        )
    };
    ws.main_tf(&config("v1.zip"));
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0);
    ws.main_tf(&config("v2.zip"));
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0);
    let versions = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .list_layer_versions("lib")
            .await
            .expect("versions")
    });
    let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![2, 1], "version 1 was kept (skip_destroy)");
    assert!(versions
        .iter()
        .all(|v| v.license_info.as_deref() == Some("MIT")));

    // Import by the layer version's ARN, as the AWS provider does.
    let arn = versions[0].layer_version_arn.clone();
    ws.ok(&["state", "rm", "lambdasign_layer_version.lib"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_layer_version.lib",
        &format!("{arn},lib.signed.zip"),
    ]);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(!plan.contains("must be replaced"), "{plan}");

    // skip_destroy set in the very change that replaces comes one apply
    // too late (the delete reads the replaced version's state): said at plan.
    let unkept =
        |source: &str| config(source).replace("skip_destroy = true", "skip_destroy = false");
    ws.main_tf(&unkept("v2.zip"));
    apply(&ws);
    ws.main_tf(&config("v1.zip"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(
        plan.contains("This replacement deletes the version it replaces")
            && plan.contains("skip_destroy = true takes effect once it is in state"),
        "{plan}"
    );
    ws.main_tf(&unkept("v1.zip"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(!plan.contains("deletes the version it replaces"), "{plan}");
}

#[test]
fn data_sources_read_a_code_signing_config_and_a_signing_job() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "app" {
  name = "data_profile"
}

resource "lambdasign_code_signing_config" "csc" {
  allowed_publishers               = [lambdasign_signing_profile.app.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
  description                      = "release"
}

resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "function.signed.zip"
}

data "lambdasign_code_signing_config" "csc" {
  arn = lambdasign_code_signing_config.csc.arn
}

data "lambdasign_signing_job" "function" {
  job_id                  = lambdasign_signed_artifact.function.job_id
  code_signing_config_arn = lambdasign_code_signing_config.csc.arn
}

output "policy" {
  value = data.lambdasign_code_signing_config.csc.untrusted_artifact_on_deployment
}

output "job" {
  value = {
    status  = data.lambdasign_signing_job.function.status
    profile = data.lambdasign_signing_job.function.profile_name
    key     = data.lambdasign_signing_job.function.signed_object[0].s3[0].key
    allowed = data.lambdasign_signing_job.function.allowed
  }
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert_eq!(ws.ok(&["output", "-raw", "policy"]), "Enforce");
    let job: serde_json::Value =
        serde_json::from_str(&ws.ok(&["output", "-json", "job"])).expect("json");
    assert_eq!(job["status"], "Succeeded");
    assert_eq!(job["profile"], "data_profile");
    assert!(
        job["key"]
            .as_str()
            .is_some_and(|k| k.ends_with("function.signed.zip")),
        "{job}"
    );
    assert_eq!(job["allowed"], true);
    assert_eq!(ws.plan_exit_code(), 0);

    // The signing job resource imports by job id.
    let job_id = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_signed_artifact.function",
    ]);
    let job_id = job_id
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("job_id").map(|v| {
                v.trim()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .expect("job_id in state");
    ws.ok(&["state", "rm", "lambdasign_signed_artifact.function"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signed_artifact.function",
        &job_id,
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import by job id round-trips");
}

#[test]
fn an_empty_local_block_acts_as_the_example_account() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        format!(
            "terraform {{\n  required_providers {{\n    lambdasign = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\nprovider \"lambdasign\" {{\n  local {{}}\n}}\n\nresource \"lambdasign_signing_profile\" \"app\" {{\n  name_prefix = \"first_\"\n}}\n\noutput \"arn\" {{\n  value = lambdasign_signing_profile.app.arn\n}}\n"
        ),
    );
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert!(ws.ok(&["output", "-raw", "arn"]).contains(":123456789012:"));
    // Import restores name_prefix: the plan after an import is empty.
    let name = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_signing_profile.app",
    ]);
    let name = name
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("name ").map(|v| {
                v.trim()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .expect("name in state");
    ws.ok(&["state", "rm", "lambdasign_signing_profile.app"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signing_profile.app",
        &name,
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import by name keeps the prefix");
}
