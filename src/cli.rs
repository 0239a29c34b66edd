//! The command line, when the binary is not started by Terraform. Exit codes:
//! 0 success, 1 rejected (verification), 2 usage or bad input. `serve`
//! runs the AWS-compatible endpoint until SIGINT or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::backend::local::LocalConfig;
use crate::domain::checks::{self, Status, Verdict};
use crate::domain::digest::sha384_file;
use crate::domain::facts::ArtifactRef;
use crate::domain::job::ObjectLocation;
use crate::domain::names;
use crate::domain::time::{format_time, parse_time};
use crate::engine::signed_artifact::{self, ArtifactSpec};
use crate::engine::verification::{self, PolicyView};
use crate::engine::{BackendConfig, Engine, EngineError};
use crate::runtime::{self, Threads};

const ABOUT: &str = "\
Terraform provider for AWS Lambda code signing (lambdasign).

This binary is a Terraform plugin: Terraform starts it and talks to it over
gRPC with mutual TLS. Install it in a provider mirror and use it from a
configuration with `source = \"<host>/lambdasign/lambdasign\"`.

Run by hand, it offers the signing engine's commands below.";

#[derive(Parser)]
#[command(name = "terraform-provider-lambdasign", version, about = ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SHA-384 of each file as `<hex>  FILE`, as sha384sum does
    /// (`-` is standard input).
    Digest {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Sign a zip with a signing profile of the embedded store (one signing job).
    Sign {
        #[command(flatten)]
        store: StoreArgs,
        /// Signing profile name.
        #[arg(long)]
        profile: String,
        /// Account that owns the profile, if not --account.
        #[arg(long)]
        profile_owner: Option<String>,
        /// The zip to sign.
        input: PathBuf,
        /// Where to write the signed zip.
        output: PathBuf,
    },
    /// Check signed zips as Lambda would deploy them under a code signing config.
    /// Exit 0: every file would deploy; 1: at least one would be rejected.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// Code signing config ARN.
        #[arg(long)]
        csc: String,
        /// Evaluate as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Print results as JSON.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Serve Lambda's Invoke API in front of the CloudFormation handlers, so
    /// `cfn test --endpoint http://ADDR` runs AWS's contract tests offline.
    #[command(name = "cfn-invoke")]
    CfnInvoke {
        /// Address to listen on, such as 127.0.0.1:3001 (port 0: any free port).
        #[arg(long)]
        listen: std::net::SocketAddr,
        #[command(flatten)]
        backend: crate::cfn::invoke::BackendArgs,
    },
    /// Serve an AWS-compatible endpoint (Signer, Lambda code signing,
    /// functions and layers, an S3 subset, STS GetCallerIdentity) over the
    /// embedded store. Prints `listening on http://ADDR`; stops on SIGINT or
    /// SIGTERM. With --credentials every request must be signed by a listed
    /// key and acts as its account; without, it listens on loopback only and
    /// a 12-digit access key id selects the account, else 123456789012. See
    /// docs/serve.md.
    Serve {
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:4566")]
        listen: String,
        /// Directory of the embedded store (created if missing).
        #[arg(long)]
        store: PathBuf,
        /// Region of requests whose signature names none.
        #[arg(long, default_value = LocalConfig::DEFAULT_REGION)]
        region: String,
        /// File holding the store key that seals signing keys at rest;
        /// default: $LAMBDASIGN_STORE_KEY.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// AWS shared-credentials-style file: one [section] per key with
        /// aws_access_key_id, aws_secret_access_key and aws_account_id.
        /// Every request must then carry a valid SigV4 signature by one.
        #[arg(long)]
        credentials: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// Directory of the embedded store (the provider's `local { path }`).
    #[arg(long)]
    store: PathBuf,
    /// The 12-digit account to act as.
    #[arg(long)]
    account: String,
    /// The region to act in.
    #[arg(long, default_value = LocalConfig::DEFAULT_REGION)]
    region: String,
    /// File holding the store key that seals signing keys at rest (32 random
    /// bytes as 64 hex digits or base64); default: $LAMBDASIGN_STORE_KEY.
    #[arg(long)]
    key_file: Option<PathBuf>,
}

impl StoreArgs {
    async fn open(&self) -> Result<Engine, String> {
        names::account_id(&self.account).map_err(|e| format!("--account: {e}"))?;
        names::region(&self.region).map_err(|e| format!("--region: {e}"))?;
        // No verb makes a store: a mistyped path is an error, not a new,
        // empty store left behind.
        if !self.store.join(crate::backend::local::DB_FILE).is_file() {
            return Err(format!(
                "--store {}: there is no store there (the provider makes one on its first apply, `serve` when it starts)",
                self.store.display()
            ));
        }
        let config = BackendConfig::Local(LocalConfig {
            path: self.store.clone(),
            account_id: self.account.clone(),
            region: self.region.clone(),
            key_file: self.key_file.clone(),
        });
        let connected = Engine::connect(&config)
            .await
            .map_err(|e| format!("cannot open the store {}: {e}", self.store.display()))?;
        for warning in &connected.warnings {
            eprintln!("terraform-provider-lambdasign: warning: {warning}");
        }
        Ok(connected.engine)
    }
}

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    match cli.command {
        // Run by hand with no command: a usage error, as for any other
        // missing argument (Terraform starts it with its handshake cookie).
        None => {
            eprintln!("{ABOUT}\n\nSee `terraform-provider-lambdasign --help` for the commands.");
            ExitCode::from(2)
        }
        Some(Command::Digest { files }) => digest(&files),
        Some(Command::Sign {
            store,
            profile,
            profile_owner,
            input,
            output,
        }) => block_on(sign(store, profile, profile_owner, input, output)),
        Some(Command::Verify {
            store,
            csc,
            at,
            json,
            files,
        }) => block_on(verify(store, csc, at, json, files)),
        Some(Command::CfnInvoke { listen, backend }) => crate::cfn::invoke::run(listen, backend),
        Some(Command::Serve {
            listen,
            store,
            region,
            key_file,
            credentials,
        }) => serve(crate::serve::Config {
            listen,
            store,
            region,
            key_file,
            credentials,
        }),
    }
}

fn serve(config: crate::serve::Config) -> ExitCode {
    if let Err(e) = names::region(&config.region) {
        return usage_error(&format!("--region: {e}"));
    }
    let served = runtime::block_on(
        WHO,
        Threads::Pool,
        ExitCode::from(2),
        crate::serve::run(config, shutdown_signal()),
    );
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => usage_error(&e.to_string()),
        Err(code) => code,
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs one verb's work.
fn block_on(future: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    runtime::block_on(WHO, Threads::One, ExitCode::from(2), future).unwrap_or_else(|code| code)
}

const WHO: &str = "terraform-provider-lambdasign";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("{WHO}: {message}");
    ExitCode::from(2)
}

async fn sign(
    store: StoreArgs,
    profile: String,
    profile_owner: Option<String>,
    input: PathBuf,
    output: PathBuf,
) -> ExitCode {
    if let Err(e) = check_input(&input) {
        return usage_error(&e);
    }
    // The zip's tail only (a large input is read once, by the signing):
    // what is not a zip, or is signed already, leaves no failed job.
    match crate::domain::artifact::read_envelope(&input) {
        Ok(None) => {}
        Ok(Some(_)) => {
            return usage_error(&format!(
                "{}: {}",
                input.display(),
                crate::domain::artifact::ArtifactError::AlreadySigned
            ))
        }
        Err(e) => return usage_error(&format!("{}: {e}", input.display())),
    }
    if signed_artifact::same_path(&input, &output) {
        return usage_error(&format!(
            "{}: OUT is IN itself; write the signed zip to another file (a signed zip cannot be signed again)",
            output.display()
        ));
    }
    let engine = match store.open().await {
        Ok(engine) => engine,
        Err(e) => return usage_error(&e),
    };
    // Absolute paths: the same files spelled another way (`out.zip`,
    // `./out.zip`, `/work/out.zip`) are the same signing, found again.
    let spec = ArtifactSpec {
        profile_name: profile,
        profile_owner,
        source: ObjectLocation::File(signed_artifact::normalize(&input)),
        output_file: Some(signed_artifact::normalize(&output)),
        staging: None,
        destination: None,
        verify_against: Vec::new(),
        timeout: crate::backend::DEFAULT_SIGNING_TIMEOUT,
    };
    // The token names the input by identity, so signing the same unchanged
    // input into the same output again (after a crash, say) finds the same
    // job, and the input is read once, by the signing itself.
    let source_version = match source_identity(&input) {
        Ok(identity) => identity,
        Err(e) => return usage_error(&format!("{}: {e}", input.display())),
    };
    let token = signed_artifact::signing_token(&spec, &source_version, None);
    match signed_artifact::create(&engine, &spec, &token, None).await {
        Ok(created) => {
            for warning in &created.warnings {
                eprintln!("terraform-provider-lambdasign: warning: {warning}");
            }
            let job = created.signed.job;
            println!(
                "signed {} with {}",
                output.display(),
                job.profile_version_arn
            );
            println!("job      {}", job.job_arn);
            println!("sha384   {}", job.signed_sha384);
            println!("expires  {}", format_time(job.signature_expires_at));
            ExitCode::SUCCESS
        }
        Err(failed) => failure(&failed.error),
    }
}

/// A file's identity for the signing token: its version (`files::version`),
/// which changes whenever its content does, or its digest where the
/// platform does not tell one.
fn source_identity(path: &std::path::Path) -> std::io::Result<String> {
    let metadata = crate::domain::files::open_regular(path)?.metadata()?;
    match crate::domain::files::version(&metadata) {
        Some(version) => Ok(format!("file:{version}")),
        None => sha384_file(path).map(hex::encode),
    }
}

/// An engine failure: exit 1 when Lambda would reject, else 2.
fn failure(e: &EngineError) -> ExitCode {
    eprintln!("terraform-provider-lambdasign: {}", engine_message(e));
    match e.kind {
        crate::engine::ErrorKind::Rejected => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    allowed: bool,
    checks: Vec<CheckReport>,
}

#[derive(Serialize)]
struct CheckReport {
    check: String,
    status: &'static str,
    blocking: bool,
    reason: String,
}

fn report_of(file: &std::path::Path, verdict: &Verdict) -> FileReport {
    FileReport {
        file: file.display().to_string(),
        allowed: verdict.allowed,
        checks: verdict
            .results
            .iter()
            .map(|r| {
                let (status, blocking) = match r.status {
                    Status::Passed => ("passed", false),
                    Status::Failed { blocking } => ("failed", blocking),
                    Status::NotApplicable => ("not_applicable", false),
                };
                CheckReport {
                    check: r.check.to_string(),
                    status,
                    blocking,
                    reason: r.reason.clone(),
                }
            })
            .collect(),
    }
}

async fn verify(
    store: StoreArgs,
    csc: String,
    at: Option<String>,
    json: bool,
    files: Vec<PathBuf>,
) -> ExitCode {
    let engine = match store.open().await {
        Ok(engine) => engine,
        Err(e) => return usage_error(&e),
    };
    let at: DateTime<Utc> = match at.as_deref().map(parse_time) {
        None => Utc::now(),
        Some(Ok(at)) => at,
        Some(Err(e)) => return usage_error(&format!("--at: {e}")),
    };
    if let Err(e) = signed_artifact::csc_arn_rule(&csc) {
        return usage_error(&format!("--csc: {e}"));
    }
    let policy = match verification::policy(&engine, &csc).await {
        Ok(PolicyView::Known(policy)) => policy,
        Ok(PolicyView::Unknown(partial)) => {
            return usage_error(&format!("--csc {csc}: {}", partial.why))
        }
        Err(e) => return usage_error(&format!("--csc {csc}: {e}")),
    };
    // Every file is reported: one that cannot be read does not hide the
    // verdicts of the others (it makes the exit code 2).
    let mut reports = Vec::new();
    let mut unreadable = false;
    for file in &files {
        let facts = match check_input(file) {
            Ok(()) => verification::facts(&engine, &ArtifactRef::SignedFile(file.clone()))
                .await
                .map_err(|e| format!("{}: {}", file.display(), engine_message(&e))),
            Err(e) => Err(e),
        };
        match facts {
            Ok(facts) => reports.push(report_of(file, &checks::evaluate(&facts, &policy, at))),
            Err(e) => {
                eprintln!("terraform-provider-lambdasign: {e}");
                unreadable = true;
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        for report in &reports {
            let warned = report
                .checks
                .iter()
                .any(|c| c.status == "failed" && !c.blocking);
            let verdict = match (report.allowed, warned) {
                (false, _) => "REJECTED",
                (true, true) => "allowed, with warnings",
                (true, false) => "allowed",
            };
            println!("{}: {verdict}", report.file);
            for check in &report.checks {
                let status = match (check.status, check.blocking) {
                    ("failed", true) => "FAILED",
                    ("failed", false) => "warning",
                    (other, _) => other,
                };
                println!("  {:<16} {:<15} {}", check.check, status, check.reason);
            }
        }
    }
    if unreadable {
        ExitCode::from(2)
    } else if reports.iter().all(|r| r.allowed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn digest(files: &[PathBuf]) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let digest = if file.as_os_str() == "-" {
            crate::domain::digest::sha384_reader(std::io::stdin().lock())
        } else {
            sha384_file(file)
        };
        match digest {
            Ok(digest) => println!("{}  {}", hex::encode(digest), file.display()),
            Err(e) => {
                eprintln!("terraform-provider-lambdasign: {}", io_message(file, &e));
                status = ExitCode::from(2);
            }
        }
    }
    status
}

/// An I/O error about a file argument, naming it once, as the shell's
/// tools do (`FILE: No such file or directory`).
fn io_message(file: &Path, e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rsplit_once(" (os error ") {
        Some((text, _)) => text.to_string(),
        None => text,
    };
    format!("{}: {text}", file.display())
}

/// A file argument that can be read: a regular file with something in it.
fn check_input(file: &Path) -> Result<(), String> {
    let metadata = crate::domain::files::open_regular(file)
        .and_then(|f| f.metadata())
        .map_err(|e| io_message(file, &e))?;
    if metadata.len() == 0 {
        return Err(format!("{}: the file is empty", file.display()));
    }
    Ok(())
}

/// An engine failure in the CLI's words: its sentence, without the
/// Terraform attribute it is about, which the CLI does not have.
fn engine_message(e: &EngineError) -> String {
    e.message
        .replace("`source_file`", "IN")
        .replace("`output_file`", "OUT")
}
