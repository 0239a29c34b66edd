//! The plan says what Lambda will decide after the change under review,
//! with the real `terraform` on the embedded backend: checks against the
//! planned world (a policy flipped to Enforce, a publisher removed, a
//! revocation added), what apply would refuse refused at plan, and the
//! first-use cases a new user meets.

mod common;

use common::fixtures::{runtime, store, write_zip};
use common::terraform::{Workspace, SOURCE};
use lambdasign::backend::{Backend, JobFilter};

/// Runs a plan that must fail; returns its stderr with line breaks joined,
/// so that wrapped diagnostics can be searched.
fn plan_fails(ws: &Workspace) -> String {
    let output = ws.run(&["plan", "-no-color"]);
    assert!(
        !output.status.success(),
        "plan should fail:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).replace('\n', " ")
}

/// Plans successfully; returns stdout and stderr, joined.
fn plan_text(ws: &Workspace) -> String {
    let output = ws.run(&["plan", "-no-color"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "plan failed:\n{text}");
    text.replace('\n', " ")
}

fn apply(ws: &Workspace) {
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
}

fn function_zip(ws: &Workspace) {
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
}

const PROFILES_AND_CSC: &str = r#"
resource "lambdasign_signing_profile" "trusted" {
  name = "trusted_profile"
}

resource "lambdasign_signing_profile" "other" {
  name = "other_profile"
}

resource "lambdasign_code_signing_config" "csc" {
  allowed_publishers               = [lambdasign_signing_profile.trusted.version_arn]
  untrusted_artifact_on_deployment = "POLICY"
}
"#;

const SIGNED_BY_OTHER: &str = r#"
resource "lambdasign_signed_artifact" "function" {
  profile_name   = lambdasign_signing_profile.other.name
  source_file    = "function.zip"
  output_file    = "function.signed.zip"
  verify_against = [lambdasign_code_signing_config.csc.arn]
}
"#;

#[test]
fn flipping_warn_to_enforce_fails_the_plan_naming_the_blocked_artifact() {
    let ws = Workspace::new();
    function_zip(&ws);
    let config = |policy: &str| {
        format!(
            "{}{SIGNED_BY_OTHER}",
            PROFILES_AND_CSC.replace("POLICY", policy)
        )
    };
    ws.main_tf(&config("Warn"));
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    let warned = plan_text(&ws);
    assert!(
        warned.contains("source mismatch") && warned.contains("policy Warn"),
        "{warned}"
    );
    assert_eq!(
        ws.plan_exit_code(),
        0,
        "under Warn the second plan is empty"
    );

    // The plan that sets Enforce sees Enforce, and fails before anything changes.
    ws.main_tf(&config("Enforce"));
    let error = plan_fails(&ws);
    assert!(
        error.contains("lambdasign_signed_artifact.function"),
        "{error}"
    );
    assert!(error.contains("source mismatch check failed"), "{error}");
    assert!(
        error.contains("Lambda would reject this deployment"),
        "{error}"
    );
    assert!(
        error.contains("verify_against"),
        "no attribute path: {error}"
    );
    let still_warn = runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        backend.list_code_signing_configs().await.expect("configs")[0].enforcement
    });
    assert_eq!(
        still_warn.as_str(),
        "Warn",
        "the failed plan changed nothing"
    );
}

#[test]
fn a_revocation_in_the_same_plan_warns_under_warn_with_its_blast_radius() {
    let ws = Workspace::new();
    function_zip(&ws);
    let base = format!(
        "{}{}",
        PROFILES_AND_CSC.replace("POLICY", "Warn"),
        SIGNED_BY_OTHER.replace("other.name", "trusted.name")
    );
    ws.main_tf(&base);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    let revoked = base.replace(
        "name = \"trusted_profile\"\n}",
        "name = \"trusted_profile\"\n  revocation {\n    reason         = \"key compromise\"\n    effective_time = \"2000-01-01T00:00:00Z\"\n  }\n}",
    );
    ws.main_tf(&revoked);
    let plan = plan_text(&ws);
    assert!(
        plan.contains("Revocation invalidates 1 signature(s)"),
        "{plan}"
    );
    assert!(plan.contains("revocation check failed"), "{plan}");
    assert!(
        plan.contains("lambdasign_signed_artifact.function"),
        "{plan}"
    );
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan after the revocation");
}

#[test]
fn a_revocation_in_the_same_plan_fails_under_enforce() {
    let ws = Workspace::new();
    function_zip(&ws);
    let base = format!(
        "{}{}",
        PROFILES_AND_CSC.replace("POLICY", "Enforce"),
        SIGNED_BY_OTHER.replace("other.name", "trusted.name")
    );
    ws.main_tf(&base);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    let revoked = base.replace(
        "name = \"trusted_profile\"\n}",
        "name = \"trusted_profile\"\n  revocation {\n    reason         = \"key compromise\"\n    effective_time = \"2000-01-01T00:00:00Z\"\n  }\n}",
    );
    ws.main_tf(&revoked);
    let error = plan_fails(&ws);
    assert!(error.contains("revocation check failed"), "{error}");
    assert!(
        error.contains("lambdasign_signed_artifact.function"),
        "{error}"
    );
    let status = runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        backend
            .get_signing_profile("trusted_profile", None)
            .await
            .expect("profile")
            .status
    });
    assert_eq!(status.as_str(), "Active", "the failed plan revoked nothing");
}

#[test]
fn a_publisher_removed_across_accounts_fails_the_verification_resource_naming_the_layer() {
    let ws = Workspace::new();
    write_zip(&ws.path("layer.zip"), "lib.js", b"module.exports = 1;\n");
    function_zip(&ws);
    let config = |trust_publisher: bool| {
        let publishers = if trust_publisher {
            "[lambdasign_signing_profile.consumer.version_arn, data.lambdasign_signing_profile.publisher.version_arn]"
        } else {
            "[lambdasign_signing_profile.consumer.version_arn]"
        };
        format!(
            r#"
terraform {{
  required_providers {{
    lambdasign = {{ source = "{SOURCE}" }}
  }}
}}

provider "lambdasign" {{
  alias = "publisher"
  local {{
    account_id = "111111111111"
  }}
}}

provider "lambdasign" {{
  alias = "consumer"
  local {{
    account_id = "222222222222"
  }}
}}

resource "lambdasign_signing_profile" "publisher" {{
  provider = lambdasign.publisher
  name     = "layer_publisher"
}}

resource "lambdasign_signed_artifact" "layer" {{
  provider     = lambdasign.publisher
  profile_name = lambdasign_signing_profile.publisher.name
  source_file  = "layer.zip"
  output_file  = "layer.signed.zip"
}}

resource "lambdasign_layer_version" "greeting" {{
  provider   = lambdasign.publisher
  layer_name = "greeting"
  signed_file = lambdasign_signed_artifact.layer.signed_file
}}

resource "lambdasign_layer_grant" "consumer" {{
  provider       = lambdasign.publisher
  layer_name     = lambdasign_layer_version.greeting.layer_name
  version_number = lambdasign_layer_version.greeting.version
  principal      = "222222222222"
  statement_id   = "consumer"
}}

data "lambdasign_signing_profile" "publisher" {{
  provider      = lambdasign.consumer
  name          = lambdasign_signing_profile.publisher.name
  profile_owner = "111111111111"
}}

resource "lambdasign_signing_profile" "consumer" {{
  provider = lambdasign.consumer
  name     = "consumer_profile"
}}

resource "lambdasign_code_signing_config" "consumer" {{
  provider                         = lambdasign.consumer
  allowed_publishers               = {publishers}
  untrusted_artifact_on_deployment = "Enforce"
}}

resource "lambdasign_signed_artifact" "function" {{
  provider     = lambdasign.consumer
  profile_name = lambdasign_signing_profile.consumer.name
  source_file  = "function.zip"
  output_file  = "function.signed.zip"
}}

resource "lambdasign_verification" "deploy" {{
  provider                = lambdasign.consumer
  code_signing_config_arn = lambdasign_code_signing_config.consumer.arn
  artifact {{
    name            = "function code"
    signing_job_arn = lambdasign_signed_artifact.function.job_arn
  }}
  artifact {{
    name              = "greeting layer"
    layer_version_arn = lambdasign_layer_version.greeting.arn
  }}
  depends_on = [lambdasign_layer_grant.consumer]
}}
"#
        )
    };
    ws.write("main.tf", config(true));
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan");
    let allowed = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_verification.deploy",
    ]);
    assert!(
        allowed.contains("allowed") && allowed.contains("true"),
        "{allowed}"
    );

    // The consumer stops trusting the publisher: the plan says so for the layer.
    ws.write("main.tf", config(false));
    let error = plan_fails(&ws);
    assert!(
        error.contains("Layer \"greeting layer\": source mismatch check failed"),
        "{error}"
    );
    assert!(error.contains("lambdasign_verification.deploy"), "{error}");
    assert!(
        !error.contains("Artifact \"function code\""),
        "the function code still passes: {error}"
    );
}

#[test]
fn what_apply_would_refuse_fails_at_plan_and_creates_nothing() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "a literal profile name that does not exist",
            r#"
resource "lambdasign_signed_artifact" "function" {
  profile_name = "nonexistent_profile"
  source_file  = "function.zip"
  output_file  = "function.signed.zip"
}
"#,
            "profile_name",
            &["Signing profile not found", "nonexistent_profile"],
        ),
        (
            "a source that is not a zip",
            r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
}
resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "notzip.zip"
  output_file  = "function.signed.zip"
}
"#,
            "source_file",
            &["Cannot sign the source file", "not a zip file"],
        ),
        (
            "an empty source",
            r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
}
resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "empty.zip"
  output_file  = "function.signed.zip"
}
"#,
            "source_file",
            &["Cannot sign the source file", "not a zip file"],
        ),
        (
            "a literal code signing config that does not exist",
            r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
}
resource "lambdasign_signed_artifact" "function" {
  profile_name   = lambdasign_signing_profile.app.name
  source_file    = "function.zip"
  output_file    = "function.signed.zip"
  verify_against = ["arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0123456789abcdef0"]
}
"#,
            "verify_against",
            &["csc-0123456789abcdef0"],
        ),
    ];
    for (what, body, attribute, phrases) in cases {
        let ws = Workspace::new();
        function_zip(&ws);
        ws.write("notzip.zip", "this is not a zip");
        ws.write("empty.zip", "");
        ws.main_tf(body);
        ws.ok(&["init", "-no-color"]);
        let error = plan_fails(&ws);
        for phrase in *phrases {
            assert!(
                error.contains(phrase),
                "{what}: {phrase:?} missing in: {error}"
            );
        }
        assert!(
            error.contains(&format!("{attribute} ")) || error.contains(&format!("{attribute}=")),
            "{what}: no attribute path: {error}"
        );
        let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
        assert!(
            !output.status.success(),
            "{what}: apply must fail at its plan"
        );
        assert!(
            !ws.path(".lambdasign").exists(),
            "{what}: a failed plan created the store"
        );
    }
}

#[test]
fn signing_with_a_revoked_profile_and_reusing_a_canceled_name_fail_at_plan() {
    let ws = Workspace::new();
    function_zip(&ws);
    let revoked = r#"
resource "lambdasign_signing_profile" "revoked" {
  name = "revoked_profile"
  revocation {
    reason         = "retired"
    effective_time = "2000-01-01T00:00:00Z"
  }
}
"#;
    ws.main_tf(revoked);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    ws.main_tf(&format!(
        "{revoked}\nresource \"lambdasign_signed_artifact\" \"function\" {{\n  profile_name = lambdasign_signing_profile.revoked.name\n  source_file  = \"function.zip\"\n  output_file  = \"function.signed.zip\"\n}}\n"
    ));
    let error = plan_fails(&ws);
    assert!(
        error.contains("Signing profile cannot be used") && error.contains("Revoked"),
        "{error}"
    );
    let jobs = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .list_signing_jobs(JobFilter::default())
            .await
            .expect("jobs")
    });
    assert!(jobs.is_empty(), "no job was started: {jobs:?}");

    // A canceled name can never come back.
    ws.main_tf("resource \"lambdasign_signing_profile\" \"fixed\" {\n  name = \"fixed_name\"\n}\n");
    apply(&ws);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let error = plan_fails(&ws);
    assert!(
        error.contains("Profile name already used") && error.contains("Canceled"),
        "{error}"
    );
    assert!(
        error.contains("name = \"fixed_name\""),
        "no attribute path: {error}"
    );
}

#[test]
fn output_goes_into_fresh_nested_directories_and_layers_take_an_output_made_in_the_same_apply() {
    let ws = Workspace::new();
    function_zip(&ws);
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "app" {
  name_prefix = "app_"
}

resource "lambdasign_signed_artifact" "layer" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "build/signed/layer.zip"
}

resource "lambdasign_layer_version" "lib" {
  layer_name  = "lib"
  signed_file = lambdasign_signed_artifact.layer.output_file
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    let plan = plan_text(&ws);
    assert!(plan.contains("does not exist yet"), "{plan}");
    apply(&ws);
    assert!(ws.path("build/signed/layer.zip").is_file());
    assert_eq!(ws.plan_exit_code(), 0, "second plan");

    // The same file spelled another way publishes nothing new.
    let respelled = std::fs::read_to_string(ws.path("main.tf"))
        .expect("main.tf")
        .replace(
            "lambdasign_signed_artifact.layer.output_file",
            "\"./build/signed/layer.zip\"",
        );
    ws.write("main.tf", respelled);
    let plan = plan_text(&ws);
    assert!(
        !plan.contains("must be replaced"),
        "a respelled path replaced the layer: {plan}"
    );
}

#[test]
fn an_altered_output_plans_a_re_sign_and_says_why() {
    let ws = Workspace::new();
    function_zip(&ws);
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
}

resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "function.signed.zip"
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    let signed = ws.path("function.signed.zip");
    let mut bytes = std::fs::read(&signed).expect("signed output");
    bytes[40] ^= 0xff;
    std::fs::write(&signed, bytes).expect("tamper");
    let plan = plan_text(&ws);
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(plan.contains("integrity check"), "{plan}");
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan after the re-sign");
}

#[test]
fn a_changed_store_path_is_a_refresh_error_not_a_plan_to_recreate() {
    let ws = Workspace::new();
    let provider = |path: &str| {
        format!("provider \"lambdasign\" {{\n  local {{\n    path = \"{path}\"\n  }}\n}}\n")
    };
    let body = "resource \"lambdasign_signing_profile\" \"app\" {\n  name_prefix = \"app_\"\n}\n";
    ws.main_tf_with_provider(&provider(".lambdasign"), body);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    ws.main_tf_with_provider(&provider(".elsewhere"), body);
    let error = plan_fails(&ws);
    assert!(
        error.contains("does not exist; did `path` change?"),
        "{error}"
    );
    assert!(!ws.path(".elsewhere").exists(), "the plan created a store");
}

#[test]
fn a_grant_on_a_missing_layer_version_fails_at_plan_unless_this_run_publishes_one() {
    let ws = Workspace::new();
    function_zip(&ws);
    let grant = r#"
resource "lambdasign_layer_grant" "partner" {
  layer_name     = "lib"
  version_number = 1
  principal      = "210987654321"
  statement_id   = "partner"
  depends_on     = [LAYER]
}
"#;
    ws.main_tf(&grant.replace("LAYER", ""));
    ws.ok(&["init", "-no-color"]);
    let error = plan_fails(&ws);
    assert!(error.contains("Layer version not found"), "{error}");
    assert!(error.contains(":layer:lib:1"), "{error}");

    // Published in the same run: the grant waits for it.
    ws.main_tf(&format!(
        r#"
resource "lambdasign_signing_profile" "app" {{
  name_prefix = "app_"
}}

resource "lambdasign_signed_artifact" "layer" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "layer.signed.zip"
}}

resource "lambdasign_layer_version" "lib" {{
  layer_name  = "lib"
  signed_file = lambdasign_signed_artifact.layer.output_file
}}
{}"#,
        grant.replace("LAYER", "lambdasign_layer_version.lib")
    ));
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan");
}

/// One artifact replaced (by a changed source, or by Terraform's own
/// `-replace`) plans twice in a process and is still one writer of its
/// output; a second artifact writing the same file is a plan error.
#[test]
fn an_output_file_has_one_artifact_however_it_is_replaced() {
    let ws = Workspace::new();
    function_zip(&ws);
    let artifact = |name: &str, output: &str| {
        format!(
            r#"
resource "lambdasign_signed_artifact" "{name}" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "{output}"
}}
"#
        )
    };
    let profile = "resource \"lambdasign_signing_profile\" \"app\" {\n  name = \"one_output\"\n}\n";
    ws.main_tf(&format!("{profile}{}", artifact("a", "out/a.zip")));
    ws.ok(&["init", "-no-color"]);
    apply(&ws);

    let replace = ["-replace=lambdasign_signed_artifact.a", "-no-color"];
    let planned = ws.run(&[&["plan"], &replace[..]].concat());
    let text = String::from_utf8_lossy(&planned.stdout).replace('\n', " ");
    assert!(
        planned.status.success(),
        "{}",
        String::from_utf8_lossy(&planned.stderr)
    );
    assert!(
        text.contains("1 to add, 0 to change, 1 to destroy"),
        "{text}"
    );
    ws.ok(&[&["apply", "-auto-approve"], &replace[..]].concat());
    assert_eq!(ws.plan_exit_code(), 0, "second plan after -replace");

    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 2;\n",
    );
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan after the re-sign");

    ws.main_tf(&format!(
        "{profile}{}{}",
        artifact("a", "out/a.zip"),
        artifact("b", "./out/a.zip")
    ));
    let error = plan_fails(&ws);
    assert!(
        error.contains("Output file written by two signed artifacts"),
        "{error}"
    );
}

/// An artifact and a layer signed by `trusted`, each checked against a
/// config whose `allowed_publishers` is ALLOWED.
const DEFERRED_CHECKS: &str = r#"
resource "lambdasign_signing_profile" "trusted" {
  name = "trusted_profile"
}

EXTRA

resource "lambdasign_code_signing_config" "csc" {
  allowed_publishers               = [ALLOWED]
  untrusted_artifact_on_deployment = "Enforce"
}

resource "lambdasign_signed_artifact" "function" {
  profile_name   = lambdasign_signing_profile.trusted.name
  source_file    = "function.zip"
  output_file    = "function.signed.zip"
  verify_against = [lambdasign_code_signing_config.csc.arn]
}

# Signed without checks of its own: the layer is checked.
resource "lambdasign_signed_artifact" "layer" {
  profile_name = lambdasign_signing_profile.trusted.name
  source_file  = "function.zip"
  output_file  = "layer.signed.zip"
}

resource "lambdasign_layer_version" "lib" {
  layer_name     = "lib"
  signed_file    = lambdasign_signed_artifact.layer.signed_file
  verify_against = [lambdasign_code_signing_config.csc.arn]
}

resource "lambdasign_verification" "deploy" {
  code_signing_config_arn = lambdasign_code_signing_config.csc.arn
  artifact {
    name            = "layer"
    signing_job_arn = lambdasign_signed_artifact.layer.job_arn
  }
}
"#;

/// The artifact, layer and verification applied, trusting their signer.
fn deferred_checks_applied() -> Workspace {
    let ws = Workspace::new();
    function_zip(&ws);
    ws.main_tf(&deferred_checks(
        "",
        "lambdasign_signing_profile.trusted.version_arn",
    ));
    ws.ok(&["init", "-no-color"]);
    apply(&ws);
    assert_eq!(ws.plan_exit_code(), 0, "second plan");
    ws
}

fn deferred_checks(extra: &str, allowed: &str) -> String {
    DEFERRED_CHECKS
        .replace("EXTRA", extra)
        .replace("ALLOWED", allowed)
}

#[test]
fn checks_a_plan_leaves_to_apply_run_at_apply_and_fail_it_naming_the_publisher() {
    let ws = deferred_checks_applied();

    // The config switches to a profile made in the same run: its version,
    // and so whether the signer stays allowed, is known only at apply.
    ws.main_tf(&deferred_checks(
        "resource \"lambdasign_signing_profile\" \"next\" {\n  name = \"next_profile\"\n}",
        "lambdasign_signing_profile.next.version_arn",
    ));
    let plan = plan_text(&ws);
    for resource in [
        "lambdasign_signed_artifact.function",
        "lambdasign_layer_version.lib",
    ] {
        assert!(
            plan.contains(&format!("# {resource} will be updated in-place")),
            "{resource} must plan an update so that apply checks it: {plan}"
        );
    }
    assert!(
        plan.contains("is not among the allowed publishers")
            && plan.contains("/trusted_profile/")
            && plan.contains("stays deployable only if"),
        "the plan names the publisher the known part leaves out: {plan}"
    );
    assert!(
        !plan.contains("-refresh=false"),
        "a plan without errors has no destroy hint: {plan}"
    );

    let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert!(!output.status.success(), "apply must fail: {stderr}");
    assert!(
        stderr.contains("source mismatch check failed") && stderr.contains("/trusted_profile/"),
        "the apply error names the check and the publisher: {stderr}"
    );
    for resource in [
        "lambdasign_signed_artifact.function",
        "lambdasign_layer_version.lib",
        "lambdasign_verification.deploy",
    ] {
        assert!(stderr.contains(resource), "{resource} not failed: {stderr}");
    }
    assert!(
        stderr.contains("this apply had already changed: code signing config"),
        "the error says the config already changed: {stderr}"
    );
    // The next plan says the same, before anything else is applied.
    let error = plan_fails(&ws);
    assert!(error.contains("source mismatch check failed"), "{error}");
}

#[test]
fn checks_a_plan_leaves_to_apply_pass_when_the_unknown_publisher_is_the_signer() {
    let ws = deferred_checks_applied();
    let signed = std::fs::read(ws.path("function.signed.zip")).expect("signed output");

    // The same publisher, known only at apply (through a new resource).
    ws.main_tf(&deferred_checks(
        "resource \"terraform_data\" \"publisher\" {\n  input = lambdasign_signing_profile.trusted.version_arn\n}",
        "terraform_data.publisher.output",
    ));
    let plan = plan_text(&ws);
    assert!(
        plan.contains("# lambdasign_signed_artifact.function will be updated in-place"),
        "{plan}"
    );
    assert!(
        plan.contains("stays deployable only if"),
        "nothing of the list is known at plan: {plan}"
    );
    apply(&ws);
    assert_eq!(
        std::fs::read(ws.path("function.signed.zip")).expect("signed output"),
        signed,
        "nothing was re-signed"
    );
    let layers = ws.ok(&["state", "show", "-no-color", "lambdasign_layer_version.lib"]);
    assert!(
        layers.contains("version") && layers.contains(":lib:1\""),
        "nothing re-published: {layers}"
    );
    assert_eq!(ws.plan_exit_code(), 0, "the next plan is empty");
}

#[test]
fn an_output_file_inside_the_store_fails_the_plan_at_output_file() {
    let ws = Workspace::new();
    function_zip(&ws);
    std::fs::create_dir(ws.path(".lambdasign")).expect("store dir");
    std::os::unix::fs::symlink(ws.path(".lambdasign"), ws.path("alias")).expect("symlink");
    for output in [
        ".lambdasign/store.sqlite3",
        "alias/store.sqlite3-wal",
        "x/../.lambdasign/signed.zip",
    ] {
        ws.main_tf(&format!(
            r#"
resource "lambdasign_signing_profile" "app" {{
  name = "app_profile"
}}

resource "lambdasign_signed_artifact" "function" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "{output}"
}}
"#
        ));
        if output.starts_with(".lambdasign/") {
            ws.ok(&["init", "-no-color"]);
        }
        let error = plan_fails(&ws);
        assert!(
            error.contains("inside the provider's store") && error.contains("output_file"),
            "{output}: {error}"
        );
    }
}

#[test]
fn an_output_file_that_cannot_be_written_fails_the_plan_at_output_file() {
    let ws = Workspace::new();
    function_zip(&ws);
    std::fs::write(ws.path("a-file"), b"x").expect("a file");
    for output in ["/proc/signed.zip", "a-file/signed.zip"] {
        ws.main_tf(&format!(
            r#"
resource "lambdasign_signing_profile" "app" {{
  name = "app_profile"
}}

resource "lambdasign_signed_artifact" "function" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "function.zip"
  output_file  = "{output}"
}}
"#
        ));
        if output.starts_with("/proc") {
            ws.ok(&["init", "-no-color"]);
        }
        let error = plan_fails(&ws);
        assert!(
            error.contains("Cannot write the output file") && error.contains("output_file"),
            "{output}: {error}"
        );
    }
    assert!(!ws.path(".lambdasign").exists(), "nothing was made");
}

/// A grant added beside a reader of an existing layer version: the reader's
/// plan sees the grant planned before it (another provider configuration,
/// another process) and leaves its check to apply, which applies the grant
/// first. Without a planned grant the plan fails and says how to order them.
#[test]
fn a_grant_planned_before_a_foreign_layer_reader_leaves_its_check_to_apply() {
    let ws = Workspace::new();
    write_zip(&ws.path("layer.zip"), "lib.js", b"module.exports = 1;\n");
    let publisher = r#"
terraform {
  required_providers {
    lambdasign = { source = "SOURCE" }
  }
}

provider "lambdasign" {
  alias = "publisher"
  local {
    account_id = "111111111111"
  }
}

provider "lambdasign" {
  alias = "consumer"
  local {
    account_id = "222222222222"
  }
}

resource "lambdasign_signing_profile" "publisher" {
  provider = lambdasign.publisher
  name     = "layer_publisher"
}

resource "lambdasign_signed_artifact" "layer" {
  provider     = lambdasign.publisher
  profile_name = lambdasign_signing_profile.publisher.name
  source_file  = "layer.zip"
  output_file  = "layer.signed.zip"
}

resource "lambdasign_layer_version" "greeting" {
  provider    = lambdasign.publisher
  layer_name  = "greeting"
  signed_file = lambdasign_signed_artifact.layer.signed_file
}
"#
    .replace("SOURCE", SOURCE);
    let reader = |grant: &str, depends_on: &str| {
        format!(
            r#"{publisher}
{grant}
resource "lambdasign_verification" "deploy" {{
  provider = lambdasign.consumer
  policy {{
    allowed_publishers               = [lambdasign_signing_profile.publisher.version_arn]
    untrusted_artifact_on_deployment = "Enforce"
  }}
  artifact {{
    name              = "greeting layer"
    layer_version_arn = lambdasign_layer_version.greeting.arn
  }}
  {depends_on}
}}
"#
        )
    };
    let grant = r#"
resource "lambdasign_layer_grant" "consumer" {
  provider       = lambdasign.publisher
  layer_name     = lambdasign_layer_version.greeting.layer_name
  version_number = lambdasign_layer_version.greeting.version
  principal      = "222222222222"
  statement_id   = "consumer"
}
"#;
    ws.write("main.tf", &publisher);
    ws.ok(&["init", "-no-color"]);
    apply(&ws);

    // No grant anywhere: the plan fails at once, naming the way to order one.
    ws.write("main.tf", reader("", ""));
    let error = plan_fails(&ws);
    assert!(error.contains("222222222222"), "{error}");
    assert!(
        error.contains("no lambdasign_layer_grant planned before this resource"),
        "{error}"
    );
    assert!(error.contains("depends_on"), "{error}");
    assert!(
        !error.contains("waited"),
        "a plan does not wait for a grant that cannot land before apply: {error}"
    );

    // The grant in the same run, ordered before the reader: the plan sees it
    // and leaves the check to apply, which applies the grant first.
    ws.write(
        "main.tf",
        reader(grant, "depends_on = [lambdasign_layer_grant.consumer]"),
    );
    let plan = plan_text(&ws);
    assert!(plan.contains("is checked at apply"), "{plan}");
    assert!(plan.contains("statement \"consumer\""), "{plan}");
    apply(&ws);
    let state: serde_json::Value =
        serde_json::from_str(&ws.ok(&["show", "-json"])).expect("state as JSON");
    let deploy = state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|r| r["address"] == "lambdasign_verification.deploy")
        })
        .unwrap_or_else(|| panic!("no verification in {state}"));
    assert_eq!(deploy["values"]["allowed"], true, "{deploy}");
    assert_eq!(deploy["values"]["artifact"][0]["allowed"], true, "{deploy}");
    assert_eq!(ws.plan_exit_code(), 0, "second plan");
}
