#!/usr/bin/env python3
"""cfn-lint with FULL validation of registry (third-party) resource types.

    python cfn_lint_registry.py --registry-schemas DIR [other cfn-lint args] -- template.yaml

Why: in cfn-lint 1.x (checked: 1.58.0) `--registry-schemas DIR` only registers the
types for the rules that call SchemaManager.get_resource_schema() directly (E3006
"type does not exist", E3019 primary identifiers).  The property rule E3002/E3003/
E3012/E3030/E3031... (rules/resources/properties/Properties.py) and GetAtt/Ref rules
(E1010 GetAtt.py, GetAttFormat.py, RefFormat.py) iterate
SchemaManager.get_resource_schemas_by_regions(), which only yields types present in
the bundled per-region provider map (type -> schema hash) - registry types are not in
it, so their properties are silently NOT validated.
Fix here: after loading, add every registry type to each region's provider map under a
fake hash; get_resource_schema() already prefers _registry_schemas for those names.
"""
import sys

from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER as M

_orig_load_provider_module = M._load_provider_module.__func__
_orig_load_registry = M.load_registry_schemas.__func__


def _load_provider_module(self, region):
    types = _orig_load_provider_module(self, region)
    for type_name in self._registry_schemas:
        types.setdefault(type_name, f"registry::{type_name}")
    return types


def _load_registry_schemas(self, path):
    _orig_load_registry(self, path)
    for types in self._provider_schema_modules.values():
        for type_name in self._registry_schemas:
            types.setdefault(type_name, f"registry::{type_name}")
    self.get_resource_schema.cache_clear()
    self.get_resource_types.cache_clear()


M._load_provider_module = _load_provider_module.__get__(M)
M.load_registry_schemas = _load_registry_schemas.__get__(M)

if __name__ == "__main__":
    from cfnlint.runner.cli import main

    sys.exit(main())
