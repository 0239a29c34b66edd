//! boto3 (from `LAMBDASIGN_AWS_VENV`) parses every operation `serve`
//! emulates: tests/python/serve_boto3.py has one test per operation and
//! for the error shapes; it runs against a fresh `serve` and must pass
//! whole.

mod common;

use common::serve::{venv, Serve};

#[test]
fn boto3_parses_every_emulated_operation() {
    let serve = Serve::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/serve_boto3.py");
    let output = std::process::Command::new(venv().join("bin").join("python"))
        .arg(script)
        .arg(&serve.url)
        .envs(Serve::env("111111111111"))
        .output()
        .expect("run python");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "boto3 tests failed:\n{}\n{report}",
        String::from_utf8_lossy(&output.stdout)
    );
    // unittest's summary: every test ran, none was skipped.
    let ran = report
        .lines()
        .find_map(|l| l.strip_prefix("Ran "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    assert!(
        ran >= 60,
        "expected every operation's test to run:\n{report}"
    );
    assert!(!report.contains("skipped"), "{report}");
}
