//! The deployment hook gives Lambda's verdict, on both backends: a
//! differential test. tests/python/hook_matrix.py builds the world on one
//! `serve` with three accounts (the function's, a central security account
//! whose profile it may sign with, a layer publisher) and records what
//! `serve`, acting as Lambda, answers to CreateFunction for every cell:
//! function code signed, copied, overwritten, tampered, unsigned, revoked,
//! from an outside publisher, pinned to versions; layers granted, not
//! granted, tampered, unsigned; each under Warn and under Enforce. The hook
//! then judges the same cells through `cfn-invoke`, on the aws backend
//! (the caller's credentials, against `serve`) and on the local backend
//! (`serve`'s own store), and must agree with Lambda on every one: allowed
//! exactly when Lambda allows, and a warning exactly where Lambda would
//! deploy under Warn what it refuses under Enforce.

mod common;

use common::invoke::Invoke;
use common::serve::{venv, Serve};
use serde_json::{json, Value};

const FN_ACCOUNT: &str = "222222222222";

fn hook_request(cell: &Value) -> Value {
    let mut properties = json!({
        "FunctionName": "matrix",
        "Role": format!("arn:aws:iam::{FN_ACCOUNT}:role/exec"),
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "CodeSigningConfigArn": cell["csc"],
        "Code": cell["code"],
    });
    if cell["layers"].as_array().is_some_and(|l| !l.is_empty()) {
        properties["Layers"] = cell["layers"].clone();
    }
    json!({
        "clientRequestToken": "4b9f2c1e-8d7a-4e6f-9c5b-3a2d1e0f9c8b",
        "awsAccountId": FN_ACCOUNT,
        "stackId": format!("arn:aws:cloudformation:us-east-1:{FN_ACCOUNT}:stack/matrix/4b9f2c1e"),
        "hookTypeName": "LambdaSign::CodeSigning::DeploymentHook",
        "hookTypeVersion": "00000001",
        "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {
            "targetName": "AWS::Lambda::Function",
            "targetType": "RESOURCE",
            "targetLogicalId": "Function",
            "targetModel": {"resourceProperties": properties},
            "callerCredentials": json!({"accessKeyId": FN_ACCOUNT, "secretAccessKey": "secret", "sessionToken": "matrix"}).to_string()
        },
        "requestContext": {"invocation": 1, "callbackContext": null}
    })
}

/// The hook's verdict: `allowed`, `warned` (allowed, with what Lambda would
/// log) or `refused`; anything else (an error that is not NonCompliant) is
/// returned as is, so it shows in the table.
fn verdict(answer: &Value) -> String {
    match (answer["hookStatus"].as_str(), answer["errorCode"].as_str()) {
        (Some("SUCCESS"), _) => {
            let message = answer["message"].as_str().unwrap_or_default();
            if message.contains(" and log: ") {
                "warned".into()
            } else {
                "allowed".into()
            }
        }
        (Some("FAILED"), Some("NonCompliant")) => "refused".into(),
        _ => format!("unexpected {answer}"),
    }
}

#[test]
fn the_hook_gives_lambdas_verdict_on_every_cell_on_both_backends() {
    let serve = Serve::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/hook_matrix.py");
    let output = std::process::Command::new(venv().join("bin").join("python"))
        .arg(script)
        .arg(&serve.url)
        .envs(Serve::env(FN_ACCOUNT))
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "building the matrix failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cells: Vec<Value> = serde_json::from_slice(&output.stdout).expect("the cells as JSON");
    assert_eq!(cells.len(), 38, "19 cells under two policies");
    let aws = Invoke::start_with(&["--endpoint", &serve.url]);
    let local = Invoke::start(&serve.store);

    let mut table = vec![format!(
        "| {:<72} | {:<7} | {:<34} | {:<8} | {:<8} |",
        "cell", "policy", "Lambda (serve)", "hook aws", "hook local"
    )];
    let mut disagreements = Vec::new();
    for cell in &cells {
        let lambda = cell["lambda"].as_str().unwrap_or_default();
        let policy = cell["policy"].as_str().unwrap_or_default();
        let name = cell["name"].as_str().unwrap_or_default();
        // Lambda deploys under Warn what Enforce refuses only for its
        // non-integrity checks: there the hook must warn.
        let enforce_refuses = cells.iter().any(|other| {
            other["name"] == cell["name"]
                && other["policy"] == "Enforce"
                && other["lambda"] == "CodeVerificationFailedException"
        });
        let expected = match (lambda, policy) {
            ("allowed", "Warn") if enforce_refuses => "warned",
            ("allowed", _) => "allowed",
            _ => "refused",
        };
        let request = hook_request(cell);
        let on_aws = verdict(&aws.invoke(&request));
        let on_local = verdict(&local.invoke(&request));
        table.push(format!(
            "| {name:<72} | {policy:<7} | {lambda:<34} | {on_aws:<8} | {on_local:<8} |"
        ));
        for (backend, got) in [("aws", &on_aws), ("local", &on_local)] {
            if got != expected {
                disagreements.push(format!(
                    "{name} ({policy}): Lambda says {lambda}, so the hook should say {expected}; on the {backend} backend it says {got}"
                ));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        disagreements.is_empty(),
        "the hook disagrees with Lambda:\n{}\n\n{}",
        disagreements.join("\n"),
        table.join("\n")
    );
}
