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
//! (`serve`'s own store), and so does the `lambdasign_verification`
//! resource, planned by the real `terraform` on the aws backend against
//! `serve` (the code by `s3_object`, each layer by `layer_version_arn`).
//! Each must agree with Lambda on every cell: allowed exactly when Lambda
//! allows, and a warning exactly where Lambda would deploy under Warn what
//! it refuses under Enforce.

mod common;

use common::invoke::Invoke;
use common::serve::{venv, Serve};
use common::terraform::Workspace;
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
        "| {:<72} | {:<7} | {:<34} | {:<8} | {:<8} | {:<12} |",
        "cell", "policy", "Lambda (serve)", "hook aws", "hook local", "verification"
    )];
    let verifications = verification_verdicts(&serve, &cells);
    let mut disagreements = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
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
        let verified = &verifications[index];
        table.push(format!(
            "| {name:<72} | {policy:<7} | {lambda:<34} | {on_aws:<8} | {on_local:<8} | {verified:<12} |"
        ));
        for (backend, got) in [
            ("hook on the aws", &on_aws),
            ("hook on the local", &on_local),
            ("verification resource on the aws", verified),
        ] {
            if got != expected {
                disagreements.push(format!(
                    "{name} ({policy}): Lambda says {lambda}, so it should say {expected}; the {backend} backend says {got}"
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

/// What `terraform plan` says of one `lambdasign_verification` per cell,
/// on the aws backend against `serve` as the function's account: `refused`
/// (an error diagnostic on it), `warned` (a warning) or `allowed`.
fn verification_verdicts(serve: &Serve, cells: &[Value]) -> Vec<String> {
    let mut ws = Workspace::new();
    for (key, value) in Serve::env(FN_ACCOUNT) {
        ws.set_env(key, value);
    }
    let mut body = String::new();
    for (index, cell) in cells.iter().enumerate() {
        let code = &cell["code"];
        let version = code["S3ObjectVersion"]
            .as_str()
            .map(|v| format!("    s3_object_version = \"{v}\"\n"))
            .unwrap_or_default();
        body.push_str(&format!(
            "resource \"lambdasign_verification\" \"cell{index}\" {{\n  code_signing_config_arn = \"{}\"\n  artifact {{\n    name = \"code\"\n    s3_object = \"s3://{}/{}\"\n{version}  }}\n",
            cell["csc"].as_str().unwrap_or_default(),
            code["S3Bucket"].as_str().unwrap_or_default(),
            code["S3Key"].as_str().unwrap_or_default(),
        ));
        for (n, layer) in cell["layers"].as_array().into_iter().flatten().enumerate() {
            body.push_str(&format!(
                "  artifact {{\n    name = \"layer{n}\"\n    layer_version_arn = \"{}\"\n  }}\n",
                layer.as_str().unwrap_or_default()
            ));
        }
        body.push_str("}\n");
    }
    ws.main_tf_with_provider(&serve.provider_block(None), &body);
    ws.ok(&["init", "-no-color"]);
    let plan = ws.run(&["plan", "-json", "-no-color", "-parallelism=20"]);
    let mut verdicts = vec!["allowed".to_string(); cells.len()];
    for line in String::from_utf8_lossy(&plan.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let diagnostic = &message["diagnostic"];
        let Some(address) = diagnostic["address"].as_str() else {
            continue;
        };
        let Some(index) = address
            .strip_prefix("lambdasign_verification.cell")
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        match diagnostic["severity"].as_str() {
            Some("error") => verdicts[index] = "refused".into(),
            Some("warning") if verdicts[index] == "allowed" => verdicts[index] = "warned".into(),
            _ => {}
        }
    }
    verdicts
}
