#!/usr/bin/env python3
"""What a template creates in one account, for given parameter values.

    python check_first_rollout.py TEMPLATE --account ID [--param KEY=VALUE ...]

Evaluates the template's Conditions (Fn::Equals, Not, And, Or, Condition)
with the parameters (their defaults where not given) and AWS::AccountId,
keeps the resources and outputs whose condition holds, resolves Fn::If, and
reports every property or output that would receive an empty string from a
parameter (CloudFormation passes "" on, and a type then refuses it: the
first StackSets rollout failing). Prints the resources the stack would
create, one per line, then any finding; exit 1 on a finding or when no
resource is left (CloudFormation refuses a stack without resources).
"""
import argparse
import sys

from cfnlint.decode import decode

from check_template_types import plain


class Unresolved(Exception):
    pass


def evaluate(expr, conditions, values, cache):
    if isinstance(expr, bool):
        return expr
    if not isinstance(expr, dict) or len(expr) != 1:
        raise Unresolved(f"cannot evaluate {expr!r}")
    (fn, args), = expr.items()
    if fn == "Condition":
        return condition(args, conditions, values, cache)
    if fn == "Fn::Not":
        return not evaluate(args[0], conditions, values, cache)
    if fn == "Fn::And":
        return all(evaluate(a, conditions, values, cache) for a in args)
    if fn == "Fn::Or":
        return any(evaluate(a, conditions, values, cache) for a in args)
    if fn == "Fn::Equals":
        return value(args[0], values) == value(args[1], values)
    raise Unresolved(f"cannot evaluate {fn}")


def condition(name, conditions, values, cache):
    if name not in cache:
        cache[name] = evaluate(conditions[name], conditions, values, cache)
    return cache[name]


def value(expr, values):
    if isinstance(expr, dict) and "Ref" in expr:
        if expr["Ref"] not in values:
            raise Unresolved(f"no value for {expr['Ref']}")
        return values[expr["Ref"]]
    return expr


def empties(node, path, holds, values):
    """Paths where a parameter's "" would land, Fn::If resolved."""
    if isinstance(node, dict):
        if "Fn::If" in node and len(node) == 1:
            name, yes, no = node["Fn::If"]
            return empties(yes if holds(name) else no, path, holds, values)
        if "Ref" in node and len(node) == 1:
            ref = node["Ref"]
            if values.get(ref) == "":
                return [f"{path}: parameter {ref} is empty here"]
            return []
        found = []
        for key, child in node.items():
            found += empties(child, f"{path}/{key}", holds, values)
        return found
    if isinstance(node, list):
        found = []
        for i, child in enumerate(node):
            found += empties(child, f"{path}/{i}", holds, values)
        return found
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("template")
    parser.add_argument("--account", required=True)
    parser.add_argument("--param", action="append", default=[])
    args = parser.parse_args()
    template, matches = decode(args.template)
    if matches:
        for m in matches:
            print(m)
        return 1
    template = plain(template)
    values = {"AWS::AccountId": args.account, "AWS::Region": "us-east-1", "AWS::Partition": "aws"}
    for name, spec in template.get("Parameters", {}).items():
        if "Default" in spec:
            values[name] = spec["Default"]
    for pair in args.param:
        key, _, val = pair.partition("=")
        values[key] = val
    unknown = [p.partition("=")[0] for p in args.param if p.partition("=")[0] not in template.get("Parameters", {})]
    if unknown:
        print(f"not parameters of the template: {unknown}")
        return 1
    missing = [p for p in template.get("Parameters", {}) if p not in values]
    if missing:
        print(f"no value for the parameters {missing}")
        return 1
    conditions, cache = template.get("Conditions", {}), {}

    def holds(name):
        return condition(name, conditions, values, cache)

    findings, kept = [], []
    for name, resource in template.get("Resources", {}).items():
        if "Condition" in resource and not holds(resource["Condition"]):
            continue
        kept.append(name)
        findings += empties(resource.get("Properties", {}), f"Resources/{name}/Properties", holds, values)
    for name, output in template.get("Outputs", {}).items():
        if "Condition" in output and not holds(output["Condition"]):
            continue
        findings += empties(output.get("Value"), f"Outputs/{name}/Value", holds, values)
    for name in kept:
        print(name)
    if not kept:
        findings.append("no resource is left: CloudFormation refuses an empty stack")
    for finding in findings:
        print(f"finding: {finding}")
    return 1 if findings else 0


def checked_main():
    try:
        return main()
    except (Unresolved, KeyError, ValueError) as e:
        print(f"cannot evaluate the template: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(checked_main())
