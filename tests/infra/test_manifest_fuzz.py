"""`strata check --manifest` on any JSON value: exit 0, 1 or 2, never a traceback, and exit 2
exactly when the manifest breaks its contract. Driven through the CLI entry point in-process."""

from __future__ import annotations

import copy
import io
import json
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.cli import main
from infra.manifest import manifest_problems
from tests.conftest import synthesized
from tests.policies.fixture_manifest import compliant_manifest

# Text includes lone surrogates (valid JSON escapes, not valid UTF-8); floats include NaN and
# infinities (Python's json writes and reads them).
TEXT = st.text(st.characters() | st.sampled_from(["\ud800", "\udfff"]), max_size=12)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | TEXT
           | st.sampled_from(["", "urn:pulumi:dev::strata::pulumi:pulumi:Stack::strata-dev",
                              "aws:s3/bucket:Bucket", "[secret]", "strata", "dev"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=16)
FIELDS = ["urn", "type", "name", "custom", "parent", "provider", "inputs", "dependencies",
          "propertyDependencies", "protect", "retainOnDelete", "aliases"]


def _check(data: Any) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.json"
        path.write_text(json.dumps(data))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["check", "--manifest", str(path), "--format", "json"])
    return code, err.getvalue()


def _assert_outcome(data: Any) -> None:
    code, err = _check(data)
    assert "Traceback" not in err, err
    if manifest_problems(data):
        assert code == 2, err
        assert "not a strata manifest" in err, err
    else:  # a valid manifest is judged by the pack: passed or blocked, nothing else
        assert code in (0, 1), err


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_value_exits_0_1_or_2_without_traceback(data: Any) -> None:
    _assert_outcome(data)


VALUE_MUTATIONS = ["set-field", "drop-field", "set-input", "duplicate", "remove", "set-top",
                   "swap-parent"]
# Mutations that break the contract of a large manifest almost always, so the expensive pack
# run (about 2 s for the dev manifest) is rare; value mutations run on the small fixture.
STRUCTURAL_MUTATIONS = ["drop-field", "duplicate", "swap-parent", "set-identity"]


def _mutate(data: st.DataObject, manifest: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    """A copy of `manifest` with one mutation of a kind in `kinds`."""
    draw = data.draw
    manifest = copy.deepcopy(manifest)
    resources = manifest["resources"]
    index = draw(st.integers(0, len(resources) - 1))
    resource = resources[index]
    kind = draw(st.sampled_from(kinds))
    if kind == "set-field":
        resource[draw(st.sampled_from(FIELDS))] = draw(JSON)
    elif kind == "set-identity":
        resource[draw(st.sampled_from(["urn", "type", "name", "parent", "provider"]))] = \
            draw(JSON)
    elif kind == "drop-field":
        resource.pop(draw(st.sampled_from(FIELDS)))
    elif kind == "set-input":
        key = draw(st.sampled_from(sorted(resource["inputs"]) or ["tags"]))
        resource["inputs"][key] = draw(JSON)
    elif kind == "duplicate":
        resources.insert(draw(st.integers(0, len(resources))), copy.deepcopy(resource))
    elif kind == "remove":
        resources.pop(index)
    elif kind == "set-top":
        manifest[draw(st.sampled_from(["project", "stack", "resources", "outputs"]))] = draw(JSON)
    else:
        resource["parent"] = resources[draw(st.integers(0, len(resources) - 1))]["urn"]
    return manifest


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixture_manifests_exit_0_1_or_2_without_traceback(data: st.DataObject) -> None:
    _assert_outcome(_mutate(data, compliant_manifest(), VALUE_MUTATIONS))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(st.data())
def test_mutated_dev_manifests_exit_0_1_or_2_without_traceback(data: st.DataObject) -> None:
    _assert_outcome(_mutate(data, synthesized("dev"), STRUCTURAL_MUTATIONS))
