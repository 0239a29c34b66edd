//! The CloudFormation front end, tested with AWS's own contract tests:
//! `cfn test` (cloudformation-cli, from target/cfn-venv) against
//! `terraform-provider-lambdasign cfn-invoke --store DIR`, for every
//! resource type whose contract tests can run on the local backend, and for
//! the hook. `cfn test` asks AWS STS for credentials before it invokes
//! anything; `cloudformation/tools/cfn_offline.py` stubs exactly those calls
//! (and CloudFormation's export and type look-ups): the invocations
//! themselves are real HTTP requests to the handlers.
//!
//! Dependencies a type's inputs name (`{{LambdaSignTest...}}`, as
//! CloudFormation exports would) are made first through the engine on the
//! same store: profiles, code signing configs, signed layer versions.
//!
//! Not run here, because their inputs are S3 objects and the local backend
//! has no S3 yet: `LambdaSign::Signer::SignedArtifact` and
//! `LambdaSign::Lambda::LayerVersion` (see `s3_types_are_refused_on_the_local_backend`).
//!
//! Needs `LAMBDASIGN_CFN_PYTHON` (scripts/test.sh sets it to
//! target/cfn-venv/bin/python); without it these tests fail, never pass.

mod common;

use common::invoke::Invoke;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lambdasign::backend::local::objects::NewObject;
use lambdasign::backend::local::{LocalBackend, LocalConfig};
use lambdasign::backend::requests::DEFAULT_SIGNING_TIMEOUT;
use lambdasign::cfn::target::Target;
use lambdasign::domain::checks::Enforcement;
use lambdasign::domain::job::ObjectLocation;
use lambdasign::engine::code_signing_config::{self, CscSpec};
use lambdasign::engine::layer_version::{self, LayerSpec};
use lambdasign::engine::signed_artifact::{self, ArtifactSpec};
use lambdasign::engine::signing_profile::{self, Naming, ProfileSpec};
use lambdasign::engine::{BackendConfig, Engine};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn python() -> PathBuf {
    let Some(python) = std::env::var_os("LAMBDASIGN_CFN_PYTHON") else {
        panic!("LAMBDASIGN_CFN_PYTHON is not set: run scripts/test.sh, or set it to the python of target/cfn-venv (scripts/cfn-venv.sh makes it)");
    };
    PathBuf::from(python)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn engine(store: &Path) -> Engine {
    Engine::connect(&BackendConfig::Local(LocalConfig {
        path: store.to_path_buf(),
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        key_file: None,
    }))
    .await
    .expect("open the store")
    .engine
}

/// A signed layer version of `profile`, published from a fresh zip.
async fn signed_layer(
    engine: &Engine,
    dir: &Path,
    profile: &str,
    layer: &str,
) -> (String, PathBuf) {
    let source = dir.join(format!("{layer}.zip"));
    common::fixtures::write_zip(&source, "python/lib.py", layer.as_bytes());
    let output = dir.join(format!("{layer}.signed.zip"));
    signed_artifact::create(
        engine,
        &ArtifactSpec {
            profile_name: profile.into(),
            profile_owner: None,
            source: ObjectLocation::File(source),
            output_file: Some(output.clone()),
            staging: None,
            destination: None,
            verify_against: Vec::new(),
            timeout: DEFAULT_SIGNING_TIMEOUT,
        },
        &format!("seed-{layer}"),
        None,
    )
    .await
    .expect("sign the layer");
    let published = layer_version::create(
        engine,
        &LayerSpec {
            layer_name: layer.into(),
            content: ObjectLocation::File(output.clone()),
            compatible_runtimes: vec!["python3.12".into()],
            compatible_architectures: Vec::new(),
            description: String::new(),
            license_info: None,
            verify_against: Vec::new(),
        },
    )
    .await
    .expect("publish the layer");
    (published.layer_version_arn, output)
}

/// What the inputs' `{{LambdaSignTest...}}` placeholders name, made in the
/// store through the engine.
async fn seed(store: &Path, work: &Path) -> BTreeMap<String, String> {
    let engine = engine(store).await;
    let profile = |name: &str| ProfileSpec {
        naming: Naming::Fixed(name.into()),
        ..ProfileSpec::default()
    };
    let trusted = signing_profile::create(&engine, &profile("contract_trusted"))
        .await
        .expect("profile");
    let other = signing_profile::create(&engine, &profile("contract_other"))
        .await
        .expect("profile");
    let csc = |enforcement| CscSpec {
        allowed_publishers: vec![trusted.version_arn.clone()],
        enforcement,
        description: String::new(),
        tags: Default::default(),
    };
    let warn = code_signing_config::create(&engine, &csc(Enforcement::Warn))
        .await
        .expect("csc");
    let enforce = code_signing_config::create(&engine, &csc(Enforcement::Enforce))
        .await
        .expect("csc");
    let (signed, signed_file) =
        signed_layer(&engine, work, &trusted.name, "contract-seed-layer").await;
    let (foreign, _) = signed_layer(&engine, work, &other.name, "contract-foreign-layer").await;
    let (tampered, _) = signed_layer(&engine, work, &trusted.name, "contract-tampered-layer").await;
    tamper_layer_content(store, "contract-tampered-layer");
    let (bucket, source_version, signed_key) = seed_s3(store, work, &signed_file).await;
    BTreeMap::from([
        ("LambdaSignTestProfileName".into(), trusted.name.clone()),
        (
            "LambdaSignTestProfileVersionArn".into(),
            trusted.version_arn.clone(),
        ),
        (
            "LambdaSignTestProfileVersion".into(),
            trusted.version.clone(),
        ),
        ("LambdaSignTestAccount".into(), ACCOUNT.into()),
        (
            "LambdaSignTestOtherProfileVersionArn".into(),
            other.version_arn.clone(),
        ),
        ("LambdaSignTestWarnCsc".into(), warn.arn),
        ("LambdaSignTestEnforceCsc".into(), enforce.arn),
        (
            "LambdaSignTestLayerName".into(),
            "contract-seed-layer".into(),
        ),
        ("LambdaSignTestSignedLayerArn".into(), signed),
        ("LambdaSignTestForeignLayerArn".into(), foreign),
        ("LambdaSignTestTamperedLayerArn".into(), tampered),
        ("LambdaSignTestBucket".into(), bucket),
        ("LambdaSignTestSourceVersion".into(), source_version),
        ("LambdaSignTestSignedKey".into(), signed_key),
    ])
}

/// The store's emulated S3, as the test account.
fn emulated_s3(store: &Path) -> LocalBackend {
    LocalBackend::open(&LocalConfig {
        path: store.to_path_buf(),
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        key_file: None,
    })
    .expect("open the store")
}

/// A versioned bucket of the store's emulated S3 holding an unsigned zip
/// (`unsigned/function.zip`, and `function-v2.zip` for updates) and a
/// signed one: the bucket, the unsigned
/// zip's version and the signed zip's key.
async fn seed_s3(store: &Path, work: &Path, signed_file: &Path) -> (String, String, String) {
    let s3 = emulated_s3(store);
    let bucket = "contract-artifacts";
    s3.create_bucket(bucket).await.expect("bucket");
    s3.put_bucket_versioning(bucket, true)
        .await
        .expect("versioning");
    let put = |key: &str, bytes: Vec<u8>| {
        s3.put_object(
            NewObject {
                bucket: bucket.into(),
                key: key.into(),
                content_type: None,
                metadata: Default::default(),
            },
            bytes.into(),
        )
    };
    let unsigned = work.join("function.zip");
    common::fixtures::write_zip(&unsigned, "index.js", b"exports.handler = async () => 1;");
    let source = put("unsigned/function.zip", std::fs::read(&unsigned).unwrap())
        .await
        .expect("unsigned object");
    let next = work.join("function-v2.zip");
    common::fixtures::write_zip(&next, "index.js", b"exports.handler = async () => 2;");
    put("unsigned/function-v2.zip", std::fs::read(&next).unwrap())
        .await
        .expect("unsigned object");
    let signed_key = "signed/contract-layer.zip";
    put(signed_key, std::fs::read(signed_file).unwrap())
        .await
        .expect("signed object");
    (bucket.into(), source.version_id, signed_key.into())
}

/// Changes a byte of the copy of a layer's content the store keeps, as an
/// attacker with access to it would: its signature no longer verifies.
fn tamper_layer_content(store: &Path, layer: &str) {
    let dir = store.join("layers").join(ACCOUNT).join(REGION).join(layer);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let file = files.last().expect("the stored layer content");
    let mut bytes = std::fs::read(file).unwrap();
    // The first entry's data starts after its 30-byte local header and name.
    let at = 30 + "python/lib.py".len();
    bytes[at] ^= 0x20;
    std::fs::write(file, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Pytest's closing counts.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    passed: usize,
    failed: usize,
    errors: usize,
    skipped: usize,
}

fn counts(output: &str) -> Option<Counts> {
    // The closing line: `=== 13 passed, 9 deselected in 1.23s ===`.
    let line = output
        .lines()
        .rev()
        .find(|l| l.starts_with('=') && l.contains(" in ") && l.trim_end().ends_with('='))?;
    let mut counts = Counts::default();
    let words: Vec<&str> = line
        .split(|c: char| c == ',' || c == '=' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<usize>() else {
            continue;
        };
        match pair[1] {
            "passed" => counts.passed = n,
            "failed" => counts.failed = n,
            "error" | "errors" => counts.errors = n,
            "skipped" => counts.skipped = n,
            _ => {}
        }
    }
    Some(counts)
}

/// Runs `cfn test` for a project against the handlers; returns the counts
/// and the whole output.
fn cfn_test(
    project: &str,
    url: &str,
    exports: &BTreeMap<String, String>,
    work: &Path,
    edit: impl FnOnce(&Path),
) -> (Counts, String) {
    let copy = work.join(project);
    copy_dir(&repo().join("cloudformation").join(project), &copy);
    edit(&copy);
    let exports_file = work.join(format!("{project}-exports.json"));
    std::fs::write(&exports_file, serde_json::to_string(exports).unwrap()).unwrap();
    let output = Command::new(python())
        .arg(repo().join("cloudformation/tools/cfn_offline.py"))
        .args([
            "test",
            "--endpoint",
            url,
            "--region",
            REGION,
            "--enforce-timeout",
            "60",
        ])
        .args([
            "--",
            "-p",
            "no:cacheprovider",
            "-o",
            "log_cli=false",
            "-rfEs",
        ])
        .current_dir(&copy)
        .env("CFN_OFFLINE_EXPORTS", &exports_file)
        .env("HOME", work)
        .output()
        .expect("run cfn test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let counts = counts(&text).unwrap_or_else(|| panic!("no pytest summary in:\n{text}"));
    (counts, text)
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(80)..].join("\n")
}

/// Seeds a store, starts the handlers and runs the project's contract tests.
fn contract(project: &str) -> (Counts, String) {
    contract_edited(project, |_| {})
}

/// As [`contract`], on a copy of the project that `edit` changed first.
fn contract_edited(project: &str, edit: impl FnOnce(&Path)) -> (Counts, String) {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let runtime = common::fixtures::runtime();
    let exports = runtime.block_on(seed(&store, work.path()));
    let invoke = Invoke::start(&store);
    cfn_test(project, &invoke.url, &exports, work.path(), edit)
}

/// Every test of a run passed, but `skipped`.
fn assert_passed(run: &str, (counts, text): (Counts, String), passed: usize, skipped: usize) {
    assert_eq!(
        counts,
        Counts {
            passed,
            skipped,
            ..Counts::default()
        },
        "cfn test {run}:\n{}",
        tail(&text)
    );
}

fn assert_all_passed(project: &str, passed: usize, skipped: usize) {
    assert_passed(project, contract(project), passed, skipped);
}

/// As [`contract`], with the models cloudformation-cli generates from the
/// schema alone (the copy has no `inputs/`). A project's `overrides.json`
/// pins only the properties that name another resource, which a generated
/// name cannot.
fn generated(project: &str) -> (Counts, String) {
    contract_edited(project, |copy| {
        std::fs::remove_dir_all(copy.join("inputs")).expect("the project's inputs")
    })
}

fn assert_generated_passed(project: &str, passed: usize, skipped: usize) {
    let run = format!("{project} (generated inputs)");
    assert_passed(&run, generated(project), passed, skipped);
}

// With the inputs cloudformation-cli generates from each schema.

#[test]
fn signing_profile_passes_the_contract_tests_with_generated_inputs() {
    // No overrides: everything it takes is generated.
    assert_generated_passed("signing-profile", 13, 2);
}

#[test]
fn code_signing_config_passes_the_contract_tests_with_generated_inputs() {
    // No overrides: everything it takes is generated.
    assert_generated_passed("code-signing-config", 13, 2);
}

#[test]
fn profile_permission_passes_the_contract_tests_with_generated_inputs() {
    // overrides.json names the seeded profile (and its version).
    assert_generated_passed("profile-permission", 9, 1);
}

#[test]
fn layer_grant_passes_the_contract_tests_with_generated_inputs() {
    // overrides.json names the seeded layer version, and Principal "*":
    // Lambda takes an OrganizationId only with "*", a rule between two
    // properties that the generator cannot read from a schema.
    assert_generated_passed("layer-grant", 9, 1);
}

#[test]
fn layer_version_passes_the_contract_tests_with_generated_inputs() {
    // overrides.json names the seeded signed object and configs.
    assert_generated_passed("layer-version", 11, 4);
}

#[test]
fn signed_artifact_passes_the_contract_tests_with_generated_inputs() {
    // Every writable property names something that must exist.
    assert_generated_passed("signed-artifact", 11, 4);
}

#[test]
fn signing_profile_passes_the_contract_tests() {
    // Skipped: create_create and delete_create, since the primary identifier
    // (Arn) is read-only.
    assert_all_passed("signing-profile", 13, 2);
}

#[test]
fn profile_permission_passes_the_contract_tests() {
    // No update handler: every update test is deselected. Skipped:
    // create_taggable (not taggable).
    assert_all_passed("profile-permission", 9, 1);
}

#[test]
fn code_signing_config_passes_the_contract_tests() {
    // Skipped: create_create and delete_create (read-only Arn).
    assert_all_passed("code-signing-config", 13, 2);
}

#[test]
fn signed_artifact_passes_the_contract_tests() {
    // From and to the store's emulated S3. Skipped: create_create and
    // delete_create (read-only JobId), create_taggable and
    // update_tag_updatable (not taggable).
    assert_all_passed("signed-artifact", 11, 4);
}

#[test]
fn layer_version_passes_the_contract_tests() {
    // Published from a signed object of the store's emulated S3. Skipped:
    // create_create and delete_create (read-only Arn), create_taggable and
    // update_tag_updatable (not taggable).
    assert_all_passed("layer-version", 11, 4);
}

#[test]
fn layer_grant_passes_the_contract_tests() {
    // No update handler; skipped: create_taggable.
    assert_all_passed("layer-grant", 9, 1);
}

#[test]
fn deployment_hook_passes_the_contract_tests() {
    // pre-create and pre-update, success and failure, and the suite's own
    // sanity check; skipped: the unsupported-target tests, which need a
    // wildcard target name (this hook names exactly AWS::Lambda::Function).
    let (counts, text) = contract("deployment-hook");
    assert_eq!(
        counts,
        Counts {
            passed: 5,
            skipped: 2,
            ..Counts::default()
        },
        "cfn test deployment-hook:\n{}",
        tail(&text)
    );
}

#[test]
fn deployment_hook_passes_the_contract_tests_on_the_aws_backend_against_serve() {
    // The same inputs, judged by the aws backend (the caller's credentials)
    // against `serve` over the seeded store: Lambda's world, AWS's wire.
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let exports = common::fixtures::runtime().block_on(seed(&store, work.path()));
    let serve = common::serve::Serve::start_on(&store);
    let invoke = Invoke::start_with(&["--endpoint", &serve.url]);
    let (counts, text) = cfn_test(
        "deployment-hook",
        &invoke.url,
        &exports,
        work.path(),
        |_| {},
    );
    assert_eq!(
        counts,
        Counts {
            passed: 5,
            skipped: 2,
            ..Counts::default()
        },
        "cfn test deployment-hook (aws backend on serve):\n{}",
        tail(&text)
    );
}

#[test]
fn deployment_hook_refuses_other_targets_in_the_wildcard_contract_tests() {
    // The unsupported-target contract tests run only for a wildcard target
    // name: with `AWS::Lambda::Func*` (which matches only the function type)
    // they send random other targets, which must be FAILED UnsupportedTarget.
    let (counts, text) = contract_edited("deployment-hook", |copy| {
        let path = copy.join("lambdasign-codesigning-deploymenthook.json");
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for handler in ["preCreate", "preUpdate"] {
            schema["handlers"][handler]["targetNames"] = json!(["AWS::Lambda::Func*"]);
        }
        std::fs::write(&path, schema.to_string()).unwrap();
        // A wildcard is expanded over the target info (offline: this file).
        let function: Value = serde_json::from_str(
            &std::fs::read_to_string(copy.join("target-schemas/aws-lambda-function.json")).unwrap(),
        )
        .unwrap();
        let info = json!({"AWS::Lambda::Function": {
            "TypeName": "AWS::Lambda::Function", "TargetName": "AWS::Lambda::Function",
            "TargetType": "RESOURCE", "Schema": function,
            "IsCfnRegistrySupportedType": true, "SchemaFileAvailable": true}});
        std::fs::write(copy.join("target-info.json"), info.to_string()).unwrap();
    });
    assert_eq!(
        counts,
        Counts {
            passed: 7,
            ..Counts::default()
        },
        "cfn test deployment-hook (wildcard):\n{}",
        tail(&text)
    );
}

// --- Direct invocations: what the contract tests do not assert ---------------

async fn invoke(target: &Target, request: Value) -> Value {
    lambdasign::cfn::handle(target, request).await
}

fn request(type_name: &str, action: &str, properties: Value) -> Value {
    json!({
        "action": action, "resourceType": type_name, "region": REGION, "awsAccountId": ACCOUNT,
        "bearerToken": "0f2b8a9e-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
        "requestData": {"callerCredentials": {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "x"},
                        "logicalResourceId": "Profile", "resourceProperties": properties}
    })
}

#[test]
fn bad_input_is_invalid_request_naming_the_property_and_creates_nothing() {
    let work = tempfile::tempdir().unwrap();
    let target = Target::Local {
        store: work.path().join("store"),
    };
    let runtime = common::fixtures::runtime();
    runtime.block_on(async {
        let cases = [
            (
                "LambdaSign::Signer::SigningProfile",
                json!({"NamePrefix": "release_", "SignatureValidity": {"Value": 136, "Type": "MONTHS"}}),
                "SignatureValidity",
            ),
            (
                "LambdaSign::Signer::SigningProfile",
                json!({"NamePrefix": "release signer"}),
                "NamePrefix",
            ),
            (
                "LambdaSign::Signer::SigningProfile",
                json!({"NamePrefix": "release_", "Tags": [{"Key": "aws:x", "Value": "v"}]}),
                "Tags[\"aws:x\"]",
            ),
            (
                "LambdaSign::Signer::SigningProfile",
                json!({"NamePrefix": "release_", "Revocation": {"Reason": "r", "EffectiveTime": "2026-02-30T00:00:00Z"}}),
                "Revocation.EffectiveTime",
            ),
            (
                "LambdaSign::Signer::SigningProfile",
                json!({"NamePrefix": "release_", "Colour": "blue"}),
                "Colour",
            ),
            (
                // AWS's read-only name, set in a template.
                "LambdaSign::Signer::SigningProfile",
                json!({"ProfileName": "release"}),
                "ProfileName: is read-only",
            ),
            (
                "LambdaSign::Lambda::LayerGrant",
                json!({"LayerVersionArn": "arn:aws:lambda:us-east-1:123456789012:layer:l:1",
                       "VersionNumber": 2, "Principal": "*"}),
                "VersionNumber: goes with LayerName",
            ),
            (
                "LambdaSign::Lambda::CodeSigningConfig",
                json!({"AllowedPublishers": ["arn:aws:signer:us-east-1:123456789012:/signing-profiles/p"]}),
                "AllowedPublishers[0]",
            ),
            (
                "LambdaSign::Lambda::CodeSigningConfig",
                json!({"AllowedPublishers": [], "UntrustedArtifactOnDeployment": "enforce"}),
                "UntrustedArtifactOnDeployment",
            ),
            (
                "LambdaSign::Signer::ProfilePermission",
                json!({"ProfileName": "p1", "Action": "signer:StartSigningJob", "Principal": "nobody"}),
                "Principal",
            ),
            (
                "LambdaSign::Lambda::LayerGrant",
                json!({"LayerName": "l", "VersionNumber": 0, "Principal": "*", "StatementId": "s"}),
                "VersionNumber",
            ),
            (
                "LambdaSign::Signer::SignedArtifact",
                json!({"ProfileName": "p1", "Source": {"Bucket": "b"}, "Destination": {"Bucket": "b"}}),
                "Source.Key",
            ),
            (
                "LambdaSign::Lambda::LayerVersion",
                json!({"LayerName": "l", "SignedObject": {"Bucket": "b", "Key": "k"}, "CompatibleArchitectures": ["sparc"]}),
                "CompatibleArchitectures[0]",
            ),
        ];
        for (type_name, properties, property) in cases {
            let event = invoke(&target, request(type_name, "CREATE", properties.clone())).await;
            assert_eq!(event["status"], "FAILED", "{type_name} {properties}: {event}");
            assert_eq!(event["errorCode"], "InvalidRequest", "{type_name} {properties}: {event}");
            let message = event["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(property),
                "{type_name} {properties}: the message does not name {property}: {message}"
            );
        }
        // Nothing was created.
        for type_name in [
            "LambdaSign::Signer::SigningProfile",
            "LambdaSign::Lambda::CodeSigningConfig",
        ] {
            let listed = invoke(&target, request(type_name, "LIST", json!({}))).await;
            assert_eq!(
                listed,
                json!({"status": "SUCCESS", "resourceModels": []}),
                "{type_name}"
            );
        }
    });
}

#[test]
fn operating_on_what_is_gone_is_not_found() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let target = Target::Local { store };
    let runtime = common::fixtures::runtime();
    runtime.block_on(async {
        let created = invoke(
            &target,
            request("LambdaSign::Signer::SigningProfile", "CREATE", json!({"NamePrefix": "gone_"})),
        )
        .await;
        assert_eq!(created["status"], "SUCCESS", "{created}");
        let model = created["resourceModel"].clone();
        let deleted = invoke(&target, request("LambdaSign::Signer::SigningProfile", "DELETE", model.clone())).await;
        assert_eq!(deleted, json!({"status": "SUCCESS"}), "no model on DELETE");
        for action in ["DELETE", "READ", "UPDATE"] {
            let event = invoke(&target, request("LambdaSign::Signer::SigningProfile", action, model.clone())).await;
            assert_eq!(event["status"], "FAILED", "{action}: {event}");
            assert_eq!(event["errorCode"], "NotFound", "{action}: {event}");
        }
        let listed = invoke(&target, request("LambdaSign::Signer::SigningProfile", "LIST", json!({}))).await;
        assert_eq!(listed, json!({"status": "SUCCESS", "resourceModels": []}));
        let csc = json!({"Arn": "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"});
        let event = invoke(&target, request("LambdaSign::Lambda::CodeSigningConfig", "DELETE", csc)).await;
        assert_eq!(event["errorCode"], "NotFound", "{event}");
    });
}

#[test]
fn a_changed_name_prefix_on_update_is_not_updatable_and_a_name_is_never_set() {
    // The UPDATE's model names the profile by its Arn (the primary
    // identifier); the NamePrefix it asks for is a create-only change. The
    // name itself is generated: a template cannot set it.
    let work = tempfile::tempdir().unwrap();
    let target = Target::Local {
        store: work.path().join("store"),
    };
    let runtime = common::fixtures::runtime();
    runtime.block_on(async {
        let created = invoke(
            &target,
            request(
                "LambdaSign::Signer::SigningProfile",
                "CREATE",
                json!({"Name": "first_name"}),
            ),
        )
        .await;
        assert_eq!(created["status"], "FAILED", "{created}");
        assert_eq!(created["errorCode"], "InvalidRequest", "{created}");
        assert!(
            created["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Name: is read-only"),
            "{created}"
        );
        let created = invoke(
            &target,
            request(
                "LambdaSign::Signer::SigningProfile",
                "CREATE",
                json!({"NamePrefix": "first_"}),
            ),
        )
        .await;
        assert_eq!(created["status"], "SUCCESS", "{created}");
        assert!(
            created["resourceModel"]["Name"]
                .as_str()
                .unwrap()
                .starts_with("first_"),
            "{created}"
        );
        let mut desired = created["resourceModel"].clone();
        desired["NamePrefix"] = json!("second_");
        let mut update = request("LambdaSign::Signer::SigningProfile", "UPDATE", desired);
        update["requestData"]["previousResourceProperties"] = created["resourceModel"].clone();
        let event = invoke(&target, update).await;
        assert_eq!(event["status"], "FAILED", "{event}");
        assert_eq!(event["errorCode"], "NotUpdatable", "{event}");
        assert!(
            event["message"]
                .as_str()
                .unwrap_or_default()
                .contains("NamePrefix"),
            "{event}"
        );
    });
}

/// A template written for AWS's own type, with only `Type:` changed: each
/// of the five is created, read (with AWS's attribute names), and deleted.
#[test]
fn templates_written_for_the_native_types_work_with_only_their_type_changed() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let runtime = common::fixtures::runtime();
    let exports = runtime.block_on(seed(&store, work.path()));
    let target = Target::Local { store };
    let export = |name: &str| exports[name].clone();
    let layer_version_arn = export("LambdaSignTestSignedLayerArn");
    // (our type, the native type's properties, attributes AWS's type has)
    let cases = [
        (
            "LambdaSign::Signer::SigningProfile",
            json!({"PlatformId": "AWSLambda-SHA384-ECDSA",
                   "SignatureValidityPeriod": {"Value": 6, "Type": "MONTHS"},
                   "Tags": [{"Key": "team", "Value": "platform"}]}),
            vec!["Arn", "ProfileName", "ProfileVersion", "ProfileVersionArn"],
        ),
        (
            "LambdaSign::Signer::ProfilePermission",
            json!({"ProfileName": export("LambdaSignTestProfileName"),
                   "ProfileVersion": export("LambdaSignTestProfileVersion"),
                   "Action": "signer:StartSigningJob", "Principal": "210987654321",
                   "StatementId": "native-statement"}),
            vec!["StatementId"],
        ),
        (
            "LambdaSign::Lambda::CodeSigningConfig",
            json!({"AllowedPublishers": {"SigningProfileVersionArns": [export("LambdaSignTestProfileVersionArn")]},
                   "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                   "Description": "native shape"}),
            vec!["CodeSigningConfigArn", "CodeSigningConfigId"],
        ),
        (
            "LambdaSign::Lambda::LayerVersion",
            json!({"LayerName": "native-layer",
                   "Content": {"S3Bucket": export("LambdaSignTestBucket"), "S3Key": export("LambdaSignTestSignedKey")},
                   "CompatibleRuntimes": ["python3.12"], "Description": "native shape"}),
            vec!["LayerVersionArn"],
        ),
        (
            "LambdaSign::Lambda::LayerGrant",
            json!({"Action": "lambda:GetLayerVersion", "LayerVersionArn": layer_version_arn,
                   "Principal": "210987654321"}),
            vec!["StatementId"],
        ),
    ];
    // Each CREATE is its own operation, with its own token.
    let mut operations = 0;
    let mut create = |type_name: &str, properties: Value| {
        operations += 1;
        let mut request = request(type_name, "CREATE", properties);
        request["bearerToken"] = json!(format!("6a1b2c3d-0000-4000-8000-{operations:012}"));
        request
    };
    runtime.block_on(async {
        for (type_name, properties, attributes) in cases {
            let created = invoke(&target, create(type_name, properties.clone())).await;
            assert_eq!(created["status"], "SUCCESS", "{type_name}: {created}");
            let model = created["resourceModel"].clone();
            let read = invoke(&target, request(type_name, "READ", model.clone())).await;
            assert_eq!(read["status"], "SUCCESS", "{type_name}: {read}");
            for attribute in attributes {
                assert!(
                    read["resourceModel"][attribute].is_string(),
                    "{type_name}: no {attribute} in {read}"
                );
            }
            let deleted = invoke(&target, request(type_name, "DELETE", model)).await;
            assert_eq!(deleted["status"], "SUCCESS", "{type_name}: {deleted}");
        }
        // What the native shapes said is what was made.
        let csc = invoke(
            &target,
            create(
                "LambdaSign::Lambda::CodeSigningConfig",
                json!({"AllowedPublishers": {"SigningProfileVersionArns": [export("LambdaSignTestProfileVersionArn")]},
                       "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"}}),
            ),
        )
        .await;
        let model = &csc["resourceModel"];
        assert_eq!(model["UntrustedArtifactOnDeployment"], "Enforce", "{csc}");
        assert_eq!(
            model["AllowedPublishers"]["SigningProfileVersionArns"][0],
            json!(export("LambdaSignTestProfileVersionArn")),
            "the shape the template used comes back: {csc}"
        );
        let profile = invoke(
            &target,
            create(
                "LambdaSign::Signer::SigningProfile",
                json!({"SignatureValidityPeriod": {"Value": 2, "Type": "YEARS"}}),
            ),
        )
        .await;
        assert_eq!(
            profile["resourceModel"]["SignatureValidity"],
            json!({"Value": 2, "Type": "YEARS"}),
            "{profile}"
        );
        assert!(profile["resourceModel"].get("SignatureValidityPeriod").is_none(), "write-only: {profile}");
    });
}

#[test]
fn a_retried_create_makes_nothing_twice() {
    // CloudFormation retries a CREATE with the same token: the generated
    // name comes from it, so the retry finds what the first call made. A
    // new request (another token) makes another profile.
    let work = tempfile::tempdir().unwrap();
    let target = Target::Local {
        store: work.path().join("store"),
    };
    let runtime = common::fixtures::runtime();
    runtime.block_on(async {
        let create = request("LambdaSign::Signer::SigningProfile", "CREATE", json!({}));
        let first = invoke(&target, create.clone()).await;
        let again = invoke(&target, create.clone()).await;
        assert_eq!(first["status"], "SUCCESS", "{first}");
        assert_eq!(again, first, "the retry answers with what the first made");
        let name = first["resourceModel"]["Name"].as_str().unwrap().to_string();
        assert!(name.starts_with("Profile_"), "named from the logical id: {name}");
        let mut other = create.clone();
        other["bearerToken"] = json!("another-request");
        let second = invoke(&target, other).await;
        assert_ne!(second["resourceModel"]["Name"].as_str(), Some(name.as_str()));
        // Without a token, nothing ties two requests: each gets its own name.
        let mut untokened = create.clone();
        untokened.as_object_mut().unwrap().remove("bearerToken");
        let third = invoke(&target, untokened.clone()).await;
        let fourth = invoke(&target, untokened).await;
        assert_eq!(third["status"], "SUCCESS", "{third}");
        assert_ne!(third["resourceModel"]["Name"], fourth["resourceModel"]["Name"]);
        let listed = invoke(
            &target,
            request("LambdaSign::Signer::SigningProfile", "LIST", json!({})),
        )
        .await;
        assert_eq!(
            listed["resourceModels"].as_array().map(Vec::len),
            Some(4),
            "{listed}"
        );

        // A permission without a StatementId: the same.
        let grant = request(
            "LambdaSign::Signer::ProfilePermission",
            "CREATE",
            json!({"ProfileName": name, "Action": "signer:StartSigningJob", "Principal": "222222222222"}),
        );
        let first = invoke(&target, grant.clone()).await;
        let again = invoke(&target, grant).await;
        assert_eq!(first["status"], "SUCCESS", "{first}");
        assert_eq!(again, first, "the retry answers with what the first made");
        let listed = invoke(
            &target,
            request(
                "LambdaSign::Signer::ProfilePermission",
                "LIST",
                json!({"ProfileName": name}),
            ),
        )
        .await;
        assert_eq!(
            listed["resourceModels"].as_array().map(Vec::len),
            Some(1),
            "{listed}"
        );
    });
}

#[test]
fn cfn_invoke_on_a_fresh_store_answers_not_found_for_what_was_never_made() {
    // cfn-invoke owns its store (as serve does): a DELETE or READ before
    // anything was made is NotFound, never "the store does not exist".
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("fresh-store");
    let invoke = Invoke::start(&store);
    for (type_name, model) in [
        (
            "LambdaSign::Signer::SigningProfile",
            json!({"Arn": "arn:aws:signer:us-east-1:123456789012:/signing-profiles/never_made"}),
        ),
        (
            "LambdaSign::Lambda::CodeSigningConfig",
            json!({"Arn": "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"}),
        ),
    ] {
        for action in ["DELETE", "READ"] {
            let event = invoke.invoke(&request(type_name, action, model.clone()));
            assert_eq!(
                event["errorCode"], "NotFound",
                "{type_name} {action}: {event}"
            );
        }
    }
    assert!(
        store.join("store.sqlite3").exists() || store.is_dir(),
        "the store was made at start"
    );
}

#[test]
fn a_revoked_profile_is_gone_once_deleted() {
    let work = tempfile::tempdir().unwrap();
    let target = Target::Local {
        store: work.path().join("store"),
    };
    let runtime = common::fixtures::runtime();
    runtime.block_on(async {
        let created = invoke(
            &target,
            request(
                "LambdaSign::Signer::SigningProfile",
                "CREATE",
                json!({"NamePrefix": "revoked_", "Revocation": {"Reason": "key leaked", "EffectiveTime": "2024-01-01T00:00:00Z"}}),
            ),
        )
        .await;
        assert_eq!(created["resourceModel"]["Status"], "Revoked", "{created}");
        let model = created["resourceModel"].clone();
        let deleted = invoke(&target, request("LambdaSign::Signer::SigningProfile", "DELETE", model.clone())).await;
        assert_eq!(deleted["status"], "SUCCESS", "{deleted}");
        let read = invoke(&target, request("LambdaSign::Signer::SigningProfile", "READ", model)).await;
        assert_eq!(read["errorCode"], "NotFound", "{read}");
    });
}

#[test]
fn s3_types_use_the_stores_emulated_s3() {
    // The local backend signs from and publishes objects of the store's
    // emulated S3 (the buckets `serve` offers): a missing bucket fails the
    // signing, naming it; objects that exist are signed and published.
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let runtime = common::fixtures::runtime();
    let exports = runtime.block_on(seed(&store, work.path()));
    let target = Target::Local {
        store: store.clone(),
    };
    runtime.block_on(async {
        let artifact = |version: &str| {
            request(
                "LambdaSign::Signer::SignedArtifact",
                "CREATE",
                json!({"ProfileName": exports["LambdaSignTestProfileName"],
                       "Source": {"Bucket": "artifacts", "Key": "unsigned/f.zip", "Version": version},
                       "Destination": {"Bucket": "artifacts", "Prefix": "signed/"}}),
            )
        };
        let missing = invoke(&target, artifact("v1")).await;
        assert_eq!(missing["status"], "FAILED", "{missing}");
        assert!(
            missing["message"].as_str().unwrap().contains("artifacts does not exist"),
            "{missing}"
        );

        let s3 = emulated_s3(&store);
        s3.create_bucket("artifacts").await.unwrap();
        s3.put_bucket_versioning("artifacts", true).await.unwrap();
        let zip = work.path().join("f.zip");
        common::fixtures::write_zip(&zip, "index.js", b"exports.handler = 1;");
        let uploaded = s3
            .put_object(
                NewObject {
                    bucket: "artifacts".into(),
                    key: "unsigned/f.zip".into(),
                    content_type: None,
                    metadata: Default::default(),
                },
                std::fs::read(&zip).unwrap().into(),
            )
            .await
            .unwrap();
        // Another request (CloudFormation gives each its own bearer token).
        let mut second = artifact(&uploaded.version_id);
        second["bearerToken"] = json!("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d");
        let signed = invoke(&target, second).await;
        assert_eq!(signed["status"], "SUCCESS", "{signed}");
        let object = &signed["resourceModel"]["SignedObject"];
        assert_eq!(object["Bucket"], "artifacts", "{signed}");
        let layer = invoke(
            &target,
            request(
                "LambdaSign::Lambda::LayerVersion",
                "CREATE",
                json!({"LayerName": "s3-layer",
                       "SignedObject": {"Bucket": "artifacts", "Key": object["Key"], "Version": object["Version"]},
                       "VerifyAgainst": [exports["LambdaSignTestEnforceCsc"]]}),
            ),
        )
        .await;
        assert_eq!(layer["status"], "SUCCESS", "{layer}");
        assert!(
            layer["resourceModel"]["Arn"]
                .as_str()
                .unwrap_or_default()
                .contains(":layer:s3-layer:1"),
            "{layer}"
        );
    });
}

// --- Templates: cfn-lint with our schemas, and plain JSON Schema -------------

/// Our schemas in one directory, as `cfn-lint --registry-schemas` reads them.
fn registry_schemas(work: &Path) -> PathBuf {
    let dir = work.join("registry-schemas");
    std::fs::create_dir_all(&dir).unwrap();
    for project in std::fs::read_dir(repo().join("cloudformation")).unwrap() {
        let project = project.unwrap().path();
        for file in std::fs::read_dir(&project).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("lambdasign-") && name.ends_with(".json") {
                std::fs::copy(&file, dir.join(name)).unwrap();
            }
        }
    }
    dir
}

fn tool(script: &str, args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let output = Command::new(python())
        .arg(repo().join("cloudformation/tools").join(script))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run the tool");
    (
        output.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn examples() -> Vec<PathBuf> {
    ["platform.yaml", "policy.yaml", "stacksets.yaml"]
        .iter()
        .map(|name| repo().join("examples/cloudformation").join(name))
        .collect()
}

#[test]
fn the_rollout_templates_lint_clean_against_our_schemas() {
    let work = tempfile::tempdir().unwrap();
    let schemas = registry_schemas(work.path());
    let templates = examples();
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "--registry-schemas".as_ref(),
        schemas.as_os_str(),
        "--".as_ref(),
    ];
    args.extend(templates.iter().map(|t| t.as_os_str()));
    let (code, text) = tool("cfn_lint_registry.py", &args);
    assert_eq!(code, Some(0), "cfn-lint:\n{text}");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--schemas".as_ref(), schemas.as_os_str()];
    args.extend(templates.iter().map(|t| t.as_os_str()));
    let (code, text) = tool("check_template_types.py", &args);
    assert_eq!(code, Some(0), "JSON Schema check:\n{text}");
    let projects = repo().join("cloudformation");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--projects".as_ref(), projects.as_os_str()];
    args.extend(templates.iter().map(|t| t.as_os_str()));
    let (code, text) = tool("check_execution_roles.py", &args);
    assert_eq!(code, Some(0), "execution roles:\n{text}");
}

/// The StackSets rollout from an empty organisation: on the first run
/// (`SigningProfileVersionArn` still "") no account's stack hands an empty
/// parameter to a property, and every stack has something to create; once
/// the ARN is known, every account gets its config. No template carries a
/// cfn-lint exemption.
#[test]
fn the_first_rollout_hands_no_empty_parameter_to_any_property() {
    let policy = repo().join("examples/cloudformation/policy.yaml");
    let signing = "111111111111";
    let member = "333333333333";
    let version_arn =
        "arn:aws:signer:us-east-1:111111111111:/signing-profiles/release_signing/Ab3De6Gh9J";
    let stack = |account: &str, version: &str| -> (Option<i32>, String) {
        let account = format!("--account={account}");
        let version = format!("--param=SigningProfileVersionArn={version}");
        tool(
            "check_first_rollout.py",
            &[
                policy.as_os_str(),
                account.as_ref(),
                format!("--param=SigningAccountId={signing}").as_ref(),
                "--param=DeveloperAccountId=222222222222".as_ref(),
                version.as_ref(),
            ],
        )
    };
    // First rollout: the member gets only the marker, the signing account
    // everything (its config trusts its own profile).
    let (code, text) = stack(member, "");
    assert_eq!((code, text.trim()), (Some(0), "RolloutMarker"), "{text}");
    let (code, text) = stack(signing, "");
    assert_eq!(code, Some(0), "{text}");
    for made in [
        "ReleaseProfile",
        "EnforceReleaseSigning",
        "DeveloperEnforcementPolicy",
    ] {
        assert!(text.lines().any(|l| l == made), "{made} in:\n{text}");
    }
    // Second rollout, with the signing account's output.
    let (code, text) = stack(member, version_arn);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.lines().any(|l| l == "EnforceReleaseSigning"), "{text}");

    // The check finds what the first rollout used to fail on.
    let work = tempfile::tempdir().unwrap();
    let unguarded = work.path().join("policy.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let config = text
        .find("  EnforceReleaseSigning:")
        .expect("the config resource");
    let guarded = text[config..].replacen("    Condition: KnowsTheProfile\n", "", 1);
    std::fs::write(&unguarded, format!("{}{guarded}", &text[..config])).unwrap();
    let (code, text) = tool(
        "check_first_rollout.py",
        &[
            unguarded.as_os_str(),
            "--account=333333333333".as_ref(),
            format!("--param=SigningAccountId={signing}").as_ref(),
            "--param=DeveloperAccountId=222222222222".as_ref(),
            "--param=SigningProfileVersionArn=".as_ref(),
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("EnforceReleaseSigning/Properties/AllowedPublishers/0: parameter SigningProfileVersionArn is empty"),
        "{text}"
    );

    for template in examples() {
        let text = std::fs::read_to_string(&template).unwrap();
        assert!(
            !text.contains("ignore_checks"),
            "{}: a template-level cfn-lint exemption",
            template.display()
        );
    }
}

#[test]
fn misuse_of_our_types_is_caught_by_both_template_checks() {
    let work = tempfile::tempdir().unwrap();
    let schemas = registry_schemas(work.path());
    let misuse = repo().join("cloudformation/tools/testdata/misuse.yaml");
    let (code, lint) = tool(
        "cfn_lint_registry.py",
        &[
            "--registry-schemas".as_ref(),
            schemas.as_os_str(),
            "--".as_ref(),
            misuse.as_os_str(),
        ],
    );
    assert_ne!(code, Some(0), "{lint}");
    for rule in ["E3031", "E3002", "E3030", "E3003", "E3034", "E6101"] {
        assert!(
            lint.contains(rule),
            "cfn-lint did not report {rule}:\n{lint}"
        );
    }
    let (code, checked) = tool(
        "check_template_types.py",
        &[
            "--schemas".as_ref(),
            schemas.as_os_str(),
            misuse.as_os_str(),
        ],
    );
    assert_eq!(code, Some(1), "{checked}");
    for finding in [
        "Profile/Properties/Arn: read-only property set in template",
        "'Colour' was unexpected",
        "UntrustedArtifactOnDeployment: 'Block' is not one of",
        "'Principal' is a required property",
        "GetAtt Profile.SigningKey: not an attribute",
    ] {
        assert!(
            checked.contains(finding),
            "not reported: {finding}\n{checked}"
        );
    }
}

#[test]
fn cfn_invoke_with_an_endpoint_runs_the_handlers_on_the_aws_backend() {
    // `serve` answers Signer's calls as AWS does (moto answers a
    // GetSigningProfile of an unknown profile, which every CREATE makes to
    // find what a retried request made, with a 500): enough to see a
    // request's caller credentials, account and region drive the aws
    // backend through `--endpoint`.
    let work = tempfile::tempdir().unwrap();
    let serve = common::serve::Serve::start_on(&work.path().join("store"));
    let invoke = Invoke::start_with(&["--endpoint", &serve.url]);
    let created = invoke.invoke(&request(
        "LambdaSign::Signer::SigningProfile",
        "CREATE",
        json!({"NamePrefix": "cfn_endpoint_", "Tags": [{"Key": "team", "Value": "platform"}]}),
    ));
    assert_eq!(created["status"], "SUCCESS", "{created}");
    let model = created["resourceModel"].clone();
    let name = model["Name"]
        .as_str()
        .expect("a generated name")
        .to_string();
    assert!(name.starts_with("cfn_endpoint_"), "{name}");
    assert_eq!(
        model["Arn"],
        format!("arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/{name}")
    );
    let read = invoke.invoke(&request(
        "LambdaSign::Signer::SigningProfile",
        "READ",
        model.clone(),
    ));
    assert_eq!(read["resourceModel"]["Version"], model["Version"], "{read}");
    let deleted = invoke.invoke(&request(
        "LambdaSign::Signer::SigningProfile",
        "DELETE",
        model.clone(),
    ));
    assert_eq!(deleted, json!({"status": "SUCCESS"}));
    let gone = invoke.invoke(&request(
        "LambdaSign::Signer::SigningProfile",
        "READ",
        model,
    ));
    assert_eq!(gone["errorCode"], "NotFound", "{gone}");
    let mut anonymous = request(
        "LambdaSign::Signer::SigningProfile",
        "READ",
        json!({"Name": name}),
    );
    anonymous["requestData"]["callerCredentials"] = Value::Null;
    let refused = invoke.invoke(&anonymous);
    assert_eq!(refused["errorCode"], "InvalidCredentials", "{refused}");
}

#[test]
fn handler_logs_reach_the_log_group_cloudformation_names() {
    // moto stands in for CloudWatch Logs (and, for this READ, Signer): the
    // line of the invocation lands in the group `providerLogGroupName`
    // names, written with `providerCredentials`, in the stream
    // `<stack id>/<logical id>`; the group is made when missing.
    let moto = common::moto::Moto::start();
    let invoke = Invoke::start_with(&["--endpoint", &moto.endpoint()]);
    let mut read = request(
        "LambdaSign::Signer::SigningProfile",
        "READ",
        json!({"Arn": format!("arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/nothing_here")}),
    );
    read["stackId"] = json!(format!(
        "arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/app/1"
    ));
    read["requestData"]["logicalResourceId"] = json!("Signer");
    read["requestData"]["providerLogGroupName"] = json!("lambdasign-handlers");
    read["requestData"]["providerCredentials"] =
        json!({"accessKeyId": "AKIDLOGWRITER", "secretAccessKey": "x", "sessionToken": "t"});
    let event = invoke.invoke(&read);
    assert_eq!(event["status"], "FAILED", "{event}");

    let logs = common::fixtures::runtime().block_on(async {
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new(REGION))
            .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                "AKIDREADER",
                "x",
                None,
                None,
                "test",
            ))
            .endpoint_url(moto.endpoint())
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(config)
            .get_log_events()
            .log_group_name("lambdasign-handlers")
            .log_stream_name(format!(
                "arn__aws__cloudformation__{REGION}__{ACCOUNT}__stack/app/1/Signer"
            ))
            .send()
            .await
            .expect("the handler's log stream")
    });
    let lines: Vec<&str> = logs.events().iter().filter_map(|e| e.message()).collect();
    let code = event["errorCode"].as_str().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "LambdaSign::Signer::SigningProfile READ Failed Some({code}): "
        )),
        "{lines:?}"
    );
    assert!(
        !lines[0].contains("AKIDLOGWRITER"),
        "no credentials in the log"
    );
}

/// The example requests that docs/cloudformation walks through are real:
/// the profile, its permission and a config of its version, in order, on a
/// fresh store.
#[test]
fn the_documented_example_requests_succeed_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let invoke = Invoke::start(&tmp.path().join("store"));
    let example = |name: &str| -> String {
        std::fs::read_to_string(repo().join("examples/cloudformation/requests").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let succeeded = |name: &str, text: &str| -> Value {
        let request: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let response = invoke.invoke(&request);
        assert_eq!(response["status"], "SUCCESS", "{name}: {response}");
        response
    };
    let profile = succeeded(
        "signing-profile-create.json",
        &example("signing-profile-create.json"),
    );
    let version_arn = profile["resourceModel"]["VersionArn"]
        .as_str()
        .unwrap_or_else(|| panic!("no VersionArn: {profile}"))
        .to_string();
    succeeded(
        "profile-permission-create.json",
        &example("profile-permission-create.json"),
    );
    let csc = example("code-signing-config-create.json")
        .replace("<VersionArn of signing-profile-create>", &version_arn);
    succeeded("code-signing-config-create.json", &csc);
}
