//! What a plan and an apply over many signed artifacts cost, against the
//! floor Terraform puts under any plugin resource: the same number of this
//! provider's signing profiles (its cheapest resource: no file, no
//! signature), run by the same `terraform` in the same script, with N
//! built-in `terraform_data` hashing the same files printed beside it.
//! Prints, for N = 100, 300 and 1000, the plan of N unchanged artifacts
//! (and the apply of N = 100 and 300 new ones) against N profiles, how the
//! artifacts/profiles ratio grows from N = 100 to N = 1000, and where the
//! CPU goes: the provider's processes (measured by a wrapper around the
//! provider in the mirror, with the shell's `times`) against Terraform's
//! own (the rest of the command's CPU, from /proc/self/stat). Plans run in
//! rounds, one of each configuration per round, and a ratio is the median
//! of its per-round ratios. At N = 300, profiles shaped as the artifacts
//! are for Terraform (the same state size, one reference each) show what
//! Terraform alone spends on that shape, so the artifacts' ratio against
//! them is what the provider adds.
//!
//! Run: `cargo bench --bench terraform` (release build; needs terraform).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::fixtures::write_zip;
use common::terraform::Workspace;
use common::BINARY;

const SIZES: [usize; 3] = [100, 300, 1000];
const APPLY_SIZE: usize = 100;
/// N for the profiles shaped as artifacts (see [`shaped_profiles`]).
const SHAPED_SIZE: usize = 300;
/// Rounds of plans (one of each configuration per round); medians are reported.
const RUNS: usize = 5;

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

/// N signing profiles shaped as the artifacts are for Terraform: each
/// refers to one more profile (as each artifact refers to its profile) and
/// carries tags that make its state entry as large as an artifact's
/// (~1.8 KB against ~1.0 KB). What Terraform alone spends on that shape.
fn shaped_profiles(n: usize) -> String {
    let mut body = String::from(
        "resource \"lambdasign_signing_profile\" \"anchor\" {\n  name = \"anchor\"\n}\n",
    );
    let (a, b) = ("y".repeat(200), "z".repeat(200));
    for i in 0..n {
        body.push_str(&format!(
            "resource \"lambdasign_signing_profile\" \"p{i}\" {{\n  name = \"shaped_{i}\"\n  tags = {{ anchor = lambdasign_signing_profile.anchor.name, a = \"{a}\", b = \"{b}\" }}\n}}\n"
        ));
    }
    body
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
    account_provider_cpu(&ws);
    ws.main_tf(body);
    ws.ok(&["init", "-no-color"]);
    ws
}

/// Replaces the provider in the workspace's mirror with a wrapper that
/// starts a log of its own (`<log dir>/<its pid>`) and, once the provider
/// exits, appends the shell's `times` to it: the shell's own CPU, then its
/// children's (the provider's). `times` runs in the wrapper itself, not in
/// a subshell, whose children's times would be its own (none).
fn account_provider_cpu(ws: &Workspace) {
    let installed = ws.installed_provider();
    std::fs::create_dir_all(cpu_logs(ws)).expect("cpu log dir");
    let wrapper = format!(
        "#!/bin/sh\nlog={}/$$\necho start > \"$log\"\n{} \"$@\"\nrc=$?\ntimes >> \"$log\"\nexit $rc\n",
        shell_quoted(&cpu_logs(ws)),
        shell_quoted(Path::new(BINARY)),
    );
    std::fs::write(&installed, wrapper).expect("wrapper");
    let mut permissions = std::fs::metadata(&installed)
        .expect("wrapper")
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&installed, permissions).expect("wrapper mode");
}

fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn cpu_logs(ws: &Workspace) -> std::path::PathBuf {
    ws.scratch("provider-cpu")
}

/// The CPU of the provider processes logged since the logs were last
/// taken. Every provider started must have reported (one that Terraform
/// killed would not), or the figure would be too low.
fn take_provider_cpu(ws: &Workspace) -> Duration {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir(cpu_logs(ws)).expect("cpu logs").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("cpu log");
        std::fs::remove_file(entry.path()).expect("cpu log");
        // `start`, then the shell's user and system time, then its children's.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            3,
            "a provider process did not report its CPU:\n{text}"
        );
        total += lines[2]
            .split_whitespace()
            .map(shell_seconds)
            .sum::<Duration>();
    }
    total
}

/// `0m1.230000s` (dash) or `0m1.230s` (bash).
fn shell_seconds(text: &str) -> Duration {
    let parse = || -> Option<f64> {
        let (minutes, seconds) = text.strip_suffix('s')?.split_once('m')?;
        Some(minutes.parse::<f64>().ok()? * 60.0 + seconds.parse::<f64>().ok()?)
    };
    Duration::from_secs_f64(parse().expect("a time from `times`"))
}

/// User + system CPU of this process's waited-for children (and theirs),
/// in clock ticks of 10 ms (`/proc/self/stat`, fields 16 and 17).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string(Path::new("/proc/self/stat")).expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("stat") + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 16 and 17 of the whole line are 13 and 14 after the name.
    let ticks: u64 =
        fields[13].parse::<u64>().expect("cutime") + fields[14].parse::<u64>().expect("cstime");
    Duration::from_millis(ticks * 10)
}

/// One run's wall time and where its CPU went.
#[derive(Clone, Copy, Default)]
struct Run {
    wall: Duration,
    provider: Duration,
    terraform: Duration,
}

fn timed(ws: &Workspace, args: &[&str], expect: Option<i32>) -> Run {
    take_provider_cpu(ws);
    let cpu_before = children_cpu();
    let start = Instant::now();
    let output: Output = ws.run(args);
    let wall = start.elapsed();
    let total = children_cpu().saturating_sub(cpu_before);
    match expect {
        Some(code) => assert_eq!(
            output.status.code(),
            Some(code),
            "terraform {}:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        None => assert!(
            output.status.success(),
            "terraform {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
    let provider = take_provider_cpu(ws);
    Run {
        wall,
        provider,
        terraform: total.saturating_sub(provider),
    }
}

/// `RUNS` rounds of plans that must find nothing to change, one of each
/// workspace per round (A B C A B C ...): the machine's drift during the
/// call then moves all alike, and a ratio is taken round by round.
struct Rounds(Vec<Vec<Run>>);

impl Rounds {
    fn plan(workspaces: &[&Workspace]) -> Rounds {
        Rounds(
            (0..RUNS)
                .map(|_| {
                    workspaces
                        .iter()
                        .map(|ws| timed(ws, &["plan", "-no-color", "-detailed-exitcode"], Some(0)))
                        .collect()
                })
                .collect(),
        )
    }

    /// Workspace `i`'s median run (by wall time).
    fn median(&self, i: usize) -> Run {
        let mut runs: Vec<Run> = self.0.iter().map(|round| round[i]).collect();
        runs.sort_by_key(|r| r.wall);
        runs[runs.len() / 2]
    }

    /// The median over rounds of workspace `i`'s wall time over `j`'s.
    fn ratio(&self, i: usize, j: usize) -> f64 {
        let mut ratios: Vec<f64> = self
            .0
            .iter()
            .map(|round| ratio(round[i].wall, round[j].wall))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// `1234 ms (4.11 ms each; provider 0.31 CPU-s = 15% of Terraform's 2.12)`.
fn cost(run: Run, n: usize) -> String {
    format!(
        "{:.0} ms ({:.2} ms each; provider {:.2} CPU-s = {:.0}% of Terraform's {:.2})",
        ms(run.wall),
        ms(run.wall) / n as f64,
        run.provider.as_secs_f64(),
        100.0 * ratio(run.provider, run.terraform),
        run.terraform.as_secs_f64()
    )
}

/// One table row: `ours` against `floor` (N signing profiles), with N
/// `terraform_data` (`builtin`) beside it, and the two ratios.
fn row(
    figure: &str,
    n: usize,
    [ours, floor, builtin]: [Run; 3],
    [to_floor, to_builtin]: [f64; 2],
    goal: &str,
) {
    println!(
        "| {figure} | {} | {n} signing profiles: {}; {n} terraform_data: {:.0} ms | {to_floor:.2} (x terraform_data {to_builtin:.2}) | {goal} |",
        cost(ours, n),
        cost(floor, n),
        ms(builtin.wall),
    );
}

/// A row of `ours` against one other workspace's cost.
fn against(figure: &str, n: usize, ours: Run, other: &str, theirs: Run, to_theirs: f64) {
    println!(
        "| {figure} | {} | {n} {other}: {} | {to_theirs:.2} | <= 1.05 |",
        cost(ours, n),
        cost(theirs, n),
    );
}

fn main() {
    if std::env::var_os("LAMBDASIGN_BENCH_NO_HEADER").is_none() {
        println!("| figure | lambdasign | reference (same run) | ratio | goal |");
        println!("|---|---|---|---|---|");
    }
    let apply_args = ["apply", "-auto-approve", "-no-color", "-parallelism=10"];
    let mut plan_ratios = Vec::new();
    for n in SIZES {
        let ours = workspace(n, &artifacts(n));
        let floor = workspace(0, &profiles(n));
        let builtin = workspace(n, &references(n));
        let shaped = (n == SHAPED_SIZE).then(|| workspace(0, &shaped_profiles(n)));
        let mut all = vec![&ours, &floor, &builtin];
        all.extend(shaped.as_ref());
        // One apply each: an apply cannot be repeated without a destroy.
        let applied: Vec<Run> = all.iter().map(|ws| timed(ws, &apply_args, None)).collect();
        if n == APPLY_SIZE || shaped.is_some() {
            row(
                &format!("terraform apply, N = {n} new artifacts (one run)"),
                n,
                [applied[0], applied[1], applied[2]],
                [
                    ratio(applied[0].wall, applied[1].wall),
                    ratio(applied[0].wall, applied[2].wall),
                ],
                "<= 1.05",
            );
        }
        if shaped.is_some() {
            against(
                &format!("terraform apply, N = {n} new artifacts against profiles shaped as artifacts (one run)"),
                n,
                applied[0],
                "shaped profiles",
                applied[3],
                ratio(applied[0].wall, applied[3].wall),
            );
        }
        let rounds = Rounds::plan(&all);
        row(
            &format!("terraform plan, N = {n} unchanged artifacts (medians of {RUNS} rounds)"),
            n,
            [rounds.median(0), rounds.median(1), rounds.median(2)],
            [rounds.ratio(0, 1), rounds.ratio(0, 2)],
            "<= 1.05 (N = 300)",
        );
        plan_ratios.push((n, rounds.ratio(0, 1)));
        if shaped.is_some() {
            row(
                &format!("terraform plan, N = {n} signing profiles shaped as artifacts for Terraform (state size, one reference each)"),
                n,
                [rounds.median(3), rounds.median(1), rounds.median(2)],
                [rounds.ratio(3, 1), rounds.ratio(3, 2)],
                "",
            );
            against(
                &format!("terraform plan, N = {n} unchanged artifacts against the shaped profiles"),
                n,
                rounds.median(0),
                "shaped profiles",
                rounds.median(3),
                rounds.ratio(0, 3),
            );
        }
    }
    if let (Some(&(first_n, first)), Some(&(last_n, last))) =
        (plan_ratios.first(), plan_ratios.last())
    {
        println!(
            "| plan growth: artifacts/profiles at N = {last_n} over N = {first_n} | {last:.2} | {first:.2} | {:.2} | <= 1.05 |",
            last / first
        );
    }
}
