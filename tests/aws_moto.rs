//! The aws backend against a real moto server (moto 5, started per test by
//! `common::moto`): what moto implements of S3, STS, Signer (profiles and
//! tags) and Lambda (layer versions and their permissions), through the
//! backend directly and through the real `terraform` binary.
//!
//! Signer jobs, profile permissions and revocation, and Lambda code signing
//! configs are not implemented by moto: `src/backend/aws/tests.rs` covers
//! them with responses shaped as the service models say.

mod common;

use std::io::Write as _;

use common::fixtures::write_zip;
use common::moto::{Moto, MOTO_ACCOUNT, REGION};
use common::terraform::Workspace;
use lambdasign::backend::aws::{s3, AwsBackend, AwsConfig, Endpoints};
use lambdasign::backend::{
    AddLayerPermission, Backend, BackendError, PublishLayerVersion, PutSigningProfile, Staging,
    StartSigningJob, DEFAULT_SIGNING_TIMEOUT,
};
use lambdasign::domain::job::ObjectLocation;
use lambdasign::domain::profile::{
    ProfileStatus, SignatureValidity, ValidityUnit, LAMBDA_PLATFORM,
};
use lambdasign::domain::tags::Tags;
use sha2::{Digest, Sha384};

fn config_for(moto: &Moto) -> AwsConfig {
    let e = moto.endpoint();
    AwsConfig {
        region: Some(REGION.into()),
        max_retries: Some(1),
        endpoints: Endpoints {
            lambda: Some(e.clone()),
            signer: Some(e.clone()),
            s3: Some(e.clone()),
            sts: Some(e),
        },
        ..AwsConfig::default()
    }
}

fn set_fake_credentials() {
    // Every test sets the same values, so concurrent tests agree.
    for (key, value) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ] {
        std::env::set_var(key, value);
    }
}

async fn backend(moto: &Moto) -> AwsBackend {
    set_fake_credentials();
    let connected = AwsBackend::connect(&config_for(moto))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(connected.warnings.is_empty(), "{:?}", connected.warnings);
    connected.backend
}

async fn bucket(moto: &Moto, name: &str, versioned: bool) {
    let s3 = moto.s3().await;
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create bucket");
    if versioned {
        s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("enable versioning");
    }
}

fn sha384_hex(bytes: &[u8]) -> String {
    hex::encode(Sha384::digest(bytes))
}

#[tokio::test]
async fn configure_checks_credentials_with_sts() {
    let moto = Moto::start();
    moto.reset();
    let backend = backend(&moto).await;
    let id = backend.identity();
    assert_eq!(
        (
            id.account_id.as_str(),
            id.region.as_str(),
            id.partition.as_str()
        ),
        (MOTO_ACCOUNT, REGION, "aws")
    );

    // A test stack whose STS does not answer: a warning, not an error.
    let mut dead = config_for(&moto);
    dead.endpoints.sts = Some("http://127.0.0.1:9".into());
    dead.max_retries = Some(0);
    let connected = AwsBackend::connect(&dead).await.expect("test stack");
    assert_eq!(connected.warnings.len(), 1);
    assert!(
        connected.warnings[0].contains("sts:GetCallerIdentity failed"),
        "{:?}",
        connected.warnings
    );
}

#[tokio::test]
async fn staging_needs_versioning_and_objects_stream_both_ways() {
    let moto = Moto::start();
    moto.reset();
    let backend = backend(&moto).await;
    bucket(&moto, "plain", false).await;
    bucket(&moto, "versioned", true).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let source = tmp.path().join("function.zip");
    write_zip(&source, "index.js", b"exports.handler = async () => 1;");

    // An unversioned staging bucket is refused before anything is uploaded.
    let start = |bucket: &str| StartSigningJob {
        profile_name: "app".into(),
        profile_owner: None,
        source: ObjectLocation::File(source.clone()),
        destination: ObjectLocation::S3 {
            bucket: "versioned".into(),
            key: "signed/".into(),
            version: None,
        },
        client_request_token: "token".into(),
        staging: Some(Staging {
            bucket: bucket.to_string(),
            prefix: "in/".into(),
        }),
        download_to: None,
        timeout: DEFAULT_SIGNING_TIMEOUT,
    };
    let refused = backend.start_signing_job(start("plain")).await;
    match refused {
        Err(BackendError::InvalidInput(message)) => {
            assert!(message.to_string().contains("versioning"), "{message}")
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let s3c = moto.s3().await;
    let listed = s3c
        .list_objects_v2()
        .bucket("plain")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0), "nothing may be uploaded");

    // The versioned bucket: upload (streamed), then download and digest.
    s3::require_versioning(&s3c, "versioned")
        .await
        .expect("versioned bucket passes");
    let version = s3::upload(&s3c, "versioned", "in/function.zip", &source)
        .await
        .expect("upload");
    assert!(!version.is_empty());
    let bytes = std::fs::read(&source).expect("source");
    let out = tmp.path().join("copy.zip");
    let digest = s3::download(&s3c, "versioned", "in/function.zip", Some(&version), &out)
        .await
        .expect("download");
    assert_eq!(digest, sha384_hex(&bytes));
    assert_eq!(std::fs::read(&out).expect("copy"), bytes);
    assert_eq!(
        s3::digest(&s3c, "versioned", "in/function.zip", None)
            .await
            .expect("digest"),
        digest
    );
    assert_eq!(
        s3::latest_version(&s3c, "versioned", "in/function.zip")
            .await
            .expect("version"),
        version
    );
    assert!(s3::head(&s3c, "versioned", "missing.zip")
        .await
        .expect("head")
        .is_none());
}

#[tokio::test]
async fn signing_profiles_put_get_tag_cancel() {
    let moto = Moto::start();
    moto.reset();
    let backend = backend(&moto).await;
    let profile = backend
        .put_signing_profile(PutSigningProfile {
            name: "app_profile".into(),
            platform_id: LAMBDA_PLATFORM.into(),
            validity: SignatureValidity {
                value: 2,
                unit: ValidityUnit::Years,
            },
            certificate_arn: None,
            signing_parameters: Default::default(),
            tags: Tags::from([("team".into(), "payments".into())]),
        })
        .await
        .expect("put");
    assert_eq!(profile.name, "app_profile");
    assert_eq!(profile.owner, MOTO_ACCOUNT);
    assert_eq!(profile.status, ProfileStatus::Active);
    assert_eq!(profile.version.len(), 10);
    assert_eq!(
        profile.version_arn,
        format!("{}/{}", profile.arn, profile.version)
    );
    assert_eq!(profile.validity.value, 2);
    assert_eq!(profile.validity.unit, ValidityUnit::Years);
    assert_eq!(
        profile.tags.get("team").map(String::as_str),
        Some("payments")
    );

    let retagged = backend
        .set_signing_profile_tags("app_profile", Tags::from([("owner".into(), "b".into())]))
        .await
        .expect("tags");
    assert_eq!(retagged.tags, Tags::from([("owner".into(), "b".into())]));

    backend
        .cancel_signing_profile("app_profile")
        .await
        .expect("cancel");
    let canceled = backend
        .get_signing_profile("app_profile", None)
        .await
        .expect("get");
    assert_eq!(canceled.status, ProfileStatus::Canceled);
}

#[tokio::test]
async fn layer_versions_and_several_grants_per_version() {
    let moto = Moto::start();
    moto.reset();
    let backend = backend(&moto).await;
    bucket(&moto, "layers", true).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let zip = tmp.path().join("layer.zip");
    write_zip(&zip, "python/lib.py", b"X = 1\n");
    let s3c = moto.s3().await;
    let version = s3::upload(&s3c, "layers", "layer.zip", &zip)
        .await
        .expect("upload");

    let layer = backend
        .publish_layer_version(PublishLayerVersion {
            license_info: None,
            layer_name: "shared".into(),
            content: ObjectLocation::S3 {
                bucket: "layers".into(),
                key: "layer.zip".into(),
                version: Some(version),
            },
            compatible_runtimes: vec!["python3.12".into()],
            compatible_architectures: vec!["arm64".into()],
            description: "shared code".into(),
        })
        .await
        .expect("publish");
    assert_eq!(layer.version, 1);
    assert_eq!(layer.owner, MOTO_ACCOUNT);
    assert_eq!(layer.layer_name, "shared");
    assert_eq!(
        layer.content_sha384,
        sha384_hex(&std::fs::read(&zip).expect("zip"))
    );
    // GetLayerVersionByArn (get_layer_version, and the signature facts of a
    // layer) is not routed by moto's server: the model-shaped mocks in
    // src/backend/aws/tests.rs cover it.

    let grant = |sid: &str, principal: &str, org: Option<&str>, revision: Option<String>| {
        AddLayerPermission {
            layer_name: "shared".into(),
            version: 1,
            statement_id: sid.into(),
            principal: principal.into(),
            organization_id: org.map(str::to_string),
            revision_id: revision,
        }
    };
    backend
        .add_layer_permission(grant("a", "222222222222", None, None))
        .await
        .expect("grant a");
    backend
        .add_layer_permission(grant("b", "333333333333", None, None))
        .await
        .expect("grant b");
    let policy = backend
        // moto drops OrganizationId; src/backend/aws/lambda.rs tests the
        // aws:PrincipalOrgID condition on a policy shaped as Lambda's.
        .add_layer_permission(grant("c", "*", None, None))
        .await
        .expect("grant c");
    let mut statements: Vec<(String, String, Option<String>)> = policy
        .statements
        .iter()
        .map(|s| {
            (
                s.statement_id.clone(),
                s.principal.clone(),
                s.organization_id.clone(),
            )
        })
        .collect();
    statements.sort();
    assert_eq!(
        statements,
        vec![
            ("a".into(), "222222222222".into(), None),
            ("b".into(), "333333333333".into(), None),
            ("c".into(), "*".into(), None),
        ]
    );
    // moto reads AddLayerVersionPermission's RevisionId from the body, not
    // the query string the model puts it in, so a stale revision id is not
    // refused here; the mocks test PreconditionFailedException.
    // moto compares RemoveLayerVersionPermission's RevisionId (a query list)
    // to a string, so any revision id is refused: remove without one here.
    assert!(!policy.revision_id.is_empty());
    backend
        .remove_layer_permission("shared", 1, "b", None)
        .await
        .expect("remove b");
    let policy = backend.get_layer_policy("shared", 1).await.expect("policy");
    let mut ids: Vec<&str> = policy
        .statements
        .iter()
        .map(|s| s.statement_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["a", "c"]);

    backend
        .delete_layer_version("shared", 1)
        .await
        .expect("delete");
    let left = moto
        .lambda()
        .await
        .list_layer_versions()
        .layer_name("shared")
        .send()
        .await
        .expect("list layer versions");
    assert!(left.layer_versions().is_empty(), "{left:?}");
}

/// Publishes a layer version directly (as another pipeline would).
async fn publish_layer(moto: &Moto, name: &str) -> i64 {
    let lambda = moto.lambda().await;
    let mut zip = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
        writer
            .start_file("lib.txt", zip::write::SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(b"layer").expect("data");
        writer.finish().expect("finish");
    }
    lambda
        .publish_layer_version()
        .layer_name(name)
        .content(
            aws_sdk_lambda::types::LayerVersionContentInput::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .expect("publish layer")
        .version()
}

const TF_BODY: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_profile"
  tags = { team = "payments" }
}

resource "lambdasign_layer_grant" "partner" {
  layer_name     = "shared"
  version_number = 1
  principal      = "222222222222"
  statement_id   = "partner"
  skip_destroy   = true
}

resource "lambdasign_layer_grant" "org" {
  layer_name     = "shared"
  version_number = 1
  principal      = "*"
  statement_id   = "org"
  skip_destroy   = true
}
"#;

fn assert_empty_plan(ws: &Workspace, what: &str) {
    let output = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what} must be empty:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn terraform_profiles_and_layer_grants_on_moto() {
    let moto = Moto::start();
    moto.reset();
    let rt = common::fixtures::runtime();
    assert_eq!(rt.block_on(publish_layer(&moto, "shared")), 1);
    let mut ws = Workspace::new();
    for (key, value) in moto.env() {
        ws.set_env(key, value);
    }
    ws.main_tf_with_provider(&moto.provider_block(), TF_BODY);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_empty_plan(&ws, "second plan");

    let name = "app_profile";
    // Both grants are in the layer version's policy.
    set_fake_credentials();
    let policy = rt.block_on(async {
        let backend = backend(&moto).await;
        backend.get_layer_policy("shared", 1).await.expect("policy")
    });
    let mut ids: Vec<&str> = policy
        .statements
        .iter()
        .map(|s| s.statement_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["org", "partner"]);

    // In-place tag update.
    ws.main_tf_with_provider(
        &moto.provider_block(),
        &TF_BODY.replace("payments", "billing"),
    );
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_empty_plan(&ws, "plan after the update");

    // Import round trips: the profile by name, a grant by layer,version,sid.
    ws.ok(&[
        "state",
        "rm",
        "lambdasign_signing_profile.app",
        "lambdasign_layer_grant.partner",
    ]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_signing_profile.app",
        name,
    ]);
    ws.ok(&[
        "import",
        "-no-color",
        "lambdasign_layer_grant.partner",
        "shared,1,partner",
    ]);
    // Only skip_destroy (a Terraform-side setting) is not imported.
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy") && plan.contains("+ skip_destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_empty_plan(&ws, "plan after import");

    // Drift: a grant removed and the profile canceled behind Terraform's back.
    rt.block_on(async {
        let backend = backend(&moto).await;
        backend
            .remove_layer_permission("shared", 1, "org", None)
            .await
            .expect("remove org");
        backend.cancel_signing_profile(name).await.expect("cancel");
    });
    // The grant is planned again; the profile cannot be: Signer never
    // reuses a name, which the plan says rather than the apply.
    let output = ws.run(&["plan", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert!(!output.status.success());
    assert!(
        stderr.contains("Profile name already used") && stderr.contains("Canceled"),
        "{stderr}"
    );
    let renamed = TF_BODY.replace("\"app_profile\"", "\"app_profile_2\"");
    ws.main_tf_with_provider(&moto.provider_block(), &renamed);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("2 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );

    // Destroy (after re-creating what drifted): the profile is canceled; the
    // grants stay (skip_destroy: moto refuses every RevisionId on
    // RemoveLayerVersionPermission, which the resource always sends).
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    rt.block_on(async {
        let backend = backend(&moto).await;
        let profile = backend
            .get_signing_profile("app_profile_2", None)
            .await
            .expect("profile");
        assert_eq!(profile.status, ProfileStatus::Canceled);
        let policy = backend.get_layer_policy("shared", 1).await.expect("policy");
        assert_eq!(policy.statements.len(), 2, "{policy:?}");
    });
}

#[test]
fn terraform_signed_artifact_stages_only_in_versioned_buckets() {
    let moto = Moto::start();
    moto.reset();
    let rt = common::fixtures::runtime();
    rt.block_on(async {
        bucket(&moto, "plain", false).await;
        bucket(&moto, "versioned", true).await;
    });
    let mut ws = Workspace::new();
    for (key, value) in moto.env() {
        ws.set_env(key, value);
    }
    write_zip(
        &ws.path("function.zip"),
        "index.js",
        b"exports.handler = 1;",
    );
    let artifact = |staging: &str| {
        format!(
            r#"
resource "lambdasign_signed_artifact" "function" {{
  profile_name = "app_profile"
  source_file  = "function.zip"
  output_file  = "function.signed.zip"
  staging {{
    bucket = "{staging}"
    prefix = "in/"
  }}
  destination {{
    bucket = "versioned"
    prefix = "signed/"
  }}
}}
"#
        )
    };
    ws.main_tf_with_provider(&moto.provider_block(), &artifact("plain"));
    ws.ok(&["init", "-no-color"]);
    let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace('\n', " ");
    assert!(!output.status.success());
    assert!(
        stderr.contains("does not have versioning enabled") && stderr.contains("plain"),
        "{stderr}"
    );

    // A versioned staging bucket receives the source (moto then lacks
    // StartSigningJob, so the apply stops there, with Signer's error).
    ws.main_tf_with_provider(&moto.provider_block(), &artifact("versioned"));
    let output = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.contains("signer:StartSigningJob"), "{stderr}");
    let staged = rt.block_on(async {
        let s3c = moto.s3().await;
        s3c.list_objects_v2()
            .bucket("versioned")
            .prefix("in/")
            .send()
            .await
            .expect("list")
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect::<Vec<_>>()
    });
    assert_eq!(staged.len(), 1, "{staged:?}");
    assert!(staged[0].ends_with("-function.zip"), "{staged:?}");
}
