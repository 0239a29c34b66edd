//! The CloudFormation handler contract on the wire, as cloudformation-cli's
//! plugins define it: the resource HandlerRequest and ProgressEvent, and the
//! hook HookInvocationRequest and HookProgressEvent.
//!
//! Requests are decoded leniently (the test shape `cfn test` sends, and the
//! production shape CloudFormation sends with more fields): every field may
//! be missing or null, unknown fields are ignored, and credentials arrive as
//! an object (resources) or as a JSON string (hooks). Responses omit every
//! unset key: the contract tests reject `"errorCode": null`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What CloudFormation asks a resource handler to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    List,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        Some(match text {
            "CREATE" => Action::Create,
            "READ" => Action::Read,
            "UPDATE" => Action::Update,
            "DELETE" => Action::Delete,
            "LIST" => Action::List,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "CREATE",
            Action::Read => "READ",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
            Action::List => "LIST",
        }
    }
}

/// AWS credentials a request carries. Never printed.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Credentials {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Credentials as an object (resource requests) or as a JSON string holding
/// one (hook requests); anything else counts as absent.
fn credentials<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Credentials>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(text)) => serde_json::from_str(&text).ok(),
        Some(value @ Value::Object(_)) => serde_json::from_value(value).ok(),
        _ => None,
    })
}

/// A map of text values (stack tags, system tags); non-text values are
/// dropped rather than failing the whole request.
fn text_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Object(map)) => Some(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    })
}

/// Text that may arrive as another JSON type (logged, never acted upon).
fn loose_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    })
}

/// A resource handler request (test and production shapes alike).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HandlerRequest {
    #[serde(deserialize_with = "loose_text")]
    pub action: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub aws_account_id: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub bearer_token: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub next_token: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub region: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub resource_type: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub stack_id: Option<String>,
    pub callback_context: Option<Value>,
    pub request_data: Option<RequestData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestData {
    #[serde(deserialize_with = "credentials")]
    pub caller_credentials: Option<Credentials>,
    #[serde(deserialize_with = "loose_text")]
    pub logical_resource_id: Option<String>,
    pub resource_properties: Option<Value>,
    pub previous_resource_properties: Option<Value>,
    #[serde(deserialize_with = "text_map")]
    pub stack_tags: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "text_map")]
    pub system_tags: Option<BTreeMap<String, String>>,
    pub type_configuration: Option<Value>,
}

/// The status of a resource operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    InProgress,
    Success,
    Failed,
}

/// Why a handler failed, as CloudFormation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum HandlerErrorCode {
    NotUpdatable,
    InvalidRequest,
    AccessDenied,
    InvalidCredentials,
    AlreadyExists,
    NotFound,
    ResourceConflict,
    Throttling,
    ServiceLimitExceeded,
    NotStabilized,
    GeneralServiceException,
    ServiceInternalError,
    NetworkFailure,
    InternalFailure,
    NonCompliant,
    UnsupportedTarget,
}

/// Longest message a resource event carries (service errors can be long).
pub const MAX_MESSAGE: usize = 4096;
/// Longest message a hook event carries: CloudFormation keeps at most 1024
/// characters of a hook's status reason.
pub const MAX_HOOK_MESSAGE: usize = 1024;

/// `text`, cut to at most `max` characters (marked with `...`).
pub fn clip(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{kept}...")
}

/// A resource handler's answer. Unset keys are omitted, never `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    pub status: OperationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<HandlerErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_context: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_delay_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_model: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_models: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl ProgressEvent {
    fn with_status(status: OperationStatus) -> Self {
        ProgressEvent {
            status,
            error_code: None,
            message: None,
            callback_context: None,
            callback_delay_seconds: None,
            resource_model: None,
            resource_models: None,
            next_token: None,
        }
    }

    /// CREATE, READ or UPDATE done: the model as it now is.
    pub fn success(model: Value) -> Self {
        ProgressEvent {
            resource_model: Some(model),
            ..Self::with_status(OperationStatus::Success)
        }
    }

    /// DELETE done: no model at all (the contract tests check).
    pub fn deleted() -> Self {
        Self::with_status(OperationStatus::Success)
    }

    /// LIST done: always a list, empty when nothing exists.
    pub fn listed(models: Vec<Value>) -> Self {
        ProgressEvent {
            resource_models: Some(models),
            ..Self::with_status(OperationStatus::Success)
        }
    }

    /// Not done yet: CloudFormation calls again after `delay_seconds` with
    /// `context` and `model` (the full desired model: it becomes the next
    /// call's desired state).
    pub fn in_progress(model: Value, context: Value, delay_seconds: u32) -> Self {
        ProgressEvent {
            resource_model: Some(model),
            callback_context: Some(context),
            callback_delay_seconds: Some(delay_seconds),
            ..Self::with_status(OperationStatus::InProgress)
        }
    }

    pub fn failed(code: HandlerErrorCode, message: impl Into<String>) -> Self {
        ProgressEvent {
            error_code: Some(code),
            message: Some(clip(message.into(), MAX_MESSAGE)),
            ..Self::with_status(OperationStatus::Failed)
        }
    }
}

/// A hook invocation request (test and production shapes alike).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HookRequest {
    #[serde(deserialize_with = "loose_text")]
    pub client_request_token: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub aws_account_id: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub stack_id: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub hook_type_name: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub action_invocation_point: Option<String>,
    /// The hook's type configuration (`Properties` of its configuration).
    pub hook_model: Option<Value>,
    pub request_data: Option<HookRequestData>,
    pub request_context: Option<HookRequestContext>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HookRequestData {
    #[serde(deserialize_with = "loose_text")]
    pub target_name: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub target_type: Option<String>,
    #[serde(deserialize_with = "loose_text")]
    pub target_logical_id: Option<String>,
    /// `{resourceProperties, previousResourceProperties}`.
    pub target_model: Option<Value>,
    /// Production may send the target model by reference instead.
    #[serde(deserialize_with = "loose_text")]
    pub payload: Option<String>,
    #[serde(deserialize_with = "credentials")]
    pub caller_credentials: Option<Credentials>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HookRequestContext {
    pub invocation: Option<Value>,
    pub callback_context: Option<Value>,
}

/// The status of a hook invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStatus {
    Success,
    Failed,
}

/// A hook's answer. Unset keys are omitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookProgressEvent {
    pub hook_status: HookStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<HandlerErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

impl HookProgressEvent {
    pub fn success(message: Option<String>, token: Option<String>) -> Self {
        HookProgressEvent {
            hook_status: HookStatus::Success,
            error_code: None,
            message: message.map(|m| clip(m, MAX_HOOK_MESSAGE)),
            client_request_token: token,
        }
    }

    pub fn failed(
        code: HandlerErrorCode,
        message: impl Into<String>,
        token: Option<String>,
    ) -> Self {
        HookProgressEvent {
            hook_status: HookStatus::Failed,
            error_code: Some(code),
            message: Some(clip(message.into(), MAX_HOOK_MESSAGE)),
            client_request_token: token,
        }
    }
}

/// What a payload is, before decoding it as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Hook,
    Resource,
    /// The legacy test-entrypoint shape: it names no type, so it is refused.
    LegacyTest,
    Unknown,
}

/// Tells hook, resource and legacy test payloads apart (hooks carry
/// `actionInvocationPoint`; resource requests carry `requestData` and `action`).
pub fn classify(payload: &Value) -> PayloadKind {
    let Some(object) = payload.as_object() else {
        return PayloadKind::Unknown;
    };
    if object.contains_key("actionInvocationPoint") {
        PayloadKind::Hook
    } else if object.get("requestData").is_some_and(Value::is_object)
        && object.contains_key("action")
    {
        PayloadKind::Resource
    } else if object.contains_key("request") && object.contains_key("action") {
        PayloadKind::LegacyTest
    } else {
        PayloadKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(name: &str) -> Value {
        let path = format!(
            "{}/src/cfn/testdata/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["request"].clone()
    }

    #[test]
    fn decodes_the_request_cfn_test_sends() {
        let payload = sample("resource-create-in_progress");
        assert_eq!(classify(&payload), PayloadKind::Resource);
        let request: HandlerRequest = serde_json::from_value(payload).unwrap();
        assert_eq!(request.action.as_deref(), Some("CREATE"));
        assert_eq!(request.region.as_deref(), Some("us-east-1"));
        assert_eq!(request.aws_account_id.as_deref(), Some("123456789012"));
        let data = request.request_data.unwrap();
        let credentials = data.caller_credentials.unwrap();
        assert!(credentials.access_key_id.is_some());
        assert!(data.resource_properties.unwrap().is_object());
        assert!(
            request.callback_context.is_none() || request.callback_context == Some(Value::Null)
        );
    }

    #[test]
    fn decodes_the_production_request_with_fields_it_does_not_use() {
        let text = std::fs::read_to_string(format!(
            "{}/src/cfn/testdata/production-resource-request.example.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let payload: Value = serde_json::from_str(&text).unwrap();
        let request: HandlerRequest = serde_json::from_value(payload).unwrap();
        let data = request.request_data.unwrap();
        assert!(data.stack_tags.is_some(), "stack tags are read");
        assert!(request.stack_id.is_some());
    }

    #[test]
    fn hook_credentials_arrive_as_a_json_string() {
        let payload = sample("hook-create_pre_provision-success");
        assert_eq!(classify(&payload), PayloadKind::Hook);
        let request: HookRequest = serde_json::from_value(payload).unwrap();
        let data = request.request_data.unwrap();
        assert!(data.caller_credentials.unwrap().access_key_id.is_some());
        assert_eq!(data.target_name.as_deref(), Some("AWS::Lambda::Function"));
        assert_eq!(
            request.action_invocation_point.as_deref(),
            Some("CREATE_PRE_PROVISION")
        );
    }

    #[test]
    fn any_field_may_be_null_or_of_another_type() {
        let request: HandlerRequest = serde_json::from_value(json!({
            "action": "READ", "region": null, "awsAccountId": 123456789012u64,
            "requestData": {"callerCredentials": "not json", "stackTags": {"a": "b", "n": 1},
                            "resourceProperties": null},
            "unknownField": {"x": 1}
        }))
        .unwrap();
        assert_eq!(request.aws_account_id.as_deref(), Some("123456789012"));
        let data = request.request_data.unwrap();
        assert!(data.caller_credentials.is_none());
        assert_eq!(data.stack_tags.unwrap().len(), 1);
    }

    #[test]
    fn the_legacy_test_shape_is_told_apart() {
        let legacy =
            json!({"credentials": {}, "action": "CREATE", "request": {}, "callbackContext": null});
        assert_eq!(classify(&legacy), PayloadKind::LegacyTest);
        assert_eq!(classify(&json!([1])), PayloadKind::Unknown);
    }

    #[test]
    fn unset_keys_are_omitted_never_null() {
        let event = ProgressEvent::in_progress(json!({"Arn": "a"}), json!({"k": 1}), 5);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"status": "IN_PROGRESS", "resourceModel": {"Arn": "a"},
                   "callbackContext": {"k": 1}, "callbackDelaySeconds": 5})
        );
        assert_eq!(
            serde_json::to_value(ProgressEvent::deleted()).unwrap(),
            json!({"status": "SUCCESS"}),
            "a DELETE success carries no model"
        );
        assert_eq!(
            serde_json::to_value(ProgressEvent::listed(vec![])).unwrap(),
            json!({"status": "SUCCESS", "resourceModels": []}),
            "an empty LIST is an empty list, not null"
        );
        assert_eq!(
            serde_json::to_value(ProgressEvent::failed(HandlerErrorCode::NotFound, "gone"))
                .unwrap(),
            json!({"status": "FAILED", "errorCode": "NotFound", "message": "gone"})
        );
        assert_eq!(
            serde_json::to_value(HookProgressEvent::failed(
                HandlerErrorCode::NonCompliant,
                "why",
                None
            ))
            .unwrap(),
            json!({"hookStatus": "FAILED", "errorCode": "NonCompliant", "message": "why"})
        );
    }

    #[test]
    fn long_messages_are_clipped_to_what_cloudformation_keeps() {
        let long = "x".repeat(5000);
        let event = HookProgressEvent::failed(HandlerErrorCode::NonCompliant, long.clone(), None);
        let message = event.message.unwrap();
        assert_eq!(message.chars().count(), MAX_HOOK_MESSAGE);
        assert!(message.ends_with("..."));
        let event = ProgressEvent::failed(HandlerErrorCode::InternalFailure, long);
        assert_eq!(event.message.unwrap().chars().count(), MAX_MESSAGE);
        assert_eq!(clip("short".into(), 10), "short");
    }

    #[test]
    fn credentials_never_print() {
        let credentials = Credentials {
            access_key_id: Some("AKIA".into()),
            secret_access_key: Some("very-secret".into()),
            session_token: Some("token-secret".into()),
        };
        let printed = format!("{credentials:?}");
        assert!(!printed.contains("very-secret") && !printed.contains("token-secret"));
    }
}
