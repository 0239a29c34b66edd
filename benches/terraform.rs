//! What a plan and an apply over many signed artifacts cost, against what
//! Terraform itself costs for the same number of resources: the reference
//! is N `terraform_data` resources hashing the same files (`filesha256`),
//! run by the same `terraform` in the same script. Prints one table of
//! ratios for N = 100, 300 and 1000 (plan) and N = 100 (apply), and the
//! per-artifact cost, so that growth with N (or with the store's size)
//! shows as a changing per-artifact figure. Two more rows apply N = 100
//! and plan N = 300 signing profiles, the provider's cheapest resource (no
//! file, no signature): what Terraform spends on any resource of a plugin,
//! over gRPC, beside its built-in `terraform_data`.
//!
//! Run: `cargo bench --bench terraform` (release build; needs terraform).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::fixtures::write_zip;
use common::terraform::Workspace;

const SIZES: [usize; 3] = [100, 300, 1000];
const APPLY_SIZE: usize = 100;
const RUNS: usize = 3;
/// N for the row that measures Terraform's cost of a plugin's resource.
const FLOOR_SIZE: usize = 300;

fn artifacts(n: usize) -> String {
    let mut body = String::from(
        "resource \"lambdasign_signing_profile\" \"app\" {\n  name = \"bench_profile\"\n}\n",
    );
    for i in 0..n {
        body.push_str(&format!(
            "resource \"lambdasign_signed_artifact\" \"a{i}\" {{\n  profile_name = lambdasign_signing_profile.app.name\n  source_file  = \"src/{i}.zip\"\n  output_file  = \"out/{i}.zip\"\n}}\n"
        ));
    }
    body
}

fn profiles(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "resource \"lambdasign_signing_profile\" \"p{i}\" {{\n  name = \"floor_{i}\"\n}}\n"
            )
        })
        .collect()
}

fn references(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = filesha256(\"src/{i}.zip\")\n}}\n"
        ));
    }
    body
}

fn workspace(n: usize, body: &str) -> Workspace {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("src")).expect("src dir");
    for i in 0..n {
        write_zip(
            &ws.path(&format!("src/{i}.zip")),
            "index.js",
            format!("exports.n = {i};\n").as_bytes(),
        );
    }
    ws.main_tf(body);
    ws.ok(&["init", "-no-color"]);
    ws
}

fn timed(ws: &Workspace, args: &[&str]) -> Duration {
    let start = Instant::now();
    let output: Output = ws.run(args);
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "terraform {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How the rows that measure Terraform's own cost are named.
const FLOOR: &str = "Terraform's cost of a plugin resource";

/// One table row: `figure` took `ours` for `n` resources, N `terraform_data`
/// took `reference` in the same run.
fn row(figure: &str, ours: Duration, n: usize, reference: Duration, goal: &str) {
    println!(
        "| {figure} | {:.0} ms ({:.2} ms each) | {n} terraform_data: {:.0} ms | {:.2} | {goal} |",
        ms(ours),
        ms(ours) / n as f64,
        ms(reference),
        ours.as_secs_f64() / reference.as_secs_f64()
    );
}

fn main() {
    if std::env::var_os("LAMBDASIGN_BENCH_NO_HEADER").is_none() {
        println!("| figure | lambdasign | reference (same run) | ratio | goal |");
        println!("|---|---|---|---|---|");
    }
    for n in SIZES {
        let ours = workspace(n, &artifacts(n));
        let reference = workspace(n, &references(n));
        let apply_args = ["apply", "-auto-approve", "-no-color", "-parallelism=10"];
        let ours_apply = timed(&ours, &apply_args);
        let reference_apply = timed(&reference, &apply_args);
        if n == APPLY_SIZE {
            row(
                &format!("terraform apply, N = {n} new artifacts"),
                ours_apply,
                n,
                reference_apply,
                "<= 2",
            );
            let floor_apply = timed(&workspace(0, &profiles(n)), &apply_args);
            row(
                &format!("terraform apply, N = {n} new signing profiles ({FLOOR})"),
                floor_apply,
                n,
                reference_apply,
                "",
            );
        }
        let floor = (n == FLOOR_SIZE).then(|| {
            let floor = workspace(0, &profiles(n));
            timed(&floor, &apply_args);
            floor
        });
        let plan_args = ["plan", "-no-color", "-detailed-exitcode"];
        let plan = |ws: &Workspace| {
            (0..RUNS)
                .map(|_| {
                    let start = Instant::now();
                    let output = ws.run(&plan_args);
                    let elapsed = start.elapsed();
                    assert_eq!(
                        output.status.code(),
                        Some(0),
                        "the plan must be empty:\n{}",
                        String::from_utf8_lossy(&output.stdout)
                    );
                    elapsed
                })
                .min()
                .unwrap_or_default()
        };
        let ours_plan = plan(&ours);
        let reference_plan = plan(&reference);
        row(
            &format!("terraform plan, N = {n} unchanged (best of {RUNS})"),
            ours_plan,
            n,
            reference_plan,
            "<= 1.5 (N = 300)",
        );
        if let Some(floor) = floor {
            row(
                &format!("terraform plan, N = {n} signing profiles ({FLOOR})"),
                plan(&floor),
                n,
                reference_plan,
                "",
            );
        }
    }
}
