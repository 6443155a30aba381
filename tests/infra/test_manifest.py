"""The manifest contract: what synth writes is accepted, and every kind of garbage is refused
with its JSON path before any policy sees it (a garbage manifest must never "pass")."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.cli import main
from infra.manifest import (
    MAX_DEPTH,
    SCHEMA_PATH,
    ManifestError,
    load_manifest,
    manifest_problems,
    validate_manifest,
)
from tests.conftest import synthesized
from tests.policies.fixture_manifest import STACK_URN, compliant_manifest
from tests.stacks.test_synth_stacks import FIELDS


def test_schema_is_a_valid_json_schema_of_the_synth_fields() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    resource = schema["$defs"]["resource"]
    assert set(resource["required"]) == FIELDS == set(resource["properties"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_synthesized_manifests_honour_the_contract(stack: str, tmp_path: Path) -> None:
    from infra.synth import write_manifest

    manifest = synthesized(stack)
    assert manifest_problems(manifest) == []
    written = write_manifest(manifest, tmp_path)
    assert load_manifest(written)["resources"] == manifest["resources"]


def test_fixture_manifest_honours_the_contract() -> None:
    assert manifest_problems(compliant_manifest()) == []


def _resource(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in manifest["resources"] if r["name"] == name)


def _index(manifest: dict[str, Any], name: str) -> int:
    return next(i for i, r in enumerate(manifest["resources"]) if r["name"] == name)


def _edit(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    manifest = copy.deepcopy(compliant_manifest())
    change(manifest)
    return manifest


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _retype(manifest: dict[str, Any], index: int, type_: str) -> None:
    """Change a resource's type consistently (URN too), so only the type is wrong."""
    resource = manifest["resources"][index]
    old = resource["urn"]
    resource["type"] = type_
    resource["urn"] = old.replace(old.split("::")[2].rsplit("$", 1)[-1], type_)


DB = _index(compliant_manifest(), "orders-db")
TOPIC = _index(compliant_manifest(), "orders-events")

GARBAGE: list[tuple[str, Any, str, str]] = [
    # (what, manifest, JSON path reported, message fragment)
    ("null", None, "$", "must be an object, got null"),
    ("a list of an empty object", [{}], "$", "must be an object, got an array"),
    ("a number", 3, "$", "must be an object, got a number"),
    ("an empty object", {}, "$", "missing required fields 'project', 'stack', 'resources'"),
    ("no resources", {"project": "strata", "stack": "dev", "resources": []}, "$.resources",
     "must not be empty"),
    ("a resource that is an empty object",
     {"project": "strata", "stack": "dev", "resources": [{}]}, "$.resources[0]",
     "missing required fields 'urn', 'type', 'name'"),
    ("missing urn", _edit(lambda m: m["resources"][DB].pop("urn")), f"$.resources[{DB}]",
     "missing required field 'urn'"),
    ("inputs not an object", _edit(lambda m: m["resources"][DB].update(inputs=[1, 2])),
     f"$.resources[{DB}].inputs", "must be an object, got an array"),
    ("custom not a boolean", _edit(lambda m: m["resources"][DB].update(custom="yes")),
     f"$.resources[{DB}].custom", "must be a boolean, got a string"),
    ("an unknown field", _edit(lambda m: m["resources"][DB].update(input={})),
     f"$.resources[{DB}]", 'unknown field(s) "input"'),
    ("a stack name with a path in it", _edit(lambda m: m.update(stack="../dev")), "$.stack",
     "must be a Pulumi stack name (letters, digits, '-', '_' and '.')"),
    ("a type that is not a type token",
     _edit(lambda m: m["resources"][DB].update(type="RDS Instance")), f"$.resources[{DB}].type",
     "must be a Pulumi type token shaped package:module:Type"),
    ("an unknown AWS type", _edit(lambda m: _retype(m, DB, "aws:rds/instanse:Instance")),
     f"$.resources[{DB}].type", "did you mean 'aws:rds/instance:Instance'?"),
    ("a custom resource of the program's own package",
     _edit(lambda m: _retype(m, DB, "strata:index:Database")), f"$.resources[{DB}].type",
     "unknown resource type 'strata:index:Database'"),
    ("a component claiming an AWS type",
     _edit(lambda m: m["resources"][DB].update(custom=False)), f"$.resources[{DB}].type",
     "aws:rds/instance:Instance is a custom resource, so custom must be true"),
    ("duplicate URNs", _edit(lambda m: m["resources"].append(copy.deepcopy(m["resources"][DB]))),
     f"$.resources[{len(compliant_manifest()['resources'])}].urn",
     f"duplicate URN: also at $.resources[{DB}]"),
    ("a child whose parent is missing",
     _edit(lambda m: m["resources"].pop(_index(m, "orders"))), "$.resources[",
     "is not a resource of this manifest"),
    ("no root stack", _edit(lambda m: m["resources"].pop(0)), "$.resources",
     "no pulumi:pulumi:Stack resource"),
    ("a URN naming another resource",
     _edit(lambda m: m["resources"][DB].update(name="payments-db")), f"$.resources[{DB}].urn",
     "but the resource says 'aws:rds/instance:Instance' and 'payments-db'"),
    ("a URN of another stack", _edit(lambda m: m.update(stack="prod")),
     "$.resources[0].urn", "belongs to another stack or project than strata/prod"),
    ("a parent that is not the URN's parent",
     _edit(lambda m: m["resources"][DB].update(parent=_resource(m, "platform")["urn"])),
     f"$.resources[{DB}].urn", "is not the URN the engine assigns under its parent"),
    ("an orphan without a parent", _edit(lambda m: m["resources"][DB].update(parent="")),
     f"$.resources[{DB}].parent", "only the root stack and default providers have no parent"),
    ("a dependency on nothing",
     _edit(lambda m: m["resources"][TOPIC]["dependencies"].append(STACK_URN + "x")),
     f"$.resources[{TOPIC}].dependencies[1]", "is not a resource of this manifest"),
    ("a property dependency on nothing",
     _edit(lambda m: m["resources"][TOPIC]["propertyDependencies"]["clusterArn"].append(
         STACK_URN + "x")),
     f"$.resources[{TOPIC}].propertyDependencies.clusterArn[1]",
     "is not a resource of this manifest"),
    ("a provider that is a database",
     _edit(lambda m: m["resources"][TOPIC].update(provider=m["resources"][DB]["urn"] + "::id")),
     f"$.resources[{TOPIC}].provider", "refers to aws:rds/instance:Instance, not a provider"),
    ("a provider reference without an id",
     _edit(lambda m: m["resources"][TOPIC].update(provider="nonsense")),
     f"$.resources[{TOPIC}].provider", "is not PROVIDER_URN::ID"),
    ("inputs nested absurdly deep",
     _edit(lambda m: m["resources"][DB].update(inputs=_nested(MAX_DEPTH + 5))),
     f"$.resources[{DB}].inputs.a.a", f"nests deeper than {MAX_DEPTH} levels"),
    ("a key that is not an identifier",
     _edit(lambda m: m["resources"][DB]["propertyDependencies"].update({"a b": ["x"]})),
     f'$.resources[{DB}].propertyDependencies["a b"][0]', "must be a Pulumi URN"),
    ("NaN in inputs", _edit(lambda m: m["resources"][DB]["inputs"].update(x=float("nan"))),
     f"$.resources[{DB}].inputs.x", "nan is not a JSON number"),
    ("an infinite number", _edit(lambda m: m["resources"][DB]["inputs"].update(x=[float("inf")])),
     f"$.resources[{DB}].inputs.x[0]", "inf is not a JSON number"),
    ("a lone surrogate in a value",
     _edit(lambda m: m["resources"][DB]["inputs"].update(x="ok\ud800")),
     f"$.resources[{DB}].inputs.x", '"ok\\ud800" is not valid Unicode'),
    ("a lone surrogate in a key",
     _edit(lambda m: m["resources"][DB]["inputs"].update({"\udc80": 1})),
     f"$.resources[{DB}].inputs", 'key "\\udc80" is not valid Unicode'),
]


@pytest.mark.parametrize(("manifest", "path", "fragment"), [g[1:] for g in GARBAGE],
                         ids=[g[0] for g in GARBAGE])
def test_refuses_garbage_with_its_json_path(manifest: Any, path: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as caught:
        validate_manifest(manifest, "m.json")
    text = caught.value.render()
    assert any(line.strip().startswith(path) and fragment in line
               for line in text.splitlines()), text
    assert text.startswith("m.json: not a strata manifest")


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


THROUGH_CLI = GARBAGE[:8] + GARBAGE[-4:]


@pytest.mark.parametrize(("manifest", "path", "fragment"),
                         [g[1:] for g in THROUGH_CLI], ids=[g[0] for g in THROUGH_CLI])
def test_cli_exits_2_on_garbage_and_never_passes(manifest: Any, path: str, fragment: str,
                                                tmp_path: Path) -> None:
    file = tmp_path / "m.json"
    file.write_text(json.dumps(manifest))
    code, out, err = _cli("check", "--manifest", str(file))
    assert code == 2
    assert out == ""
    assert f"strata check: {file}: not a strata manifest" in err
    assert path in err and fragment in err
    assert "Traceback" not in err and "passed" not in err


@pytest.mark.parametrize(("content", "message"), [
    (b"{", "not JSON"),
    (b"\xff\xfe", "cannot read the manifest"),
    (b"[" * 100_000, f"nests deeper than {MAX_DEPTH} levels"),
    (b"1" * 5000, "not JSON"),
])
def test_cli_exits_2_on_unparsable_files(content: bytes, message: str, tmp_path: Path) -> None:
    file = tmp_path / "m.json"
    file.write_bytes(content)
    code, _, err = _cli("check", "--manifest", str(file))
    assert code == 2 and message in err and "Traceback" not in err, err
