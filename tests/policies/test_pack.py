"""The pack itself: valid Python policy pack, metadata on every control, docs in sync, the
taggable-type list true to the installed pulumi-aws."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest
import yaml

from policies._aws import TAGGABLE, UNTAGGABLE
from policies._catalog import all_controls, render_controls_markdown

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"


def test_pack_is_a_python_policy_pack() -> None:
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python"
    assert manifest["description"]
    assert "pulumi-policy" in (PACK / "requirements.txt").read_text()
    assert (PACK / "__main__.py").is_file()


def test_every_control_carries_full_metadata() -> None:
    for control in all_controls():
        assert re.fullmatch(r"strata-[a-z0-9-]+", control.name)
        assert control.severity in ("low", "medium", "high", "critical")
        assert control.enforcement in ("advisory", "mandatory")
        assert len(control.description) > 30 and control.remediation
        if control.severity in ("high", "critical") and "encryption" in control.tags:
            assert control.enforcement == "mandatory", control.name
        policy = control.to_policy()
        assert policy.framework is not None and policy.remediation_steps
        for prop in control.config.values():
            assert "default" in prop and "description" in prop


def test_controls_doc_is_in_sync() -> None:
    assert (ROOT / "docs" / "controls.md").read_text() == render_controls_markdown(), (
        "regenerate: python -m policies._catalog > docs/controls.md")


def _resource_classes() -> dict[str, tuple[str, str]]:
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin
    source = Path(spec.origin).read_text()
    modules = json.loads(re.search(r'resource_modules="""(.*?)"""', source, re.S).group(1))  # type: ignore[union-attr]
    return {token: (m["fqn"], cls) for m in modules for token, cls in m["classes"].items()}


@pytest.mark.parametrize("resource_type", sorted(TAGGABLE | UNTAGGABLE))
def test_taggable_list_matches_pulumi_aws(resource_type: str) -> None:
    fqn, name = _resource_classes()[resource_type]
    cls = getattr(importlib.import_module(fqn), name)
    takes_tags = "tags" in inspect.signature(cls._internal_init).parameters
    assert takes_tags is (resource_type in TAGGABLE)
