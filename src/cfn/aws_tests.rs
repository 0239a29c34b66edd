//! The production path (the aws backend), where the local backend cannot go
//! yet: S3 objects. The handlers run over the aws backend whose Signer, S3
//! and Lambda clients answer with the model-shaped mocks of the backend's
//! own tests. These are unit tests of the adapters on that path, not the
//! contract tests: those need an AWS-compatible endpoint with S3 (`serve`).

#![cfg(all(test, feature = "aws"))]

use std::sync::Arc;

use aws_sdk_lambda::Client as Lambda;
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

/// The hook over the aws backend, for function code in S3 written by the
/// signing job `JOB` (`signed/<JOB>.zip` in `dst`), under the Enforce config.
async fn hook_verdict(
    key: &str,
    profile_revoked: bool,
    object_present: bool,
) -> (HookStatus, Option<HandlerErrorCode>, String) {
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile = mock!(Signer::get_signing_profile)
        .then_http_response(move || json(200, &get_profile(profile_revoked)));
    let [get_csc, tags] = csc_rules();
    let head = if object_present {
        head_exists()
    } else {
        head_missing()
    };
    let engine = Engine::new(Arc::new(backend(
        signer(&[&describe, &profile]),
        lambda(&[&get_csc, &tags]),
        s3(&[&head]),
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
async fn the_hook_passes_code_signed_by_an_allowed_profile() {
    let (status, code, message) = hook_verdict(&format!("signed/{JOB}.zip"), false, true).await;
    assert_eq!((status, code), (HookStatus::Success, None), "{message}");
}

#[tokio::test]
async fn the_hook_refuses_code_signed_after_its_profile_was_revoked() {
    let (status, code, message) = hook_verdict(&format!("signed/{JOB}.zip"), true, true).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(message.contains("revocation check failed"), "{message}");
}

#[tokio::test]
async fn the_hook_refuses_a_signed_object_that_is_gone() {
    let (status, code, message) = hook_verdict(&format!("signed/{JOB}.zip"), false, false).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(message.contains("integrity check failed"), "{message}");
}

#[tokio::test]
async fn the_hook_judges_code_no_signing_job_wrote_as_unsigned() {
    let (status, code, message) = hook_verdict("builds/function.zip", false, true).await;
    assert_eq!(
        (status, code),
        (HookStatus::Failed, Some(HandlerErrorCode::NonCompliant))
    );
    assert!(
        message.contains("source mismatch check failed"),
        "{message}"
    );
    assert!(message.contains("not named as Signer names"), "{message}");
}

#[tokio::test]
async fn a_layer_signed_by_a_revoked_profile_is_refused_before_it_is_published() {
    let describe = mock!(Signer::describe_signing_job)
        .then_http_response(|| json(200, &describe_job("Succeeded", None)));
    let profile =
        mock!(Signer::get_signing_profile).then_http_response(|| json(200, &get_profile(true)));
    let publish = mock!(Lambda::publish_layer_version).then_http_response(|| json(500, "{}"));
    let [get_csc, tags] = csc_rules();
    let head = head_exists();
    let engine = Engine::new(Arc::new(backend(
        signer(&[&describe, &profile]),
        lambda(&[&get_csc, &tags, &publish]),
        s3(&[&head]),
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
