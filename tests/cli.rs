//! The CLI over the signing engine: exit 0 pass, 1 rejected, 2 bad input,
//! and messages that name the failing check.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::fixtures::{runtime, write_zip};
use common::BINARY;
use lambdasign::backend::local::{LocalBackend, LocalConfig};
use lambdasign::backend::{Backend, CodeSigningConfigInput, PutSigningProfile};
use lambdasign::domain::checks::Enforcement as UntrustedArtifactAction;

struct Setup {
    dir: tempfile::TempDir,
    enforce_own: String,
    warn_other: String,
    enforce_other: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let (enforce_own, warn_other, enforce_other) = runtime().block_on(async {
        let backend = LocalBackend::open(&LocalConfig {
            path: store.clone(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            key_file: None,
        })
        .expect("store");
        let put = |name: &str| PutSigningProfile {
            name: name.into(),
            platform_id: "AWSLambda-SHA384-ECDSA".into(),
            validity: Default::default(),
            certificate_arn: None,
            signing_parameters: Default::default(),
            tags: Default::default(),
        };
        let own = backend
            .put_signing_profile(put("own"))
            .await
            .expect("profile");
        let other = backend
            .put_signing_profile(put("other"))
            .await
            .expect("profile");
        let csc = |arn: &str, action| CodeSigningConfigInput {
            allowed_publishers: vec![arn.to_string()],
            enforcement: action,
            description: String::new(),
            tags: Default::default(),
        };
        let enforce_own = backend
            .create_code_signing_config(csc(&own.version_arn, UntrustedArtifactAction::Enforce))
            .await
            .expect("csc")
            .arn;
        let warn_other = backend
            .create_code_signing_config(csc(&other.version_arn, UntrustedArtifactAction::Warn))
            .await
            .expect("csc")
            .arn;
        let enforce_other = backend
            .create_code_signing_config(csc(&other.version_arn, UntrustedArtifactAction::Enforce))
            .await
            .expect("csc")
            .arn;
        (enforce_own, warn_other, enforce_other)
    });
    write_zip(
        &dir.path().join("function.zip"),
        "index.js",
        b"exports.handler = async () => 'ok';\n",
    );
    Setup {
        dir,
        enforce_own,
        warn_other,
        enforce_other,
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the CLI")
}

fn sign(setup: &Setup) -> Output {
    sign_paths(setup, "function.zip", "signed.zip")
}

/// `sign` with profile `own` of `input` into `output`, as spelled.
fn sign_paths(setup: &Setup, input: &str, output: &str) -> Output {
    run(
        setup.dir.path(),
        &[
            "sign",
            "--store",
            "store",
            "--account",
            "111111111111",
            "--profile",
            "own",
            input,
            output,
        ],
    )
}

fn verify(setup: &Setup, csc: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify",
        "--store",
        "store",
        "--account",
        "111111111111",
        "--csc",
        csc,
    ];
    args.extend_from_slice(extra);
    if !extra
        .iter()
        .any(|a| a.ends_with(".zip") || a.ends_with(".bin"))
    {
        args.push("signed.zip");
    }
    run(setup.dir.path(), &args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn sign_then_verify_passes() {
    let setup = setup();
    let signed = sign(&setup);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let verified = verify(&setup, &setup.enforce_own, &[]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("signed.zip: allowed"),
        "{}",
        stdout(&verified)
    );
}

#[test]
fn a_tampered_artifact_fails_integrity_with_exit_1() {
    let setup = setup();
    assert!(sign(&setup).status.success());
    let path = setup.dir.path().join("signed.zip");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[40] ^= 0x01;
    std::fs::write(&path, bytes).expect("write");
    let verified = verify(&setup, &setup.enforce_own, &[]);
    assert_eq!(verified.status.code(), Some(1));
    let text = stdout(&verified);
    assert!(text.contains("REJECTED"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("integrity") && l.contains("FAILED")),
        "{text}"
    );
}

#[test]
fn a_profile_outside_the_config_is_a_source_mismatch() {
    let setup = setup();
    assert!(sign(&setup).status.success());
    let enforced = verify(&setup, &setup.enforce_other, &[]);
    assert_eq!(enforced.status.code(), Some(1), "{}", stdout(&enforced));
    assert!(
        stdout(&enforced)
            .lines()
            .any(|l| l.contains("source mismatch") && l.contains("FAILED")),
        "{}",
        stdout(&enforced)
    );

    let warned = verify(&setup, &setup.warn_other, &[]);
    assert_eq!(warned.status.code(), Some(0), "{}", stdout(&warned));
    assert!(
        stdout(&warned).contains("allowed, with warnings"),
        "{}",
        stdout(&warned)
    );
    assert!(stdout(&warned)
        .lines()
        .any(|l| l.contains("source mismatch") && l.contains("warning")));
}

#[test]
fn expiry_is_evaluated_at_the_given_time() {
    let setup = setup();
    assert!(sign(&setup).status.success());
    // Default validity is 135 months: in 2040 the signature has expired.
    let later = verify(
        &setup,
        &setup.enforce_own,
        &["--at", "2040-01-01T00:00:00Z"],
    );
    assert_eq!(later.status.code(), Some(1), "{}", stdout(&later));
    assert!(
        stdout(&later)
            .lines()
            .any(|l| l.contains("expiry") && l.contains("FAILED")),
        "{}",
        stdout(&later)
    );
}

#[test]
fn json_output_is_machine_readable() {
    let setup = setup();
    assert!(sign(&setup).status.success());
    let verified = verify(&setup, &setup.enforce_own, &["--json"]);
    let reports: serde_json::Value = serde_json::from_slice(&verified.stdout).expect("JSON");
    assert_eq!(reports[0]["allowed"], true);
    let checks: Vec<&str> = reports[0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert_eq!(
        checks,
        ["integrity", "expiry", "source mismatch", "revocation"]
    );
}

#[test]
fn garbage_input_exits_2() {
    let setup = setup();
    std::fs::write(
        setup.dir.path().join("garbage.bin"),
        b"definitely not a zip",
    )
    .expect("write");
    let verified = verify(&setup, &setup.enforce_own, &["garbage.bin"]);
    assert_eq!(verified.status.code(), Some(2), "{}", stdout(&verified));
    let missing = verify(&setup, &setup.enforce_own, &["missing.zip"]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = run(setup.dir.path(), &["verify", "--store", "store"]);
    assert_eq!(usage.status.code(), Some(2));
    let no_command = run(setup.dir.path(), &[]);
    assert_eq!(no_command.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_command.stderr).contains("--help"));
    let signed_twice = {
        assert!(sign(&setup).status.success());
        sign_paths(&setup, "signed.zip", "twice.zip")
    };
    assert_eq!(signed_twice.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&signed_twice.stderr)
            .to_lowercase()
            .contains("already"),
        "{}",
        String::from_utf8_lossy(&signed_twice.stderr)
    );
}

/// Signing the same unchanged input into the same output again is the same
/// job, however the paths are spelled.
#[test]
fn signing_again_with_the_paths_spelled_otherwise_finds_the_same_job() {
    let setup = setup();
    let first = sign(&setup);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let job = |output: &Output| {
        stdout(output)
            .lines()
            .find_map(|l| l.strip_prefix("job").map(|j| j.trim().to_string()))
            .expect("a job line")
    };
    let absolute_output = setup.dir.path().join("signed.zip");
    let absolute_output = absolute_output.to_str().expect("utf-8 path");
    for (input, output) in [
        ("./function.zip", "signed.zip"),
        ("function.zip", absolute_output),
    ] {
        let again = sign_paths(&setup, input, output);
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(job(&again), job(&first), "{input} -> {output}");
    }
}

#[test]
fn digest_prints_like_sha384sum() {
    let setup = setup();
    let ours = run(setup.dir.path(), &["digest", "function.zip"]);
    let reference = Command::new("sha384sum")
        .arg("function.zip")
        .current_dir(setup.dir.path())
        .output()
        .expect("sha384sum");
    assert_eq!(stdout(&ours), String::from_utf8_lossy(&reference.stdout));
}

#[test]
fn an_output_inside_the_store_is_refused_however_spelled_and_the_store_survives() {
    let setup = setup();
    let dir = setup.dir.path();
    std::os::unix::fs::symlink(dir.join("store"), dir.join("alias")).expect("symlink");
    std::fs::create_dir(dir.join("sub")).expect("sub");
    let database = std::fs::read(dir.join("store/store.sqlite3")).expect("the store's database");
    for output in [
        "store/store.sqlite3",
        "store/store.sqlite3-wal",
        "store/new.zip",
        "./sub/../store/store.sqlite3",
        "alias/store.sqlite3",
    ] {
        let out = sign_paths(&setup, "function.zip", output);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{output}: {stderr}");
        assert!(
            stderr.contains("inside the provider's store"),
            "{output}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read(dir.join("store/store.sqlite3")).expect("the store's database"),
        database,
        "the store is untouched"
    );
    assert!(!dir.join("store/new.zip").exists());
    let out = sign(&setup);
    assert!(out.status.success(), "the store still signs: {out:?}");
}

#[test]
fn a_mistyped_store_is_an_error_naming_it_and_makes_no_store() {
    let setup = setup();
    let dir = setup.dir.path();
    let out = run(
        dir,
        &[
            "sign",
            "--store",
            "typo/",
            "--account",
            "111111111111",
            "--profile",
            "own",
            "function.zip",
            "signed.zip",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--store typo/: there is no store there"),
        "{stderr}"
    );
    assert!(!dir.join("typo").exists(), "a store was made");
}

/// Errors name the file or the argument once, in the CLI's terms.
#[test]
fn errors_speak_the_cli_s_language_and_every_file_is_reported() {
    let setup = setup();
    let dir = setup.dir.path();
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).to_string();
    std::fs::write(dir.join("empty.zip"), b"").expect("empty");
    std::fs::write(dir.join("garbage.zip"), b"definitely not a zip").expect("garbage");

    let missing = verify(&setup, &setup.enforce_own, &["missing.zip"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        stderr(&missing).trim(),
        "terraform-provider-lambdasign: missing.zip: No such file or directory"
    );
    let empty = verify(&setup, &setup.enforce_own, &["empty.zip"]);
    assert!(
        stderr(&empty).contains("empty.zip: the file is empty"),
        "{}",
        stderr(&empty)
    );

    // A missing second file does not hide the first one's verdict.
    assert!(sign(&setup).status.success());
    let both = verify(&setup, &setup.enforce_own, &["signed.zip", "missing.zip"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stdout(&both).contains("signed.zip: allowed"),
        "{}",
        stdout(&both)
    );
    assert!(stderr(&both).contains("missing.zip: No such file or directory"));

    let same = sign_paths(&setup, "function.zip", "./function.zip");
    assert_eq!(same.status.code(), Some(2));
    assert!(
        stderr(&same).contains("OUT is IN itself"),
        "{}",
        stderr(&same)
    );
    let garbage = sign_paths(&setup, "garbage.zip", "out.zip");
    assert_eq!(garbage.status.code(), Some(2));
    for terraform_word in ["source_file", "output_file", "signed_file"] {
        for out in [&missing, &empty, &both, &same, &garbage] {
            assert!(!stderr(out).contains(terraform_word), "{}", stderr(out));
        }
    }
    assert!(
        stderr(&garbage).contains("garbage.zip"),
        "{}",
        stderr(&garbage)
    );
    let empty_sign = sign_paths(&setup, "empty.zip", "out.zip");
    assert!(stderr(&empty_sign).contains("empty.zip: the file is empty"));
}

#[test]
fn digest_reads_standard_input_for_a_dash() {
    let setup = setup();
    let mut child = Command::new(BINARY)
        .args(["digest", "-", "function.zip"])
        .current_dir(setup.dir.path())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("digest");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(&std::fs::read(setup.dir.path().join("function.zip")).expect("zip"))
            .expect("write");
    }
    let out = child.wait_with_output().expect("digest");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with("  -"), "{text}");
    assert_eq!(
        lines[0].split_whitespace().next(),
        lines[1].split_whitespace().next()
    );
}

/// `serve` checks no signatures yet (an access key id names the account),
/// so it refuses to listen beyond loopback, before making any store.
#[test]
fn serve_refuses_a_non_loopback_listen_address() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = run(
        tmp.path(),
        &["serve", "--listen", "0.0.0.0:0", "--store", "store"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("loopback only"), "{stderr}");
    assert!(!tmp.path().join("store").exists(), "no store was made");
}
