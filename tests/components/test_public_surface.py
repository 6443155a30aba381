"""The library's public API cannot shrink unnoticed.

`public_surface.json` pins every public name, and per component every argument (required or
optional, with its type) and every output, and per nested type its fields or enum values, as
Pulumi's component provider host infers them (the same inference gives other languages their
schema). Any difference fails: a removal or change is a breaking change for the library's users;
an addition only needs pinning. Regenerate after a deliberate change with
`.venv/bin/python -m tests.components.test_public_surface --write`.
"""

from __future__ import annotations

import ast
import copy
import enum
import inspect
import json
import sys
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition, PropertyType

import components
from components import _args
from components.provider import PACKAGE, public_components

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("public_surface.json")
UPDATE = ".venv/bin/python -m tests.components.test_public_surface --write"


# --- the surface -------------------------------------------------------------------------------

def surface(classes: Sequence[type[pulumi.ComponentResource]],
            names: Sequence[str]) -> dict[str, Any]:
    """What users of `names` / `classes` rely on, in Python names, as the analyzer sees it."""
    result = Analyzer(PACKAGE).analyze(list(classes))
    found: dict[str, Any] = {"names": sorted(names), "components": {}, "types": {}}
    for name, definition in sorted(result["component_definitions"].items()):
        found["components"][name] = {
            "inputs": {definition.inputs_mapping[key]: _describe(prop, with_presence=True)
                       for key, prop in sorted(definition.inputs.items())},
            "outputs": {definition.outputs_mapping[key]: _describe(prop)
                        for key, prop in sorted(definition.outputs.items())},
        }
    for name, type_definition in sorted(result["type_definitions"].items()):
        if type_definition.enum:
            found["types"][name] = {"values": [str(v.value) for v in type_definition.enum]}
        else:
            found["types"][name] = {"fields": {
                type_definition.properties_mapping[key]: _describe(prop, with_presence=True)
                for key, prop in sorted(type_definition.properties.items())}}
    return found


def _describe(prop: PropertyDefinition, with_presence: bool = False) -> str:
    """`optional plain list<string>`: presence, whether Outputs are accepted, and the type."""
    words = [("optional" if prop.optional else "required")] if with_presence else []
    if prop.plain:
        words.append("plain")
    words.append(_type(prop))
    return " ".join(words)


def _type(prop: PropertyDefinition) -> str:
    if prop.ref:
        return prop.ref.rsplit(":", 1)[-1] if prop.ref.startswith("#/types/") else prop.ref
    if prop.type is PropertyType.ARRAY and prop.items is not None:
        return f"list<{_describe(prop.items)}>"
    if prop.type is PropertyType.OBJECT and prop.additional_properties is not None:
        return f"map<{_describe(prop.additional_properties)}>"
    return prop.type.value if prop.type is not None else "any"


def surface_problems(pinned: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Every difference, worded for the reviewer: removals and changes break users."""
    problems = [f"public name {n!r} removed from components.__all__ (breaking)"
                for n in sorted(set(pinned["names"]) - set(current["names"]))]
    problems += [f"public name {n!r} is new: pin it ({UPDATE})"
                 for n in sorted(set(current["names"]) - set(pinned["names"]))]
    for kind, parts in (("components", ("inputs", "outputs")), ("types", ("fields", "values"))):
        for name in sorted(set(pinned[kind]) | set(current[kind])):
            if name not in current[kind]:
                problems.append(f"{name} is no longer in the schema (breaking)")
                continue
            if name not in pinned[kind]:
                problems.append(f"{name} is new in the schema: pin it ({UPDATE})")
                continue
            for part in parts:
                if part in pinned[kind][name] or part in current[kind][name]:
                    problems += _member_problems(name, part, pinned[kind][name].get(part, {}),
                                                 current[kind][name].get(part, {}))
    return problems


def _member_problems(owner: str, part: str, pinned: Any, current: Any) -> list[str]:
    label = {"inputs": "argument", "outputs": "output", "fields": "field",
             "values": "enum value"}[part]
    if isinstance(pinned, list):  # enum values
        pinned, current = dict.fromkeys(pinned, ""), dict.fromkeys(current, "")
    problems = [f"{owner}: {label} {key!r} removed (breaking)"
                for key in sorted(set(pinned) - set(current))]
    problems += [f"{owner}: {label} {key!r} was {pinned[key]!r}, now {current[key]!r} "
                 "(breaking)" for key in sorted(set(pinned) & set(current))
                 if pinned[key] != current[key]]
    for key in sorted(set(current) - set(pinned)):
        breaking = " (breaking: a new required argument)" if \
            str(current[key]).startswith("required") and part in ("inputs", "fields") else ""
        problems.append(f"{owner}: {label} {key!r} is new{breaking}: pin it ({UPDATE})")
    return problems


def current_surface() -> dict[str, Any]:
    return surface(public_components(), components.__all__)


def pinned_surface() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text())
    return loaded


# --- the pinned surface holds ------------------------------------------------------------------

def test_surface_matches_the_pinned_snapshot():
    problems = surface_problems(pinned_surface(), current_surface())
    assert not problems, "\n".join(problems)


def test_public_names_are_real_objects_of_their_kind():
    assert "__getattr__" not in vars(components), "exports must be real imports, not lazy"
    for name in components.__all__:
        exported = getattr(components, name)
        if inspect.isclass(exported) and issubclass(exported, pulumi.ComponentResource):
            args = inspect.signature(exported.__init__).parameters["args"].annotation
            assert args is getattr(components, f"{name}Args"), name
        elif name == "ComponentArgsError":
            assert issubclass(exported, Exception)
        else:
            assert typing.is_typeddict(exported) or issubclass(exported, enum.Enum), name


def test_every_type_in_the_schema_is_exported():
    """A nested argument type or enum a component uses is importable from `components`."""
    result = Analyzer(PACKAGE).analyze(public_components())
    for name, definition in result["type_definitions"].items():
        assert getattr(components, name, None) is definition.python_type, name


def test_py_typed_ships_with_the_distribution():
    assert (ROOT / "components" / "py.typed").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "components" in pyproject["tool"]["setuptools"]["packages"]
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["components"]


def test_pure_planning_modules_import_no_pulumi():
    """Pure planning has plain unit tests; the package `__init__` imports the
    components, so purity is a property of each module's own imports."""
    for path in ("components/_plan.py", "components/sharding.py", "stacks/catalog.py"):
        tree = ast.parse((ROOT / path).read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0].startswith("pulumi")}, path


# --- the comparison fails on every kind of shrinkage -------------------------------------------

def test_a_removed_argument_fails():
    current = current_surface()
    del current["components"]["KeyValueTable"]["inputs"]["ttl_attribute"]
    assert surface_problems(pinned_surface(), current) == [
        "KeyValueTable: argument 'ttl_attribute' removed (breaking)"]


def test_an_argument_turned_required_fails():
    current = current_surface()
    current["components"]["Topic"]["inputs"]["retention_hours"] = "required plain integer"
    assert surface_problems(pinned_surface(), current) == [
        "Topic: argument 'retention_hours' was 'optional plain integer', now "
        "'required plain integer' (breaking)"]


def test_a_removed_public_name_and_enum_value_fail():
    current = copy.deepcopy(current_surface())
    current["names"].remove("LifecycleArgs")
    current["types"]["BillingMode"]["values"].remove("PROVISIONED")
    assert surface_problems(pinned_surface(), current) == [
        "public name 'LifecycleArgs' removed from components.__all__ (breaking)",
        "BillingMode: enum value 'PROVISIONED' removed (breaking)"]


def test_a_component_that_lost_an_output_fails_through_the_analyzer():
    """End to end: a copy of EncryptionKey without its `key_id` annotation."""
    clone = _clone(components.EncryptionKey, drop_output="key_id")
    classes = [clone if c is components.EncryptionKey else c for c in public_components()]
    assert surface_problems(pinned_surface(), surface(classes, components.__all__)) == [
        "EncryptionKey: output 'key_id' removed (breaking)"]


def test_a_component_that_lost_an_argument_fails_through_the_analyzer():
    """End to end: a copy of EncryptionKey whose args TypedDict has no `alias`."""
    clone = _clone(components.EncryptionKey, drop_input="alias")
    classes = [clone if c is components.EncryptionKey else c for c in public_components()]
    assert surface_problems(pinned_surface(), surface(classes, components.__all__)) == [
        "EncryptionKey: argument 'alias' removed (breaking)"]


def _clone(cls: type, drop_output: str = "", drop_input: str = "") -> type:
    """A copy of a component class (same name and module) missing one output or argument."""
    namespace = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
    namespace["__annotations__"] = {k: v for k, v in cls.__annotations__.items()
                                    if k != drop_output}
    if drop_input:
        init = cls.__init__  # type: ignore[misc]
        spec = init.__annotations__["args"]
        fields = {k: v for k, v in _args._hints(spec).items() if k != drop_input}
        narrowed = typing.TypedDict(spec.__name__, fields)  # type: ignore[misc]
        narrowed.__module__ = spec.__module__
        copied = types.FunctionType(init.__code__, init.__globals__, init.__name__,
                                    init.__defaults__, init.__closure__)
        copied.__annotations__ = {**init.__annotations__, "args": narrowed}
        namespace["__init__"] = copied
    return type(cls.__name__, cls.__bases__, namespace)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {UPDATE}")
    SNAPSHOT.write_text(json.dumps(current_surface(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
