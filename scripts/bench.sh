#!/usr/bin/env bash
# Every speed and memory figure of issue 12 in one table, each against a
# reference run by this same script on this same machine (terraform_data,
# openssl dgst -sha384, openssl speed, exec of /bin/true): ratios, not
# absolute times, are what carries from one machine to another.
#
#   scripts/bench.sh            # all of it (~10 min on 2 cores, ~3 GiB in $TMPDIR)
#   scripts/bench.sh signing    # one part: terraform, handshake or signing
#
# Needs terraform (as the tests do) and openssl on PATH. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("${@:-terraform handshake signing}")
# shellcheck disable=SC2206
parts=(${parts[*]})

echo "==> cargo build --release (benches)" >&2
cargo bench --locked --no-run >/dev/null 2>&1 || cargo bench --locked --no-run

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| figure | lambdasign | reference (same run) | ratio | goal |"
echo "|---|---|---|---|---|"
for part in "${parts[@]}"; do
  LAMBDASIGN_BENCH_NO_HEADER=1 cargo bench --locked --quiet --bench "$part" 2>/dev/null | grep '^|'
done
