//! The command line, when the binary is not started by Terraform. Exit codes:
//! 0 success, 1 rejected (verification), 2 usage or bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::signing::digest::sha384_file;

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
    /// Print the SHA-384 of each file as `<hex>  FILE`, as sha384sum does.
    Digest {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
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
        None => {
            println!("{ABOUT}\n\nSee `terraform-provider-lambdasign --help` for the commands.");
            ExitCode::SUCCESS
        }
        Some(Command::Digest { files }) => digest(&files),
    }
}

fn digest(files: &[PathBuf]) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for file in files {
        match sha384_file(file) {
            Ok(digest) => println!("{}  {}", hex::encode(digest), file.display()),
            Err(e) => {
                eprintln!("terraform-provider-lambdasign: {}: {e}", file.display());
                status = ExitCode::from(2);
            }
        }
    }
    status
}
