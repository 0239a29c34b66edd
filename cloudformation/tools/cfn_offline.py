#!/usr/bin/env python3
"""`cfn` (cloudformation-cli) run offline: a drop-in for `cfn <args>`.

    python cfn_offline.py test --endpoint http://127.0.0.1:PORT [-- PYTEST ARGS]
    python cfn_offline.py validate
    python cfn_offline.py submit --dry-run

`cfn test` asks AWS STS for credentials before it invokes anything, and
CloudFormation for exports and hook target schemas. This wrapper stubs
exactly those calls; the Lambda Invoke calls themselves go to --endpoint
unchanged (unsigned over http://):

* rpdk.core.boto_helpers.get_temporary_credentials: sts:GetSessionToken or
  sts:AssumeRole, for callerCredentials on every invocation. Returns fixed
  dummy credentials. Patched in every module that imported the name.
* rpdk.core.boto_helpers.get_account: sts:GetCallerIdentity against the
  hard-wired public STS endpoint. Returns $CFN_OFFLINE_ACCOUNT or
  123456789012.
* rpdk.core.test.get_cloudformation_exports: cloudformation:ListExports, for
  `{{Name}}` placeholders in overrides.json and inputs/. Returns the JSON
  object in the file named by $CFN_OFFLINE_EXPORTS. A placeholder without a
  value is an error here (cfn would only warn and silently drop every input
  of the file): before any test runs, every file `cfn test` will read is
  checked, and one error lists every missing export with the files that use
  it, and the JSON to add to $CFN_OFFLINE_EXPORTS.
* rpdk.core.project.Project._load_target_info: cloudformation:DescribeType
  and ListTypes for a hook's targets. Forced to the project's local
  target-schemas/.
"""
import json
import os
import re
import sys

ACCOUNT = os.environ.get("CFN_OFFLINE_ACCOUNT", "123456789012")
CREDENTIALS = (
    "AKIAOFFLINEEXAMPLE00",  # accessKeyId
    "offline/secret/key/EXAMPLEKEY0000000000000",  # secretAccessKey
    "offline-session-token",  # sessionToken
)

# Before boto3 loads: a region and credentials of some kind, no config files,
# no instance metadata.
os.environ.setdefault("AWS_ACCESS_KEY_ID", CREDENTIALS[0])
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", CREDENTIALS[1])
os.environ.setdefault("AWS_SESSION_TOKEN", CREDENTIALS[2])
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("AWS_CONFIG_FILE", os.devnull)
os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", os.devnull)

import rpdk.core.boto_helpers as boto_helpers  # noqa: E402
import rpdk.core.contract.hook_client as hook_client  # noqa: E402
import rpdk.core.contract.resource_client as resource_client  # noqa: E402
import rpdk.core.project as project_mod  # noqa: E402
import rpdk.core.test as test_mod  # noqa: E402
from rpdk.core.cli import main  # noqa: E402

PLACEHOLDER = re.compile(r"{{([-A-Za-z0-9:\s]+?)}}")


def temporary_credentials(session, key_names=boto_helpers.BOTO_CRED_KEYS, role_arn=None, headers=None):
    return dict(zip(key_names, CREDENTIALS))


def account(session, temporary_credentials):
    return ACCOUNT


def exports():
    path = os.environ.get("CFN_OFFLINE_EXPORTS")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"cfn_offline: $CFN_OFFLINE_EXPORTS ({path}): {e}")
    if not isinstance(values, dict):
        sys.exit(f"cfn_offline: $CFN_OFFLINE_EXPORTS ({path}) must hold one JSON object, {{\"Name\": \"value\", ...}}")
    return values


def cloudformation_exports(region_name, endpoint_url, role_arn, profile_name, headers):
    return exports()


def templates(root):
    """The files `cfn test` renders, as rpdk.core.test reads them:
    overrides.json, then inputs/inputs_1_*.json, inputs_2_*.json, ... up to
    the first number with no input file of a known type."""
    found = [root / "overrides.json"] if (root / "overrides.json").is_file() else []
    inputs = root / test_mod.INPUTS
    names = sorted(os.listdir(inputs)) if inputs.is_dir() else []
    index = 1
    while True:
        prefix = f"{test_mod.INPUTS}_{index}"
        batch = [
            inputs / name
            for name in names
            if name.startswith(prefix) and name.endswith(".json") and test_mod.get_type(name)
        ]
        if not batch:
            return found
        found += batch
        index += 1


def missing_exports(root, files):
    """{export name: [files that use it]} for every placeholder in `files`
    that $CFN_OFFLINE_EXPORTS does not define."""
    defined = exports().keys()
    missing = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name in sorted({m.strip() for m in PLACEHOLDER.findall(text)} - defined):
            missing.setdefault(name, []).append(os.path.relpath(path, root))
    return missing


def fail_on_missing(missing):
    if not missing:
        return
    where = os.environ.get("CFN_OFFLINE_EXPORTS")
    lines = [
        f"cfn_offline: {len(missing)} export(s) used by the inputs are not defined in "
        f"$CFN_OFFLINE_EXPORTS ({where or 'unset'}):"
    ]
    for name, files in sorted(missing.items()):
        lines.append(f"  {name}: used in {', '.join(files)}")
    skeleton = json.dumps({name: "..." for name in sorted(missing)}, indent=2)
    lines.append(
        "Make each resource first (or look up its export) and put its value in that file, "
        "a JSON object (see docs/cloudformation/index.md):"
    )
    lines.append(skeleton)
    sys.exit("\n".join(lines))


_checked = set()


def check_exports(root):
    """Once per project: every missing export at once, before any test runs."""
    if not root or root in _checked:
        return
    _checked.add(root)
    fail_on_missing(missing_exports(root, templates(root)))


_get_overrides = test_mod.get_overrides
_get_hook_overrides = test_mod.get_hook_overrides


def get_overrides(root, *args, **kwargs):
    check_exports(root)
    return _get_overrides(root, *args, **kwargs)


def get_hook_overrides(root, *args, **kwargs):
    check_exports(root)
    return _get_hook_overrides(root, *args, **kwargs)


_render_template = test_mod.render_template


def render_template(text, *args, **kwargs):
    # A safety net: check_exports has already checked every file cfn reads.
    missing = {m.strip() for m in PLACEHOLDER.findall(text)} - exports().keys()
    fail_on_missing({name: ["a rendered template"] for name in missing})
    return _render_template(text, *args, **kwargs)


_load_target_info = project_mod.Project._load_target_info


def local_target_info(self, endpoint_url, region_name, type_schemas=None, local_only=False, profile_name=None):
    return _load_target_info(self, None, None, type_schemas=type_schemas, local_only=True, profile_name=profile_name)


for module in (boto_helpers, resource_client, hook_client, test_mod):
    if hasattr(module, "get_temporary_credentials"):
        module.get_temporary_credentials = temporary_credentials
for module in (boto_helpers, resource_client, hook_client):
    if hasattr(module, "get_account"):
        module.get_account = account
test_mod.get_cloudformation_exports = cloudformation_exports
test_mod.get_overrides = get_overrides
test_mod.get_hook_overrides = get_hook_overrides
test_mod.render_template = render_template
project_mod.Project._load_target_info = local_target_info

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
