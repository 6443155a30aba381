"""Read a manifest and refuse it unless it honours its contract, before anything judges it.

A policy pack judges resources by type and inputs; a manifest of the wrong shape either crashes
the judge or, worse, passes: no resources, unknown types and orphaned children all look
compliant. So `strata check --manifest` first checks the shape against
`infra/manifest.schema.json` (the fields `infra/synth.py` writes), then what a schema cannot
say: URNs are unique and are the ones the engine would assign for their stack, parent, type
and name; one root stack; parents, dependencies and providers exist; types exist in the
installed provider SDKs. Every problem is reported with its JSON path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from infra._known_types import STACK_TYPE, known_types
from infra.exits import InputError
from infra.urns import child_urn, urn_name, urn_type

__all__ = ["MAX_DEPTH", "SCHEMA_PATH", "ManifestError", "load_manifest", "manifest_problems",
           "validate_manifest"]

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
MAX_DEPTH = 64
"""Deepest nesting accepted. Real inputs nest under ten levels; protobuf's Struct parser stops
at 100, and Python's recursion well before a hostile file's 100,000."""
_SHOWN = 20
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Path_ = Sequence[str | int]


class ManifestError(InputError):
    """A manifest that cannot be judged: each problem with its JSON path."""

    def __init__(self, source: str, problems: Sequence[tuple[Path_, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"{self.source}: not a strata manifest ({count} problem"
                 f"{'s' if count != 1 else ''}); regenerate it with `strata synth STACK`"]
        lines += [f"  {json_path(path)}: {message}" for path, message in self.problems[:_SHOWN]]
        if count > _SHOWN:
            lines.append(f"  ... and {count - _SHOWN} more")
        return "\n".join(lines)


def json_path(path: Path_) -> str:
    """`("resources", 3, "inputs")` -> `$.resources[3].inputs` (odd keys quoted, ASCII only)."""
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def load_manifest(path: Path) -> dict[str, Any]:
    """The manifest at `path`, validated; raises ManifestError or InputError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the manifest: {exc}") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise ManifestError(str(path), [((), f"nests deeper than {MAX_DEPTH} levels")]) from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}") from None
    return validate_manifest(data, str(path))


def validate_manifest(data: Any, source: str) -> dict[str, Any]:
    problems = manifest_problems(data)
    if problems:
        raise ManifestError(source, problems)
    return dict(data)


def manifest_problems(data: Any) -> list[tuple[Path_, str]]:
    """Every contract violation of `data` as (JSON path, message); empty when it is valid."""
    unreadable = _unrepresentable(data)
    if unreadable:
        return unreadable
    shape = _shape_problems(data)
    if shape:
        return shape
    return sorted(_graph_problems(data), key=lambda problem: _path_key(problem[0]))


def _path_key(path: Path_) -> list[tuple[int, int, str]]:
    """Document order: `resources[2]` before `resources[10]`."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, part) for part in path]


def _unrepresentable(data: Any) -> list[tuple[Path_, str]]:
    """Values the engine's wire format cannot carry, found without recursion: nesting past
    MAX_DEPTH, NaN and infinities (Python's json reads them; JSON and protobuf's Struct do
    not), and strings with lone surrogates (valid JSON escapes, not valid UTF-8)."""
    problems: list[tuple[Path_, str]] = []
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while pending and len(problems) < _SHOWN:
        value, path = pending.pop()
        if len(path) > MAX_DEPTH:
            return [(path[:MAX_DEPTH], f"nests deeper than {MAX_DEPTH} levels")]
        if isinstance(value, dict):
            for key, item in value.items():
                if not _utf8(key):
                    problems.append((path, f"key {json.dumps(key)} is not valid Unicode"))
                pending.append((item, (*path, key)))
        elif isinstance(value, list):
            pending += [(item, (*path, i)) for i, item in enumerate(value)]
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append((path, f"{value} is not a JSON number"))
        elif isinstance(value, str) and not _utf8(value):
            problems.append((path, f"{json.dumps(value)[:40]} is not valid Unicode "
                                   "(a lone surrogate)"))
    return sorted(problems, key=lambda problem: _path_key(problem[0]))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    # Local $refs inlined: jsonschema resolves each $ref per instance, which doubles the time
    # of a 1,000-resource manifest.
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inline_refs(defs[reference.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _shape_problems(data: Any) -> list[tuple[Path_, str]]:
    errors = sorted(islice(_validator().iter_errors(data), 200),
                    key=lambda e: _path_key(list(e.absolute_path)))
    problems: list[tuple[Path_, str]] = []
    for error in errors:
        problem = (list(error.absolute_path), _explain(error))
        if problem not in problems:  # jsonschema reports each missing field separately
            problems.append(problem)
    return problems


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def _explain(error: Any) -> str:
    """jsonschema's message, said in words (no regexes, no dump of a huge instance)."""
    got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_JSON_TYPES.get(_PY.get(n, type(None)), n) for n in names)
        return f"must be {wanted}, got {got}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return "missing required field" + ("s " if len(missing) > 1 else " ") + \
            ", ".join(repr(k) for k in missing)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown field(s) {', '.join(json.dumps(k) for k in extra)}; allowed: " \
               f"{', '.join(allowed)}"
    if error.validator == "minItems":
        return f"must not be empty ({description})" if description else "must not be empty"
    if error.validator in ("pattern", "minLength"):
        return f"must be {description}, got {_short(error.instance)}"
    return error.message if len(error.message) < 200 else error.message[:200] + "..."


_PY = {"object": dict, "array": list, "string": str, "boolean": bool, "number": float,
       "integer": int, "null": type(None)}


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _graph_problems(manifest: Mapping[str, Any]) -> Iterator[tuple[Path_, str]]:
    """What the schema cannot check; `manifest` already has the schema's shape."""
    stack, project = manifest["stack"], manifest["project"]
    resources: list[dict[str, Any]] = manifest["resources"]
    first: dict[str, int] = {}
    for i, r in enumerate(resources):
        if r["urn"] in first:
            yield ("resources", i, "urn"), f"duplicate URN: also at " \
                f"{json_path(('resources', first[r['urn']]))}"
        first.setdefault(r["urn"], i)
    roots = [i for i, r in enumerate(resources) if r["type"] == STACK_TYPE]
    if not roots:
        yield ("resources",), f"no {STACK_TYPE} resource: every program has one root stack"
    for extra in roots[1:]:
        yield ("resources", extra, "type"), f"a second {STACK_TYPE}: a program has one root"
    types = known_types()
    for i, r in enumerate(resources):
        where = ("resources", i)
        problem = types.problem(r["type"], r["custom"])
        if problem:
            yield (*where, "type"), problem
        yield from _urn_problems(where, r, stack, project, first)
        yield from _reference_problems(where, r, first, resources)


def _urn_problems(where: Path_, r: Mapping[str, Any], stack: str, project: str,
                  known: Mapping[str, int]) -> Iterable[tuple[Path_, str]]:
    urn, parent = r["urn"], r["parent"]
    if urn_type(urn) != r["type"] or urn_name(urn) != r["name"]:
        yield (*where, "urn"), f"names type {urn_type(urn)!r} and name {urn_name(urn)!r}, " \
            f"but the resource says {r['type']!r} and {r['name']!r}"
        return
    if not urn.startswith(f"urn:pulumi:{stack}::{project}::"):
        yield (*where, "urn"), f"belongs to another stack or project than {project}/{stack}"
        return
    if not parent:
        if r["type"] != STACK_TYPE and not r["type"].startswith("pulumi:providers:"):
            yield (*where, "parent"), "is empty: only the root stack and default providers " \
                "have no parent"
        return
    if parent not in known:
        yield (*where, "parent"), f"{_short(parent)} is not a resource of this manifest"
        return
    expected = child_urn(stack, project, parent, r["type"], r["name"])
    if urn != expected:
        yield (*where, "urn"), f"is not the URN the engine assigns under its parent " \
            f"(expected {expected})"


def _reference_problems(where: Path_, r: Mapping[str, Any], known: Mapping[str, int],
                        resources: Sequence[Mapping[str, Any]]) -> Iterable[tuple[Path_, str]]:
    for j, dep in enumerate(r["dependencies"]):
        if dep not in known:
            yield (*where, "dependencies", j), f"{_short(dep)} is not a resource of this manifest"
    for prop, deps in r["propertyDependencies"].items():
        for j, dep in enumerate(deps):
            if dep not in known:
                yield (*where, "propertyDependencies", prop, j), \
                    f"{_short(dep)} is not a resource of this manifest"
    reference = r["provider"]
    if reference:
        provider_urn, _, provider_id = reference.rpartition("::")
        index = known.get(provider_urn)
        if not provider_id or index is None:
            yield (*where, "provider"), f"{_short(reference)} is not PROVIDER_URN::ID of a " \
                "provider in this manifest"
        elif not resources[index]["type"].startswith("pulumi:providers:"):
            yield (*where, "provider"), f"refers to {resources[index]['type']}, not a provider"
