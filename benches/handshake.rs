//! Start-up latency: from exec to the handshake line on stdout, as Terraform
//! waits for it on every plugin start (several times per plan). Measured
//! against spawning `/bin/true` in the same run, the floor of any exec.
//!
//! Also measured: exec to the first answered RPC over mutual TLS, which
//! includes the TLS handshake a real Terraform connection pays.
//!
//! Run: `cargo bench --bench handshake` (release build).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-lambdasign");
const RUNS: usize = 60;

fn main() {
    let client_cert = client_certificate_pem();
    let handshake = measure(|| {
        let mut child = Command::new(BINARY)
            .env(
                "TF_PLUGIN_MAGIC_COOKIE",
                "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
            )
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &client_cert)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn provider");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("handshake");
        assert!(line.starts_with("1|6|tcp|127.0.0.1:"), "{line}");
        move || {
            let _ = child.kill();
            let _ = child.wait();
        }
    });
    let exec_floor = measure(|| {
        let mut child = Command::new("/bin/true")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn /bin/true");
        let mut sink = Vec::new();
        let _ = child.stdout.take().expect("stdout").read_to_end(&mut sink);
        move || {
            let _ = child.wait();
        }
    });
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let identity = common::ClientIdentity::generate();
    let first_rpc = measure(|| {
        let plugin = common::start_plugin(&identity);
        runtime.block_on(async {
            let channel = common::connect(&plugin, Some(&identity))
                .await
                .expect("connect");
            lambdasign::tf::plugin::proto::health::health_client::HealthClient::new(channel)
                .check(lambdasign::tf::plugin::proto::health::HealthCheckRequest {
                    service: "plugin".into(),
                })
                .await
                .expect("health check");
        });
        move || drop(plugin)
    });
    if std::env::var_os("LAMBDASIGN_BENCH_NO_HEADER").is_none() {
        println!("| figure | lambdasign | reference (same run) | ratio | goal |");
        println!("|---|---|---|---|---|");
    }
    let floor = median(&exec_floor);
    for (figure, samples, goal) in [
        ("exec -> handshake line (median)", &handshake, "<= 3 ms"),
        (
            "exec -> first RPC over mTLS (median)",
            &first_rpc,
            "<= 5 ms",
        ),
    ] {
        println!(
            "| {figure} | {:.2} ms (p95 {:.2} ms, {} runs) | exec /bin/true: {:.2} ms | {:.2} | {goal} |",
            median(samples).as_secs_f64() * 1e3,
            p95(samples).as_secs_f64() * 1e3,
            samples.len(),
            floor.as_secs_f64() * 1e3,
            median(samples).as_secs_f64() / floor.as_secs_f64()
        );
    }
}

/// Times `start` (up to the moment it returns), then runs the clean-up it
/// returns outside the timed region.
fn measure<F, C>(mut start: F) -> Vec<Duration>
where
    F: FnMut() -> C,
    C: FnOnce(),
{
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let begin = Instant::now();
        let cleanup = start();
        samples.push(begin.elapsed());
        cleanup();
    }
    samples.sort();
    samples
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn p95(sorted: &[Duration]) -> Duration {
    sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)]
}

fn client_certificate_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).expect("certificate").pem()
}
