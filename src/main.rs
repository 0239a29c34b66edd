//! The binary: the provider, the CloudFormation handler or the CLI, by
//! who started it (see [`lambdasign::main`]).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

fn main() -> std::process::ExitCode {
    lambdasign::main()
}
