//! The async runtime each entry point (the plugin, the CloudFormation
//! handler, `cfn-invoke`, `serve` and the CLI's verbs) runs its work on:
//! built in one place, with one message when it cannot start.

use std::future::Future;
use std::process::ExitCode;

/// How many threads the work needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// A server answering requests concurrently.
    Pool,
    /// One command's work: no pool to start.
    One,
}

/// Runs `future` to completion; when no runtime can be built, says so
/// after `who` on stderr and returns `failure`.
pub fn block_on<T>(
    who: &str,
    threads: Threads,
    failure: ExitCode,
    future: impl Future<Output = T>,
) -> Result<T, ExitCode> {
    let mut builder = match threads {
        Threads::Pool => tokio::runtime::Builder::new_multi_thread(),
        Threads::One => tokio::runtime::Builder::new_current_thread(),
    };
    match builder.enable_all().build() {
        Ok(runtime) => Ok(runtime.block_on(future)),
        Err(e) => {
            eprintln!("{who}: cannot start the async runtime: {e}");
            Err(failure)
        }
    }
}
