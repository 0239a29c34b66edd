//! The real binary as Lambda's `provided.al2023` runs it (`bootstrap` with
//! `AWS_LAMBDA_RUNTIME_API` set), driven through a Runtime API served here:
//! `GET /2018-06-01/runtime/invocation/next` hands it one event at a time,
//! `POST .../{id}/response` takes its answer. One request per action.
//!
//! `LAMBDASIGN_CFN_BOOTSTRAP` names another binary to run instead of this
//! build's (such as the `bootstrap` of a package `scripts/cfn-package.sh` made).

mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Where each invocation's answer goes: `response` or `error`, and the body.
type Answers = Arc<Mutex<HashMap<String, oneshot::Sender<(&'static str, Value)>>>>;

/// The Runtime API's side of one execution environment.
#[derive(Clone)]
struct RuntimeApi {
    events: Arc<Mutex<mpsc::Receiver<(String, Value)>>>,
    answers: Answers,
}

async fn next(State(api): State<RuntimeApi>) -> impl IntoResponse {
    // Long poll: wait until an invocation arrives, as Lambda does.
    let Some((id, event)) = api.events.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    let mut headers = HeaderMap::new();
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_str(&id).unwrap(),
    );
    headers.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from_str(&deadline.to_string()).unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:TypeFunction"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, event.to_string())
}

async fn answer(api: &RuntimeApi, id: &str, kind: &'static str, body: &[u8]) -> StatusCode {
    let value = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()));
    match api.answers.lock().await.remove(id) {
        Some(sender) => {
            let _ = sender.send((kind, value));
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    answer(&api, &id, "response", &body).await
}

async fn error(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    answer(&api, &id, "error", &body).await
}

fn bootstrap() -> std::path::PathBuf {
    std::env::var_os("LAMBDASIGN_CFN_BOOTSTRAP")
        .map_or_else(|| common::BINARY.into(), std::path::PathBuf::from)
}

struct Lambda {
    events: mpsc::Sender<(String, Value)>,
    answers: Answers,
    child: Child,
    count: usize,
}

impl Lambda {
    async fn start(store: &std::path::Path) -> Lambda {
        let (sender, receiver) = mpsc::channel(1);
        let api = RuntimeApi {
            events: Arc::new(Mutex::new(receiver)),
            answers: Arc::default(),
        };
        let answers = api.answers.clone();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let child = Command::new(bootstrap())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "TypeFunction")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("LAMBDASIGN_CFN_STORE", store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bootstrap");
        Lambda {
            events: sender,
            answers,
            child,
            count: 0,
        }
    }

    /// One invocation: the event goes out through `/next`, the answer comes
    /// back through `/response` (or `/error`).
    async fn invoke(&mut self, event: Value) -> (&'static str, Value) {
        self.count += 1;
        let id = format!("request-{}", self.count);
        let (sender, receiver) = oneshot::channel();
        self.answers.lock().await.insert(id.clone(), sender);
        self.events.send((id, event)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(60), receiver)
            .await
            .expect("bootstrap answered in time")
            .expect("an answer")
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(action: &str, properties: Value) -> Value {
    json!({
        "action": action, "resourceType": "LambdaSign::Signer::SigningProfile",
        "region": "us-east-1", "awsAccountId": "123456789012", "bearerToken": "9d6e0f0e-8a35-4c1c-9d7c-2f3a4b5c6d7e",
        "requestData": {"callerCredentials": {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "x"},
                        "logicalResourceId": "Signer", "resourceProperties": properties,
                        "stackTags": {"stack": "runtime-test"}}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_answers_each_action_through_the_runtime_api() {
    let store = tempfile::tempdir().unwrap();
    let mut lambda = Lambda::start(store.path()).await;

    let (kind, created) = lambda
        .invoke(request(
            "CREATE",
            json!({"NamePrefix": "runtime_", "Tags": [{"Key": "team", "Value": "platform"}]}),
        ))
        .await;
    assert_eq!(kind, "response");
    assert_eq!(created["status"], "SUCCESS", "{created}");
    let model = created["resourceModel"].clone();
    assert!(model["Arn"]
        .as_str()
        .unwrap()
        .contains(":/signing-profiles/runtime_"));
    assert_eq!(
        model["Tags"],
        json!([{"Key": "team", "Value": "platform"}]),
        "stack tags are applied, not echoed"
    );

    let (_, read) = lambda.invoke(request("READ", model.clone())).await;
    assert_eq!(read["status"], "SUCCESS", "{read}");
    assert_eq!(read["resourceModel"]["Name"], model["Name"]);

    let mut desired = model.clone();
    desired["Tags"] = json!([{"Key": "team", "Value": "security"}]);
    let mut update = request("UPDATE", desired);
    update["requestData"]["previousResourceProperties"] = model.clone();
    let (_, updated) = lambda.invoke(update).await;
    assert_eq!(updated["status"], "SUCCESS", "{updated}");
    assert_eq!(
        updated["resourceModel"]["Tags"],
        json!([{"Key": "team", "Value": "security"}])
    );

    let (_, listed) = lambda.invoke(request("LIST", json!({}))).await;
    assert_eq!(listed["status"], "SUCCESS", "{listed}");
    assert_eq!(listed["resourceModels"].as_array().unwrap().len(), 1);

    let (_, deleted) = lambda.invoke(request("DELETE", model.clone())).await;
    assert_eq!(deleted, json!({"status": "SUCCESS"}));

    let (_, again) = lambda.invoke(request("DELETE", model)).await;
    assert_eq!(again["errorCode"], "NotFound", "{again}");

    // The hook, through the same binary: a function without a code signing
    // config has nothing Lambda would check; another target is refused.
    let hook = |target: &str| {
        json!({
            "hookTypeName": "LambdaSign::CodeSigning::DeploymentHook", "hookTypeVersion": "00000001",
            "clientRequestToken": "c1", "awsAccountId": "123456789012",
            "actionInvocationPoint": "CREATE_PRE_PROVISION",
            "requestContext": {"callbackContext": null},
            "requestData": {"targetName": target, "targetType": "RESOURCE", "targetLogicalId": "Fn",
                            "callerCredentials": "{\"accessKeyId\":\"AKIDEXAMPLE\",\"secretAccessKey\":\"x\"}",
                            "targetModel": {"resourceProperties": {"Code": {"S3Bucket": "b", "S3Key": "k.zip"}}}}
        })
    };
    let (_, checked) = lambda.invoke(hook("AWS::Lambda::Function")).await;
    assert_eq!(checked["hookStatus"], "SUCCESS", "{checked}");
    let (_, refused) = lambda.invoke(hook("AWS::S3::Bucket")).await;
    assert_eq!(refused["hookStatus"], "FAILED", "{refused}");
    assert_eq!(refused["errorCode"], "UnsupportedTarget");

    // Not JSON the handler understands: still an answer, never a crash.
    let (kind, odd) = lambda.invoke(json!({"hello": "world"})).await;
    assert_eq!(kind, "response");
    assert_eq!(odd["errorCode"], "InvalidRequest", "{odd}");
}

#[test]
fn outside_lambda_the_runtime_refuses_to_start_without_panicking() {
    // AWS_LAMBDA_RUNTIME_API alone does not make a Lambda environment.
    let output = Command::new(bootstrap())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("AWS_LAMBDA_FUNCTION_NAME is not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
