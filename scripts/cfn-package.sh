#!/usr/bin/env bash
# Packages every CloudFormation resource type and the hook in the registry's
# submit layout (what `cfn submit` uploads: .rpdk-config, schema.json,
# inputs/, handler.zip holding `bootstrap` with mode 0755, and for the hook
# its target schemas), after `cfn validate` accepts each schema.
#
#   scripts/cfn-package.sh                  # release build for x86_64-unknown-linux-gnu
#   scripts/cfn-package.sh --binary FILE    # package an already built binary
#   scripts/cfn-package.sh --out DIR        # default target/cfn-package
#   scripts/cfn-package.sh --source-url URL --docs-url URL
#       # the registry's links: sourceUrl, and documentationUrl = URL/<type>.md
#       # (the project's docs/cloudformation/ where it is published)
#
# The handler runs on Lambda's provided.al2023 (glibc 2.34): the binary's
# highest GLIBC symbol version must be 2.34 or lower, or it would not load,
# and it may need no shared library but glibc's (so it is built without the
# default "openssl" feature: SHA-384 comes from RustCrypto's sha2 there).
# Register a package with `aws cloudformation register-type` (resources:
# --type RESOURCE, hook: --type HOOK) after uploading the zip to S3; see
# docs/cloudformation/registering.md.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/cfn-package
binary=""
source_url=""
docs_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --source-url) source_url="$2"; shift 2 ;;
    --docs-url) docs_url="${2%/}"; shift 2 ;;
    *) echo "usage: $0 [--binary FILE] [--out DIR] [--source-url URL] [--docs-url URL]" >&2; exit 2 ;;
  esac
done
for url in "$source_url" "$docs_url"; do
  case "$url" in
    ""|https://*) ;;
    *) echo "error: $url: the registry's links must be https:// URLs" >&2; exit 2 ;;
  esac
done
# The project has no address of its own: whoever publishes it knows where.
[ -n "$source_url" ] || echo "note: no --source-url: the packages carry no sourceUrl"
[ -n "$docs_url" ] || echo "note: no --docs-url: the packages carry no documentationUrl"

command -v objdump >/dev/null || { echo "error: objdump (binutils) is needed to check the binary's GLIBC versions" >&2; exit 2; }

target=x86_64-unknown-linux-gnu
if [ -z "$binary" ]; then
  echo "==> cargo build --release --target $target"
  cargo build --release --locked --target "$target" --no-default-features --features aws --bin terraform-provider-lambdasign
  binary="target/$target/release/terraform-provider-lambdasign"
fi
[ -f "$binary" ] || { echo "error: no binary at $binary" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

echo "==> checking $binary for Amazon Linux 2023"
objdump -f "$binary" | grep -q "file format elf64-x86-64" || { echo "error: $binary is not an x86-64 ELF binary" >&2; exit 1; }
highest="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
[ -n "$highest" ] || { echo "error: $binary references no GLIBC symbol versions (not a glibc binary?)" >&2; exit 1; }
if [ "$(printf '%s\n%s\n' "$highest" 2.34 | sort -V | tail -1)" != "2.34" ]; then
  echo "error: $binary needs GLIBC_$highest; provided.al2023 has glibc 2.34" >&2
  exit 1
fi
echo "    highest GLIBC symbol version: $highest (provided.al2023 has 2.34)"
needed="$(objdump -p "$binary" | awk '/^ *NEEDED/ {print $2}')"
for lib in $needed; do
  case "$lib" in
    libc.so.6|libm.so.6|libgcc_s.so.1|libpthread.so.0|libdl.so.2|librt.so.1|ld-linux-x86-64.so.2) ;;
    *) echo "error: $binary needs $lib, which provided.al2023 may not have (build with --no-default-features --features aws)" >&2; exit 1 ;;
  esac
done
echo "    shared libraries: $(echo $needed)"

python="$(scripts/cfn-venv.sh)"
tools="$PWD/cloudformation/tools"
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One handler.zip for every package (they all run the same binary).
"$python" -m lambdasign_cfn_plugin "$binary" "$work/handler.zip"

for project in cloudformation/*/; do
  project="${project%/}"
  [ -f "$project/.rpdk-config" ] || continue
  name="$(basename "$project")"
  echo "==> $name"
  cp -r "$project" "$work/$name"
  schema="$(ls "$work/$name"/lambdasign-*.json)"
  "$python" - "$schema" "$source_url" "${docs_url:+$docs_url/$name.md}" <<'PY'
import json, sys
path, source, docs = sys.argv[1:]
with open(path, encoding="utf-8") as f:
    schema = json.load(f)
if source:
    schema["sourceUrl"] = source
if docs:
    schema["documentationUrl"] = docs
with open(path, "w", encoding="utf-8") as f:
    json.dump(schema, f, indent=4)
    f.write("\n")
PY
  # cfn writes rpdk.log and the package into the working directory.
  (cd "$work/$name" && "$python" "$tools/cfn_offline.py" validate) >"$work/$name.validate" 2>&1 || {
    cat "$work/$name.validate" >&2
    echo "error: cfn validate refused $project" >&2
    exit 1
  }
  (cd "$work/$name" && LAMBDASIGN_CFN_HANDLER_ZIP="$work/handler.zip" "$python" "$tools/cfn_offline.py" submit --dry-run) >"$work/$name.submit" 2>&1 || {
    cat "$work/$name.submit" >&2
    echo "error: cfn submit --dry-run failed for $project" >&2
    exit 1
  }
  package="$(ls "$work/$name"/*.zip)"
  mv "$package" "$out/$name.zip"
  "$python" - "$out/$name.zip" <<'PY'
import io, json, stat, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as package:
    names = set(package.namelist())
    for required in (".rpdk-config", "schema.json", "handler.zip"):
        assert required in names, f"{path}: no {required}"
    assert any(n.startswith("inputs/") for n in names), f"{path}: no inputs/"
    with zipfile.ZipFile(io.BytesIO(package.read("handler.zip"))) as handler:
        info = handler.getinfo("bootstrap")
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o755, f"{path}: bootstrap mode {oct(mode)}"
        assert handler.namelist() == ["bootstrap"], handler.namelist()
    schema = json.loads(package.read("schema.json"))
links = ", ".join(f"{k} {schema[k]}" for k in ("sourceUrl", "documentationUrl") if k in schema)
print(f"    {path}: {len(names)} entries; handler.zip/bootstrap mode 0755; {links or 'no links'}")
PY
done
echo "==> packages in $out"
