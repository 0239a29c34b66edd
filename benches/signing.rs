//! Speed and memory of the signing engine, each against a reference
//! measured in the same run, as rows of `scripts/bench.sh`'s table:
//! - `digest` of a 512 MiB file vs `openssl dgst -sha384`, both as processes
//!   (goal <= 1.05x);
//! - `sign` and `verify` (the CLI, as a separate process) of a 1 GiB
//!   artifact: time vs one `openssl dgst -sha384` pass over it (goal
//!   <= 1.3x for sign) and peak RSS (goal <= 64 MiB);
//! - P-384 sign/verify operations per second vs `openssl speed ecdsap384`.
//!
//! Run: `cargo bench --bench signing` (needs `openssl` on PATH; ~3 GiB of
//! temporary disk, in `$TMPDIR`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lambdasign::backend::local::{LocalBackend, LocalConfig};
use lambdasign::backend::{Backend, CodeSigningConfigInput, PutSigningProfile};
use lambdasign::domain::digest::sha384_file;
use lambdasign::domain::keys::SigningKey;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-lambdasign");
const MIB: usize = 1024 * 1024;

/// One row of the table `scripts/bench.sh` prints.
fn row(figure: &str, ours: &str, reference: &str, ratio: &str, goal: &str) {
    println!("| {figure} | {ours} | {reference} | {ratio} | {goal} |");
}

fn main() {
    if std::env::var_os("LAMBDASIGN_BENCH_NO_HEADER").is_none() {
        println!("| figure | lambdasign | reference (same run) | ratio | goal |");
        println!("|---|---|---|---|---|");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    digest_vs_openssl(dir.path());
    sign_and_verify(dir.path());
    ecdsa_ops();
}

/// Writes `size` bytes of cheap pseudo-random data (incompressible enough
/// that nothing can shortcut the hash).
fn write_data(path: &Path, size: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; MIB];
    for _ in 0..size / MIB {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        file.write_all(&block).expect("write");
    }
    file.flush().expect("flush");
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

fn openssl_dgst(path: &Path) -> String {
    let output = Command::new("openssl")
        .args(["dgst", "-sha384", "-r"])
        .arg(path)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn digest_vs_openssl(dir: &Path) {
    let path = dir.join("digest-512MiB.bin");
    write_data(&path, 512 * MIB);
    let ours_dgst = |path: &Path| {
        let output = Command::new(BINARY)
            .arg("digest")
            .arg(path)
            .env_remove("TF_PLUGIN_MAGIC_COOKIE")
            .output()
            .expect("digest");
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let _ = openssl_dgst(&path); // warms the page cache
    let (openssl, reference) = best_of(5, || openssl_dgst(&path));
    let (ours, digest) = best_of(5, || ours_dgst(&path));
    assert_eq!(digest, reference, "digests differ");
    assert_eq!(hex::encode(sha384_file(&path).expect("digest")), reference);
    row(
        "digest 512 MiB (process, best of 5)",
        &format!("{:.0} ms", ms(ours)),
        &format!("openssl dgst -sha384: {:.0} ms", ms(openssl)),
        &format!("{:.2}", ours.as_secs_f64() / openssl.as_secs_f64()),
        "<= 1.05",
    );
    let _ = std::fs::remove_file(&path);
}

/// Runs a command and samples its peak RSS (VmHWM) until it exits.
fn run_measured(command: &mut Command) -> (Duration, u64, std::process::ExitStatus) {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kib = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (start.elapsed(), peak_kib, status);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn sign_and_verify(dir: &Path) {
    // A 1 GiB zip: one stored entry of pseudo-random data.
    let payload = dir.join("payload.bin");
    write_data(&payload, 1024 * MIB);
    let zip_path = dir.join("artifact.zip");
    {
        let file = std::fs::File::create(&zip_path).expect("zip");
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        zip.start_file("payload.bin", options).expect("entry");
        let mut source = std::fs::File::open(&payload).expect("payload");
        std::io::copy(&mut source, &mut zip).expect("copy");
        zip.finish().expect("finish");
    }
    let _ = std::fs::remove_file(&payload);

    let store = dir.join("store");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let csc = runtime.block_on(async {
        let backend = LocalBackend::open(&LocalConfig {
            path: store.clone(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            key_file: None,
        })
        .expect("store");
        let profile = backend
            .put_signing_profile(PutSigningProfile {
                name: "bench".into(),
                platform_id: "AWSLambda-SHA384-ECDSA".into(),
                validity: Default::default(),
                certificate_arn: None,
                signing_parameters: Default::default(),
                tags: Default::default(),
            })
            .await
            .expect("profile");
        backend
            .create_code_signing_config(CodeSigningConfigInput {
                allowed_publishers: vec![profile.version_arn],
                enforcement: lambdasign::domain::checks::Enforcement::Enforce,
                description: String::new(),
                tags: Default::default(),
            })
            .await
            .expect("csc")
            .arn
    });

    let (openssl, _) = best_of(3, || openssl_dgst(&zip_path));
    let signed = dir.join("artifact.signed.zip");
    let (sign_time, sign_rss, status) = run_measured(
        Command::new(BINARY)
            .args(["sign", "--store"])
            .arg(&store)
            .args(["--account", "111111111111", "--profile", "bench"])
            .arg(&zip_path)
            .arg(&signed)
            .env_remove("TF_PLUGIN_MAGIC_COOKIE"),
    );
    assert!(status.success(), "sign failed");
    let (verify_time, verify_rss, status) = run_measured(
        Command::new(BINARY)
            .args(["verify", "--store"])
            .arg(&store)
            .args(["--account", "111111111111", "--csc", &csc])
            .arg(&signed)
            .env_remove("TF_PLUGIN_MAGIC_COOKIE"),
    );
    assert!(status.success(), "verify rejected the artifact");
    let one_pass = openssl.as_secs_f64();
    row(
        "sign 1 GiB (CLI process)",
        &format!("{:.0} ms", ms(sign_time)),
        &format!("one openssl dgst pass: {:.0} ms", one_pass * 1e3),
        &format!("{:.2}", sign_time.as_secs_f64() / one_pass),
        "<= 1.3",
    );
    row(
        "sign 1 GiB, peak RSS",
        &format!("{:.1} MiB", sign_rss as f64 / 1024.0),
        "",
        "",
        "<= 64 MiB",
    );
    row(
        "verify 1 GiB (CLI process)",
        &format!("{:.0} ms", ms(verify_time)),
        &format!("one openssl dgst pass: {:.0} ms", one_pass * 1e3),
        &format!("{:.2}", verify_time.as_secs_f64() / one_pass),
        "",
    );
    row(
        "verify 1 GiB, peak RSS",
        &format!("{:.1} MiB", verify_rss as f64 / 1024.0),
        "",
        "",
        "<= 64 MiB",
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn ecdsa_ops() {
    let key = SigningKey::generate();
    let public = key.public_key();
    let message = [7u8; 48];
    let window = Duration::from_secs(2);
    let start = Instant::now();
    let mut signs = 0u64;
    let mut signature = key.sign(&message);
    while start.elapsed() < window {
        signature = key.sign(&message);
        signs += 1;
    }
    let sign_rate = signs as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut verifies = 0u64;
    while start.elapsed() < window {
        assert!(public.verify(&message, &signature));
        verifies += 1;
    }
    let verify_rate = verifies as f64 / start.elapsed().as_secs_f64();
    let (openssl_sign, openssl_verify) = openssl_speed_p384();
    row(
        "ECDSA P-384 sign",
        &format!("{sign_rate:.0}/s"),
        &format!("openssl speed: {openssl_sign:.0}/s"),
        &format!("{:.2} (higher is faster)", sign_rate / openssl_sign),
        "",
    );
    row(
        "ECDSA P-384 verify",
        &format!("{verify_rate:.0}/s"),
        &format!("openssl speed: {openssl_verify:.0}/s"),
        &format!("{:.2} (higher is faster)", verify_rate / openssl_verify),
        "",
    );
}

/// `openssl speed ecdsap384`'s sign/s and verify/s from its summary line.
fn openssl_speed_p384() -> (f64, f64) {
    let output = Command::new("openssl")
        .args(["speed", "-seconds", "2", "ecdsap384"])
        .output()
        .expect("openssl speed");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|l| l.trim_start().starts_with("384 bits ecdsa"))
        .and_then(|line| {
            let numbers: Vec<f64> = line
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            // "384 bits ecdsa (nistp384)   sign_time verify_time   sign/s verify/s"
            (numbers.len() >= 3).then(|| (numbers[numbers.len() - 2], numbers[numbers.len() - 1]))
        })
        .unwrap_or((f64::NAN, f64::NAN))
}
