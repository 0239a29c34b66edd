#!/usr/bin/env bash
# Makes target/cfn-venv: the pinned CloudFormation tooling (cloudformation-cli,
# cfn-lint, jsonschema, pytest) and the repository's local language plugin.
# Prints the venv's python. Installs only when what is there does not match.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/cfn-venv
tools=cloudformation/tools
stamp="$venv/.lambdasign-stamp"
want="$(cat "$tools/requirements.txt" "$tools/constraints.txt" "$tools"/lambdasign-cfn-plugin/pyproject.toml "$tools"/lambdasign-cfn-plugin/src/lambdasign_cfn_plugin/*.py | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v python3 >/dev/null || { echo "error: python3 (with venv) is needed for the CloudFormation tooling" >&2; exit 2; }
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$tools/requirements.txt" -c "$tools/constraints.txt" >&2
  # From a copy: building the plugin writes metadata next to its sources.
  copy="$(mktemp -d)"
  cp -r "$tools/lambdasign-cfn-plugin" "$copy/"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$copy/lambdasign-cfn-plugin" >&2
  rm -rf "$copy"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" - <<'PY' >&2
import importlib.metadata as m
versions = {p: m.version(p) for p in ("cloudformation-cli", "cfn-lint", "jsonschema", "pytest", "lambdasign-cfn-plugin")}
assert versions["cloudformation-cli"] == "0.2.41" and versions["cfn-lint"] == "1.58.0", versions
PY
echo "$PWD/$venv/bin/python"
