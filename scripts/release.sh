#!/usr/bin/env bash
# The provider's release, in the layout the Terraform registry publishes and
# `terraform providers mirror` writes:
#
#   OUT/terraform-provider-lambdasign_VERSION_OS_ARCH.zip   (the binary, named
#                                                            terraform-provider-lambdasign_vVERSION)
#   OUT/terraform-provider-lambdasign_VERSION_SHA256SUMS
#   OUT/terraform-provider-lambdasign_VERSION_manifest.json  (protocol 6.0)
#   OUT/terraform-provider-lambdasign_VERSION_SHA256SUMS.sig (with --gpg-key)
#   OUT/registry/                                             with --gpg-key: the provider registry
#       v1/providers/lambdasign/lambdasign/versions           protocol as static files, for a
#       v1/providers/lambdasign/lambdasign/VERSION/download/OS/ARCH   `host` block's providers.v1
#   OUT/mirror/local.test/lambdasign/lambdasign/             a provider mirror:
#       terraform-provider-lambdasign_VERSION_OS_ARCH.zip    packed layout, for a filesystem_mirror
#       index.json, VERSION.json                             the network mirror protocol, for a
#                                                            network_mirror served over HTTPS
#
# Usage: scripts/release.sh [--binary PATH] [--out DIR] [--gpg-key KEY]
#   --binary  package this build instead of building the release (the test
#             suite packages its debug build)
#   --out     where to write (default target/release-dist)
#   --gpg-key sign SHA256SUMS with this gpg key, as the registry requires
#
# Only the platform this machine builds (linux_amd64 here) is packaged.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

binary=""
out="$root/target/release-dist"
gpg_key=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --gpg-key) gpg_key=$2; shift 2 ;;
    *) echo "usage: scripts/release.sh [--binary PATH] [--out DIR] [--gpg-key KEY]" >&2; exit 2 ;;
  esac
done
# Paths given are the caller's, resolved before moving to the repository.
out=$(realpath -m -- "$out")
[ -n "$binary" ] && binary=$(realpath -m -- "$binary")
# OUT is emptied first: never the repository, a directory holding it, or $HOME.
case "$root/" in
  "$out"/*) echo "error: --out $out holds the repository and would be wiped: give a directory of its own" >&2; exit 2 ;;
esac
if [ "$out" = "/" ] || [ "$out" = "$HOME" ]; then
  echo "error: --out $out would be wiped: give a directory of its own" >&2
  exit 2
fi
cd "$root"
if [ -z "$binary" ]; then
  echo "==> building the provider (release)"
  cargo build --locked --release
  binary=$root/target/release/terraform-provider-lambdasign
fi
[ -x "$binary" ] || { echo "error: no provider binary at $binary" >&2; exit 2; }
command -v python3 >/dev/null || { echo "error: python3 is needed (to write the zip)" >&2; exit 2; }

name=terraform-provider-lambdasign
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
platform="${os}_${arch}"

rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/${name}_v${version}"
chmod 0755 "$stage/${name}_v${version}"
archive="${name}_${version}_${platform}.zip"
# A zip with one member at its root, as the registry serves them.
python3 - "$stage/${name}_v${version}" "$out/$archive" <<'PY'
import shutil, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
# A fixed timestamp: the same binary gives the same zip (and hash).
info = zipfile.ZipInfo(src.rsplit("/", 1)[1], date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(dst, "w") as z, open(src, "rb") as f, z.open(info, "w", force_zip64=True) as member:
    shutil.copyfileobj(f, member, 1 << 20)
PY
cat >"$out/${name}_${version}_manifest.json" <<JSON
{
  "version": 1,
  "metadata": {
    "protocol_versions": ["6.0"]
  }
}
JSON
(cd "$out" && sha256sum "$archive" "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")

# The mirror: the same zip, with the network mirror protocol's index and
# version documents. Its hashes are the two Terraform records in
# .terraform.lock.hcl: `zh:` (the zip's SHA-256) and `h1:` (Go's dirhash of
# the zip's contents: the base64 SHA-256 of its "SHA256  NAME" lines).
mirror="$out/mirror/local.test/lambdasign/lambdasign"
mkdir -p "$mirror"
cp "$out/$archive" "$mirror/$archive"
zh=$(sha256sum "$out/$archive" | cut -d' ' -f1)
h1=$(python3 - "$out/$archive" <<'PY'
import base64, hashlib, sys, zipfile
lines = []
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sorted(z.namelist()):
        digest = hashlib.sha256()
        with z.open(name) as member:
            for block in iter(lambda: member.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {name}\n")
print(base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode())
PY
)
printf '{"versions":{"%s":{}}}\n' "$version" >"$mirror/index.json"
printf '{"archives":{"%s":{"url":"%s","hashes":["h1:%s","zh:%s"]}}}\n' "$platform" "$archive" "$h1" "$zh" >"$mirror/$version.json"

# The registry protocol, as static files: a `host "local.test"` block whose
# providers.v1 points at OUT/registry/v1/providers/ lets `terraform init`
# and `terraform providers mirror` install from it as from any registry
# (which checks the signature of SHA256SUMS against the key given here).
if [ -n "$gpg_key" ]; then
  sums="${name}_${version}_SHA256SUMS"
  gpg --batch --yes --local-user "$gpg_key" --detach-sign --output "$out/$sums.sig" "$out/$sums"
  registry="$out/registry"
  provider="$registry/v1/providers/lambdasign/lambdasign"
  mkdir -p "$provider/$version/download/$os" "$registry/files"
  cp "$out/$archive" "$out/$sums" "$out/$sums.sig" "$registry/files/"
  python3 - "$provider" "$version" "$os" "$arch" "$archive" "$sums" "$zh" "$(gpg --batch --armor --export "$gpg_key")" "$(gpg --batch --with-colons --list-keys "$gpg_key" | awk -F: '/^pub/ {print $5; exit}')" <<'PY'
import json, sys
provider, version, os_, arch, archive, sums, zh, armor, key_id = sys.argv[1:]
platform = {"os": os_, "arch": arch}
with open(f"{provider}/versions", "w") as f:
    json.dump({"versions": [{"version": version, "protocols": ["6.0"], "platforms": [platform]}]}, f)
with open(f"{provider}/{version}/download/{os_}/{arch}", "w") as f:
    json.dump({
        "protocols": ["6.0"], **platform,
        "filename": archive,
        # Host-relative: OUT is the root of the server that serves it.
        "download_url": f"/registry/files/{archive}",
        "shasums_url": f"/registry/files/{sums}",
        "shasums_signature_url": f"/registry/files/{sums}.sig",
        "shasum": zh,
        "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": armor}]},
    }, f)
PY
fi

echo "==> $out"
(cd "$out" && find . -type f | sort)
