//! The aws backend through the real `terraform` binary against `serve`:
//! every resource and data source of the provider with the AWS SDK for Rust
//! on the wire (endpoints overridden, credentials whose access key id is
//! the account). Create, an empty second plan, update in place, import,
//! drift made behind Terraform's back, destroy; signed artifacts from
//! `source_file` through `staging`; ten permissions on one profile in one
//! apply; verification by `signing_job_arn` and `layer_version_arn`.

mod common;

use std::sync::Arc;

use aws_sdk_s3::config::Credentials;
use common::fixtures::{runtime, write_zip};
use common::serve::{Serve, REGION};
use common::terraform::Workspace;
use lambdasign::backend::aws::{config, AwsBackend, AwsConfig, Endpoints};
use lambdasign::backend::Backend;
use lambdasign::domain::arn::Partition;
use lambdasign::domain::checks::Enforcement;
use lambdasign::domain::identity::Identity;
use lambdasign::domain::profile::ProfileStatus;
use lambdasign::domain::tags::Tags;

const ACCOUNT: &str = "111111111111";

/// The aws backend as `ACCOUNT` on `serve`, to look and to make drift.
fn backend(serve: &Serve) -> Arc<AwsBackend> {
    runtime().block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(Credentials::new(ACCOUNT, "secret", None, None, "test"))
            .load()
            .await;
        let settings = AwsConfig {
            region: Some(REGION.into()),
            max_retries: Some(0),
            endpoints: Endpoints::all(&serve.url),
            ..AwsConfig::default()
        };
        Arc::new(AwsBackend::new(
            Identity {
                partition: Partition::Aws,
                account_id: ACCOUNT.into(),
                region: REGION.into(),
            },
            config::clients(&sdk, &settings),
        ))
    })
}

/// Versioned buckets, and an object to sign from S3; its version.
fn buckets_and_object(serve: &Serve, names: &[&str], object: &std::path::Path) -> String {
    runtime().block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(Credentials::new(ACCOUNT, "secret", None, None, "test"))
            .endpoint_url(&serve.url)
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::new(&sdk);
        for name in names {
            s3.create_bucket()
                .bucket(*name)
                .send()
                .await
                .expect("bucket");
            s3.put_bucket_versioning()
                .bucket(*name)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("versioning");
        }
        s3.put_object()
            .bucket(names[0])
            .key("uploads/object.zip")
            .body(
                aws_sdk_s3::primitives::ByteStream::from_path(object)
                    .await
                    .expect("object"),
            )
            .send()
            .await
            .expect("upload")
            .version_id()
            .expect("a version id")
            .to_string()
    })
}

const BODY: &str = r#"
resource "lambdasign_signing_profile" "app" {
  name = "app_signing"
  tags = { team = "payments" }
}

resource "lambdasign_signing_profile" "layers" {
  name_prefix = "layers_"
  signature_validity {
    value = 2
    type  = "YEARS"
  }
}

resource "lambdasign_signing_profile_permission" "team" {
  count        = 10
  profile_name = lambdasign_signing_profile.app.name
  action       = "signer:StartSigningJob"
  principal    = format("2222222222%02d", count.index)
  statement_id = "team-${count.index}"
}

resource "lambdasign_code_signing_config" "app" {
  allowed_publishers               = [lambdasign_signing_profile.app.version_arn, lambdasign_signing_profile.layers.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
  description                      = "payments functions"
  tags                             = { team = "payments" }
}

resource "lambdasign_signed_artifact" "function" {
  profile_name   = lambdasign_signing_profile.app.name
  source_file    = "function.zip"
  output_file    = "build/function.signed.zip"
  verify_against = [lambdasign_code_signing_config.app.arn]
  staging {
    bucket = "tf-staging"
    prefix = "in/"
  }
  destination {
    bucket = "tf-signed"
    prefix = "signed/"
  }
}

resource "lambdasign_signed_artifact" "object" {
  profile_name   = lambdasign_signing_profile.app.name
  verify_against = [lambdasign_code_signing_config.app.arn]
  source_object {
    bucket  = "tf-staging"
    key     = "uploads/object.zip"
    version = "OBJECT_VERSION"
  }
  destination {
    bucket = "tf-signed"
    prefix = "objects/"
  }
}

resource "lambdasign_signed_artifact" "layer" {
  profile_name = lambdasign_signing_profile.layers.name
  source_file  = "layer.zip"
  staging {
    bucket = "tf-staging"
    prefix = "in/"
  }
  destination {
    bucket = "tf-signed"
    prefix = "layers/"
  }
}

resource "lambdasign_layer_version" "shared" {
  layer_name          = "shared"
  compatible_runtimes = ["python3.12"]
  verify_against      = [lambdasign_code_signing_config.app.arn]
  signed_object {
    bucket = lambdasign_signed_artifact.layer.signed_object.bucket
    key    = lambdasign_signed_artifact.layer.signed_object.key
  }
}

resource "lambdasign_layer_grant" "partner" {
  layer_name     = lambdasign_layer_version.shared.layer_name
  version_number = lambdasign_layer_version.shared.version
  principal      = "333333333333"
  statement_id   = "partner"
}

resource "lambdasign_verification" "deploy" {
  code_signing_config_arn = lambdasign_code_signing_config.app.arn
  artifact {
    name            = "function"
    signing_job_arn = lambdasign_signed_artifact.function.job_arn
  }
  artifact {
    name              = "shared layer"
    layer_version_arn = lambdasign_layer_version.shared.arn
  }
}

data "lambdasign_verification" "deploy" {
  code_signing_config_arn = lambdasign_code_signing_config.app.arn
  artifact {
    name            = "function"
    signing_job_arn = lambdasign_signed_artifact.function.job_arn
  }
  artifact {
    name              = "shared layer"
    layer_version_arn = lambdasign_layer_version.shared.arn
  }
}

data "lambdasign_signing_profile" "app" {
  name = lambdasign_signing_profile.app.name
}

data "lambdasign_code_signing_config" "app" {
  arn = lambdasign_code_signing_config.app.arn
}

data "lambdasign_signing_job" "function" {
  job_id                  = lambdasign_signed_artifact.function.job_id
  code_signing_config_arn = lambdasign_code_signing_config.app.arn
}

data "lambdasign_layer_signature" "shared" {
  layer_version_arn       = lambdasign_layer_version.shared.arn
  code_signing_config_arn = lambdasign_code_signing_config.app.arn
}

data "lambdasign_enforcement_policy" "developers" {
  code_signing_config_arns = [lambdasign_code_signing_config.app.arn]
}

output "verified" {
  value = lambdasign_verification.deploy.allowed && data.lambdasign_verification.deploy.allowed
}

output "job_id" {
  value = lambdasign_signed_artifact.function.job_id
}

output "job_status" {
  value = data.lambdasign_signing_job.function.status
}

output "csc_arn" {
  value = lambdasign_code_signing_config.app.arn
}

output "layer_arn" {
  value = lambdasign_layer_version.shared.arn
}

output "layer_signed_by" {
  value = data.lambdasign_layer_signature.shared.signing_profile_version_arn
}

output "layer_key" {
  value = lambdasign_signed_artifact.layer.signed_object.key
}

output "object_job_id" {
  value = lambdasign_signed_artifact.object.job_id
}

output "layer_sha384" {
  value = lambdasign_layer_version.shared.source_sha384
}

output "profile_version_arn" {
  value = data.lambdasign_signing_profile.app.version_arn
}

output "csc_policy" {
  value = data.lambdasign_code_signing_config.app.untrusted_artifact_on_deployment
}

output "policy_json" {
  value = data.lambdasign_enforcement_policy.developers.json
}
"#;

fn plan_is_empty(ws: &Workspace, what: &str) {
    let output = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what} must be empty:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn output(ws: &Workspace, name: &str) -> String {
    ws.ok(&["output", "-raw", name])
}

#[test]
fn every_resource_and_data_source_on_serve() {
    let serve = Serve::start();
    let aws = backend(&serve);
    let rt = runtime();
    let mut ws = Workspace::new();
    for (key, value) in Serve::env(ACCOUNT) {
        ws.set_env(key, value);
    }
    write_zip(
        &ws.path("function.zip"),
        "index.py",
        b"def handler(e, c):\n    return 1\n",
    );
    write_zip(
        &ws.path("layer.zip"),
        "python/shared.py",
        b"SHARED = True\n",
    );
    write_zip(&ws.path("object.zip"), "index.py", b"OBJECT = 1\n");
    // The S3 upload streams from a file: aws-chunked, signed, on the wire.
    let version = buckets_and_object(&serve, &["tf-staging", "tf-signed"], &ws.path("object.zip"));
    let body = BODY.replace("OBJECT_VERSION", &version);
    let provider = serve.provider_block(None);
    ws.main_tf_with_provider(&provider, &body);
    ws.ok(&["init", "-no-color"]);

    // Create: everything in one apply, ten permissions included.
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    plan_is_empty(&ws, "the second plan");
    assert_eq!(output(&ws, "verified"), "true");
    assert_eq!(output(&ws, "job_status"), "Succeeded");
    assert_eq!(output(&ws, "csc_policy"), "Enforce");
    assert_eq!(
        output(&ws, "layer_sha384").len(),
        96,
        "source_sha384 is known after apply"
    );
    assert!(output(&ws, "policy_json").contains(&output(&ws, "csc_arn")));
    let profile_version = output(&ws, "profile_version_arn");
    assert!(output(&ws, "layer_signed_by").contains(":/signing-profiles/layers_"));
    assert!(
        ws.path("build/function.signed.zip").exists(),
        "downloaded to output_file"
    );
    let permissions = rt
        .block_on(aws.list_profile_permissions("app_signing"))
        .expect("permissions");
    assert_eq!(permissions.permissions.len(), 10, "{permissions:?}");
    // The function zip went through the staging bucket; Signer wrote the
    // signed object to the destination as prefix + job id + .zip.
    let job_id = output(&ws, "job_id");
    let job = rt.block_on(aws.describe_signing_job(&job_id)).expect("job");
    match &job.signed_object {
        lambdasign::domain::job::ObjectLocation::S3 { bucket, key, .. } => {
            assert_eq!(
                (bucket.as_str(), key.as_str()),
                ("tf-signed", format!("signed/{job_id}.zip").as_str())
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(job.profile_version_arn, profile_version);

    // Update in place: tags, the config's description and policy, a
    // permission's principal (replaced), verify_against.
    let updated = body
        .replace(
            "team = \"payments\" }\n}\n\nresource \"lambdasign_signing_profile\" \"layers\"",
            "team = \"billing\" }\n}\n\nresource \"lambdasign_signing_profile\" \"layers\"",
        )
        .replace(
            "description                      = \"payments functions\"",
            "description                      = \"billing functions\"",
        );
    ws.main_tf_with_provider(&provider, &updated);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 2 to change, 0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    plan_is_empty(&ws, "the plan after the update");
    let profile = rt
        .block_on(aws.get_signing_profile("app_signing", None))
        .expect("profile");
    assert_eq!(
        profile.tags.get("team").map(String::as_str),
        Some("billing")
    );

    // Import round trips, each resource by its documented id.
    // (A signed artifact staged from a local file imports as its staged
    // S3 object; the one signed from `source_object` round-trips.)
    let csc_arn = output(&ws, "csc_arn");
    let layer_arn = output(&ws, "layer_arn");
    let layer_object = format!("s3://tf-signed/{}", output(&ws, "layer_key"));
    let imports: Vec<(&str, String)> = vec![
        ("lambdasign_signing_profile.app", "app_signing".into()),
        (
            "lambdasign_signing_profile_permission.team[3]",
            "app_signing/team-3".into(),
        ),
        ("lambdasign_code_signing_config.app", csc_arn.clone()),
        (
            "lambdasign_signed_artifact.object",
            output(&ws, "object_job_id"),
        ),
        (
            "lambdasign_layer_version.shared",
            format!("{layer_arn},{layer_object}"),
        ),
        ("lambdasign_layer_grant.partner", "shared,1,partner".into()),
    ];
    for (address, id) in &imports {
        ws.ok(&["state", "rm", address]);
        ws.ok(&["import", "-no-color", address, id]);
    }
    // What import cannot restore (verify_against, Terraform-side settings)
    // is an in-place update, never a replacement.
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add") && plan.contains("0 to destroy"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    plan_is_empty(&ws, "the plan after import");

    // Drift behind Terraform's back: each is planned back.
    rt.block_on(async {
        aws.tag_resource(
            &profile.arn,
            Tags::from([("intruder".to_string(), "x".to_string())]),
        )
        .await
        .expect("tag");
        let revision = aws
            .list_profile_permissions("app_signing")
            .await
            .expect("policy")
            .revision_id;
        aws.remove_profile_permission("app_signing", "team-7", &revision)
            .await
            .expect("remove permission");
        let csc = aws.get_code_signing_config(&csc_arn).await.expect("csc");
        aws.update_code_signing_config(
            &csc_arn,
            lambdasign::backend::CodeSigningConfigInput {
                allowed_publishers: csc.allowed_publishers.clone(),
                enforcement: Enforcement::Warn,
                description: csc.description.clone(),
                tags: csc.tags.clone(),
            },
        )
        .await
        .expect("relax the config");
        let policy = aws
            .get_layer_policy("shared", 1)
            .await
            .expect("layer policy");
        aws.remove_layer_permission("shared", 1, "partner", Some(&policy.revision_id))
            .await
            .expect("remove grant");
    });
    std::fs::remove_file(ws.path("build/function.signed.zip")).expect("remove output");
    let plan = ws.ok(&["plan", "-no-color"]);
    for drift in [
        "\"intruder\" = \"x\" -> null",
        "lambdasign_signing_profile_permission.team[7] will be created",
        "\"Warn\" -> \"Enforce\"",
        "lambdasign_layer_grant.partner will be created",
        "output_sha384",
    ] {
        assert!(plan.contains(drift), "drift {drift:?} not planned:\n{plan}");
    }
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    plan_is_empty(&ws, "the plan after repairing drift");
    assert!(ws.path("build/function.signed.zip").exists());

    // A version deleted behind Terraform's back is published again.
    rt.block_on(aws.delete_layer_version("shared", 1))
        .expect("delete layer");
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("lambdasign_layer_version.shared will be created"),
        "{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    plan_is_empty(&ws, "the plan after re-publishing");

    // skip_destroy keeps the replaced version (on the aws backend too).
    let layer_block =
        "resource \"lambdasign_layer_version\" \"shared\" {\n  layer_name          = \"shared\"\n";
    assert!(updated.contains(layer_block));
    let kept = updated.replace(
        layer_block,
        &format!("{layer_block}  skip_destroy        = true\n"),
    );
    ws.main_tf_with_provider(&provider, &kept);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let before: Vec<i64> = rt
        .block_on(aws.list_layer_versions("shared"))
        .expect("list")
        .iter()
        .map(|v| v.version)
        .collect();
    let replaced = kept.replace(
        layer_block,
        &format!("{layer_block}  description         = \"v2\"\n"),
    );
    ws.main_tf_with_provider(&provider, &replaced);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("must be replaced"), "{plan}");
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    let after: Vec<i64> = rt
        .block_on(aws.list_layer_versions("shared"))
        .expect("list")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        after.len(),
        before.len() + 1,
        "the old version stays: {before:?} -> {after:?}"
    );
    for version in &before {
        assert!(
            after.contains(version),
            "version {version} was kept: {after:?}"
        );
    }
    // Back to the original configuration (skip_destroy off first, so the
    // second replacement deletes); the kept version is removed by hand.
    let unkept = updated.replace(
        layer_block,
        &format!("{layer_block}  description         = \"v2\"\n"),
    );
    ws.main_tf_with_provider(&provider, &unkept);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    ws.main_tf_with_provider(&provider, &updated);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    for version in before {
        rt.block_on(aws.delete_layer_version("shared", version))
            .expect("delete the kept version");
    }

    // Destroy: profiles canceled, the config, versions and grants gone.
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    rt.block_on(async {
        let profile = aws
            .get_signing_profile("app_signing", None)
            .await
            .expect("profile");
        assert_eq!(profile.status, ProfileStatus::Canceled);
        assert!(aws
            .get_code_signing_config(&csc_arn)
            .await
            .unwrap_err()
            .is_not_found());
        assert!(aws
            .list_layer_versions("shared")
            .await
            .expect("list")
            .is_empty());
    });
}
