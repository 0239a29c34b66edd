//! The production path (the aws backend), where the local backend cannot go
//! yet: S3 objects. The handlers run over the aws backend whose Signer, S3
//! and Lambda clients answer with the model-shaped mocks of the backend's
//! own tests. These are unit tests of the adapters on that path, not the
//! contract tests: those need an AWS-compatible endpoint with S3 (`serve`).

#![cfg(all(test, feature = "aws"))]

use std::sync::Arc;

use aws_sdk_lambda::Client as Lambda;
use aws_sdk_s3::Client as S3;
use aws_sdk_signer::Client as Signer;
use aws_smithy_mocks::{mock, Rule};
use serde_json::{json, Value};
use sha2::{Digest, Sha384};

use super::hook;
use super::protocol::{Action, HandlerErrorCode, HookRequest, HookStatus, OperationStatus};
use super::resource::{dispatch, Call, ResourceType};
use super::types::signed_artifact::SignedArtifactType;
use crate::backend::aws::tests::{
    backend, csc_json, describe_job, get_profile, get_signed, head_exists, head_missing, json,
    lambda, s3, signer, CSC_ARN, JOB, SIGNED,
};
use crate::engine::Engine;

const TOKEN: &str = "5a1c9d3e-7b2f-4c8a-9e6d-1f0a2b3c4d5e";

fn csc_rules() -> [Rule; 2] {
    [
        mock!(Lambda::get_code_signing_config).then_http_response(|| json(200, &csc_json())),
        mock!(Lambda::list_tags).then_http_response(|| json(200, r#"{"Tags":{}}"#)),
    ]
}

fn artifact() -> Value {
    json!({
        "ProfileName": "app",
        "Source": {"Bucket": "src", "Key": "in/function.zip", "Version": "v1"},
        "Destination": {"Bucket": "dst", "Prefix": "signed/"},
        "VerifyAgainst": [CSC_ARN]
    })
}

#[tokio::test]
async fn a_signing_job_is_in_progress_until_signer_finishes_and_reentry_never_signs_twice() {
    let start = mock!(Signer::start_signing_job)
        .match_requests(|r| r.client_request_token() == Some(TOKEN))
        .then_http_response(|| {
            json(
                200,
                &format!(r#"{{"jobId":"{JOB}","jobOwner":"111111111111"}}"#),
            )
        });
    let describe = mock!(Signer::describe_signing_job)
        .sequence()
        .http_response(|| json(200, &describe_job("InProgress", None)))
        .http_response(|| json(200, &describe_job("Succeeded", None)))
        .repeatedly()
        .build();
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(false)));
    let [get_csc, tags] = csc_rules();
    let (head, get) = (head_exists(), get_signed());
    let engine = Engine::new(Arc::new(backend(
        signer(&[&start, &describe, &profile]),
        lambda(&[&get_csc, &tags]),
        s3(&[&head, &get]),
    )));
    let desired = artifact();
    let call = |context: Option<&'static Value>| Call {
        engine: &engine,
        action: Action::Create,
        desired: &desired,
        context,
        token: TOKEN,
        logical_id: Some("Artifact"),
    };

    let first = dispatch(&SignedArtifactType, &call(None)).await;
    assert_eq!(first.status, OperationStatus::InProgress, "{first:?}");
    assert_eq!(first.error_code, None);
    assert_eq!(
        first.resource_model.as_ref(),
        Some(&desired),
        "the full model comes back"
    );
    let context = first.callback_context.clone().expect("a callback context");
    assert_eq!(context["JobId"], JOB);
    assert_eq!(context["SigningToken"], TOKEN);
    assert!(first.callback_delay_seconds.is_some_and(|d| d > 0));

    let context: &'static Value = Box::leak(Box::new(context));
    let done = dispatch(&SignedArtifactType, &call(Some(context))).await;
    assert_eq!(done.status, OperationStatus::Success, "{done:?}");
    let model = done.resource_model.expect("the model");
    assert_eq!(model["JobId"], JOB);
    assert_eq!(
        model["SignedObject"],
        json!({"Bucket": "dst", "Key": format!("signed/{JOB}.zip")})
    );
    assert_eq!(model["SignedSha384"], hex::encode(Sha384::digest(SIGNED)));
    assert_eq!(
        model["Destination"],
        json!({"Bucket": "dst", "Prefix": "signed/"})
    );
    assert_eq!(model["Source"], desired["Source"]);
    assert!(
        model.get("VerifyAgainst").is_none(),
        "write-only: Signer does not record it"
    );
    assert_eq!(
        start.num_calls(),
        2,
        "each invocation asks Signer with the same token: one job, one signature"
    );
    // What CREATE called on AWS is what its schema lists.
    let schema: Value = serde_json::from_str(SignedArtifactType.def().schema).unwrap();
    let listed = &schema["handlers"]["create"]["permissions"];
    for (rule, action) in [
        (&start, "signer:StartSigningJob"),
        (&describe, "signer:DescribeSigningJob"),
        (&profile, "signer:GetSigningProfile"),
        (&get_csc, "lambda:GetCodeSigningConfig"),
        (&tags, "lambda:ListTags"),
        (&head, "s3:GetObject"),
        (&get, "s3:GetObject"),
    ] {
        assert!(rule.num_calls() > 0, "{action} was called");
        assert!(
            listed.as_array().unwrap().contains(&json!(action)),
            "{action} is not in the create permissions"
        );
    }
}

/// A zip signed as the job `JOB` (an `LSIG` envelope, as `serve` signs),
/// and the same zip unsigned.
fn signed_zip() -> (Vec<u8>, Vec<u8>) {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let (plain, signed) = (dir.path().join("plain.zip"), dir.path().join("signed.zip"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&plain).unwrap());
    zip.start_file("index.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"def handler(e, c): return 1\n").unwrap();
    zip.finish().unwrap();
    let key = crate::domain::keys::SigningKey::generate();
    crate::domain::artifact::sign(&plain, &signed, |digest| {
        crate::domain::envelope::Envelope::sign(
            crate::domain::envelope::Claims {
                content_sha384: *digest,
                profile_version_arn: crate::backend::aws::tests::PROFILE_VERSION_ARN.into(),
                job_arn: crate::backend::aws::tests::JOB_ARN.into(),
                signed_at: 1_714_566_605,
                expires_at: 2_070_000_000,
            },
            &key,
        )
    })
    .unwrap();
    (
        std::fs::read(&signed).unwrap(),
        std::fs::read(&plain).unwrap(),
    )
}

/// S3 holding `code` at every key but the job's output key, which holds
/// `output` written at `written` (an HTTP date): GetObject and HeadObject.
fn objects(code: Vec<u8>, output: Vec<u8>, written: &'static str) -> [Rule; 5] {
    let output_key = format!("signed/{JOB}.zip");
    let is_output = move |key: Option<&str>| key == Some(output_key.as_str());
    let ok = |bytes: Vec<u8>| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::from(bytes),
        )
    };
    let head = |len: usize, written: &'static str| {
        let mut r = aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        r.headers_mut().insert("content-length", len.to_string());
        r.headers_mut().insert("last-modified", written);
        r
    };
    let (code_len, output_len) = (code.len(), output.len());
    let matches = is_output.clone();
    let get_output = mock!(S3::get_object)
        .match_requests(move |r| matches(r.key()))
        .sequence()
        .http_response(move || ok(output.clone()))
        .repeatedly()
        .build();
    let get_code = mock!(S3::get_object)
        .sequence()
        .http_response(move || ok(code.clone()))
        .repeatedly()
        .build();
    let matches = is_output;
    let head_output = mock!(S3::head_object)
        .match_requests(move |r| matches(r.key()))
        .sequence()
        .http_response(move || head(output_len, written))
        .repeatedly()
        .build();
    let head_code = mock!(S3::head_object)
        .sequence()
        .http_response(move || head(code_len, "Wed, 01 May 2024 12:30:05 GMT"))
        .repeatedly()
        .build();
    // An unversioned bucket: no versions to tell the job's output by.
    let versions = mock!(S3::list_object_versions)
        .sequence()
        .http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>",
                ),
            )
        })
        .repeatedly()
        .build();
    [get_output, get_code, head_output, head_code, versions]
}

/// When the job (created 12:30:00) wrote its output, and a later write.
const AT_SIGNING: &str = "Wed, 01 May 2024 12:30:05 GMT";
const LATER: &str = "Thu, 02 May 2024 09:00:00 GMT";

/// What the function's code object holds.
enum Code {
    /// The signed zip (the job's output is that zip).
    Signed,
    /// The signed zip with a byte of its content changed.
    Tampered,
    /// Unsigned bytes, also written over the job's output key afterwards.
    UnsignedOverOutput,
    /// A zip in a format this provider cannot read (as real Signer's),
    /// identical to the job's untouched output.
    OtherFormatCopy,
    /// No such object.
    Gone,
}

/// The hook over the aws backend for function code at `key` in `dst`
/// (the job `JOB` wrote the signed zip to `signed/<JOB>.zip`), under the
/// Enforce config.
async fn hook_verdict(
    key: &str,
    code: Code,
    profile_revoked: bool,
) -> (HookStatus, Option<HandlerErrorCode>, String) {
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile = mock!(Signer::get_signing_profile)
        .then_http_response(move || json(200, &get_profile(profile_revoked)));
    let list = mock!(Signer::list_signing_jobs).then_http_response(|| {
        json(
            200,
            &format!(r#"{{"jobs":[{{"jobId":"{JOB}","status":"Succeeded","createdAt":1714566600,"signedObject":{{"s3":{{"bucketName":"dst","key":"signed/{JOB}.zip"}}}}}}]}}"#),
        )
    });
    let [get_csc, tags] = csc_rules();
    let (signed, plain) = signed_zip();
    let rules = match code {
        Code::Signed => objects(signed.clone(), signed, AT_SIGNING),
        Code::Tampered => {
            let mut tampered = signed.clone();
            // A byte of the stored file data, the envelope kept.
            let at = tampered.windows(3).position(|w| w == b"def").unwrap_or(40);
            tampered[at] ^= 0x20;
            objects(tampered, signed, AT_SIGNING)
        }
        Code::UnsignedOverOutput => objects(plain.clone(), plain, LATER),
        Code::OtherFormatCopy => objects(plain.clone(), plain, AT_SIGNING),
        Code::Gone => {
            let missing = || {
                let mut r = aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(404).unwrap(),
                    aws_smithy_types::body::SdkBody::from(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                    ),
                );
                r.headers_mut().insert("content-type", "application/xml");
                r
            };
            [
                mock!(S3::get_object)
                    .sequence()
                    .http_response(missing)
                    .repeatedly()
                    .build(),
                mock!(S3::get_object)
                    .sequence()
                    .http_response(missing)
                    .repeatedly()
                    .build(),
                head_missing(),
                head_missing(),
                head_missing(),
            ]
        }
    };
    let [a, b, c, d, e] = &rules;
    let engine = Engine::new(Arc::new(backend(
        signer(&[&describe, &profile, &list]),
        lambda(&[&get_csc, &tags]),
        s3(&[a, b, c, d, e]),
    )));
    let request: HookRequest = serde_json::from_value(json!({
        "hookTypeName": hook::TYPE_NAME, "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "clientRequestToken": "t", "awsAccountId": "111111111111",
        "requestData": {"targetName": "AWS::Lambda::Function", "targetType": "RESOURCE",
                        "targetModel": {"resourceProperties": {
                            "CodeSigningConfigArn": CSC_ARN,
                            "Code": {"S3Bucket": "dst", "S3Key": key}}}}
    }))
    .unwrap();
    let check = match hook::prepare(request).await {
        Ok(check) => check,
        Err(answer) => panic!("answered before the checks: {answer:?}"),
    };
    let event = hook::judge(&engine, check).await;
    (
        event.hook_status,
        event.error_code,
        event.message.unwrap_or_default(),
    )
}

#[tokio::test]
async fn the_hook_passes_code_signed_by_an_allowed_profile_wherever_it_is_stored() {
    for key in [
        format!("signed/{JOB}.zip"),
        "builds/copied-by-ci.zip".to_string(),
    ] {
        let (status, code, message) = hook_verdict(&key, Code::Signed, false).await;
        assert_eq!(
            (status, code),
            (HookStatus::Success, None),
            "{key}: {message}"
        );
    }
}

#[tokio::test]
async fn the_hook_ties_a_format_it_cannot_read_to_the_job_whose_output_has_its_bytes() {
    let (status, code, message) =
        hook_verdict("builds/copied-by-ci.zip", Code::OtherFormatCopy, false).await;
    assert_eq!((status, code), (HookStatus::Success, None), "{message}");
}

#[tokio::test]
async fn the_hook_refuses_code_signed_after_its_profile_was_revoked() {
    let (status, code, message) =
        hook_verdict(&format!("signed/{JOB}.zip"), Code::Signed, true).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(message.contains("revocation check failed"), "{message}");
}

#[tokio::test]
async fn the_hook_refuses_code_that_cannot_be_read() {
    let (status, code, message) =
        hook_verdict(&format!("signed/{JOB}.zip"), Code::Gone, false).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(message.contains("Lambda cannot read the code"), "{message}");
}

#[tokio::test]
async fn the_hook_refuses_signed_bytes_changed_after_signing_under_the_signers_key() {
    let (status, code, message) = hook_verdict("builds/tampered.zip", Code::Tampered, false).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(message.contains("integrity check failed"), "{message}");
}

#[tokio::test]
async fn the_hook_judges_bytes_no_signing_job_wrote_as_unsigned() {
    // Even under the key Signer wrote to: the name proves nothing.
    let (status, code, message) = hook_verdict(
        &format!("signed/{JOB}.zip"),
        Code::UnsignedOverOutput,
        false,
    )
    .await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(
        message.contains("source mismatch check failed"),
        "{message}"
    );
}

#[tokio::test]
async fn a_layer_signed_by_a_revoked_profile_is_refused_before_it_is_published() {
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(true)));
    let publish = mock!(Lambda::publish_layer_version).then_http_response(|| json(500, "{}"));
    let [get_csc, tags] = csc_rules();
    let (signed, _) = signed_zip();
    let [a, b, c, d, e] = &objects(signed.clone(), signed, AT_SIGNING);
    let engine = Engine::new(Arc::new(backend(
        signer(&[&describe, &profile]),
        lambda(&[&get_csc, &tags, &publish]),
        s3(&[a, b, c, d, e]),
    )));
    let desired = json!({
        "LayerName": "shared",
        "SignedObject": {"Bucket": "dst", "Key": format!("signed/{JOB}.zip")},
        "VerifyAgainst": [CSC_ARN]
    });
    let call = Call {
        engine: &engine,
        action: Action::Create,
        desired: &desired,
        context: None,
        token: TOKEN,
        logical_id: Some("Layer"),
    };
    let event = dispatch(&super::types::layer_version::LayerVersionType, &call).await;
    assert_eq!(
        event.error_code,
        Some(HandlerErrorCode::InvalidRequest),
        "{event:?}"
    );
    let message = event.message.unwrap_or_default();
    assert!(message.starts_with("VerifyAgainst"), "{message}");
    assert!(message.contains("revocation check failed"), "{message}");
    assert_eq!(publish.num_calls(), 0, "nothing was published");
}

/// A READ of a signing profile on the aws backend, as CloudFormation sends it.
async fn read_profile(engine: &Engine) -> super::protocol::ProgressEvent {
    let desired = json!({"Arn": "arn:aws:signer:us-east-1:111111111111:/signing-profiles/app"});
    let call = Call {
        engine,
        action: Action::Read,
        desired: &desired,
        context: None,
        token: TOKEN,
        logical_id: None,
    };
    dispatch(&super::types::signing_profile::SigningProfileType, &call).await
}

#[tokio::test]
async fn every_way_an_aws_call_fails_reaches_cloudformation_as_its_handler_error_code() {
    use HandlerErrorCode as Code;
    let cases = [
        (404, "ResourceNotFoundException", Code::NotFound),
        (403, "AccessDeniedException", Code::AccessDenied),
        (400, "ThrottlingException", Code::Throttling),
        (429, "TooManyRequestsException", Code::Throttling),
        (400, "LimitExceededException", Code::ServiceLimitExceeded),
        (
            400,
            "ServiceQuotaExceededException",
            Code::ServiceLimitExceeded,
        ),
        (403, "ExpiredTokenException", Code::InvalidCredentials),
        (403, "UnrecognizedClientException", Code::InvalidCredentials),
        (400, "ValidationException", Code::InvalidRequest),
        (409, "ConflictException", Code::ResourceConflict),
        (
            500,
            "InternalServiceErrorException",
            Code::ServiceInternalError,
        ),
        (
            503,
            "ServiceUnavailableException",
            Code::ServiceInternalError,
        ),
        // A code this provider does not know: by its status, the service
        // failed (5xx) or refused (4xx).
        (502, "SomethingNew", Code::ServiceInternalError),
        (400, "SomethingNew", Code::GeneralServiceException),
    ];
    for (status, code, expected) in cases {
        let get = mock!(Signer::get_signing_profile)
            .sequence()
            .http_response(move || crate::backend::aws::tests::error(status, code, "refused"))
            .repeatedly()
            .build();
        let engine = Engine::new(Arc::new(backend(signer(&[&get]), lambda(&[]), s3(&[]))));
        let event = read_profile(&engine).await;
        assert_eq!(
            event.error_code,
            Some(expected),
            "{status} {code}: {event:?}"
        );
    }

    // No answer at all: a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let config = aws_sdk_signer::Config::builder()
        .behavior_version(aws_sdk_signer::config::BehaviorVersion::latest())
        .region(aws_sdk_signer::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_signer::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(format!("http://{closed}"))
        .retry_config(aws_sdk_signer::config::retry::RetryConfig::disabled())
        .build();
    let engine = Engine::new(Arc::new(backend(
        Signer::from_conf(config),
        lambda(&[]),
        s3(&[]),
    )));
    let event = read_profile(&engine).await;
    assert_eq!(event.error_code, Some(Code::NetworkFailure), "{event:?}");
}
