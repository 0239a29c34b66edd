#!/usr/bin/env bash
# A short libFuzzer run (cargo-fuzz) over the signature envelope and the zip
# tail parser: `scripts/fuzz.sh [SECONDS]` (default 20). cargo-fuzz wants a
# nightly compiler; RUSTC_BOOTSTRAP=1 lets the stable toolchain build it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
echo "==> fuzzing the envelope and zip tail parser for ${seconds}s"
cd fuzz
# --dev: an unoptimized build takes a third of the time of cargo-fuzz's
# default (optimized, one codegen unit: 10.5 min in CI), and still runs
# ~10,000 inputs a second: for a smoke run, the build is the cost.
# -s none: no AddressSanitizer. The crate forbids unsafe code, so what the
# run looks for is a panic; libFuzzer's coverage instrumentation stays.
RUSTC_BOOTSTRAP=1 cargo fuzz run --dev -s none envelope -- -max_total_time="$seconds"
