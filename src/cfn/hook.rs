//! `LambdaSign::CodeSigning::DeploymentHook`: before CloudFormation creates
//! or updates an `AWS::Lambda::Function`, the function's code and layers go
//! through Lambda's four checks under its code signing config (the engine's
//! `deployment::check`, the plan-time checks' counterpart). A deployment
//! Lambda would refuse is NonCompliant, with each failing check's reason:
//! integrity always, expiry, source mismatch and revocation under Enforce.

use chrono::Utc;
use serde_json::Value;

use super::convert;
use super::model::Naming;
use super::protocol::{HandlerErrorCode, HookProgressEvent, HookRequest};
use super::target::{Caller, Target};
use crate::engine::deployment::{self, Deployment, FunctionCode};
use crate::engine::{Engine, ErrorKind};

pub const TYPE_NAME: &str = "LambdaSign::CodeSigning::DeploymentHook";
/// The cloudformation-cli project folder under `cloudformation/` (the
/// schema tests read the hook's files from there).
#[cfg(test)]
pub const FOLDER: &str = "deployment-hook";
#[cfg(test)]
pub const SCHEMA: &str =
    include_str!("../../cloudformation/deployment-hook/lambdasign-codesigning-deploymenthook.json");
/// The only target it checks.
pub const TARGET: &str = "AWS::Lambda::Function";

/// The hook's answer to one invocation.
pub async fn handle(target: &Target, request: HookRequest) -> HookProgressEvent {
    let token = request.client_request_token.clone();
    let check = match prepare(request).await {
        Ok(check) => check,
        Err(answer) => return answer,
    };
    match target.engine(&check.caller).await {
        Ok(engine) => judge(&engine, check).await,
        Err(e) => HookProgressEvent::failed(convert::connect_error_code(&e), e.to_string(), token),
    }
}

/// A deployment the engine has to judge, and who asks.
pub struct Check {
    caller: Caller,
    deployment: Deployment,
    token: Option<String>,
}

/// Everything decided before the engine is asked: the target (first, as
/// the contract tests require), the invocation point, the function's
/// properties, and whether there is anything for Lambda to check at all.
pub async fn prepare(request: HookRequest) -> Result<Check, HookProgressEvent> {
    let token = request.client_request_token.clone();
    let fail = |code: HandlerErrorCode, message: String| {
        HookProgressEvent::failed(code, message, token.clone())
    };
    if request
        .hook_type_name
        .as_deref()
        .is_some_and(|name| name != TYPE_NAME)
    {
        return Err(fail(
            HandlerErrorCode::InvalidRequest,
            format!(
                "this handler serves the hook {TYPE_NAME}, not {:?}",
                request.hook_type_name
            ),
        ));
    }
    let data = request.request_data.clone().unwrap_or_default();
    if data.target_name.as_deref() != Some(TARGET) {
        return Err(fail(
            HandlerErrorCode::UnsupportedTarget,
            format!(
                "{TYPE_NAME} checks only {TARGET}, not {}",
                data.target_name.as_deref().unwrap_or("an unnamed target")
            ),
        ));
    }
    let point = request
        .action_invocation_point
        .as_deref()
        .unwrap_or_default();
    let updating = match point {
        "CREATE_PRE_PROVISION" => false,
        "UPDATE_PRE_PROVISION" => true,
        "DELETE_PRE_PROVISION" => {
            return Err(HookProgressEvent::success(
                Some("deleting a function deploys nothing: nothing to check".into()),
                token,
            ))
        }
        other => {
            return Err(fail(
                HandlerErrorCode::InvalidRequest,
                format!("unknown actionInvocationPoint {other:?}"),
            ))
        }
    };
    let target_model = target_model(&data)
        .await
        .map_err(|message| fail(HandlerErrorCode::InvalidRequest, message))?;
    let function = Function::read(&target_model["resourceProperties"])
        .map_err(|message| fail(HandlerErrorCode::InvalidRequest, message))?;
    if updating {
        let previous = Function::read(&target_model["previousResourceProperties"]).ok();
        if previous.as_ref() == Some(&function) {
            return Err(HookProgressEvent::success(
                Some("code, layers and code signing config are unchanged: Lambda does not check them again".into()),
                token,
            ));
        }
    }
    let Some(csc) = function.code_signing_config_arn.clone() else {
        if let FunctionCode::Image(uri) = &function.code {
            return Err(HookProgressEvent::success(
                Some(format!("{uri} is a container image: Lambda does not apply code signing to images, so a code signing config (and RequireCodeSigningConfig) does not apply")),
                token,
            ));
        }
        if require_code_signing_config(request.hook_model.as_ref()) {
            return Err(fail(
                HandlerErrorCode::NonCompliant,
                "CodeSigningConfigArn: the function has no code signing config, and this hook's configuration (RequireCodeSigningConfig) requires one".into(),
            ));
        }
        return Err(HookProgressEvent::success(
            Some("the function has no code signing config: Lambda checks no signatures".into()),
            token,
        ));
    };
    Ok(Check {
        caller: Caller {
            account_id: request.aws_account_id.clone(),
            region: None,
            credentials: data.caller_credentials.clone(),
            stack_tags: Default::default(),
        },
        deployment: Deployment {
            code_signing_config_arn: csc,
            code: function.code,
            layers: function.layers,
        },
        token,
    })
}

/// The engine's verdict on the deployment, as the hook answers it.
pub async fn judge(engine: &Engine, check: Check) -> HookProgressEvent {
    let Check {
        deployment, token, ..
    } = check;
    let fail = |code: HandlerErrorCode, message: String| {
        HookProgressEvent::failed(code, message, token.clone())
    };
    let csc = deployment.code_signing_config_arn.clone();
    let verdict = match deployment::check(engine, &deployment, Utc::now()).await {
        Ok(verdict) => verdict,
        // A config that does not exist fails CreateFunction too.
        Err(e) if e.kind == ErrorKind::NotFound => {
            return fail(
                HandlerErrorCode::NonCompliant,
                format!(
                    "CodeSigningConfigArn: {}; Lambda would refuse the deployment",
                    e.message
                ),
            )
        }
        Err(e) => return fail(convert::error_code(e.kind), convert::message(&e, &NAMING)),
    };
    let warnings = verdict.warnings();
    if verdict.allowed() {
        let checked = verdict.artifacts.len();
        let limits = verdict.limits();
        let message = if warnings.is_empty() && limits.is_empty() {
            format!("{checked} artifact(s) pass all four checks against {csc}")
        } else if warnings.is_empty() {
            format!(
                "{checked} artifact(s) pass the four checks against {csc} as far as this account can check them: {}",
                limits.join("; ")
            )
        } else {
            format!(
                "Lambda would deploy it under {csc} (policy {}) and log: {}",
                verdict.enforcement,
                warnings.join("; ")
            )
        };
        return HookProgressEvent::success(Some(message), token);
    }
    let mut message = format!(
        "Lambda would reject this deployment under {csc} (policy {}): {}",
        verdict.enforcement,
        verdict.blocking().join("; ")
    );
    if !warnings.is_empty() {
        message.push_str(&format!(". Also (warnings only): {}", warnings.join("; ")));
    }
    fail(HandlerErrorCode::NonCompliant, message)
}

/// The function's properties are already PascalCase.
const NAMING: Naming = Naming {
    renames: &[
        ("code_signing_config_arn", "CodeSigningConfigArn"),
        ("code", "Code"),
        ("layers", "Layers"),
    ],
};

/// What the checks need of an `AWS::Lambda::Function`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Function {
    code_signing_config_arn: Option<String>,
    code: FunctionCode,
    layers: Vec<String>,
}

impl Function {
    fn read(properties: &Value) -> Result<Function, String> {
        let Some(object) = properties.as_object() else {
            return Err("targetModel.resourceProperties must be an object".into());
        };
        let text = |value: &Value, at: &str| -> Result<Option<String>, String> {
            match value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(format!("{at}: must be a string")),
            }
        };
        let null = Value::Null;
        let code_signing_config_arn = text(
            object.get("CodeSigningConfigArn").unwrap_or(&null),
            "CodeSigningConfigArn",
        )?
        .filter(|s| !s.is_empty());
        let code = object.get("Code").unwrap_or(&null);
        let field = |name: &str| text(code.get(name).unwrap_or(&null), &format!("Code.{name}"));
        let code = if let Some(uri) = field("ImageUri")? {
            FunctionCode::Image(uri)
        } else if field("ZipFile")?.is_some() {
            FunctionCode::Inline
        } else {
            match (field("S3Bucket")?, field("S3Key")?) {
                (Some(bucket), Some(key)) => FunctionCode::Object {
                    bucket,
                    key,
                    version: field("S3ObjectVersion")?,
                },
                _ => {
                    return Err(
                        "Code: needs S3Bucket and S3Key (or ZipFile, or ImageUri)".to_string()
                    )
                }
            }
        };
        let layers = match object.get("Layers").unwrap_or(&null) {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(format!("Layers[{i}]: must be a layer version ARN")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("Layers: must be a list of layer version ARNs".into()),
        };
        Ok(Function {
            code_signing_config_arn,
            code,
            layers,
        })
    }
}

/// `RequireCodeSigningConfig` of the hook's configuration (CloudFormation
/// may pass configuration values as strings).
fn require_code_signing_config(hook_model: Option<&Value>) -> bool {
    match hook_model.and_then(|m| m.get("RequireCodeSigningConfig")) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The target model: inline, or fetched from the URL CloudFormation gives.
async fn target_model(data: &super::protocol::HookRequestData) -> Result<Value, String> {
    if let Some(model) = data.target_model.as_ref().filter(|m| m.is_object()) {
        return Ok(model.clone());
    }
    match data.payload.as_deref() {
        Some(url) if !url.is_empty() => super::payload::fetch(url).await,
        _ => Err("the request carries no targetModel (nor a payload URL)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_function_is_read_from_its_template_properties() {
        let f = Function::read(&json!({
            "CodeSigningConfigArn": "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0",
            "Code": {"S3Bucket": "b", "S3Key": "signed/k.zip", "S3ObjectVersion": "v1"},
            "Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:l:1"]
        }))
        .unwrap();
        assert_eq!(
            f.code,
            FunctionCode::Object {
                bucket: "b".into(),
                key: "signed/k.zip".into(),
                version: Some("v1".into())
            }
        );
        assert_eq!(f.layers.len(), 1);
        assert_eq!(
            Function::read(&json!({"Code": {"ZipFile": "x"}}))
                .unwrap()
                .code,
            FunctionCode::Inline
        );
        let e = Function::read(&json!({"Code": {"S3Bucket": "b"}, "Layers": "x"})).unwrap_err();
        assert!(e.starts_with("Code:"), "{e}");
        let e = Function::read(&json!({"Code": {"ZipFile": "x"}, "Layers": [1]})).unwrap_err();
        assert_eq!(e, "Layers[0]: must be a layer version ARN");
    }

    #[test]
    fn the_configuration_may_spell_booleans_as_strings() {
        assert!(require_code_signing_config(Some(
            &json!({"RequireCodeSigningConfig": "true"})
        )));
        assert!(require_code_signing_config(Some(
            &json!({"RequireCodeSigningConfig": true})
        )));
        assert!(!require_code_signing_config(Some(&json!({}))));
        assert!(!require_code_signing_config(None));
    }

    #[tokio::test]
    async fn other_targets_are_unsupported_before_anything_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Local {
            store: dir.path().to_path_buf(),
        };
        let request: HookRequest = serde_json::from_value(json!({
            "hookTypeName": TYPE_NAME, "actionInvocationPoint": "CREATE_PRE_PROVISION",
            "requestData": {"targetName": "AWS::S3::Bucket", "targetModel": {"resourceProperties": {}}}
        }))
        .unwrap();
        let event = handle(&target, request).await;
        assert_eq!(event.error_code, Some(HandlerErrorCode::UnsupportedTarget));
    }

    fn request(properties: Value, extra: Value) -> HookRequest {
        let mut request = json!({
            "hookTypeName": TYPE_NAME, "actionInvocationPoint": "CREATE_PRE_PROVISION",
            "hookModel": {"RequireCodeSigningConfig": "true"},
            "requestData": {"targetName": TARGET, "targetModel": {"resourceProperties": properties}}
        });
        if let (Some(r), Some(e)) = (request.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(request).unwrap()
    }

    #[tokio::test]
    async fn an_image_needs_no_code_signing_config() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Local {
            store: dir.path().to_path_buf(),
        };
        let image = request(
            json!({"Code": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}}),
            json!({}),
        );
        let event = handle(&target, image).await;
        assert_eq!(event.error_code, None, "{event:?}");
        assert!(event
            .message
            .as_deref()
            .is_some_and(|m| m.contains("container image")));
        let zip = request(
            json!({"Code": {"S3Bucket": "b", "S3Key": "k.zip"}}),
            json!({}),
        );
        let event = handle(&target, zip).await;
        assert_eq!(event.error_code, Some(HandlerErrorCode::NonCompliant));
    }

    #[tokio::test]
    async fn a_forged_callback_context_skips_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Local {
            store: dir.path().to_path_buf(),
        };
        let forged = request(
            json!({"Code": {"S3Bucket": "b", "S3Key": "k.zip"}}),
            json!({"callbackContext": {"checked": true, "allowed": true, "stage": "done"}}),
        );
        let event = handle(&target, forged).await;
        assert_eq!(
            event.error_code,
            Some(HandlerErrorCode::NonCompliant),
            "{event:?}"
        );
    }

    #[tokio::test]
    async fn a_payload_url_outside_s3_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Local {
            store: dir.path().to_path_buf(),
        };
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1:1/x",
            "https://internal.example/x",
        ] {
            let request: HookRequest = serde_json::from_value(json!({
                "hookTypeName": TYPE_NAME, "actionInvocationPoint": "CREATE_PRE_PROVISION",
                "requestData": {"targetName": TARGET, "payload": url}
            }))
            .unwrap();
            let event = handle(&target, request).await;
            assert_eq!(
                event.error_code,
                Some(HandlerErrorCode::InvalidRequest),
                "{url}"
            );
            assert!(
                event
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("requestData.payload")),
                "{event:?}"
            );
        }
    }
}
