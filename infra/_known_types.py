"""Which resource types exist, read from the installed Pulumi provider SDKs.

A manifest that names a type no installed provider defines (a typo, a hand edit, a type from a
provider this project does not use) would pass every policy unjudged: the controls select
resources by type. Generated provider SDKs (pulumi_aws, pulumi_kubernetes, pulumi_random, ...)
carry a `pulumi-plugin.json` with `"resource": true` and register their resource classes at
import time from a JSON table in their `__init__.py`
(`_utilities.register(resource_modules=..., resource_packages=...)`, pulumi codegen's Python
template). The table is read from the source, so nothing is imported.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

__all__ = ["KnownTypes", "known_types"]

STACK_TYPE = "pulumi:pulumi:Stack"
_BUILTIN_CUSTOM = frozenset({"pulumi:pulumi:StackReference"})
_TABLE = re.compile(r'(resource_modules|resource_packages)="""(.*?)"""', re.S)


@dataclass(frozen=True)
class KnownTypes:
    packages: frozenset[str]
    """Provider package names (`aws`, `kubernetes`, `random`)."""
    resources: frozenset[str]
    """Every resource type token the installed SDKs define, providers included."""
    classes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Type token -> (Python module, class name) that implements it."""

    def problem(self, type_: str, custom: bool) -> str | None:
        """Why `type_` cannot be a resource of this kind (custom or component), or None."""
        package = type_.split(":", 1)[0]
        provider_namespace = package in self.packages or package == "pulumi"
        if type_ in self.resources or type_ in _BUILTIN_CUSTOM:
            if not custom and not self._is_component(type_):
                return f"{type_} is a custom resource, so custom must be true"
            return None
        if type_ == STACK_TYPE:
            return None if not custom else f"{STACK_TYPE} is a component, so custom must be false"
        if not custom and not provider_namespace:
            return None  # a component of the program (`strata:index:ServiceData`)
        installed = ", ".join(sorted(self.packages)) or "none"
        text = f"unknown resource type {type_!r}: no installed provider SDK defines it " \
               f"(installed: {installed})"
        candidates = [t for t in self.resources if t.startswith(f"{package}:")]
        close = difflib.get_close_matches(type_, candidates, n=1, cutoff=0.8)
        return text + (f"; did you mean {close[0]!r}?" if close else "")


    def _is_component(self, type_: str) -> bool:
        """Whether a provider SDK implements `type_` as a component (kubernetes' helm Chart v4);
        imports that one module, which only a component claiming a provider type costs."""
        module, name = self.classes.get(type_, ("", ""))
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError):
            return False
        return isinstance(cls, type) and issubclass(cls, pulumi.ComponentResource)


@cache
def known_types() -> KnownTypes:
    packages: set[str] = set()
    resources: set[str] = set()
    classes: dict[str, tuple[str, str]] = {}
    for module in pkgutil.iter_modules():
        if not module.name.startswith("pulumi_"):
            continue
        found = _provider_tables(module.name)
        if found is None:
            continue
        name, tables = found
        packages.add(name)
        for entry in tables.get("resource_modules", []):
            for type_, class_name in dict(entry.get("classes", {})).items():
                resources.add(type_)
                classes[type_] = (str(entry.get("fqn", "")), str(class_name))
        for entry in tables.get("resource_packages", []):
            resources.add(str(entry.get("token", f"pulumi:providers:{name}")))
        resources.add(f"pulumi:providers:{name}")
    return KnownTypes(frozenset(packages), frozenset(resources), classes)


def _provider_tables(module: str) -> tuple[str, dict[str, list[dict[str, Any]]]] | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent
    try:
        plugin = json.loads((folder / "pulumi-plugin.json").read_text())
        if not isinstance(plugin, dict) or plugin.get("resource") is not True:
            return None
        source = (folder / "__init__.py").read_text()
        tables = {key: json.loads(text) for key, text in _TABLE.findall(source)}
    except (OSError, ValueError):
        return None
    return str(plugin.get("name") or module.removeprefix("pulumi_")), tables
