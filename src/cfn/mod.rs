//! The CloudFormation front end: registry resource types and a
//! pre-deployment hook over the same engine as the Terraform plugin.
//!
//! - [`protocol`] holds HandlerRequest/ProgressEvent and the hook's request
//!   and response, exactly as cloudformation-cli's plugins define them;
//! - [`model`] reads and builds resource models (PascalCase engine fields)
//!   and applies the engine's field rules to them;
//! - [`convert`] is the one place engine errors become HandlerErrorCodes;
//! - [`resource`] is what every type shares, with the dispatcher;
//! - [`types`] has one thin adapter per resource type;
//! - [`hook`] is `LambdaSign::CodeSigning::DeploymentHook`, [`payload`]
//!   fetches its target model from the S3 URL CloudFormation gives;
//! - [`target`] makes the backend a request runs on, as its caller;
//! - [`runtime`] is the Lambda runtime loop (`bootstrap` on provided.al2023);
//! - [`provider_log`] writes each invocation's line to the caller's log
//!   group;
//! - [`invoke`] is `cfn-invoke`, Lambda's Invoke API before the handlers.
//!
//! Every answer is a ProgressEvent (or a HookProgressEvent): no error ever
//! escapes as a Lambda function error, which `cfn test` and CloudFormation
//! would only see as a broken handler.

#[cfg(all(test, feature = "aws"))]
mod aws_tests;
pub(crate) mod convert;
pub(crate) mod hook;
pub(crate) mod invoke;
pub(crate) mod model;
pub(crate) mod payload;
mod permissions_tests;
pub(crate) mod protocol;
#[cfg(feature = "aws")]
pub(crate) mod provider_log;
pub(crate) mod resource;
pub(crate) mod runtime;
mod schemas;
pub mod target;
pub(crate) mod types;

use serde_json::Value;

use protocol::{
    classify, Action, HandlerErrorCode, HandlerRequest, HookProgressEvent, HookRequest,
    PayloadKind, ProgressEvent,
};
use resource::{dispatch, Call};
use target::{Caller, Target};

/// Handles one invocation payload: a resource request or a hook request.
pub async fn handle(target: &Target, payload: Value) -> Value {
    #[cfg(feature = "aws")]
    let log = match target {
        Target::Aws { endpoint } => provider_log::ProviderLog::of(&payload, endpoint.as_deref()),
        Target::Local { .. } => None,
    };
    let (summary, response) = match classify(&payload) {
        PayloadKind::Hook => {
            let event = match serde_json::from_value::<HookRequest>(payload) {
                Ok(request) => hook::handle(target, request).await,
                Err(e) => HookProgressEvent::failed(
                    HandlerErrorCode::InvalidRequest,
                    format!("cannot decode the hook request: {e}"),
                    None,
                ),
            };
            (
                format!(
                    "{} {:?} {:?}{}",
                    hook::TYPE_NAME,
                    event.hook_status,
                    event.error_code,
                    why(event.error_code, event.message.as_deref())
                ),
                serde_json::to_value(&event),
            )
        }
        kind => {
            let (name, event) = resource_event(target, kind, payload).await;
            (
                format!(
                    "{name} {:?} {:?}{}",
                    event.status,
                    event.error_code,
                    why(event.error_code, event.message.as_deref())
                ),
                serde_json::to_value(&event),
            )
        }
    };
    // One line per invocation for the handler's log: what was asked and how
    // it ended, never the request's credentials.
    eprintln!("lambdasign cfn: {summary}");
    #[cfg(feature = "aws")]
    if let Some(log) = log {
        log.write(&summary).await;
    }
    response.unwrap_or_else(|e| {
        serde_json::json!({"status": "FAILED", "errorCode": "InternalFailure",
                           "message": format!("cannot encode the response: {e}")})
    })
}

/// Why a request failed, for its log line (a verdict or an error message,
/// which may quote the template; never a credential).
fn why(code: Option<HandlerErrorCode>, message: Option<&str>) -> String {
    code.and(message)
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

async fn resource_event(
    target: &Target,
    kind: PayloadKind,
    payload: Value,
) -> (String, ProgressEvent) {
    let refuse = |message: String| ProgressEvent::failed(HandlerErrorCode::InvalidRequest, message);
    match kind {
        PayloadKind::Resource => {}
        PayloadKind::LegacyTest => {
            return (
                "legacy".into(),
                refuse("the legacy test-entrypoint payload names no resource type; send a HandlerRequest (requestData, action, resourceType)".into()),
            )
        }
        _ => {
            return (
                "unknown".into(),
                refuse("not a CloudFormation handler request: expected a HandlerRequest or a hook invocation".into()),
            )
        }
    }
    let request: HandlerRequest = match serde_json::from_value(payload) {
        Ok(request) => request,
        Err(e) => {
            return (
                "undecodable".into(),
                refuse(format!("cannot decode the request: {e}")),
            )
        }
    };
    let type_name = request.resource_type.clone().unwrap_or_default();
    let label = format!("{type_name} {}", request.action.as_deref().unwrap_or("?"));
    let Some(resource) = types::find(&type_name) else {
        return (
            label,
            refuse(format!(
                "this handler serves {}, not {type_name:?}",
                types::all()
                    .iter()
                    .map(|t| t.def().type_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    };
    let Some(action) = request.action.as_deref().and_then(Action::parse) else {
        return (
            label,
            refuse(format!("unknown action {:?}", request.action)),
        );
    };
    let data = request.request_data.clone().unwrap_or_default();
    let caller = Caller {
        account_id: request.aws_account_id.clone(),
        region: request.region.clone(),
        credentials: data.caller_credentials.clone(),
        stack_tags: data.stack_tags.clone().unwrap_or_default(),
    };
    let engine = match target.engine(&caller).await {
        Ok(engine) => engine,
        Err(e) => {
            return (
                label,
                ProgressEvent::failed(convert::connect_error_code(&e), e.to_string()),
            )
        }
    };
    let empty = Value::Object(Default::default());
    let desired = data.resource_properties.as_ref().unwrap_or(&empty);
    let token = request.bearer_token.clone().unwrap_or_default();
    let call = Call {
        engine: &engine,
        action,
        desired,
        context: request.callback_context.as_ref().filter(|c| !c.is_null()),
        token: &token,
        logical_id: data.logical_resource_id.as_deref(),
    };
    (label, dispatch(resource, &call).await)
}
