#!/usr/bin/env python3
"""Checks a platform template's registrations against the type schemas.

    python check_execution_roles.py --schemas DIR template.yaml [...]

For every AWS::CloudFormation::ResourceVersion and ::HookVersion of one of
our types (a schema in DIR, keyed by typeName):
  * ExecutionRoleArn is !GetAtt ROLE.Arn of an AWS::IAM::Role in the template;
  * the actions that role allows are exactly the permissions the schema's
    handlers (and its tagging block) list: nothing missing, nothing more;
  * SchemaHandlerPackage names the package scripts/cfn-package.sh makes for
    that type (<project folder>.zip);
  * the role's trust policy lets CloudFormation assume it only for this
    account (aws:SourceAccount) and this very type (aws:SourceArn naming
    type/resource/<Type-Name>/ or type/hook/<Type-Name>/), against the
    confused deputy.
Exit 1 on any difference.
"""
import argparse
import sys
from pathlib import Path

import json

from check_template_types import plain
from cfnlint.decode import decode

REGISTRATIONS = {"AWS::CloudFormation::ResourceVersion", "AWS::CloudFormation::HookVersion"}


def expected_actions(schema):
    actions = set()
    for handler in schema.get("handlers", {}).values():
        actions.update(handler.get("permissions", []))
    actions.update(schema.get("tagging", {}).get("permissions", []))
    return actions


def allowed_actions(role):
    actions = set()
    for policy in role.get("Properties", {}).get("Policies", []):
        for statement in policy.get("PolicyDocument", {}).get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            listed = statement.get("Action", [])
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def trust_scope_errors(role, type_name, kind):
    """What the role's trust statements lack of the scope AWS recommends."""
    errors = []
    arn_part = f":type/{kind}/{type_name.replace('::', '-')}/"
    statements = role.get("Properties", {}).get("AssumeRolePolicyDocument", {}).get("Statement", [])
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        condition = statement.get("Condition", {})
        account = condition.get("StringEquals", {}).get("aws:SourceAccount")
        source = condition.get("StringLike", {}).get("aws:SourceArn") or condition.get(
            "ArnLike", {}
        ).get("aws:SourceArn")
        if account != {"Ref": "AWS::AccountId"}:
            errors.append("no StringEquals aws:SourceAccount of this account")
        if arn_part not in package_text(source):
            errors.append(f"no aws:SourceArn condition naming {arn_part}*")
    return errors or ([] if statements else ["no trust policy"])


def package_text(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value if isinstance(value, str) else ""


def check(path, schemas, folders):
    template, matches = decode(str(path))
    if matches:
        return [f"{path}: {m}" for m in matches]
    resources = plain(template).get("Resources", {})
    errors = []
    for name, resource in resources.items():
        if resource.get("Type") not in REGISTRATIONS:
            continue
        properties = resource.get("Properties", {})
        type_name = properties.get("TypeName")
        schema = schemas.get(type_name)
        if schema is None:
            continue
        where = f"{path}: Resources/{name}"
        role_ref = properties.get("ExecutionRoleArn")
        role_name = None
        if isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref:
            target = role_ref["Fn::GetAtt"]
            target = target.split(".") if isinstance(target, str) else target
            if len(target) == 2 and target[1] == "Arn":
                role_name = target[0]
        role = resources.get(role_name or "", {})
        if role.get("Type") != "AWS::IAM::Role":
            errors.append(f"{where}: ExecutionRoleArn must be !GetAtt ROLE.Arn of a role in this template")
        else:
            want, have = expected_actions(schema), allowed_actions(role)
            if want != have:
                errors.append(
                    f"{where}: role {role_name} allows {sorted(have)}; {type_name}'s handlers list "
                    f"{sorted(want)} (missing {sorted(want - have)}, extra {sorted(have - want)})"
                )
            kind = "hook" if resource.get("Type") == "AWS::CloudFormation::HookVersion" else "resource"
            for problem in trust_scope_errors(role, type_name, kind):
                errors.append(f"{where}: role {role_name}'s trust policy: {problem}")
        package = package_text(properties.get("SchemaHandlerPackage"))
        folder = folders.get(type_name)
        if folder and not package.endswith(f"{folder}.zip"):
            errors.append(f"{where}: SchemaHandlerPackage {package!r} is not the {folder}.zip package")
    return errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", required=True, help="the cloudformation/ directory")
    parser.add_argument("templates", nargs="+")
    args = parser.parse_args()
    schemas, folders = {}, {}
    # A project's own schema sits at its top level (target-schemas/ are not ours).
    for path in Path(args.projects).glob("*/*.json"):
        schema = json.loads(path.read_text())
        if isinstance(schema, dict) and "typeName" in schema:
            schemas[schema["typeName"]] = schema
            folders[schema["typeName"]] = path.parent.name
    errors = []
    for template in args.templates:
        errors += check(template, schemas, folders)
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
