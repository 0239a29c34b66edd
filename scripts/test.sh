#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit and property
# tests, the protocol tests, and the end-to-end tests that drive the real
# `terraform` binary (offline, TLS on) against a debug build of the provider.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v terraform >/dev/null 2>&1 && [ ! -x /usr/local/bin/terraform ] && [ -z "${TERRAFORM:-}" ]; then
  echo "error: the end-to-end tests need Terraform 1.11 (expected at /usr/local/bin/terraform, on PATH, or in \$TERRAFORM)" >&2
  exit 2
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings
echo "==> cargo test"
cargo test --locked --lib --bins --tests
echo "==> benches compile"
cargo bench --locked --no-run
