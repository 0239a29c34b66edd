//! Opt-in acceptance test against real AWS: ignored unless asked for with
//! `--ignored` and `LAMBDASIGN_ACC=1` (and credentials and a region in the
//! environment, as the SDK's default chain finds them). It creates and then cancels a signing profile; with
//! `LAMBDASIGN_ACC_BUCKET` (a bucket with versioning enabled) it also signs
//! a small zip end to end, checks the signature facts and revokes the
//! signature. It costs nothing but leaves a canceled profile (Signer never
//! deletes profiles) and the bucket's objects.

mod common;

use std::time::Duration;

use common::fixtures::write_zip;
use lambdasign::backend::aws::AwsBackend;
use lambdasign::backend::aws::AwsConfig;
use lambdasign::backend::{Backend, PutSigningProfile, Staging, StartSigningJob};
use lambdasign::domain::checks::Integrity;
use lambdasign::domain::facts::{facts, ArtifactRef};
use lambdasign::domain::job::{JobStatus, ObjectLocation};
use lambdasign::domain::profile::{ProfileStatus, SignatureValidity, LAMBDA_PLATFORM};
use lambdasign::domain::tags::Tags;

/// Ignored by default, so it shows as ignored, never as passed, in normal
/// runs. Run it with `LAMBDASIGN_ACC=1 cargo test --test aws_acceptance -- --ignored`.
#[tokio::test]
#[ignore = "opt-in: real AWS; LAMBDASIGN_ACC=1 cargo test --test aws_acceptance -- --ignored"]
async fn acceptance_against_real_aws() {
    assert_eq!(
        std::env::var("LAMBDASIGN_ACC").as_deref(),
        Ok("1"),
        "aws_acceptance talks to real AWS: set LAMBDASIGN_ACC=1 with AWS credentials and a region (and optionally LAMBDASIGN_ACC_BUCKET, a versioned bucket)"
    );
    let config = AwsConfig {
        region: std::env::var("AWS_REGION").ok(),
        ..AwsConfig::default()
    };
    let backend = match AwsBackend::connect(&config).await {
        Ok(connected) => connected.backend,
        Err(e) => panic!("{e}"),
    };
    let suffix: String = lambdasign::domain::names::random_suffix(10);
    let name = format!("lambdasign_acc_{suffix}");
    let profile = backend
        .put_signing_profile(PutSigningProfile {
            name: name.clone(),
            platform_id: LAMBDA_PLATFORM.into(),
            validity: SignatureValidity::default(),
            certificate_arn: None,
            signing_parameters: Default::default(),
            tags: Tags::from([("purpose".into(), "lambdasign-acceptance".into())]),
        })
        .await
        .expect("put profile");
    assert_eq!(profile.status, ProfileStatus::Active);

    if let Ok(bucket) = std::env::var("LAMBDASIGN_ACC_BUCKET") {
        let tmp = tempfile::tempdir().expect("tmp");
        let source = tmp.path().join("function.zip");
        write_zip(&source, "index.js", b"exports.handler = async () => 1;");
        let out = tmp.path().join("signed.zip");
        let job = backend
            .start_signing_job(StartSigningJob {
                profile_name: name.clone(),
                profile_owner: None,
                source: ObjectLocation::File(source),
                destination: ObjectLocation::S3 {
                    bucket: bucket.clone(),
                    key: "lambdasign-acc/signed/".into(),
                    version: None,
                },
                client_request_token: format!("acc-{suffix}"),
                staging: Some(Staging {
                    bucket,
                    prefix: "lambdasign-acc/in/".into(),
                }),
                download_to: Some(out.clone()),
                timeout: Duration::from_secs(600),
            })
            .await
            .expect("sign");
        assert_eq!(job.status, JobStatus::Succeeded);
        assert!(out.exists());
        let facts = facts(
            &backend
                .signature_evidence(&ArtifactRef::SigningJob(job.job_arn.clone()))
                .await
                .expect("evidence"),
        );
        assert_eq!(facts.signature.map(|s| s.integrity), Some(Integrity::Valid));
        backend
            .revoke_signature(&job.job_id, "lambdasign acceptance test")
            .await
            .expect("revoke signature");
    }

    backend.cancel_signing_profile(&name).await.expect("cancel");
}
