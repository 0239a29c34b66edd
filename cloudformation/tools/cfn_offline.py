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
  `{{Name}}` placeholders in inputs/. Returns the JSON object in the file
  named by $CFN_OFFLINE_EXPORTS. A placeholder without a value is an error
  here (cfn would only warn and silently drop every input of the file).
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
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def cloudformation_exports(region_name, endpoint_url, role_arn, profile_name, headers):
    return exports()


_render_template = test_mod.render_template


def render_template(text, *args, **kwargs):
    missing = {m.strip() for m in PLACEHOLDER.findall(text)} - exports().keys()
    if missing:
        sys.exit(
            f"cfn_offline: inputs use {sorted(missing)}, which $CFN_OFFLINE_EXPORTS "
            f"({os.environ.get('CFN_OFFLINE_EXPORTS') or 'unset'}) does not define"
        )
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
test_mod.render_template = render_template
project_mod.Project._load_target_info = local_target_info

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
