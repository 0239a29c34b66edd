#!/usr/bin/env python3
"""Plain-jsonschema check of registry-type resources in CloudFormation templates.

    python check_template_types.py --schemas DIR template.yaml [...]

For every resource whose Type has a schema in DIR (files as `cfn` names them,
<org>-<service>-<resource>.json, any *.json with a typeName):
  * Properties validated with jsonschema Draft 7 against the type schema
    (definitions/$ref resolved in-document; format not asserted);
    errors located AT or UNDER an intrinsic function ({"Ref"}, {"Fn::*"}, {"Condition"})
    are dropped, since their value is only known at deploy time;
  * readOnlyProperties set in the template are errors (they are never sent to handlers);
  * Fn::GetAtt to our types must name a readOnly property (the type's attributes)
    (dotted/nested attributes 'A.B' map to /properties/A/B).
Exit 1 on any error. Uses cfn-lint's decoder only for YAML short-form intrinsics.
"""
import argparse
import json
import sys
from pathlib import Path

from cfnlint.decode import decode
from jsonschema import Draft7Validator

INTRINSIC_KEYS = {"Ref", "Condition"}


def is_intrinsic(v):
    return isinstance(v, dict) and len(v) == 1 and (
        next(iter(v)) in INTRINSIC_KEYS or next(iter(v)).startswith("Fn::"))


def plain(v):
    """cfn-lint node types -> plain python."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return str(v)


def under_intrinsic(doc, path):
    cur = doc
    for p in path:
        if is_intrinsic(cur):
            return True
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            return False
    return is_intrinsic(cur)


def load_schemas(d):
    out = {}
    for f in Path(d).rglob("*.json"):
        s = json.loads(f.read_text())
        if isinstance(s, dict) and "typeName" in s and "properties" in s:
            out[s["typeName"]] = s
    return out


def check(template_path, schemas):
    tpl, matches = decode(str(template_path))
    if matches:
        return [f"{template_path}: {m}" for m in matches]
    tpl = plain(tpl)
    errs = []
    resources = tpl.get("Resources", {})
    for name, res in resources.items():
        schema = schemas.get(res.get("Type"))
        if not schema:
            continue
        props = res.get("Properties", {}) or {}
        where = f"{template_path}: Resources/{name}/Properties"
        for ro in schema.get("readOnlyProperties", []):
            parts = ro.split("/")[2:]
            cur = props
            for p in parts:
                cur = cur.get(p) if isinstance(cur, dict) else None
            if cur is not None:
                errs.append(f"{where}/{'/'.join(parts)}: read-only property set in template")
        v = Draft7Validator(schema)
        for e in sorted(v.iter_errors(props), key=lambda e: list(e.path)):
            if under_intrinsic(props, list(e.path)):
                continue
            # oneOf/anyOf (a property that takes our shape or AWS's): a branch
            # whose every error is at an intrinsic may be the one that fits.
            if e.validator in ("oneOf", "anyOf"):
                branches = {}
                for c in e.context:
                    branches.setdefault(c.relative_schema_path[0], []).append(c)
                if any(
                    all(under_intrinsic(props, list(c.absolute_path)) for c in errors)
                    for errors in branches.values()
                ):
                    continue
            # a 'required'/'additionalProperties' error on an object is fine even if a
            # sibling value is intrinsic; errors about an intrinsic value itself are dropped
            loc = "/".join(str(p) for p in e.path)
            errs.append(f"{where}{'/' + loc if loc else ''}: {e.message}")

    def walk(node, path):
        if isinstance(node, dict):
            if "Fn::GetAtt" in node and len(node) == 1:
                ga = node["Fn::GetAtt"]
                if isinstance(ga, str):
                    ga = ga.split(".", 1)
                if isinstance(ga, list) and len(ga) == 2 and isinstance(ga[1], str):
                    target = resources.get(ga[0], {})
                    schema = schemas.get(target.get("Type"))
                    if schema is not None:
                        ptr = "/properties/" + ga[1].replace(".", "/")
                        if ptr not in schema.get("readOnlyProperties", []):
                            errs.append(f"{template_path}: {'/'.join(path)}: GetAtt {ga[0]}.{ga[1]}: "
                                        f"not an attribute of {target['Type']} "
                                        f"(attributes: {[p.split('/', 2)[2].replace('/', '.') for p in schema.get('readOnlyProperties', [])]})")
            for k, v in node.items():
                walk(v, path + [str(k)])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [str(i)])

    walk(tpl, [])
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("templates", nargs="+")
    a = ap.parse_args()
    schemas = load_schemas(a.schemas)
    errs = []
    for t in a.templates:
        errs += check(t, schemas)
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
