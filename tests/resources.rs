//! Every resource end to end with the real `terraform` on the embedded
//! backend: create, an empty second plan, in-place update, import round
//! trip, drift made behind Terraform's back, destroy; plus the plan-time
//! checks as diagnostics with attribute paths.

mod common;

use common::fixtures::{runtime, store, write_zip};
use common::terraform::Workspace;
use lambdasign::backend::Backend;
use lambdasign::domain::profile::ProfileStatus;
use lambdasign::domain::tags::Tags;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Plans and expects failure; returns stderr.
fn plan_fails(ws: &Workspace) -> String {
    let output = ws.run(&["plan", "-no-color"]);
    assert!(
        !output.status.success(),
        "plan should fail:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr(&output)
}

const PROFILE: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
  tags = { team = "payments" }
}
"#;

#[test]
fn signing_profile_lifecycle_revocation_and_drift() {
    let ws = Workspace::new();
    ws.main_tf(PROFILE);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0, "second plan must be empty");

    // In-place tag update.
    ws.main_tf(&PROFILE.replace("payments", "billing"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);

    // Drift: tags changed behind Terraform's back show up in the plan.
    runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        backend
            .set_signing_profile_tags(
                "app_profile",
                Tags::from([("team".into(), "intruder".into())]),
            )
            .await
            .expect("tags");
    });
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("intruder"), "drift not shown:\n{plan}");
    ws.ok(&["apply", "-auto-approve", "-no-color"]);

    // Import round trip.
    ws.ok(&["state", "rm", "lambdasign_signing_profile.app"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signing_profile.app",
        "app_profile",
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import must round-trip");

    // Revocation: added in place; irreversible.
    let revoked = PROFILE
        .replace("billing", "payments")
        .replace("billing", "payments");
    let revoked = revoked.replace(
        "  tags = { team = \"payments\" }\n",
        "  tags = { team = \"billing\" }\n  revocation {\n    reason         = \"key compromise\"\n    effective_time = \"2026-01-01T00:00:00Z\"\n  }\n",
    );
    ws.main_tf(&revoked);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let show = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_signing_profile.app",
    ]);
    assert!(show.contains("\"Revoked\""), "{show}");
    assert_eq!(ws.plan_exit_code(), 0);
    ws.main_tf(&PROFILE.replace("payments", "billing"));
    let error = plan_fails(&ws);
    assert!(error.contains("Revocation is irreversible"), "{error}");
    ws.main_tf(&revoked.replace("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"));
    let error = plan_fails(&ws);
    assert!(
        error.contains("Revocation can only move earlier"),
        "{error}"
    );
    assert!(
        error.contains("effective_time = \"2026-02-01T00:00:00Z\""),
        "no attribute path:\n{error}"
    );
    ws.main_tf(&revoked.replace("2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z"));
    ws.ok(&["apply", "-auto-approve", "-no-color"]);

    // Destroy: a revoked profile stays revoked (it can never sign again).
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let status = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .get_signing_profile("app_profile", None)
            .await
            .expect("profile")
            .status
    });
    assert_eq!(status, ProfileStatus::Revoked);
}

#[test]
fn ten_permissions_on_one_profile_land_in_one_apply() {
    let ws = Workspace::new();
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "shared" {
  name = "shared_profile"
}

resource "lambdasign_signing_profile_permission" "team" {
  count        = 10
  profile_name = lambdasign_signing_profile.shared.name
  action       = "signer:StartSigningJob"
  principal    = format("2222222222%02d", count.index)
  statement_id = "team-${count.index}"
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color", "-parallelism=10"]);
    let policy = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .list_profile_permissions("shared_profile")
            .await
            .expect("list")
    });
    assert_eq!(policy.permissions.len(), 10, "{policy:?}");
    assert_eq!(ws.plan_exit_code(), 0);

    ws.ok(&[
        "state",
        "rm",
        "lambdasign_signing_profile_permission.team[3]",
    ]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signing_profile_permission.team[3]",
        "shared_profile/team-3",
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import must round-trip");

    // Drift: a statement removed behind Terraform's back is planned again.
    runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        let revision = backend
            .list_profile_permissions("shared_profile")
            .await
            .expect("list")
            .revision_id;
        backend
            .remove_profile_permission("shared_profile", "team-7", &revision)
            .await
            .expect("remove");
    });
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );

    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let (status, left) = runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        let status = backend
            .get_signing_profile("shared_profile", None)
            .await
            .expect("profile")
            .status;
        (
            status,
            backend
                .list_profile_permissions("shared_profile")
                .await
                .map(|p| p.permissions.len())
                .unwrap_or(0),
        )
    });
    assert_eq!(
        status,
        ProfileStatus::Canceled,
        "destroy cancels the profile"
    );
    assert_eq!(left, 0, "statements left after destroy");
}

#[test]
fn sign_payload_and_bad_principals_are_rejected_at_validate() {
    let ws = Workspace::new();
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile_permission" "bad" {
  profile_name = "p1"
  action       = "signer:SignPayload"
  principal    = "not-an-account"
}
"#,
    );
    ws.ok(&["init", "-no-color"]);
    let output = ws.run(&["validate", "-no-color"]);
    let error = stderr(&output);
    assert!(
        error.contains("SignPayload does not apply to Lambda profiles"),
        "{error}"
    );
    assert!(
        error.contains("action       = \"signer:SignPayload\""),
        "{error}"
    );
    assert!(error.contains("Invalid principal"), "{error}");
}

const CSC: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "csc_profile"
}

resource "lambdasign_code_signing_config" "app" {
  allowed_publishers = [lambdasign_signing_profile.app.version_arn]
  description        = "first"
}
"#;

#[test]
fn code_signing_config_updates_in_place_and_refuses_deletion_while_used() {
    let ws = Workspace::new();
    ws.main_tf(CSC);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0);
    let state = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_code_signing_config.app",
    ]);
    assert!(state.contains("\"Warn\""), "Warn is the default:\n{state}");

    ws.main_tf(&CSC.replace(
        "description        = \"first\"",
        "description        = \"second\"\n  untrusted_artifact_on_deployment = \"Enforce\"",
    ));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0);

    let arn = ws
        .ok(&[
            "state",
            "show",
            "-no-color",
            "lambdasign_code_signing_config.app",
        ])
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("arn").map(|v| {
                v.trim()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .expect("arn in state");
    ws.ok(&["state", "rm", "lambdasign_code_signing_config.app"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_code_signing_config.app",
        &arn,
    ]);
    assert_eq!(ws.plan_exit_code(), 0, "import must round-trip");

    // In use by a function: destroy fails and names it.
    store(&ws.dir(), "111111111111")
        .bind_function("checkout-api", &arn)
        .expect("bind");
    let output = ws.run(&["destroy", "-auto-approve", "-no-color"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("checkout-api"),
        "{}",
        stderr(&output)
    );
    store(&ws.dir(), "111111111111")
        .unbind_function("checkout-api")
        .expect("unbind");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let gone = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .get_code_signing_config(&arn)
            .await
    });
    assert!(gone.is_err(), "CSC still in the store");
}

#[test]
fn publishers_are_validated_with_a_hint_for_unversioned_profile_arns() {
    let ws = Workspace::new();
    let many: Vec<String> = (0..21)
        .map(|i| {
            format!(
                "\"arn:aws:signer:us-east-1:111111111111:/signing-profiles/p{i:02}/ABCDEFGHIJ\""
            )
        })
        .collect();
    ws.main_tf(&format!(
        r#"
resource "lambdasign_code_signing_config" "unversioned" {{
  allowed_publishers = ["arn:aws:signer:us-east-1:111111111111:/signing-profiles/app"]
}}

resource "lambdasign_code_signing_config" "too_many" {{
  allowed_publishers = [{}]
}}
"#,
        many.join(", ")
    ));
    ws.ok(&["init", "-no-color"]);
    let output = ws.run(&["validate", "-no-color"]);
    let error = stderr(&output);
    assert!(!output.status.success());
    assert!(error.contains("version_arn"), "hint missing:\n{error}");
    assert!(error.contains("lists 21"), "{error}");
}

const SIGNED: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "signer_profile"
}

resource "lambdasign_code_signing_config" "trusting" {
  allowed_publishers               = [lambdasign_signing_profile.app.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
}

resource "lambdasign_signed_artifact" "function" {
  profile_name      = lambdasign_signing_profile.app.name
  source_file       = "${path.module}/function.zip"
  output_file       = "${path.module}/function.signed.zip"
  verify_against    = [lambdasign_code_signing_config.trusting.arn]
  revoke_on_destroy = true
}
"#;

#[test]
fn signed_artifact_resigns_on_change_and_drift_and_imports_by_job_id() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
    ws.main_tf(SIGNED);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(ws.path("function.signed.zip").exists());
    assert_eq!(ws.plan_exit_code(), 0, "second plan must be empty");

    // Editing the source plans a re-sign.
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 2;\n",
    );
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("must be replaced") && plan.contains("source_sha384"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0);

    // A deleted output plans a re-sign (drift).
    std::fs::remove_file(ws.path("function.signed.zip")).expect("remove output");
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("output_sha384"), "{plan}");
    assert!(
        plan.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(ws.path("function.signed.zip").exists());

    // Import by job id.
    let show = ws.ok(&[
        "state",
        "show",
        "-no-color",
        "lambdasign_signed_artifact.function",
    ]);
    let job_id = show
        .lines()
        .find_map(|l| l.trim().strip_prefix("job_id"))
        .map(|v| {
            v.trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .expect("job_id");
    ws.ok(&["state", "rm", "lambdasign_signed_artifact.function"]);
    ws.main_tf(&SIGNED.replace("  verify_against    = [lambdasign_code_signing_config.trusting.arn]\n  revoke_on_destroy = true\n", ""));
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signed_artifact.function",
        &job_id,
    ]);
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "import must round-trip:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );

    // revoke_on_destroy revokes the signature; destroy removes the output.
    ws.main_tf(SIGNED);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(
        !ws.path("function.signed.zip").exists(),
        "output left behind"
    );
    let job = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .describe_signing_job(&job_id)
            .await
            .expect("job")
    });
    assert!(job.revocation.is_some(), "signature not revoked on destroy");
}

#[test]
fn verify_against_reports_at_plan_time_error_under_enforce_warning_under_warn() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
    let config = |action: &str| {
        format!(
            r#"
resource "lambdasign_signing_profile" "trusted" {{
  name = "trusted_profile"
}}

resource "lambdasign_signing_profile" "other" {{
  name = "other_profile"
}}

resource "lambdasign_code_signing_config" "strict" {{
  allowed_publishers               = [lambdasign_signing_profile.trusted.version_arn]
  untrusted_artifact_on_deployment = "{action}"
}}
"#
        )
    };
    ws.main_tf(&config("Enforce"));
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let artifact = r#"
resource "lambdasign_signed_artifact" "function" {
  profile_name   = lambdasign_signing_profile.other.name
  source_file    = "${path.module}/function.zip"
  output_file    = "${path.module}/function.signed.zip"
  verify_against = [lambdasign_code_signing_config.strict.arn]
}
"#;
    ws.main_tf(&format!("{}{artifact}", config("Enforce")));
    let error = plan_fails(&ws);
    assert!(error.contains("source mismatch"), "{error}");
    assert!(
        error.contains("verify_against = [lambdasign_code_signing_config.strict.arn]"),
        "no attribute path:\n{error}"
    );

    // Relax the config first: the artifact's plan reads the config as it is.
    ws.main_tf(&config("Warn"));
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    ws.main_tf(&format!("{}{artifact}", config("Warn")));
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let output = ws.run(&["plan", "-no-color"]);
    assert!(output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(
        text.contains("Warning") && text.contains("source mismatch"),
        "{text}"
    );
}

#[test]
fn verification_data_source_reports_each_check() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
    write_zip(
        &ws.path("unsigned.zip"),
        "index.js",
        b"exports.handler = () => 0;\n",
    );
    let base = r#"
resource "lambdasign_signing_profile" "app" {
  name = "verified_profile"
}

resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "${path.module}/function.zip"
  output_file  = "${path.module}/function.signed.zip"
}
"#;
    ws.main_tf(base);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let verification = |action: &str, file: &str, at: &str| {
        format!(
            r#"{base}
data "lambdasign_verification" "check" {{
  {at}
  policy {{
    allowed_publishers               = [lambdasign_signing_profile.app.version_arn]
    untrusted_artifact_on_deployment = "{action}"
  }}
  artifact {{
    name        = "function"
    signed_file = "${{path.module}}/{file}"
  }}
}}

output "allowed" {{
  value = data.lambdasign_verification.check.allowed
}}
"#
        )
    };

    // Passing artifact.
    ws.main_tf(&verification("Enforce", "function.signed.zip", ""));
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.ok(&["output", "-raw", "allowed"]), "true");

    // Unsigned: a warning under Warn (apply proceeds), an error under Enforce.
    ws.main_tf(&verification("Warn", "unsigned.zip", ""));
    let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("source mismatch check failed")
            || stderr(&output).contains("source mismatch check failed")
    );
    assert_eq!(ws.ok(&["output", "-raw", "allowed"]), "true");
    ws.main_tf(&verification("Enforce", "unsigned.zip", ""));
    let error = plan_fails(&ws);
    assert!(error.contains("source mismatch check failed"), "{error}");
    assert!(
        error.contains("signed_file = \"${path.module}/unsigned.zip\""),
        "no attribute path:\n{error}"
    );

    // Tampered: integrity blocks even under Warn.
    let mut bytes = std::fs::read(ws.path("function.signed.zip")).expect("read");
    bytes[35] ^= 0xff;
    std::fs::write(ws.path("tampered.zip"), bytes).expect("write");
    ws.main_tf(&verification("Warn", "tampered.zip", ""));
    let error = plan_fails(&ws);
    assert!(error.contains("integrity check failed"), "{error}");

    // Expiry, evaluated as of a later time.
    ws.main_tf(&verification(
        "Enforce",
        "function.signed.zip",
        "at = \"2040-01-01T00:00:00Z\"",
    ));
    let error = plan_fails(&ws);
    assert!(error.contains("expiry check failed"), "{error}");

    // Revocation after the fact: the profile is revoked from before the signature.
    ws.main_tf(&format!(
        "{}\n",
        verification("Enforce", "function.signed.zip", "").replace(
            "  name = \"verified_profile\"\n",
            "  name = \"verified_profile\"\n  revocation {\n    reason         = \"compromised\"\n    effective_time = \"2025-01-01T00:00:00Z\"\n  }\n",
        )
    ));
    let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(text.contains("revocation check failed"), "{text}");
}

#[test]
fn layers_with_several_grants_across_accounts() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("layer.zip"),
        "nodejs/lib.js",
        b"module.exports = 1;\n",
    );
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
  name = "layer_profile"
}}

resource "lambdasign_signed_artifact" "layer" {{
  profile_name = lambdasign_signing_profile.publisher.name
  source_file  = "${{path.module}}/layer.zip"
  output_file  = "${{path.module}}/layer.signed.zip"
}}

resource "lambdasign_layer_version" "shared" {{
  layer_name          = "shared"
  signed_file         = lambdasign_signed_artifact.layer.signed_file
  compatible_runtimes = ["nodejs20.x"]
}}

resource "lambdasign_layer_grant" "accounts" {{
  for_each       = toset(["222222222222", "333333333333", "444444444444"])
  layer_name     = lambdasign_layer_version.shared.layer_name
  version_number = lambdasign_layer_version.shared.version
  principal      = each.value
  statement_id   = "account-${{each.value}}"
}}

resource "lambdasign_layer_grant" "org" {{
  layer_name      = lambdasign_layer_version.shared.layer_name
  version_number  = lambdasign_layer_version.shared.version
  principal       = "*"
  organization_id = "o-a1b2c3d4e5"
  statement_id    = "organization"
}}

data "lambdasign_layer_signature" "seen_by_consumer" {{
  provider          = lambdasign.consumer
  layer_version_arn = lambdasign_layer_version.shared.arn
  depends_on        = [lambdasign_layer_grant.accounts]
}}

output "signed_by" {{
  value = data.lambdasign_layer_signature.seen_by_consumer.signing_profile_version_arn
}}

output "layer_arn" {{
  value = lambdasign_layer_version.shared.arn
}}
"#,
            common::terraform::SOURCE
        ),
    );
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(ws
        .ok(&["output", "-raw", "signed_by"])
        .contains(":/signing-profiles/layer_profile/"));
    assert_eq!(ws.plan_exit_code(), 0, "second plan must be empty");
    let policy = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .get_layer_policy("shared", 1)
            .await
            .expect("policy")
    });
    assert_eq!(policy.statements.len(), 4, "{policy:?}");

    // Import round trips.
    ws.ok(&[
        "state",
        "rm",
        "lambdasign_layer_grant.accounts[\"333333333333\"]",
    ]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_layer_grant.accounts[\"333333333333\"]",
        "shared,1,account-333333333333",
    ]);
    let arn = ws.ok(&["output", "-raw", "layer_arn"]);
    ws.ok(&["state", "rm", "lambdasign_layer_version.shared"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_layer_version.shared",
        &format!("{arn},./layer.signed.zip"),
    ]);
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "imports must round-trip:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );

    // Drift: a grant removed behind Terraform's back is planned again.
    runtime().block_on(async {
        let backend = store(&ws.dir(), "111111111111");
        let revision = backend
            .get_layer_policy("shared", 1)
            .await
            .expect("policy")
            .revision_id;
        backend
            .remove_layer_permission("shared", 1, "account-444444444444", Some(&revision))
            .await
            .expect("remove");
    });
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );

    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let gone = runtime().block_on(async {
        store(&ws.dir(), "111111111111")
            .get_layer_version(&arn)
            .await
    });
    assert!(gone.is_err(), "layer version still in the store");
}

#[test]
fn renew_before_plans_a_re_sign_ahead_of_expiry() {
    let ws = Workspace::new();
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = () => 1;\n",
    );
    let config = |renew: &str| {
        format!(
            r#"
resource "lambdasign_signing_profile" "short" {{
  name = "short_lived"
  signature_validity {{
    value = 1
    type  = "DAYS"
  }}
}}

resource "lambdasign_signed_artifact" "function" {{
  profile_name = lambdasign_signing_profile.short.name
  source_file  = "${{path.module}}/function.zip"
  output_file  = "${{path.module}}/function.signed.zip"
  renew_before = "{renew}"
}}
"#
        )
    };
    ws.main_tf(&config("1h"));
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(
        ws.plan_exit_code(),
        0,
        "a day left, renew within an hour: nothing to do"
    );
    // With 48 hours' notice, a one-day signature is due for renewal now.
    ws.main_tf(&config("48h"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("signature_expires_at") && plan.contains("forces replacement"),
        "{plan}"
    );
    assert!(
        plan.contains("renew_before is longer than the signature validity"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
}
