//! The aws backend's calls that moto does not implement (Signer jobs,
//! profile permissions and revocation, Lambda code signing configs, layer
//! signing facts), against `aws-smithy-mocks` rules whose HTTP responses are
//! shaped as the service models say: Signer's restJson1 members in
//! camelCase with epoch-seconds timestamps, Lambda's in PascalCase with
//! ISO-8601 strings, error codes in `x-amzn-errortype` as the services send
//! them. The SDK's own deserializers and retry strategy run on them. The
//! mocks and response bodies are shared with the front ends' tests of the
//! aws path (`cfn`).

use std::time::Duration;

use aws_sdk_lambda::Client as Lambda;
use aws_sdk_s3::Client as S3;
use aws_sdk_signer::Client as Signer;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::*;
use crate::domain::checks::{self, Check, Enforcement, Facts, Integrity, Policy, Status};
use crate::domain::permission::ProfilePermission;
use crate::domain::profile::{ProfileStatus, SignatureValidity};

/// The checks' facts of an artifact, as the engine builds them.
async fn facts_of(backend: &AwsBackend, artifact: &ArtifactRef) -> BackendResult<Facts> {
    Ok(crate::domain::facts::facts(
        &backend.signature_evidence(artifact).await?,
    ))
}

pub(crate) const ACCOUNT: &str = "111111111111";
pub(crate) const JOB: &str = "2b7a3c9e-4f1d-4a57-9d1c-0c6f3e8a1b2d";
pub(crate) const PROFILE_VERSION_ARN: &str =
    "arn:aws:signer:us-east-1:111111111111:/signing-profiles/app/ABCDE12345";
pub(crate) const JOB_ARN: &str =
    "arn:aws:signer:us-east-1:111111111111:/signing-jobs/2b7a3c9e-4f1d-4a57-9d1c-0c6f3e8a1b2d";
pub(crate) const SIGNED: &[u8] = b"signed zip bytes";

pub(crate) fn json(status: u16, body: &str) -> HttpResponse {
    let status = StatusCode::try_from(status).expect("status");
    let mut response = HttpResponse::new(status, SdkBody::from(body.to_string()));
    response
        .headers_mut()
        .insert("content-type", "application/json");
    response
}

/// An error as the services send it: the code in `x-amzn-errortype`.
pub(crate) fn error(status: u16, code: &'static str, message: &str) -> HttpResponse {
    let mut response = json(status, &format!(r#"{{"message":"{message}"}}"#));
    response.headers_mut().insert("x-amzn-errortype", code);
    response
}

fn retry() -> aws_sdk_signer::config::retry::RetryConfig {
    aws_sdk_signer::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

pub(crate) fn signer(rules: &[&Rule]) -> Signer {
    mock_client!(aws_sdk_signer, RuleMode::MatchAny, rules, |b| b
        .retry_config(retry()))
}

pub(crate) fn lambda(rules: &[&Rule]) -> Lambda {
    mock_client!(aws_sdk_lambda, RuleMode::MatchAny, rules, |b| b
        .retry_config(retry()))
}

pub(crate) fn s3(rules: &[&Rule]) -> S3 {
    mock_client!(aws_sdk_s3, RuleMode::MatchAny, rules, |b| b
        .retry_config(retry()))
}

pub(crate) fn backend(signer: Signer, lambda: Lambda, s3: S3) -> AwsBackend {
    let sts: aws_sdk_sts::Client = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[]);
    AwsBackend::new(
        Identity {
            partition: crate::domain::arn::Partition::Aws,
            account_id: ACCOUNT.into(),
            region: "us-east-1".into(),
        },
        Clients {
            signer,
            lambda,
            s3,
            sts,
        },
    )
    .with_poll(Poll {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(5),
    })
}

/// DescribeSigningJob as Signer answers it (epoch-seconds timestamps; the
/// `SHA384` hash algorithm is not in the SDK's enum).
pub(crate) fn describe_job(status: &str, revocation: Option<&str>) -> String {
    let revocation = revocation
        .map(|r| format!(r#","revocationRecord":{{"reason":"{r}","revokedAt":1714570000,"revokedBy":"arn:aws:iam::111111111111:user/sec"}}"#))
        .unwrap_or_default();
    format!(
        r#"{{"jobId":"{JOB}","source":{{"s3":{{"bucketName":"src","key":"in/function.zip","version":"v1"}}}},
        "signingMaterial":{{"certificateArn":"arn:aws:acm:us-east-1:111111111111:certificate/x"}},
        "platformId":"AWSLambda-SHA384-ECDSA","platformDisplayName":"AWS Lambda",
        "profileName":"app","profileVersion":"ABCDE12345",
        "overrides":{{"signingConfiguration":{{"encryptionAlgorithm":"ECDSA","hashAlgorithm":"SHA384"}}}},
        "signingParameters":{{}},"createdAt":1714566600,"completedAt":1714566605,
        "signatureExpiresAt":2070000000,"requestedBy":"arn:aws:iam::111111111111:user/ci",
        "status":"{status}","statusReason":"{}",
        "signedObject":{{"s3":{{"bucketName":"dst","key":"signed/{JOB}.zip"}}}},
        "jobOwner":"{ACCOUNT}","jobInvoker":"{ACCOUNT}"{revocation}}}"#,
        if status == "Failed" {
            "Signing failed: the source object is not a zip"
        } else {
            ""
        }
    )
}

pub(crate) fn get_profile(revoked: bool) -> String {
    let revocation = if revoked {
        r#","revocationRecord":{"revocationEffectiveFrom":1714560000,"revokedAt":1714571000,"revokedBy":"arn:aws:iam::111111111111:user/sec"},"statusReason":"key compromised""#
    } else {
        ""
    };
    format!(
        r#"{{"profileName":"app","profileVersion":"ABCDE12345","profileVersionArn":"{PROFILE_VERSION_ARN}",
        "signingMaterial":{{"certificateArn":"arn:aws:acm:us-east-1:111111111111:certificate/x"}},
        "platformId":"AWSLambda-SHA384-ECDSA","platformDisplayName":"AWS Lambda",
        "signatureValidityPeriod":{{"value":135,"type":"MONTHS"}},"signingParameters":{{}},
        "tags":{{"team":"payments"}},"arn":"arn:aws:signer:us-east-1:111111111111:/signing-profiles/app",
        "status":"{}"{revocation}}}"#,
        if revoked { "Revoked" } else { "Active" }
    )
}

pub(crate) fn head_exists() -> Rule {
    mock!(S3::head_object)
        .sequence()
        .http_response(|| {
            let mut r =
                HttpResponse::new(StatusCode::try_from(200).expect("200"), SdkBody::empty());
            r.headers_mut().insert("etag", "\"e1\"");
            r
        })
        .repeatedly()
        .build()
}

pub(crate) fn head_missing() -> Rule {
    mock!(S3::head_object)
        .sequence()
        .http_status(404, None)
        .repeatedly()
        .build()
}

pub(crate) fn get_signed() -> Rule {
    mock!(S3::get_object)
        .sequence()
        .http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(200).expect("200"),
                SdkBody::from(SIGNED),
            )
        })
        .repeatedly()
        .build()
}

fn s3_request(destination: &str, download_to: Option<std::path::PathBuf>) -> StartSigningJob {
    StartSigningJob {
        profile_name: "app".into(),
        profile_owner: None,
        source: ObjectLocation::S3 {
            bucket: "src".into(),
            key: "in/function.zip".into(),
            version: Some("v1".into()),
        },
        destination: ObjectLocation::S3 {
            bucket: destination.into(),
            key: "signed/".into(),
            version: None,
        },
        client_request_token: "token-1".into(),
        staging: None,
        download_to,
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn signing_job_retries_throttling_waits_and_downloads() {
    let start = mock!(Signer::start_signing_job)
        .match_requests(|r| {
            r.client_request_token() == Some("token-1")
                && r.source()
                    .and_then(|s| s.s3())
                    .is_some_and(|s| s.version() == "v1")
                && r.destination()
                    .and_then(|d| d.s3())
                    .is_some_and(|d| d.bucket_name() == Some("dst"))
        })
        .sequence()
        .http_response(|| error(400, "ThrottlingException", "Rate exceeded"))
        .http_response(|| {
            json(
                200,
                &format!(r#"{{"jobId":"{JOB}","jobOwner":"{ACCOUNT}"}}"#),
            )
        })
        .build();
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| json(200, &describe_job("InProgress", None)))
        .times(2)
        .http_response(|| json(200, &describe_job("Succeeded", None)))
        .repeatedly()
        .build();
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("signed.zip");
    let backend = backend(
        signer(&[&start, &describe]),
        lambda(&[]),
        s3(&[&head_exists(), &get_signed()]),
    );
    let job = backend
        .start_signing_job(s3_request("dst", Some(out.clone())))
        .await
        .expect("job");
    assert_eq!(start.num_calls(), 2, "the throttled call is retried");
    assert_eq!(describe.num_calls(), 3, "polled until done");
    assert_eq!(job.job_id, JOB);
    assert_eq!(job.job_arn, JOB_ARN);
    assert_eq!(job.profile_version_arn, PROFILE_VERSION_ARN);
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.signed_at.timestamp(), 1714566605);
    assert_eq!(job.signature_expires_at.timestamp(), 2070000000);
    assert_eq!(
        job.signed_object,
        ObjectLocation::S3 {
            bucket: "dst".into(),
            key: format!("signed/{JOB}.zip"),
            version: None
        }
    );
    use sha2::Digest as _;
    let expected = hex::encode(sha2::Sha384::digest(SIGNED));
    assert_eq!(job.signed_sha384, expected);
    assert_eq!(std::fs::read(&out).expect("downloaded"), SIGNED);

    // Describe (a read) gives the same record, digest included.
    let again = backend
        .describe_signing_job(JOB_ARN)
        .await
        .expect("describe");
    assert_eq!(again.signed_sha384, expected);
    assert_eq!(
        again.source,
        ObjectLocation::S3 {
            bucket: "src".into(),
            key: "in/function.zip".into(),
            version: Some("v1".into())
        }
    );
}

#[tokio::test]
async fn a_failed_job_reports_signers_reason() {
    let start = mock!(Signer::start_signing_job).then_http_response(|| {
        json(
            200,
            &format!(r#"{{"jobId":"{JOB}","jobOwner":"{ACCOUNT}"}}"#),
        )
    });
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Failed", None)));
    let backend = backend(signer(&[&start, &describe]), lambda(&[]), s3(&[]));
    match backend.start_signing_job(s3_request("dst", None)).await {
        Err(BackendError::JobFailed(reason)) => {
            assert!(reason.contains("not a zip"), "{reason}")
        }
        other => panic!("expected JobFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_job_still_running_at_the_timeout_is_an_error() {
    let start = mock!(Signer::start_signing_job).then_http_response(|| {
        json(
            200,
            &format!(r#"{{"jobId":"{JOB}","jobOwner":"{ACCOUNT}"}}"#),
        )
    });
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| json(200, &describe_job("InProgress", None)))
        .repeatedly()
        .build();
    let backend = backend(signer(&[&start, &describe]), lambda(&[]), s3(&[]));
    let mut request = s3_request("dst", None);
    request.timeout = Duration::from_millis(30);
    match backend.start_signing_job(request).await {
        Err(BackendError::Internal(message)) => {
            assert!(message.contains("still in progress"), "{message}")
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_zero_timeout_returns_the_job_still_running() {
    let start = mock!(Signer::start_signing_job).then_http_response(|| {
        json(
            200,
            &format!(r#"{{"jobId":"{JOB}","jobOwner":"{ACCOUNT}"}}"#),
        )
    });
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("InProgress", None)));
    // No S3 rule: a job still running has no signed object to hash yet.
    let backend = backend(signer(&[&start, &describe]), lambda(&[]), s3(&[]));
    let mut request = s3_request("dst", None);
    request.timeout = Duration::ZERO;
    let job = backend.start_signing_job(request).await.unwrap();
    assert_eq!(job.status, JobStatus::InProgress);
    assert_eq!(job.job_id, JOB);
    assert_eq!(describe.num_calls(), 1, "described once, no waiting");
}

#[tokio::test]
async fn a_file_destination_without_staging_is_refused_before_any_call() {
    let backend = backend(signer(&[]), lambda(&[]), s3(&[]));
    let mut request = s3_request("dst", None);
    request.destination = ObjectLocation::File("out.zip".into());
    let refused = backend.start_signing_job(request).await;
    assert!(
        matches!(&refused, Err(BackendError::InvalidInput(m)) if m.to_string().contains("destination")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn revocations_and_expiry_come_from_signer() {
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| json(200, &describe_job("Succeeded", Some("leaked build"))))
        .repeatedly()
        .build();
    let profile = mock!(Signer::get_signing_profile)
        .match_requests(|r| r.profile_name() == Some("app") && r.profile_owner().is_none())
        .sequence()
        .http_response(|| json(200, &get_profile(true)))
        .repeatedly()
        .build();
    let backend = backend(
        signer(&[&describe, &profile]),
        lambda(&[]),
        s3(&[&head_exists()]),
    );
    let facts = facts_of(&backend, &ArtifactRef::SigningJob(JOB_ARN.into()))
        .await
        .expect("facts");
    let signature = facts.signature.clone().expect("signed");
    assert_eq!(signature.integrity, Integrity::Valid);
    assert_eq!(signature.profile_version_arn, PROFILE_VERSION_ARN);
    assert_eq!(signature.expires_at.timestamp(), 2070000000);
    let profile_revocation = facts.profile_revocation.clone().expect("profile revoked");
    assert_eq!(profile_revocation.effective_time.timestamp(), 1714560000);
    assert_eq!(profile_revocation.recorded_at.timestamp(), 1714571000);
    assert_eq!(profile_revocation.reason, "key compromised");
    let job_revocation = facts.job_revocation.clone().expect("job revoked");
    assert_eq!(job_revocation.reason, "leaked build");

    let policy =
        Policy::new(&[PROFILE_VERSION_ARN.to_string()], Enforcement::Enforce).expect("policy");
    let verdict = checks::evaluate(&facts, &policy, chrono::Utc::now());
    let revocation = verdict
        .results
        .iter()
        .find(|r| r.check == Check::Revocation)
        .expect("revocation result");
    assert_eq!(revocation.status, Status::Failed { blocking: true });
}

#[tokio::test]
async fn a_gone_signed_object_fails_integrity() {
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(false)));
    let backend = backend(
        signer(&[&describe, &profile]),
        lambda(&[]),
        s3(&[&head_missing()]),
    );
    let facts = facts_of(&backend, &ArtifactRef::SigningJob(JOB_ARN.into()))
        .await
        .expect("facts");
    assert!(matches!(
        facts.signature.map(|s| s.integrity),
        Some(Integrity::Invalid { reason }) if reason.contains("missing")
    ));
    assert!(facts.profile_revocation.is_none());
}

#[tokio::test]
async fn a_local_file_cannot_be_attributed_to_a_job() {
    let backend = backend(signer(&[]), lambda(&[]), s3(&[]));
    let facts = facts_of(&backend, &ArtifactRef::SignedFile("x.zip".into())).await;
    assert!(
        matches!(&facts, Err(BackendError::InvalidInput(m)) if m.to_string().contains("signing_job_arn")),
        "{facts:?}"
    );
}

#[tokio::test]
async fn profiles_tolerate_values_the_sdk_does_not_know() {
    let profile = mock!(Signer::get_signing_profile).then_http_response(|| {
        json(
            200,
            &get_profile(false).replace(r#""status":"Active""#, r#""status":"Suspended""#),
        )
    });
    let backend = backend(signer(&[&profile]), lambda(&[]), s3(&[]));
    let read = backend
        .get_signing_profile("app", None)
        .await
        .expect("unknown enum values never fail");
    assert_eq!(read.status, ProfileStatus::Active);
    assert_eq!(read.version_arn, PROFILE_VERSION_ARN);
    assert_eq!(read.owner, ACCOUNT);
    assert_eq!(read.validity, SignatureValidity::default());
}

#[tokio::test]
async fn profile_permissions_with_revision_ids() {
    let add = mock!(Signer::add_profile_permission)
        .match_requests(|r| r.revision_id() == Some("r1") && r.statement_id() == Some("s2"))
        .sequence()
        .http_response(|| error(409, "ConflictException", "Policy revision mismatch"))
        .build();
    let list = mock!(Signer::list_profile_permissions).then_http_response(|| {
        json(
            200,
            r#"{"revisionId":"r2","policySizeBytes":210,"permissions":[
            {"action":"signer:StartSigningJob","principal":"222222222222","statementId":"s1","profileVersion":"ABCDE12345"},
            {"action":"signer:GetSigningProfile","principal":"333333333333","statementId":"s3"}]}"#,
        )
    });
    let remove = mock!(Signer::remove_profile_permission)
        .match_requests(|r| r.revision_id() == Some("r2") && r.statement_id() == Some("s1"))
        .then_http_response(|| json(200, r#"{"revisionId":"r3"}"#));
    let backend = backend(signer(&[&add, &list, &remove]), lambda(&[]), s3(&[]));
    let stale = backend
        .add_profile_permission(AddProfilePermission {
            profile_name: "app".into(),
            action: "signer:StartSigningJob".into(),
            principal: "444444444444".into(),
            statement_id: "s2".into(),
            profile_version: None,
            revision_id: Some("r1".into()),
        })
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let listed = backend.list_profile_permissions("app").await.expect("list");
    assert_eq!(listed.revision_id, "r2");
    assert_eq!(listed.permissions.len(), 2);
    assert_eq!(
        listed.permissions[0],
        ProfilePermission {
            statement_id: "s1".into(),
            action: "signer:StartSigningJob".into(),
            principal: "222222222222".into(),
            profile_version: Some("ABCDE12345".into()),
        }
    );
    assert_eq!(listed.permissions[1].profile_version, None);
    let revision = backend
        .remove_profile_permission("app", "s1", "r2")
        .await
        .expect("remove");
    assert_eq!(revision, "r3");
}

#[tokio::test]
async fn no_policy_yet_is_an_empty_list_for_an_existing_profile() {
    let list = mock!(Signer::list_profile_permissions)
        .then_http_response(|| error(404, "ResourceNotFoundException", "No policy"));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(false)));
    let backend = backend(signer(&[&list, &profile]), lambda(&[]), s3(&[]));
    let listed = backend.list_profile_permissions("app").await.expect("list");
    assert_eq!(listed, ProfilePermissions::default());
}

#[tokio::test]
async fn profile_revocation_is_sent_in_epoch_seconds() {
    let revoke = mock!(Signer::revoke_signing_profile)
        .match_requests(|r| {
            r.profile_version() == Some("ABCDE12345")
                && r.effective_time().map(|t| t.secs()) == Some(1714560000)
        })
        .then_http_response(|| json(200, "{}"));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(true)));
    let backend = backend(signer(&[&revoke, &profile]), lambda(&[]), s3(&[]));
    let revoked = backend
        .revoke_signing_profile(RevokeSigningProfile {
            name: "app".into(),
            version: "ABCDE12345".into(),
            reason: "key compromised".into(),
            effective_time: chrono::DateTime::from_timestamp(1714560000, 0).expect("time"),
        })
        .await
        .expect("revoke");
    assert_eq!(revoked.status, ProfileStatus::Revoked);
    assert_eq!(revoke.num_calls(), 1);
}

#[tokio::test]
async fn signature_revocation_maps_not_found() {
    let revoke = mock!(Signer::revoke_signature)
        .then_http_response(|| error(404, "ResourceNotFoundException", "No such job"));
    let backend = backend(signer(&[&revoke]), lambda(&[]), s3(&[]));
    let result = backend.revoke_signature(JOB_ARN, "destroyed").await;
    assert!(
        matches!(result, Err(BackendError::NotFound(_))),
        "{result:?}"
    );
}

pub(crate) const CSC_ARN: &str =
    "arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0a1b2c3d4e5f6a7b8";

pub(crate) fn csc_json() -> String {
    format!(
        r#"{{"CodeSigningConfig":{{"CodeSigningConfigId":"csc-0a1b2c3d4e5f6a7b8","CodeSigningConfigArn":"{CSC_ARN}",
        "Description":"payments","AllowedPublishers":{{"SigningProfileVersionArns":["{PROFILE_VERSION_ARN}"]}},
        "CodeSigningPolicies":{{"UntrustedArtifactOnDeployment":"Enforce"}},"LastModified":"2024-05-01T12:30:00.000+0000"}}}}"#
    )
}

#[tokio::test]
async fn code_signing_configs_create_get_and_refuse_delete_while_used() {
    let create = mock!(Lambda::create_code_signing_config)
        .match_requests(|r| {
            r.allowed_publishers()
                .is_some_and(|p| p.signing_profile_version_arns() == [PROFILE_VERSION_ARN])
        })
        .then_http_response(|| json(201, &csc_json()));
    let get = mock!(Lambda::get_code_signing_config).then_http_response(|| json(200, &csc_json()));
    let tags = mock!(Lambda::list_tags)
        .then_http_response(|| json(200, r#"{"Tags":{"team":"payments"}}"#));
    let users = mock!(Lambda::list_functions_by_code_signing_config).then_http_response(|| {
        json(
            200,
            r#"{"FunctionArns":["arn:aws:lambda:us-east-1:111111111111:function:checkout"]}"#,
        )
    });
    let backend = backend(
        signer(&[]),
        lambda(&[&create, &get, &tags, &users]),
        s3(&[]),
    );
    let input = CodeSigningConfigInput {
        allowed_publishers: vec![PROFILE_VERSION_ARN.into()],
        enforcement: Enforcement::Enforce,
        description: "payments".into(),
        tags: Tags::from([("team".into(), "payments".into())]),
    };
    let created = backend
        .create_code_signing_config(input)
        .await
        .expect("create");
    assert_eq!(created.id, "csc-0a1b2c3d4e5f6a7b8");
    assert_eq!(created.arn, CSC_ARN);
    assert_eq!(created.enforcement, Enforcement::Enforce);
    assert_eq!(created.last_modified.timestamp(), 1714566600);
    let read = backend.get_code_signing_config(CSC_ARN).await.expect("get");
    assert_eq!(
        read.allowed_publishers,
        vec![PROFILE_VERSION_ARN.to_string()]
    );
    assert_eq!(read.tags.get("team").map(String::as_str), Some("payments"));
    match backend.delete_code_signing_config(CSC_ARN).await {
        Err(e @ BackendError::InUse { .. }) => {
            let message = e.to_string();
            assert!(message.contains("function:checkout"), "{message}")
        }
        other => panic!("expected InUse, got {other:?}"),
    }
}

#[tokio::test]
async fn code_signing_configs_delete_when_unused_and_map_not_found() {
    let users = mock!(Lambda::list_functions_by_code_signing_config)
        .then_http_response(|| json(200, r#"{"FunctionArns":[]}"#));
    let delete = mock!(Lambda::delete_code_signing_config).then_http_response(|| json(204, ""));
    let get = mock!(Lambda::get_code_signing_config).then_http_response(|| {
        error(
            404,
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
        )
    });
    let backend = backend(signer(&[]), lambda(&[&users, &delete, &get]), s3(&[]));
    backend
        .delete_code_signing_config(CSC_ARN)
        .await
        .expect("delete");
    let gone = backend.get_code_signing_config(CSC_ARN).await;
    assert!(matches!(gone, Err(BackendError::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn layer_signatures_come_from_the_layer_and_its_job() {
    let layer = mock!(Lambda::get_layer_version_by_arn).then_http_response(|| {
        json(
            200,
            &format!(
                r#"{{"Content":{{"Location":"https://awslambda-us-east-1-layers.s3.amazonaws.com/x","CodeSha256":"abc=","CodeSize":123,
                "SigningProfileVersionArn":"{PROFILE_VERSION_ARN}","SigningJobArn":"{JOB_ARN}"}},
                "LayerArn":"arn:aws:lambda:us-east-1:111111111111:layer:shared",
                "LayerVersionArn":"arn:aws:lambda:us-east-1:111111111111:layer:shared:3",
                "Description":"","CreatedDate":"2024-05-01T12:30:00.000+0000","Version":3,
                "CompatibleRuntimes":["python3.12"],"CompatibleArchitectures":["arm64"]}}"#
            ),
        )
    });
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(false)));
    // No S3 rule: a layer's integrity does not depend on the signed object.
    let backend = backend(signer(&[&describe, &profile]), lambda(&[&layer]), s3(&[]));
    let arn = "arn:aws:lambda:us-east-1:111111111111:layer:shared:3";
    let facts = facts_of(&backend, &ArtifactRef::LayerVersion(arn.into()))
        .await
        .expect("facts");
    let signature = facts.signature.expect("signed");
    assert_eq!(signature.integrity, Integrity::Valid);
    assert_eq!(signature.job_arn, JOB_ARN);
    assert_eq!(signature.profile_version_arn, PROFILE_VERSION_ARN);
}

#[tokio::test]
async fn stale_layer_policy_revisions_are_precondition_failures() {
    let remove = mock!(Lambda::remove_layer_version_permission).then_http_response(|| {
        error(
            412,
            "PreconditionFailedException",
            "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias.",
        )
    });
    let add = mock!(Lambda::add_layer_version_permission).then_http_response(|| {
        error(
            409,
            "ResourceConflictException",
            "The statement id (a) provided already exists.",
        )
    });
    let backend = backend(signer(&[]), lambda(&[&remove, &add]), s3(&[]));
    let stale = backend
        .remove_layer_permission("shared", 3, "a", Some("old"))
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let taken = backend
        .add_layer_permission(AddLayerPermission {
            layer_name: "shared".into(),
            version: 3,
            statement_id: "a".into(),
            principal: "222222222222".into(),
            organization_id: None,
            revision_id: None,
        })
        .await;
    // A statement id in use is AlreadyExists, as on the local backend.
    assert!(
        matches!(taken, Err(BackendError::AlreadyExists { .. })),
        "{taken:?}"
    );
}

#[tokio::test]
async fn throttling_beyond_max_retries_surfaces_as_an_error() {
    let get = mock!(Signer::get_signing_profile)
        .sequence()
        .http_response(|| error(400, "ThrottlingException", "Rate exceeded"))
        .repeatedly()
        .build();
    let backend = backend(signer(&[&get]), lambda(&[]), s3(&[]));
    let result = backend.get_signing_profile("app", None).await;
    assert!(
        matches!(&result, Err(BackendError::Throttled(m)) if m.contains("ThrottlingException")),
        "{result:?}"
    );
    assert_eq!(get.num_calls(), 3, "max_attempts");
}

#[tokio::test]
async fn code_signing_config_updates_sync_tags() {
    let update = mock!(Lambda::update_code_signing_config)
        .match_requests(|r| {
            r.code_signing_config_arn() == Some(CSC_ARN)
                && r.code_signing_policies()
                    .and_then(|p| p.untrusted_artifact_on_deployment())
                    .map(|a| a.as_str())
                    == Some("Warn")
        })
        .then_http_response(|| json(200, &csc_json()));
    let tags = mock!(Lambda::list_tags)
        .then_http_response(|| json(200, r#"{"Tags":{"team":"payments","old":"x"}}"#));
    let untag = mock!(Lambda::untag_resource)
        .match_requests(|r| r.tag_keys() == ["old"])
        .then_http_response(|| json(204, ""));
    let tag = mock!(Lambda::tag_resource)
        .match_requests(|r| {
            r.tags().is_some_and(|t| {
                t.len() == 1 && t.get("team").map(String::as_str) == Some("billing")
            })
        })
        .then_http_response(|| json(204, ""));
    let backend = backend(
        signer(&[]),
        lambda(&[&update, &tags, &untag, &tag]),
        s3(&[]),
    );
    let updated = backend
        .update_code_signing_config(
            CSC_ARN,
            CodeSigningConfigInput {
                allowed_publishers: vec![PROFILE_VERSION_ARN.into()],
                enforcement: Enforcement::Warn,
                description: "payments".into(),
                tags: Tags::from([("team".into(), "billing".into())]),
            },
        )
        .await
        .expect("update");
    assert_eq!(
        updated.tags.get("team").map(String::as_str),
        Some("billing")
    );
    assert_eq!((untag.num_calls(), tag.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_profile_record_of_another_version_fails_the_revocation_check() {
    // Signer answers GetSigningProfile for the current version only; a job
    // signed by another version cannot have its revocation read, which must
    // fail the check rather than count as "not revoked".
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| json(200, &describe_job("Succeeded", None)))
        .repeatedly()
        .build();
    let profile = mock!(Signer::get_signing_profile)
        .sequence()
        .http_response(|| json(200, &get_profile(false).replace("ABCDE12345", "ZZZZZ99999")))
        .repeatedly()
        .build();
    let backend = backend(
        signer(&[&describe, &profile]),
        lambda(&[]),
        s3(&[&head_exists()]),
    );
    let facts = facts_of(&backend, &ArtifactRef::SigningJob(JOB_ARN.into()))
        .await
        .expect("facts");
    assert_eq!(facts.profile_revocation, None);
    assert!(
        facts
            .missing_records
            .iter()
            .any(|m| m.contains("ZZZZZ99999")),
        "{:?}",
        facts.missing_records
    );
    let policy =
        Policy::new(&[PROFILE_VERSION_ARN.to_string()], Enforcement::Enforce).expect("policy");
    let verdict = checks::evaluate(&facts, &policy, chrono::Utc::now());
    assert!(!verdict.allowed);
}

/// The download to `output_file` follows no link planted beside it: not at
/// the name older versions wrote through, not at the output itself.
#[tokio::test]
async fn a_download_follows_no_planted_link_and_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious").expect("victim");
    let out = tmp.path().join("out.zip");
    std::os::unix::fs::symlink(&victim, tmp.path().join("out.zip.lambdasign-partial"))
        .expect("plant");
    std::os::unix::fs::symlink(&victim, &out).expect("plant at the output");
    let rule = get_signed();
    let client = s3(&[&rule]);
    super::s3::download(&client, "bucket", "signed/job.zip", None, &out)
        .await
        .expect("download");
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    assert!(!std::fs::symlink_metadata(&out).expect("out").is_symlink());
    assert_eq!(std::fs::read(&out).expect("out"), SIGNED);
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "victim, the old planted link and out.zip: {names:?}"
    );
}

/// An identifier AWS did not send is an error naming the call and the
/// field, never an empty string in state.
#[tokio::test]
async fn an_identifier_aws_did_not_send_is_an_error_naming_the_call_and_field() {
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| {
            json(
                200,
                &describe_job("Succeeded", None).replace(&format!(r#""jobId":"{JOB}","#), ""),
            )
        })
        .repeatedly()
        .build();
    let profile = mock!(Signer::get_signing_profile)
        .sequence()
        .http_response(|| {
            json(
                200,
                &get_profile(false).replace(
                    &format!(r#""profileVersionArn":"{PROFILE_VERSION_ARN}","#),
                    "",
                ),
            )
        })
        .repeatedly()
        .build();
    let start = mock!(Signer::start_signing_job)
        .sequence()
        .http_response(|| json(200, &format!(r#"{{"jobOwner":"{ACCOUNT}"}}"#)))
        .repeatedly()
        .build();
    let backend = backend(signer(&[&describe, &profile, &start]), lambda(&[]), s3(&[]));
    let error = backend
        .describe_signing_job(JOB)
        .await
        .expect_err("no jobId");
    assert!(
        error
            .to_string()
            .contains("signer:DescribeSigningJob answered without `jobId`"),
        "{error}"
    );
    let error = backend
        .get_signing_profile("app", None)
        .await
        .expect_err("no profileVersionArn");
    assert!(
        error
            .to_string()
            .contains("signer:GetSigningProfile answered without `profileVersionArn`"),
        "{error}"
    );
    let error = backend
        .start_signing_job(s3_request("dst", None))
        .await
        .expect_err("no jobId");
    assert!(
        error
            .to_string()
            .contains("signer:StartSigningJob answered without `jobId`"),
        "{error}"
    );
}
