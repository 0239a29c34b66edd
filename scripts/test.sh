#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit and property
# tests, the protocol tests, the end-to-end tests that drive the real
# `terraform` binary (offline, TLS on) against a debug build of the provider,
# AWS's CloudFormation contract tests against the handlers, and the
# CloudFormation packages (cfn validate, submit layout, GLIBC check).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's header says how long the run has taken so far.
step() { echo "==> [$(( SECONDS / 60 ))m$(( SECONDS % 60 ))s] $*"; }

if ! command -v terraform >/dev/null 2>&1 && [ ! -x /usr/local/bin/terraform ] && [ -z "${TERRAFORM:-}" ]; then
  echo "error: the end-to-end tests need Terraform 1.11 (expected at /usr/local/bin/terraform, on PATH, or in \$TERRAFORM)" >&2
  exit 2
fi

# Three Python venvs the tests need; each test that needs one fails (never
# passes silently) without it:
# - moto, whose server the aws backend's tests start (LAMBDASIGN_MOTO_PYTHON);
# - the AWS CLI and boto3, which drive serve (LAMBDASIGN_AWS_VENV);
# - the CloudFormation tooling: cloudformation-cli's `cfn test`, cfn-lint,
#   jsonschema (LAMBDASIGN_CFN_PYTHON).
# They install (from PyPI, on a first run) while cargo lints.
venvs() {
  local venv=target/moto-venv
  if ! "$venv/bin/python" -c 'import sys, moto, moto.server; sys.exit(0 if moto.__version__.startswith("5.") else 1)' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]>=5,<6"
  fi
  venv=target/aws-venv
  local aws_pins="awscli==1.46.3 boto3==1.44.8 botocore==1.44.8 s3transfer==0.19.3"
  if ! "$venv/bin/python" -c 'import boto3, awscli, sys; sys.exit(0 if (boto3.__version__, awscli.__version__) == ("1.44.8", "1.46.3") else 1)' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $aws_pins
  fi
  scripts/cfn-venv.sh
}
for tool in objdump objcopy; do
  command -v "$tool" >/dev/null || { echo "error: $tool (binutils) is needed to check the CloudFormation handler binary" >&2; exit 2; }
done
mkdir -p target/test-logs
step "Python venvs (moto, AWS CLI and boto3, CloudFormation tooling), in the background"
venvs >target/test-logs/venvs.log 2>&1 &
venvs_pid=$!
trap 'kill "$venvs_pid" 2>/dev/null || true' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check
step "docs stand alone (scripts/check-docs.sh)"
bash scripts/check-docs.sh
step "cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings
# Code behind a feature is dead or alive per build: the bootstrap's build
# (no openssl) and the fuzz build (no aws) are linted too.
cargo clippy --locked --no-default-features --features aws --lib -- -D warnings
cargo clippy --locked --no-default-features --lib -- -D warnings
step "waiting for the Python venvs"
if ! wait "$venvs_pid"; then
  cat target/test-logs/venvs.log >&2
  echo "error: a Python venv could not be made (log above)" >&2
  exit 1
fi
export LAMBDASIGN_MOTO_PYTHON="$PWD/target/moto-venv/bin/python"
export LAMBDASIGN_AWS_VENV="$PWD/target/aws-venv"
export LAMBDASIGN_CFN_PYTHON="$PWD/target/cfn-venv/bin/python"

step "cargo test: build"
cargo test --locked --lib --bins --tests --no-run
# Two groups at once, about even in time: serve's suites (mostly waiting on
# the AWS CLI, boto3 and the load test's clients), and the rest. Each
# group's output is printed whole when both are done.
step "cargo test: serve's suites and the rest, side by side"
serve_suites=()
other_suites=(--lib --bins)
for file in tests/*.rs; do
  name=$(basename "$file" .rs)
  case "$name" in
    serve_*) serve_suites+=(--test "$name") ;;
    *) other_suites+=(--test "$name") ;;
  esac
done
cargo test --locked "${serve_suites[@]}" >target/test-logs/serve.log 2>&1 &
serve_pid=$!
cargo test --locked "${other_suites[@]}" >target/test-logs/others.log 2>&1 &
others_pid=$!
serve_rc=0
wait "$serve_pid" || serve_rc=$?
others_rc=0
wait "$others_pid" || others_rc=$?
cat target/test-logs/others.log target/test-logs/serve.log
if [ "$serve_rc" -ne 0 ] || [ "$others_rc" -ne 0 ]; then
  echo "error: cargo test failed (serve's suites: exit $serve_rc; the rest: exit $others_rc)" >&2
  exit 1
fi
step "benches compile (dev profile: whether they build, not how fast they run)"
cargo bench --locked --no-run --profile dev
step "CloudFormation packages (cfn validate, submit layout, GLIBC <= 2.34, glibc only) from a debug build"
# The bootstrap's build: without the default "openssl" feature (no libcrypto.so.3 on Lambda).
cargo build --locked --no-default-features --features aws --bin terraform-provider-lambdasign
objcopy --strip-debug target/debug/terraform-provider-lambdasign target/cfn-bootstrap-debug
# The registry's links, stamped at packaging (the project has no address of
# its own): placeholders here, checked in one package.
scripts/cfn-package.sh --binary target/cfn-bootstrap-debug --out target/cfn-package-test \
  --source-url https://example.com/lambdasign --docs-url https://example.com/lambdasign/docs/cloudformation
python3 - target/cfn-package-test/signing-profile.zip <<'PY'
import json, sys, zipfile
schema = json.loads(zipfile.ZipFile(sys.argv[1]).read("schema.json"))
assert schema.get("sourceUrl") == "https://example.com/lambdasign", schema.get("sourceUrl")
assert schema.get("documentationUrl") == "https://example.com/lambdasign/docs/cloudformation/signing-profile.md", schema.get("documentationUrl")
PY
step "done"
