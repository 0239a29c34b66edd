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

/// `scripts/release.sh` writes the registry's release layout (zip, SHA256SUMS
/// and its signature, manifest with protocol 6.0), the registry protocol as
/// static files, and a mirror. Terraform installs the provider from each as
/// it installs any provider: a filesystem mirror, the registry (over HTTPS,
/// signature checked) with `terraform init` and `terraform providers mirror`,
/// and a network mirror (over HTTPS); and applies an example with it.
#[test]
fn the_release_installs_as_terraform_installs_providers() {
    use std::process::Command;
    let mut ws = Workspace::new();
    let dist = ws.scratch("dist");
    let root = env!("CARGO_MANIFEST_DIR");
    let gnupg = ws.scratch("gnupg");
    std::fs::create_dir_all(&gnupg).expect("gnupg home");
    let gpg = |args: &[&str]| {
        let output = Command::new("gpg")
            .env("GNUPGHOME", &gnupg)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .expect("run gpg");
        assert!(
            output.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    gpg(&[
        "--quick-gen-key",
        "lambdasign release test <release@example.invalid>",
        "rsa2048",
        "sign",
        "1d",
    ]);
    let status = Command::new("bash")
        .arg(format!("{root}/scripts/release.sh"))
        .args([
            "--binary",
            common::BINARY,
            "--gpg-key",
            "release@example.invalid",
            "--out",
        ])
        .arg(&dist)
        .env("GNUPGHOME", &gnupg)
        .status()
        .expect("run scripts/release.sh");
    assert!(status.success(), "scripts/release.sh failed");

    let version = env!("CARGO_PKG_VERSION");
    let archive = format!("terraform-provider-lambdasign_{version}_linux_amd64.zip");
    let manifest = format!("terraform-provider-lambdasign_{version}_manifest.json");
    let sums = std::fs::read_to_string(dist.join(format!(
        "terraform-provider-lambdasign_{version}_SHA256SUMS"
    )))
    .expect("SHA256SUMS");
    let check = Command::new("sha256sum")
        .arg("--check")
        .current_dir(&dist)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(sums.as_bytes())?;
            child.wait()
        })
        .expect("sha256sum --check");
    assert!(check.success(), "SHA256SUMS does not match:\n{sums}");
    assert!(
        sums.contains(&archive) && sums.contains(&manifest),
        "{sums}"
    );
    let zip_sha = sums
        .lines()
        .find(|l| l.ends_with(&archive))
        .and_then(|l| l.split_whitespace().next())
        .expect("the zip's line")
        .to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join(&manifest)).expect("manifest"))
            .expect("manifest JSON");
    assert_eq!(manifest["metadata"]["protocol_versions"][0], "6.0");

    // The hashes the mirror announces are the ones Terraform computes.
    let announced: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dist.join(format!(
            "mirror/local.test/lambdasign/lambdasign/{version}.json"
        )))
        .expect("the mirror's version document"),
    )
    .expect("JSON");
    let hashes = &announced["archives"]["linux_amd64"]["hashes"];
    assert_eq!(hashes[1], format!("zh:{zip_sha}"), "{announced}");
    let h1 = hashes[0].as_str().expect("h1").to_string();
    let lock_hash = |ws: &Workspace, zh: bool| {
        let lock = std::fs::read_to_string(ws.path(".terraform.lock.hcl")).expect("lock file");
        assert!(
            lock.contains(&format!("\"{h1}\"")),
            "the lock file records the contents' hash {h1}:\n{lock}"
        );
        // Only the registry's signed SHA256SUMS hands over the zip's own hash.
        assert_eq!(
            lock.contains(&format!("\"zh:{zip_sha}\"")),
            zh,
            "the lock file and zh:{zip_sha}:\n{lock}"
        );
    };
    let fresh = |ws: &Workspace| {
        let _ = std::fs::remove_dir_all(ws.path(".terraform"));
        let _ = std::fs::remove_file(ws.path(".terraform.lock.hcl"));
    };
    let example = format!("{root}/examples/basic");
    for entry in std::fs::read_dir(&example).expect("examples/basic") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), ws.path(&entry.file_name().to_string_lossy()))
            .expect("copy the example");
    }

    // 1. A filesystem mirror (the packed layout).
    ws.set_cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"local.test/*/*\"]\n  }}\n}}\n",
        dist.join("mirror").display().to_string()
    ));
    ws.ok(&["init", "-no-color"]);
    lock_hash(&ws, false);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.plan_exit_code(), 0, "a second plan must be empty");

    // Everything below is `dist` over HTTPS.
    let https = HttpsDir::start(&dist, &ws.scratch("tls"));
    ws.set_env("SSL_CERT_FILE", https.cert.display().to_string());

    // 2. The registry protocol: `terraform init`, then `terraform providers
    //    mirror`, which always installs from the origin registry.
    fresh(&ws);
    ws.set_cli_config(&format!(
        "host \"local.test\" {{\n  services = {{\n    \"providers.v1\" = \"https://localhost:{}/registry/v1/providers/\"\n  }}\n}}\nprovider_installation {{\n  direct {{}}\n}}\n",
        https.port
    ));
    ws.ok(&["init", "-no-color"]);
    lock_hash(&ws, true);
    assert_eq!(ws.plan_exit_code(), 0, "the same provider, the same state");
    let copied = ws.scratch("copied-mirror");
    ws.ok(&[
        "providers",
        "mirror",
        "-platform=linux_amd64",
        &copied.display().to_string(),
    ]);
    let copied_zip = copied
        .join("local.test/lambdasign/lambdasign")
        .join(&archive);
    let copied_sha = Command::new("sha256sum")
        .arg(&copied_zip)
        .output()
        .expect("sha256sum");
    assert!(
        String::from_utf8_lossy(&copied_sha.stdout).starts_with(&zip_sha),
        "terraform providers mirror copied {} unchanged",
        copied_zip.display()
    );

    // 3. A network mirror.
    fresh(&ws);
    ws.set_cli_config(&format!(
        "provider_installation {{\n  network_mirror {{\n    url     = \"https://localhost:{}/mirror/\"\n    include = [\"local.test/*/*\"]\n  }}\n}}\n",
        https.port
    ));
    ws.ok(&["init", "-no-color"]);
    // Terraform checks the zip against the mirror's hashes, and records
    // the one it computes itself.
    lock_hash(&ws, false);
    assert_eq!(ws.plan_exit_code(), 0, "the same provider, the same state");
}

/// A directory served over HTTPS on localhost (Python's http.server), with a
/// fresh self-signed certificate (openssl).
struct HttpsDir {
    child: std::process::Child,
    port: u16,
    cert: std::path::PathBuf,
}

impl HttpsDir {
    fn start(dir: &std::path::Path, tls: &std::path::Path) -> HttpsDir {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        std::fs::create_dir_all(tls).expect("tls dir");
        let (cert, key) = (tls.join("cert.pem"), tls.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl req");
        assert!(made.success(), "openssl could not make a certificate");
        let script = r#"
import functools, http.server, ssl, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2], sys.argv[3])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = Command::new("python3")
            .args(["-c", script])
            .arg(dir)
            .arg(&cert)
            .arg(&key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 https server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's port");
        let port = line.trim().parse().expect("a port number");
        HttpsDir { child, port, cert }
    }
}

impl Drop for HttpsDir {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
