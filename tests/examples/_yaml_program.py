"""A Pulumi YAML program judged against a package schema, and evaluated the way the YAML host does.

`program_problems` checks what pulumi-yaml's type checker checks before anything runs: each
resource type exists in the schema, each property is an input of that type with a compatible
value (literal, config reference or another resource's output), required inputs are present, and
`${resource.output}` references name outputs the schema declares. A plain input (the schema's
`plain: true`: it decides names or counts) cannot take another resource's output, which is
unknown until that resource exists.

`ordered` and `resolve` evaluate the program for Construct: resources in dependency order, with
config values and earlier components' returned state substituted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from graphlib import TopologicalSorter
from typing import Any

__all__ = ["config_types", "ordered", "program_problems", "resolve"]

_WHOLE = re.compile(r"^\$\{([^}]+)\}$")
_ANY = re.compile(r"\$\{([^}]+)\}")
_SCALARS: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,),
                                         "number": (int, float), "boolean": (bool,)}


def config_types(program: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The program's declared config as schema-like types (`{"type": "array", "items": ...}`)."""
    found: dict[str, dict[str, Any]] = {}
    for key, declaration in (program.get("config") or {}).items():
        if isinstance(declaration, Mapping):
            found[key] = {k: declaration[k] for k in ("type", "items") if k in declaration}
    return found


def program_problems(program: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    checker = _Checker(program, schema)
    for name, resource in (program.get("resources") or {}).items():
        checker.resource(name, resource)
    for key, value in (program.get("outputs") or {}).items():
        for reference in _ANY.findall(str(value)):
            checker.reference(f"outputs.{key}", reference)
    return checker.problems


class _Checker:
    def __init__(self, program: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Any] = program.get("resources") or {}
        self.config = config_types(program)
        self.schema = schema
        self.problems: list[str] = []

    def resource(self, name: str, resource: Mapping[str, Any]) -> None:
        token = resource.get("type", "")
        spec = self.schema["resources"].get(token)
        where = f"resources.{name}"
        if spec is None:
            self.problems.append(f"{where}.type: {token!r} is not a resource of package "
                                 f"{self.schema['name']!r}")
            return
        properties = resource.get("properties") or {}
        for key in spec.get("requiredInputs", []):
            if key not in properties:
                self.problems.append(f"{where}.properties: required input {key!r} of {token} "
                                     "is missing")
        for key, value in properties.items():
            declared = spec.get("inputProperties", {}).get(key)
            if declared is None:
                self.problems.append(
                    f"{where}.properties.{key}: not an input of {token}; inputs: "
                    f"{', '.join(sorted(spec.get('inputProperties', {})))}")
            else:
                self.value(f"{where}.properties.{key}", value, declared)

    def value(self, where: str, value: Any, declared: Mapping[str, Any]) -> None:
        if isinstance(value, str) and (whole := _WHOLE.fullmatch(value)):
            found = self.reference(where, whole.group(1))
            if found is None:
                return
            kind, resolved = found
            if kind == "output" and declared.get("plain"):
                self.problems.append(f"{where}: a plain input cannot take another resource's "
                                     f"output ({value}); use a literal or config value")
            elif _shape(resolved, self.schema) != _shape(declared, self.schema):
                self.problems.append(f"{where}: {value} is {_shape(resolved, self.schema)}, "
                                     f"the input is {_shape(declared, self.schema)}")
            return
        if isinstance(value, str) and _ANY.search(value):  # interpolated: always a string
            for reference in _ANY.findall(value):
                self.reference(where, reference)
            value = "interpolated"
        self.literal(where, value, declared)

    def literal(self, where: str, value: Any, declared: Mapping[str, Any]) -> None:
        ref = declared.get("$ref", "")
        if ref.startswith("#/types/"):
            definition = self.schema["types"][ref[len("#/types/"):]]
            if "enum" in definition:
                allowed = [member["value"] for member in definition["enum"]]
                if value not in allowed:
                    self.problems.append(f"{where}: {value!r} is not one of "
                                         f"{', '.join(map(str, allowed))}")
            elif not isinstance(value, Mapping):
                self.problems.append(f"{where}: expects an object ({ref.rsplit(':', 1)[-1]})")
            else:
                self.resource_like(where, value, definition)
            return
        kind = declared.get("type")
        if kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: expects a list")
                return
            for index, item in enumerate(value):
                self.value(f"{where}[{index}]", item, declared["items"])
        elif kind == "object":
            if not isinstance(value, Mapping):
                self.problems.append(f"{where}: expects a map")
                return
            for key, item in value.items():
                self.value(f"{where}.{key}", item, declared.get("additionalProperties", {}))
        elif kind in _SCALARS and (not isinstance(value, _SCALARS[kind])
                                   or (kind != "boolean" and isinstance(value, bool))):
            self.problems.append(f"{where}: expects {kind}, received {value!r}")

    def resource_like(self, where: str, value: Mapping[str, Any],
                      definition: Mapping[str, Any]) -> None:
        for key in definition.get("required", []):
            if key not in value:
                self.problems.append(f"{where}: required field {key!r} is missing")
        for key, item in value.items():
            declared = definition.get("properties", {}).get(key)
            if declared is None:
                self.problems.append(f"{where}.{key}: not a field; fields: "
                                     f"{', '.join(sorted(definition.get('properties', {})))}")
            else:
                self.value(f"{where}.{key}", item, declared)

    def reference(self, where: str, reference: str) -> tuple[str, Mapping[str, Any]] | None:
        """`config` or `output` and the referenced type; None (and a problem) when unknown."""
        head, _, attribute = reference.partition(".")
        if not attribute:
            if head in self.config:
                return "config", self.config[head]
            self.problems.append(f"{where}: ${{{reference}}} is neither declared config nor "
                                 "a resource output")
            return None
        resource = self.resources.get(head)
        if resource is None:
            self.problems.append(f"{where}: ${{{reference}}} names no resource of the program")
            return None
        spec = self.schema["resources"].get(resource.get("type"), {})
        outputs = {**spec.get("properties", {}), "urn": {"type": "string"}}
        if attribute not in outputs:
            self.problems.append(f"{where}: {resource.get('type')} has no output "
                                 f"{attribute!r}; outputs: {', '.join(sorted(outputs))}")
            return None
        return "output", outputs[attribute]


def _shape(declared: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """A type without descriptions or plainness: `list<string>`, `LifecycleArgs`, `string`
    (an enum is its underlying type: YAML passes enum values as plain strings)."""
    if "$ref" in declared:
        ref = str(declared["$ref"])
        definition = schema.get("types", {}).get(ref[len("#/types/"):], {})
        return str(definition["type"]) if "enum" in definition else ref.rsplit(":", 1)[-1]
    if declared.get("type") == "array":
        return f"list<{_shape(declared.get('items', {}), schema)}>"
    if declared.get("type") == "object":
        return f"map<{_shape(declared.get('additionalProperties', {}), schema)}>"
    return str(declared.get("type", "any"))


# -- evaluation for Construct --------------------------------------------------------------------

def ordered(program: Mapping[str, Any]) -> list[str]:
    """Resource names, each after the resources its properties reference."""
    resources = program.get("resources") or {}
    graph = {name: {ref.split(".")[0] for ref in _ANY.findall(str(body.get("properties")))
                    if ref.split(".")[0] in resources}
             for name, body in resources.items()}
    return list(TopologicalSorter(graph).static_order())


def resolve(value: Any, config: Mapping[str, Any], state: Mapping[str, Mapping[str, Any]]) -> Any:
    """`value` with `${key}` (config) and `${resource.output}` (returned state) substituted."""
    if isinstance(value, Mapping):
        return {k: resolve(v, config, state) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, config, state) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(reference: str) -> Any:
        head, _, attribute = reference.partition(".")
        return state[head][attribute] if attribute else config[head]

    if whole := _WHOLE.fullmatch(value):
        return lookup(whole.group(1))
    return _ANY.sub(lambda m: str(lookup(m.group(1))), value)
