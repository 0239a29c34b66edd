#!/usr/bin/env bash
# The demo: build the provider (debug build), install it into a local filesystem mirror
# under the custom hostname local.test, and `terraform init/apply` every
# example in examples/ offline on the embedded (`local`) backend. Each example
# runs in a copy under target/demo/, so examples/ stays clean.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

terraform=${TERRAFORM:-$(command -v terraform || echo /usr/local/bin/terraform)}
if [ ! -x "$terraform" ]; then
  echo "error: the demo needs Terraform 1.11 (expected at /usr/local/bin/terraform, on PATH, or in \$TERRAFORM)" >&2
  exit 2
fi

# The demo's work is a few small zips: an unoptimized build (the one the test
# suite builds too) is ready in about a third of the time of a release build.
# `cargo build --release` (or scripts/release.sh) makes the fast one.
echo "==> building the provider (debug build)"
cargo build --locked
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
platform="$(uname -s | tr '[:upper:]' '[:lower:]')_${arch}"

work="$root/target/demo"
rm -rf "$work"
package="$work/mirror/local.test/lambdasign/lambdasign/$version/$platform"
mkdir -p "$package"
cp target/debug/terraform-provider-lambdasign "$package/terraform-provider-lambdasign_v$version"
cat >"$work/cli.tfrc" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["local.test/*/*"]
  }
}
CONFIG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

start=$(date +%s)
for example in examples/*/; do
  # examples/cloudformation holds templates, not a Terraform configuration.
  compgen -G "$example*.tf" >/dev/null || continue
  name=$(basename "$example")
  echo "==> examples/$name"
  cp -r "$example" "$work/$name"
  tf() { "$terraform" -chdir="$work/$name" "$@"; }
  tf init -no-color >/dev/null
  tf apply -auto-approve -no-color
  # A second plan must be empty: no surprise diffs.
  tf plan -detailed-exitcode -no-color >/dev/null
done
echo "==> all examples applied, second plans empty ($(( $(date +%s) - start )) s after the build)"
