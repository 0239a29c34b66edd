//! The seed's AWS CLI steps, as written for real AWS, run with the real
//! AWS CLI (`LAMBDASIGN_AWS_VENV`) against `serve` with `--endpoint-url`:
//! the basic pattern (one account), centralized enforcement (a security
//! account owns the profile, a developer account signs with it under its
//! own CSC) and the cross-account layer. Lambda's verdicts come back with
//! Lambda's exception names: a tampered zip is InvalidCodeSignatureException
//! in any mode, a zip signed outside the CSC is CodeVerificationFailedException
//! under Enforce and deploys under Warn.

mod common;

use std::path::{Path, PathBuf};

use common::fixtures::write_zip;
use common::serve::{aws, aws_fails, aws_ok, http_get, Serve};
use serde_json::Value;

const SECURITY: &str = "111111111111";
const DEVELOPER: &str = "222222222222";
const OUTSIDER: &str = "333333333333";
const PLATFORM: &str = "AWSLambda-SHA384-ECDSA";

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/lambda-exec")
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {value}"))
        .to_string()
}

/// aws signer put-signing-profile; the profile version ARN.
fn put_profile(serve: &Serve, account: &str, name: &str) -> String {
    let out = aws_ok(
        serve,
        account,
        &[
            "signer",
            "put-signing-profile",
            "--profile-name",
            name,
            "--platform-id",
            PLATFORM,
        ],
    );
    text(&out, "profileVersionArn")
}

/// A versioned bucket (aws s3api create-bucket, put-bucket-versioning).
fn versioned_bucket(serve: &Serve, account: &str, bucket: &str) {
    aws_ok(
        serve,
        account,
        &["s3api", "create-bucket", "--bucket", bucket],
    );
    aws_ok(
        serve,
        account,
        &[
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            bucket,
            "--versioning-configuration",
            "Status=Enabled",
        ],
    );
}

/// The seed's signing steps: a versioned upload, start-signing-job, the
/// waiter, and a download of `signed/JOB.zip`. Returns the signed zip and
/// the job id.
fn sign(
    serve: &Serve,
    account: &str,
    bucket: &str,
    source: &Path,
    profile: &str,
    profile_owner: Option<&str>,
) -> (PathBuf, String) {
    let key = format!("unsigned/{}", source.file_name().unwrap().to_string_lossy());
    let upload = aws_ok(
        serve,
        account,
        &[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            &key,
            "--body",
            source.to_str().unwrap(),
        ],
    );
    let version = text(&upload, "VersionId");
    let source_json =
        serde_json::json!({"s3": {"bucketName": bucket, "key": key, "version": version}})
            .to_string();
    let destination_json =
        serde_json::json!({"s3": {"bucketName": bucket, "prefix": "signed/"}}).to_string();
    let mut args = vec![
        "signer",
        "start-signing-job",
        "--source",
        &source_json,
        "--destination",
        &destination_json,
        "--profile-name",
        profile,
    ];
    if let Some(owner) = profile_owner {
        args.extend(["--profile-owner", owner]);
    }
    let job = text(&aws_ok(serve, account, &args), "jobId");
    aws_ok(
        serve,
        account,
        &["signer", "wait", "successful-signing-job", "--job-id", &job],
    );
    let signed = source.with_file_name(format!("{job}.zip"));
    aws_ok(
        serve,
        account,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            &format!("s3://{bucket}/signed/{job}.zip"),
            signed.to_str().unwrap(),
        ],
    );
    (signed, job)
}

/// aws lambda create-code-signing-config; its ARN.
fn create_csc(serve: &Serve, account: &str, publishers: &[&str], policy: &str) -> String {
    let out = aws_ok(
        serve,
        account,
        &[
            "lambda",
            "create-code-signing-config",
            "--allowed-publishers",
            &format!("SigningProfileVersionArns={}", publishers.join(",")),
            "--code-signing-policies",
            &format!("UntrustedArtifactOnDeployment={policy}"),
        ],
    );
    text(&out["CodeSigningConfig"], "CodeSigningConfigArn")
}

fn create_function_args<'a>(
    name: &'a str,
    role: &'a str,
    zip: &'a str,
    csc: &'a str,
) -> Vec<&'a str> {
    vec![
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.12",
        "--role",
        role,
        "--handler",
        "index.handler",
        "--zip-file",
        zip,
        "--code-signing-config-arn",
        csc,
    ]
}

/// Deploys and returns the function configuration.
fn deploy(serve: &Serve, account: &str, name: &str, zip: &Path, csc: &str) -> Value {
    let zip = format!("fileb://{}", zip.display());
    let role = role(account);
    aws_ok(
        serve,
        account,
        &create_function_args(name, &role, &zip, csc),
    )
}

/// Deploys, expects refusal, and returns stderr.
fn refused(serve: &Serve, account: &str, name: &str, zip: &Path, csc: &str) -> String {
    let zip = format!("fileb://{}", zip.display());
    let role = role(account);
    aws_fails(
        serve,
        account,
        &create_function_args(name, &role, &zip, csc),
    )
}

/// A copy of a signed zip with one content byte changed.
fn tampered(signed: &Path) -> PathBuf {
    let mut bytes = std::fs::read(signed).expect("signed zip");
    bytes[40] ^= 0xFF;
    let out = signed.with_file_name("tampered.zip");
    std::fs::write(&out, bytes).expect("write tampered zip");
    out
}

#[test]
fn basic_pattern_enforce_then_warn() {
    let serve = Serve::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let a = SECURITY;
    let allowed = put_profile(&serve, a, "app_signing");
    put_profile(&serve, a, "other_signing");
    let csc = create_csc(&serve, a, &[&allowed], "Enforce");
    versioned_bucket(&serve, a, "app-artifacts");
    let source = tmp.path().join("function.zip");
    write_zip(
        &source,
        "index.py",
        b"def handler(event, context):\n    return 'ok'\n",
    );
    let (signed, job) = sign(&serve, a, "app-artifacts", &source, "app_signing", None);

    // The signed zip deploys under Enforce, and Lambda reports its signer.
    let function = deploy(&serve, a, "app-fn", &signed, &csc);
    assert_eq!(text(&function, "SigningProfileVersionArn"), allowed);
    assert!(
        text(&function, "SigningJobArn").ends_with(&job),
        "{function}"
    );
    // So does the same object straight from S3.
    aws_ok(
        &serve,
        a,
        &[
            "lambda",
            "create-function",
            "--function-name",
            "app-fn-s3",
            "--runtime",
            "python3.12",
            "--role",
            &role(a),
            "--handler",
            "index.handler",
            "--code",
            &format!("S3Bucket=app-artifacts,S3Key=signed/{job}.zip"),
            "--code-signing-config-arn",
            &csc,
        ],
    );

    // A tampered zip, a zip signed outside the CSC and an unsigned zip are refused.
    let tampered = tampered(&signed);
    let error = refused(&serve, a, "tampered-fn", &tampered, &csc);
    assert!(error.contains("(InvalidCodeSignatureException)"), "{error}");
    let other_source = tmp.path().join("other.zip");
    write_zip(
        &other_source,
        "index.py",
        b"def handler(e, c):\n    return 'other'\n",
    );
    let (foreign, _) = sign(
        &serve,
        a,
        "app-artifacts",
        &other_source,
        "other_signing",
        None,
    );
    let error = refused(&serve, a, "foreign-fn", &foreign, &csc);
    assert!(
        error.contains("(CodeVerificationFailedException)"),
        "{error}"
    );
    let error = refused(&serve, a, "unsigned-fn", &source, &csc);
    assert!(
        error.contains("(CodeVerificationFailedException)"),
        "{error}"
    );
    // ... and an update of the deployed function with foreign code too.
    let update = aws_fails(
        &serve,
        a,
        &[
            "lambda",
            "update-function-code",
            "--function-name",
            "app-fn",
            "--zip-file",
            &format!("fileb://{}", foreign.display()),
        ],
    );
    assert!(
        update.contains("(CodeVerificationFailedException)"),
        "{update}"
    );

    // Under Warn the untrusted zips deploy; the tampered one still does not.
    aws_ok(
        &serve,
        a,
        &[
            "lambda",
            "update-code-signing-config",
            "--code-signing-config-arn",
            &csc,
            "--code-signing-policies",
            "UntrustedArtifactOnDeployment=Warn",
        ],
    );
    deploy(&serve, a, "foreign-fn", &foreign, &csc);
    deploy(&serve, a, "unsigned-fn", &source, &csc);
    let error = refused(&serve, a, "tampered-fn", &tampered, &csc);
    assert!(error.contains("(InvalidCodeSignatureException)"), "{error}");

    // The config now names its functions, and cannot be deleted while used.
    let users = aws_ok(
        &serve,
        a,
        &[
            "lambda",
            "list-functions-by-code-signing-config",
            "--code-signing-config-arn",
            &csc,
        ],
    );
    assert_eq!(
        users["FunctionArns"].as_array().map(Vec::len),
        Some(4),
        "{users}"
    );
    let error = aws_fails(
        &serve,
        a,
        &[
            "lambda",
            "delete-code-signing-config",
            "--code-signing-config-arn",
            &csc,
        ],
    );
    assert!(
        error.contains("(ResourceConflictException)") && error.contains("app-fn"),
        "{error}"
    );
}

#[test]
fn centralized_pattern_developers_sign_with_the_security_profile() {
    let serve = Serve::start();
    let tmp = tempfile::tempdir().expect("tmp");
    // Security team: the profile, and permissions for the developer account.
    let release = put_profile(&serve, SECURITY, "release_signing");
    for (action, sid) in [
        ("signer:StartSigningJob", "developers-sign"),
        ("signer:GetSigningProfile", "developers-read"),
    ] {
        aws_ok(
            &serve,
            SECURITY,
            &[
                "signer",
                "add-profile-permission",
                "--profile-name",
                "release_signing",
                "--action",
                action,
                "--principal",
                DEVELOPER,
                "--statement-id",
                sid,
            ],
        );
    }
    let permissions = aws_ok(
        &serve,
        SECURITY,
        &[
            "signer",
            "list-profile-permissions",
            "--profile-name",
            "release_signing",
        ],
    );
    assert_eq!(
        permissions["permissions"].as_array().map(Vec::len),
        Some(2),
        "{permissions}"
    );

    // Developer account: a config trusting only the security team's profile.
    let csc = create_csc(&serve, DEVELOPER, &[&release], "Enforce");
    versioned_bucket(&serve, DEVELOPER, "dev-artifacts");
    let source = tmp.path().join("service.zip");
    write_zip(
        &source,
        "index.py",
        b"def handler(event, context):\n    return 'release'\n",
    );
    let (signed, _) = sign(
        &serve,
        DEVELOPER,
        "dev-artifacts",
        &source,
        "release_signing",
        Some(SECURITY),
    );
    let function = deploy(&serve, DEVELOPER, "orders", &signed, &csc);
    assert_eq!(text(&function, "SigningProfileVersionArn"), release);

    // The developer's own profile is not trusted; tampering is caught.
    put_profile(&serve, DEVELOPER, "dev_signing");
    let own_source = tmp.path().join("own.zip");
    write_zip(
        &own_source,
        "index.py",
        b"def handler(e, c):\n    return 'own'\n",
    );
    let (own, _) = sign(
        &serve,
        DEVELOPER,
        "dev-artifacts",
        &own_source,
        "dev_signing",
        None,
    );
    let error = refused(&serve, DEVELOPER, "sneaky", &own, &csc);
    assert!(
        error.contains("(CodeVerificationFailedException)"),
        "{error}"
    );
    let error = refused(&serve, DEVELOPER, "tampered", &tampered(&signed), &csc);
    assert!(error.contains("(InvalidCodeSignatureException)"), "{error}");

    // An account without the permission cannot sign with the profile.
    versioned_bucket(&serve, OUTSIDER, "outsider-artifacts");
    let upload = aws_ok(
        &serve,
        OUTSIDER,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "outsider-artifacts",
            "--key",
            "x.zip",
            "--body",
            source.to_str().unwrap(),
        ],
    );
    let source_json = serde_json::json!({"s3": {"bucketName": "outsider-artifacts", "key": "x.zip", "version": text(&upload, "VersionId")}}).to_string();
    let error = aws_fails(
        &serve,
        OUTSIDER,
        &[
            "signer",
            "start-signing-job",
            "--source",
            &source_json,
            "--destination",
            r#"{"s3": {"bucketName": "outsider-artifacts", "prefix": "signed/"}}"#,
            "--profile-name",
            "release_signing",
            "--profile-owner",
            SECURITY,
        ],
    );
    assert!(error.contains("(AccessDeniedException)"), "{error}");

    // Signer signs objects of versioned buckets only.
    put_profile(&serve, OUTSIDER, "outsider_profile");
    aws_ok(
        &serve,
        OUTSIDER,
        &["s3api", "create-bucket", "--bucket", "plain-bucket"],
    );
    let upload = aws_ok(
        &serve,
        OUTSIDER,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "plain-bucket",
            "--key",
            "x.zip",
            "--body",
            source.to_str().unwrap(),
        ],
    );
    let version = upload
        .get("VersionId")
        .and_then(Value::as_str)
        .unwrap_or("null");
    let source_json =
        serde_json::json!({"s3": {"bucketName": "plain-bucket", "key": "x.zip", "version": version}})
            .to_string();
    let error = aws_fails(
        &serve,
        OUTSIDER,
        &[
            "signer",
            "start-signing-job",
            "--source",
            &source_json,
            "--destination",
            r#"{"s3": {"bucketName": "plain-bucket", "prefix": "signed/"}}"#,
            "--profile-name",
            "outsider_profile",
        ],
    );
    assert!(
        error.contains("(ValidationException)") && error.contains("versioning enabled"),
        "{error}"
    );
}

#[test]
fn cross_account_layer_steps() {
    let serve = Serve::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let publisher = SECURITY;
    let consumer = DEVELOPER;
    // Publisher: a signed layer version, shared with the consumer account.
    let layer_profile = put_profile(&serve, publisher, "layer_signing");
    versioned_bucket(&serve, publisher, "layer-artifacts");
    let layer_source = tmp.path().join("layer.zip");
    write_zip(&layer_source, "python/shared.py", b"GREETING = 'hi'\n");
    let (_, layer_job) = sign(
        &serve,
        publisher,
        "layer-artifacts",
        &layer_source,
        "layer_signing",
        None,
    );
    let layer = aws_ok(
        &serve,
        publisher,
        &[
            "lambda",
            "publish-layer-version",
            "--layer-name",
            "shared",
            "--content",
            &format!("S3Bucket=layer-artifacts,S3Key=signed/{layer_job}.zip"),
            "--compatible-runtimes",
            "python3.12",
        ],
    );
    let layer_arn = text(&layer, "LayerVersionArn");
    assert_eq!(
        text(&layer["Content"], "SigningProfileVersionArn"),
        layer_profile
    );

    // Another account's layer ARN acts on that layer, never on the
    // caller's own layer of the same name: managing it is refused.
    let own = aws_ok(
        &serve,
        consumer,
        &[
            "lambda",
            "publish-layer-version",
            "--layer-name",
            "shared",
            "--zip-file",
            &format!("fileb://{}", layer_source.display()),
        ],
    );
    let own_arn = text(&own, "LayerVersionArn");
    let layer_only = layer_arn.rsplit_once(':').expect("versioned").0.to_string();
    for args in [
        vec![
            "lambda",
            "delete-layer-version",
            "--layer-name",
            &layer_only,
            "--version-number",
            "1",
        ],
        vec![
            "lambda",
            "add-layer-version-permission",
            "--layer-name",
            &layer_only,
            "--version-number",
            "1",
            "--statement-id",
            "mine",
            "--action",
            "lambda:GetLayerVersion",
            "--principal",
            "*",
        ],
        vec![
            "lambda",
            "get-layer-version-policy",
            "--layer-name",
            &layer_only,
            "--version-number",
            "1",
        ],
    ] {
        let error = aws_fails(&serve, consumer, &args);
        assert!(
            error.contains("(AccessDeniedException)"),
            "{args:?}: {error}"
        );
    }
    let still = aws_ok(
        &serve,
        consumer,
        &["lambda", "get-layer-version-by-arn", "--arn", &own_arn],
    );
    assert_eq!(
        text(&still, "LayerVersionArn"),
        own_arn,
        "the caller's own layer is untouched"
    );
    let publishers = aws_ok(
        &serve,
        publisher,
        &["lambda", "get-layer-version-by-arn", "--arn", &layer_arn],
    );
    assert_eq!(
        text(&publishers, "LayerVersionArn"),
        layer_arn,
        "the publisher's layer is untouched"
    );
    // Content URLs are presigned: the one GetLayerVersionByArn gave the
    // publisher opens the layer; without its signature, or for another
    // layer, it opens nothing.
    let location = text(&publishers["Content"], "Location");
    let (status, body) = http_get(&location);
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.starts_with(b"PK"), "the layer's zip");
    let unsigned = location
        .split("&expires=")
        .next()
        .expect("query")
        .to_string();
    assert!(
        http_get(&unsigned).0.contains(" 403 "),
        "an unsigned URL is refused"
    );
    let encoded = |arn: &str| arn.replace(':', "%3A");
    let other = location.replace(&encoded(&layer_arn), &encoded(&own_arn));
    assert_ne!(other, location);
    assert!(
        http_get(&other).0.contains(" 403 "),
        "a signature opens only its own layer"
    );
    let policy = aws_fails(
        &serve,
        consumer,
        &[
            "lambda",
            "get-layer-version-policy",
            "--layer-name",
            "shared",
            "--version-number",
            "1",
        ],
    );
    assert!(
        policy.contains("(ResourceNotFoundException)"),
        "no policy was written on the caller's layer: {policy}"
    );

    // Consumer: its own code under a config that trusts both profiles.
    let app_profile = put_profile(&serve, consumer, "app_signing");
    let csc = create_csc(&serve, consumer, &[&app_profile, &layer_profile], "Enforce");
    versioned_bucket(&serve, consumer, "app-artifacts");
    let app_source = tmp.path().join("app.zip");
    write_zip(
        &app_source,
        "index.py",
        b"def handler(e, c):\n    return 'app'\n",
    );
    let (app, _) = sign(
        &serve,
        consumer,
        "app-artifacts",
        &app_source,
        "app_signing",
        None,
    );
    deploy(&serve, consumer, "consumer-fn", &app, &csc);

    // Without the grant the consumer cannot use the layer.
    let attach = [
        "lambda",
        "update-function-configuration",
        "--function-name",
        "consumer-fn",
        "--layers",
        &layer_arn,
    ];
    let error = aws_fails(&serve, consumer, &attach);
    assert!(error.contains("(AccessDeniedException)"), "{error}");

    let grant = aws_ok(
        &serve,
        publisher,
        &[
            "lambda",
            "add-layer-version-permission",
            "--layer-name",
            "shared",
            "--version-number",
            "1",
            "--statement-id",
            "xaccount",
            "--action",
            "lambda:GetLayerVersion",
            "--principal",
            consumer,
        ],
    );
    let statement: Value =
        serde_json::from_str(&text(&grant, "Statement")).expect("statement JSON");
    assert_eq!(
        statement["Principal"]["AWS"],
        format!("arn:aws:iam::{consumer}:root")
    );
    // A stale revision id and a repeated statement id are refused.
    let stale = aws_fails(
        &serve,
        publisher,
        &[
            "lambda",
            "add-layer-version-permission",
            "--layer-name",
            "shared",
            "--version-number",
            "1",
            "--statement-id",
            "late",
            "--action",
            "lambda:GetLayerVersion",
            "--principal",
            "*",
            "--revision-id",
            "stale",
        ],
    );
    assert!(stale.contains("(PreconditionFailedException)"), "{stale}");
    let repeated = aws_fails(
        &serve,
        publisher,
        &[
            "lambda",
            "add-layer-version-permission",
            "--layer-name",
            "shared",
            "--version-number",
            "1",
            "--statement-id",
            "xaccount",
            "--action",
            "lambda:GetLayerVersion",
            "--principal",
            consumer,
        ],
    );
    assert!(
        repeated.contains("(ResourceConflictException)"),
        "{repeated}"
    );

    // With the grant, the layer attaches, checked against the consumer's config.
    let updated = aws_ok(&serve, consumer, &attach);
    assert_eq!(updated["Layers"][0]["Arn"], layer_arn.as_str());
    assert_eq!(
        updated["Layers"][0]["SigningProfileVersionArn"],
        layer_profile.as_str()
    );

    // A consumer config that stops trusting the layer's profile refuses it.
    let strict = create_csc(&serve, consumer, &[&app_profile], "Enforce");
    deploy(&serve, consumer, "strict-fn", &app, &strict);
    let error = aws_fails(
        &serve,
        consumer,
        &[
            "lambda",
            "update-function-configuration",
            "--function-name",
            "strict-fn",
            "--layers",
            &layer_arn,
        ],
    );
    assert!(
        error.contains("(CodeVerificationFailedException)") && error.contains("layer"),
        "{error}"
    );
}

#[test]
fn sigterm_stops_serve_cleanly() {
    let mut serve = Serve::start();
    aws_ok(&serve, SECURITY, &["sts", "get-caller-identity"]);

    // A key whose bytes are not UTF-8 is refused, never stored altered.
    aws_ok(
        &serve,
        SECURITY,
        &["s3api", "create-bucket", "--bucket", "raw"],
    );
    let address = serve.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    use std::io::{Read, Write};
    write!(
        stream,
        "PUT /raw/bad%FFkey.zip HTTP/1.1\r\nHost: {address}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={SECURITY}/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: 2\r\nConnection: close\r\n\r\nPK"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(
        response.starts_with("HTTP/1.1 400") && response.contains("InvalidURI"),
        "{response}"
    );
    let listed = aws_ok(
        &serve,
        SECURITY,
        &["s3api", "list-object-versions", "--bucket", "raw"],
    );
    assert!(listed.get("Versions").is_none(), "nothing stored: {listed}");
    let status = serve.stop().expect("serve was running");
    assert!(status.success(), "serve exited with {status}");
}

/// Bytes that do not compress (a zip of them stays as large).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn keys_of(listing: &Value) -> Vec<String> {
    listing["Contents"]
        .as_array()
        .map(|objects| {
            objects
                .iter()
                .map(|o| o["Key"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn aws_s3_commands_work_as_against_aws() {
    let serve = Serve::start();
    let dir = tempfile::tempdir().expect("dir");
    let a = SECURITY;
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();

    // mb and ls.
    aws_s3_ok(&serve, a, &["s3", "mb", "s3://cli-bucket"]);
    let listed = stdout_of(&aws(&serve, a, &["s3", "ls"]));
    assert!(listed.contains("cli-bucket"), "{listed}");
    aws_ok(
        &serve,
        a,
        &["s3api", "head-bucket", "--bucket", "cli-bucket"],
    );
    let location = aws_ok(
        &serve,
        a,
        &["s3api", "get-bucket-location", "--bucket", "cli-bucket"],
    );
    assert!(location["LocationConstraint"].is_null(), "{location}");

    // cp of 20 MiB: a multipart upload of three parts; the download is
    // ranged GETs; both ends agree byte for byte.
    let big = noise(20 * 1024 * 1024, 7);
    std::fs::write(path("big.bin"), &big).expect("write");
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            &path("big.bin"),
            "s3://cli-bucket/big.bin",
        ],
    );
    let head = aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "big.bin",
        ],
    );
    assert_eq!(head["ContentLength"], 20 * 1024 * 1024, "{head}");
    assert!(
        head["ETag"].as_str().is_some_and(|e| e.ends_with("-3\"")),
        "a multipart ETag: {head}"
    );
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            "s3://cli-bucket/big.bin",
            &path("down.bin"),
        ],
    );
    assert!(
        std::fs::read(path("down.bin")).expect("read") == big,
        "the download differs"
    );

    // S3-to-S3 copies: CopyObject for a small object, UploadPartCopy for
    // the big one.
    std::fs::create_dir_all(dir.path().join("tree/sub")).expect("dir");
    std::fs::write(dir.path().join("tree/small.txt"), b"small").expect("write");
    std::fs::write(dir.path().join("tree/sub/nested.txt"), b"nested").expect("write");
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            &path("tree/small.txt"),
            "s3://cli-bucket/small.txt",
        ],
    );
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            "s3://cli-bucket/small.txt",
            "s3://cli-bucket/copies/small.txt",
        ],
    );
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            "s3://cli-bucket/big.bin",
            "s3://cli-bucket/copies/big.bin",
        ],
    );
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            "s3://cli-bucket/copies/big.bin",
            &path("copy.bin"),
        ],
    );
    assert!(
        std::fs::read(path("copy.bin")).expect("read") == big,
        "the copy differs"
    );

    // sync uploads what is missing, and nothing the second time.
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "sync",
            "--only-show-errors",
            &path("tree"),
            "s3://cli-bucket/synced/",
        ],
    );
    let again = aws(
        &serve,
        a,
        &["s3", "sync", &path("tree"), "s3://cli-bucket/synced/"],
    );
    assert!(again.status.success());
    assert_eq!(stdout_of(&again), "", "a second sync uploads nothing");
    let recursive = stdout_of(&aws(
        &serve,
        a,
        &["s3", "ls", "--recursive", "s3://cli-bucket/synced/"],
    ));
    assert!(
        recursive.contains("synced/small.txt") && recursive.contains("synced/sub/nested.txt"),
        "{recursive}"
    );
    let top = stdout_of(&aws(&serve, a, &["s3", "ls", "s3://cli-bucket/"]));
    assert!(
        top.contains("PRE synced/") && top.contains("PRE copies/") && top.contains("big.bin"),
        "{top}"
    );

    // ListObjectsV2 pages of one key each add up to the whole listing.
    let whole = aws_ok(
        &serve,
        a,
        &["s3api", "list-objects-v2", "--bucket", "cli-bucket"],
    );
    let paged = aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "cli-bucket",
            "--page-size",
            "1",
        ],
    );
    assert_eq!(keys_of(&whole).len(), 6, "{whole}");
    assert_eq!(keys_of(&paged), keys_of(&whole));
    let first = aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "cli-bucket",
            "--max-items",
            "2",
        ],
    );
    assert_eq!(keys_of(&first).len(), 2);
    let token = first["NextToken"].as_str().expect("NextToken").to_string();
    let rest = aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "cli-bucket",
            "--starting-token",
            &token,
        ],
    );
    assert_eq!([keys_of(&first), keys_of(&rest)].concat(), keys_of(&whole));

    // A bucket with objects is not deleted; rm --recursive empties it, rb
    // removes it.
    let full = aws_fails(&serve, a, &["s3", "rb", "s3://cli-bucket"]);
    assert!(full.contains("BucketNotEmpty"), "{full}");
    aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "delete-objects",
            "--bucket",
            "cli-bucket",
            "--delete",
            "Objects=[{Key=small.txt},{Key=copies/small.txt}],Quiet=false",
        ],
    );
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "rm",
            "--only-show-errors",
            "--recursive",
            "s3://cli-bucket/",
        ],
    );
    let empty = aws_ok(
        &serve,
        a,
        &["s3api", "list-objects-v2", "--bucket", "cli-bucket"],
    );
    assert_eq!(keys_of(&empty).len(), 0, "{empty}");
    aws_s3_ok(&serve, a, &["s3", "rb", "s3://cli-bucket"]);
    assert!(!stdout_of(&aws(&serve, a, &["s3", "ls"])).contains("cli-bucket"));
    let gone = aws_fails(
        &serve,
        a,
        &["s3api", "head-bucket", "--bucket", "cli-bucket"],
    );
    assert!(gone.contains("404"), "{gone}");
}

#[test]
fn signer_signs_a_zip_uploaded_in_parts() {
    let serve = Serve::start();
    let dir = tempfile::tempdir().expect("dir");
    let a = SECURITY;
    let zip = dir.path().join("big-function.zip");
    write_zip(&zip, "payload.bin", &noise(10 * 1024 * 1024, 3));
    let profile = put_profile(&serve, a, "big_signing");
    assert!(profile.contains(a));
    versioned_bucket(&serve, a, "big-artifacts");
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            zip.to_str().expect("utf-8"),
            "s3://big-artifacts/unsigned/big-function.zip",
        ],
    );
    let head = aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "big-artifacts",
            "--key",
            "unsigned/big-function.zip",
        ],
    );
    assert!(
        head["ETag"].as_str().is_some_and(|e| e.ends_with("-2\"")),
        "uploaded in parts: {head}"
    );
    let version = text(&head, "VersionId");
    let source = serde_json::json!({"s3": {"bucketName": "big-artifacts", "key": "unsigned/big-function.zip", "version": version}}).to_string();
    let destination =
        serde_json::json!({"s3": {"bucketName": "big-artifacts", "prefix": "signed/"}}).to_string();
    let job = text(
        &aws_ok(
            &serve,
            a,
            &[
                "signer",
                "start-signing-job",
                "--source",
                &source,
                "--destination",
                &destination,
                "--profile-name",
                "big_signing",
            ],
        ),
        "jobId",
    );
    aws_ok(
        &serve,
        a,
        &["signer", "wait", "successful-signing-job", "--job-id", &job],
    );
    let csc = create_csc(&serve, a, &[&profile], "Enforce");
    let signed = dir.path().join("signed.zip");
    aws_s3_ok(
        &serve,
        a,
        &[
            "s3",
            "cp",
            "--only-show-errors",
            &format!("s3://big-artifacts/signed/{job}.zip"),
            signed.to_str().expect("utf-8"),
        ],
    );
    let deployed = deploy(&serve, a, "big-function", &signed, &csc);
    assert!(deployed["FunctionArn"].as_str().is_some(), "{deployed}");
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs an `aws s3` command (text output), requires success; its stdout.
fn aws_s3_ok(serve: &Serve, account: &str, args: &[&str]) -> String {
    let output = aws(serve, account, args);
    assert!(
        output.status.success(),
        "aws {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_of(&output)
}

/// Objects stream through `serve` both ways: a 128 MiB single PUT and its
/// GET leave the server's peak memory far below the object's size.
#[test]
fn large_objects_stream_through_in_bounded_memory() {
    let serve = Serve::start();
    let dir = tempfile::tempdir().expect("dir");
    let a = SECURITY;
    let size = 128 * 1024 * 1024;
    let source = dir.path().join("large.bin");
    std::fs::write(&source, noise(size, 11)).expect("write");
    aws_ok(&serve, a, &["s3api", "create-bucket", "--bucket", "large"]);
    let before = serve.peak_rss_kib();
    aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "large",
            "--key",
            "large.bin",
            "--body",
            source.to_str().expect("utf-8"),
        ],
    );
    let back = dir.path().join("back.bin");
    aws_ok(
        &serve,
        a,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "large",
            "--key",
            "large.bin",
            back.to_str().expect("utf-8"),
        ],
    );
    assert!(
        std::fs::read(&back).expect("read") == std::fs::read(&source).expect("read"),
        "the object came back changed"
    );
    let peak = serve.peak_rss_kib();
    println!("serve peak RSS: {before} KiB before, {peak} KiB after a {size}-byte PUT and GET");
    assert!(
        peak < before + 48 * 1024,
        "serve's peak memory grew from {before} KiB to {peak} KiB for a {size}-byte object: it is buffered, not streamed"
    );
}
