"""Judge a Pulumi package schema as the CLI does before generating SDKs from it, offline.

`pulumi package add` binds the schema a provider serves (pulumi/pkg/codegen/schema/bind.go,
`bindSpec`): first it validates the document against the package metaschema (`validateSpec`),
then it binds types, reporting tokens outside the package (`validateTypeTokens`) and references
that resolve to nothing. `package_problems` does the metaschema step with Pulumi's own metaschema
(copied under `metaschemas/`, see SOURCE.json) and the binding checks a component package can
fail; `project_problems` validates a `Pulumi.yaml` against Pulumi's project schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["METASCHEMAS", "package_problems", "project_problems", "type_refs"]

METASCHEMAS = Path(__file__).with_name("metaschemas")
_ECMA_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    """The metaschema with ECMA-262 named groups (`(?<major>...)`, which Go's jsonschema
    library accepts) spelt the Python way (`(?P<major>...)`); nothing else is changed."""
    text = _ECMA_NAMED_GROUP.sub("(?P<", (METASCHEMAS / name).read_text())
    schema = json.loads(text)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _schema_errors(name: str, document: Any) -> list[str]:
    """Each error at its instance location (`#/resources/<token>/...`, as bind.go reports
    them), through to the deepest cause when a `oneOf` matched no alternative."""
    found = []
    for error in sorted(_validator(name).iter_errors(document), key=lambda e: e.json_path):
        cause = _deepest_cause(error)
        where = "/".join(map(str, cause.absolute_path))
        message = cause.message if len(cause.message) <= 160 else cause.message[:157] + "..."
        found.append(f"#/{where}: {message}")
    return found


def _deepest_cause(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Of the alternatives a `oneOf` tried, the one that got furthest into the instance
    (`type: int` is a bad type name, not a missing `items`)."""
    if not error.context:
        return error
    depth = max(len(c.absolute_path) for c in error.context)
    cause = jsonschema.exceptions.best_match(
        c for c in error.context if len(c.absolute_path) == depth)
    return _deepest_cause(cause) if cause is not None else error


def _as_go_spec(node: Any, key: str = "") -> Any:
    """The document as `validateSpec` sees it: bind.go validates the Go `PackageSpec` the JSON
    was decoded into, re-encoded, so a JSON null (e.g. an enum member without a docstring,
    `"description": null`) is a zero value that `omitempty` drops. Only `value` (of an enum
    member, `any` without omitempty) keeps its null."""
    if isinstance(node, Mapping):
        return {k: _as_go_spec(v, k) for k, v in node.items() if v is not None or k == "value"}
    if isinstance(node, list):
        return [_as_go_spec(v) for v in node]
    return node


def package_problems(schema: Mapping[str, Any]) -> list[str]:
    """Metaschema errors, then binding errors; empty when the CLI would accept the schema."""
    problems = _schema_errors("pulumi.json", _as_go_spec(schema))
    package = schema.get("name", "")
    for section in ("resources", "types"):
        for token in schema.get(section, {}):
            if token.split(":")[0] != package:
                problems.append(f"#/{section}/{token}: invalid token '{token}' (must have "
                                f"package name '{package}')")
    for path, ref in type_refs(schema):
        local = ref.startswith("#/types/")
        if local and ref[len("#/types/"):] not in schema.get("types", {}):
            problems.append(f"{path}: type {ref} is not defined")
        elif not local and not ref.startswith("pulumi.json#/") and not _declared(schema, ref):
            problems.append(f"{path}: {ref} names a package the schema does not depend on")
    for token, resource in schema.get("resources", {}).items():
        for required, declared in (("requiredInputs", "inputProperties"),
                                   ("required", "properties")):
            for name in resource.get(required, []):
                if name not in resource.get(declared, {}):
                    problems.append(f"#/resources/{token}/{required}: {name!r} is not in "
                                    f"{declared}")
    return problems


def _declared(schema: Mapping[str, Any], ref: str) -> bool:
    """An external ref `/aws/v7.0.0/schema.json#/...` needs `aws` among the dependencies."""
    package = ref.lstrip("/").split("/", 1)[0]
    return any(d.get("name") == package for d in schema.get("dependencies", []))


def type_refs(node: Any, path: str = "#") -> Iterator[tuple[str, str]]:
    """Every `$ref` in the document, with its JSON pointer."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from type_refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from type_refs(value, f"{path}/{index}")


def project_problems(project: Mapping[str, Any]) -> list[str]:
    """`Pulumi.yaml` against Pulumi's project schema (name, runtime, packages, ...)."""
    return _schema_errors("project.json", project)
