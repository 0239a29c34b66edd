//! `serve --credentials`: every request must carry a SigV4 signature by a
//! listed key and acts as that key's account. Judged by the real AWS CLI
//! (header signatures, `aws s3 presign`) and the AWS SDK for Rust (signed
//! `aws-chunked` uploads): the right key works, a wrong secret, an unknown
//! key, no signature or a tampered presigned URL get each service's own
//! error, and a key cannot claim another account.

mod common;

use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use common::fixtures::runtime;
use common::serve::{aws_as, http_get, Serve, REGION};
use serde_json::Value;

const ALICE: (&str, &str, &str) = ("AKIDALICE00000000001", "alice-secret", "111111111111");
const BOB: (&str, &str, &str) = ("AKIDBOB0000000000002", "bob-secret", "222222222222");

fn credentials_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("credentials");
    let mut text = String::new();
    for (name, (id, secret, account)) in [("alice", ALICE), ("bob", BOB)] {
        text.push_str(&format!(
            "[{name}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_account_id = {account}\n\n"
        ));
    }
    std::fs::write(&path, text).expect("write credentials");
    path
}

fn ok(serve: &Serve, key: (&str, &str, &str), args: &[&str]) -> Value {
    let out = aws_as(serve, key.0, key.1, args);
    assert!(
        out.status.success(),
        "aws {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    }
}

fn refused(serve: &Serve, id: &str, secret: &str, args: &[&str], code: &str) {
    let out = aws_as(serve, id, secret, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "aws {} should fail", args.join(" "));
    assert!(
        stderr.contains(code),
        "aws {}: expected {code}, got {stderr}",
        args.join(" ")
    );
}

#[test]
fn requests_act_as_the_account_of_the_key_that_signed_them() {
    let dir = tempfile::tempdir().expect("dir");
    let file = credentials_file(dir.path());
    let serve = Serve::start_with(&["--credentials", file.to_str().expect("utf-8")]);

    // Each key acts as its own account.
    for key in [ALICE, BOB] {
        let me = ok(&serve, key, &["sts", "get-caller-identity"]);
        assert_eq!(me["Account"], key.2, "{me}");
    }
    let profile = ok(
        &serve,
        ALICE,
        &[
            "signer",
            "put-signing-profile",
            "--profile-name",
            "alices",
            "--platform-id",
            "AWSLambda-SHA384-ECDSA",
        ],
    );
    assert!(
        profile["profileVersionArn"]
            .as_str()
            .is_some_and(|a| a.contains(":111111111111:")),
        "{profile}"
    );
    // Bob's key reaches Bob's account only.
    refused(
        &serve,
        BOB.0,
        BOB.1,
        &["signer", "get-signing-profile", "--profile-name", "alices"],
        "ResourceNotFoundException",
    );
    ok(
        &serve,
        ALICE,
        &["signer", "get-signing-profile", "--profile-name", "alices"],
    );

    // A wrong secret, an unknown key, or an account number as the key id:
    // each service's own error.
    for (id, secret) in [(ALICE.0, "wrong"), ("111111111111", "secret")] {
        let unknown = id != ALICE.0;
        refused(
            &serve,
            id,
            secret,
            &["lambda", "list-functions"],
            if unknown {
                "UnrecognizedClientException"
            } else {
                "InvalidSignatureException"
            },
        );
        refused(
            &serve,
            id,
            secret,
            &["signer", "list-signing-profiles"],
            if unknown {
                "UnrecognizedClientException"
            } else {
                "InvalidSignatureException"
            },
        );
        refused(
            &serve,
            id,
            secret,
            &["s3api", "create-bucket", "--bucket", "forged"],
            if unknown {
                "InvalidAccessKeyId"
            } else {
                "SignatureDoesNotMatch"
            },
        );
        refused(
            &serve,
            id,
            secret,
            &["sts", "get-caller-identity"],
            if unknown {
                "InvalidClientTokenId"
            } else {
                "SignatureDoesNotMatch"
            },
        );
    }

    // S3 with the AWS CLI: header-signed uploads, and a presigned download.
    ok(
        &serve,
        ALICE,
        &["s3api", "create-bucket", "--bucket", "alice-bucket"],
    );
    let file = dir.path().join("hello.txt");
    std::fs::write(&file, b"hello, signed world").expect("write");
    ok(
        &serve,
        ALICE,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "alice-bucket",
            "--key",
            "dir/hello world.txt",
            "--body",
            file.to_str().expect("utf-8"),
        ],
    );
    // The CLI presigns with signature version 2 unless told otherwise,
    // which serve refuses (as AWS does in its newer regions).
    let presign = |config: &str| {
        let out = std::process::Command::new(common::serve::venv().join("bin/aws"))
            .args([
                "--endpoint-url",
                &serve.url,
                "s3",
                "presign",
                "s3://alice-bucket/dir/hello world.txt",
                "--expires-in",
                "300",
            ])
            .envs(Serve::env(ALICE.0))
            .env("AWS_SECRET_ACCESS_KEY", ALICE.1)
            .env("AWS_CONFIG_FILE", config)
            .output()
            .expect("aws s3 presign");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let (status, body) = http_get(&presign("/dev/null"));
    assert!(
        status.contains(" 400 ") && String::from_utf8_lossy(&body).contains("signature version 2"),
        "{status}"
    );
    let config = dir.path().join("config");
    std::fs::write(&config, "[default]\ns3 =\n    signature_version = s3v4\n")
        .expect("write config");
    let url = presign(config.to_str().expect("utf-8"));
    let (status, body) = http_get(&url);
    assert!(
        status.contains(" 200 "),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(body, b"hello, signed world");
    let tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    let (status, body) = http_get(&tampered);
    assert!(status.contains(" 403 "), "{status}");
    assert!(String::from_utf8_lossy(&body).contains("SignatureDoesNotMatch"));
    // No signature at all.
    let base = serve.url.clone();
    let (status, body) = http_get(&format!("{base}/2015-03-31/functions"));
    assert!(status.contains(" 403 "), "{status}");
    assert!(
        String::from_utf8_lossy(&body).contains("not signed"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _) = http_get(&format!("{base}/alice-bucket/dir/hello%20world.txt"));
    assert!(status.contains(" 403 "), "{status}");

    // The AWS SDK for Rust streams uploads as signed aws-chunked bodies:
    // every chunk's signature is checked.
    let put = |key: (&str, &str, &str)| {
        runtime().block_on(async {
            let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new(REGION))
                .credentials_provider(Credentials::new(key.0, key.1, None, None, "test"))
                .endpoint_url(&serve.url)
                .load()
                .await;
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(true)
                    .build(),
            );
            let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
            s3.put_object()
                .bucket("alice-bucket")
                .key("sdk.bin")
                .body(ByteStream::from(data))
                .send()
                .await
                .map_err(|e| format!("{:?}", aws_sdk_s3::error::DisplayErrorContext(e)))
        })
    };
    put(ALICE).expect("the SDK's signed upload");
    let forged = put((ALICE.0, "wrong", ALICE.2)).expect_err("a forged upload");
    assert!(forged.contains("SignatureDoesNotMatch"), "{forged}");
    let got = ok(
        &serve,
        ALICE,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "alice-bucket",
            "--key",
            "sdk.bin",
        ],
    );
    assert_eq!(got["ContentLength"], 200_000, "{got}");
}

#[test]
fn only_loopback_is_served_without_credentials() {
    let out = std::process::Command::new(common::BINARY)
        .args(["serve", "--listen", "0.0.0.0:0", "--store"])
        .arg(tempfile::tempdir().expect("dir").path().join("store"))
        .output()
        .expect("run serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without --credentials"));
    let dir = tempfile::tempdir().expect("dir");
    let file = credentials_file(dir.path());
    let serve = Serve::start_with(&[
        "--listen",
        "0.0.0.0:0",
        "--credentials",
        file.to_str().expect("utf-8"),
    ]);
    assert!(serve.url.starts_with("http://0.0.0.0:"), "{}", serve.url);
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "[x]\naws_access_key_id = K\n").expect("write");
    let out = std::process::Command::new(common::BINARY)
        .args(["serve", "--credentials"])
        .arg(&bad)
        .arg("--store")
        .arg(dir.path().join("store"))
        .output()
        .expect("run serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("aws_secret_access_key is missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
