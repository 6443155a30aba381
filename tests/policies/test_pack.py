"""The pack as a product: a valid Python policy pack that runs from any folder, reports its
version, keeps security and governance apart, documents itself; the taggable-type list true to
the installed pulumi-aws."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

import policies
from infra.check import pack_session
from policies._aws import TAGGABLE, UNTAGGABLE
from policies._catalog import (
    GOVERNANCE_MODULES,
    SECURITY_MODULES,
    all_controls,
    render_controls_markdown,
)
from tests.policies.harness import analyze, servicer

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"

# What a non-Strata user cannot act on: the project's own modules, classes and helpers.
STRATA_INTERNALS = re.compile(r"Strata|components/|_tags\.py|_perms\.py|ServiceData|"
                              r"EncryptionKey|TenantNamespace|StoreArgs|grant_\w+|"
                              r"(?<!Enhanced )\bMonitoring\b")


def test_pack_is_a_python_policy_pack() -> None:
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python"
    assert manifest["description"]
    requirements = (PACK / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements and "policy_sentry" in requirements
    assert (PACK / "__main__.py").is_file()


def test_version_is_written_once_and_reported_over_get_analyzer_info() -> None:
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    # The CLI prefers PulumiPolicy.yaml's version over the pack's answer: leaving it unset keeps
    # __version__ the only source.
    assert "version" not in manifest
    assert re.fullmatch(r"\d+\.\d+\.\d+", policies.__version__)
    from google.protobuf import empty_pb2

    info = servicer().GetAnalyzerInfo(empty_pb2.Empty(), None)
    assert info.version == policies.__version__
    assert info.name == "strata"


def test_pack_runs_from_a_folder_with_any_name(tmp_path: Path) -> None:
    """A copy named otherwise, with its own version, is what the engine talks to: the pack
    loads its own package relative to its file, never `policies` from sys.path."""
    copy = tmp_path / "guardrails-copy"
    shutil.copytree(PACK, copy, ignore=shutil.ignore_patterns("__pycache__"))
    init = copy / "__init__.py"
    init.write_text(init.read_text().replace(f'__version__ = "{policies.__version__}"',
                                             '__version__ = "9.8.7"'))
    from tests.policies.fixture_manifest import compliant_manifest

    manifest = compliant_manifest()
    with pack_session(pack_dir=copy) as session:
        result = session.analyze(manifest)
    assert result.pack_version == "9.8.7"
    assert len(result.metas) == len(all_controls())
    assert result.exit_code == 0, [(f.policy, f.message) for f in result.findings if f.blocking]


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


# Advisory although AWS rates them above low: dev deviates from them on purpose (its policy
# config turns them off with reasons) and tests/infra/test_check.py judges dev without that
# config; or Security Hub has no rating for them.
ADVISORY_ABOVE_LOW = {"strata-rds-multi-az", "strata-dynamodb-deletion-protection",
                      "strata-log-group-retention", "strata-rds-log-exports",
                      "strata-msk-broker-logging", "strata-rds-final-snapshot"}


def test_controls_are_mandatory_unless_rated_low() -> None:
    advisory = {c.name for c in all_controls()
                if c.enforcement == "advisory" and c.severity != "low"}
    assert advisory == ADVISORY_ABOVE_LOW


def test_framework_names_fsbp_and_other_security_hub_controls_apart() -> None:
    controls = {c.name: c for c in all_controls()}
    assert controls["strata-kms-key-rotation"].framework == "Security Hub KMS.4"
    assert controls["strata-no-open-ingress"].framework == (
        "FSBP EC2.18, EC2.19; Security Hub EC2.53, EC2.54")
    assert controls["strata-iam-documents-valid"].framework == "Strata baseline"
    info = controls["strata-kms-key-rotation"].to_policy().framework
    assert info is not None and info.name == "securityhub"
    for control in controls.values():
        for ident in filter(None, (i.strip() for i in (control.fsbp or "").split(","))):
            assert re.fullmatch(r"[A-Za-z0-9]+\.\d+", ident), (control.name, ident)


def test_security_and_governance_controls_are_apart() -> None:
    for module in SECURITY_MODULES:
        assert module.__name__.startswith("policies.security.")
        assert {c.family for c in module.CONTROLS} == {"security"}, module.__name__
    for module in GOVERNANCE_MODULES:
        assert module.__name__.startswith("policies.governance.")
        assert {c.family for c in module.CONTROLS} == {"governance"}, module.__name__
    governance = {c.name for c in all_controls() if c.family == "governance"}
    assert governance == {"strata-required-tags", "strata-single-owner",
                          "strata-no-shared-stores", "strata-classified-data-protection",
                          "strata-data-store-alarms"}


def test_no_remediation_points_at_strata_internals() -> None:
    for control in all_controls():
        for text in (control.remediation, control.description):
            assert not STRATA_INTERNALS.search(text), (control.name, text)


def test_governance_controls_are_configurable() -> None:
    for control in all_controls():
        if control.family == "governance" and control.name != "strata-data-store-alarms":
            assert control.config, control.name


def test_misspelt_config_key_is_refused_not_ignored() -> None:
    verdict = analyze("strata-log-group-retention", "aws:cloudwatch/logGroup:LogGroup",
                      {"retentionInDays": 30}, config={"minRetentionDay": 7})
    assert verdict.violations == [
        "control error: ValueError: policy config for strata-log-group-retention has unknown "
        "key(s) minRetentionDay; known: minRetentionDays (plus enforcementLevel, reason)"]
    assert analyze("strata-log-group-retention", "aws:cloudwatch/logGroup:LogGroup",
                   {"retentionInDays": 30},
                   config={"minRetentionDays": 30, "reason": "short-lived stack"}).passed


def test_shipped_policy_configs_explain_every_deviation() -> None:
    paths = sorted(ROOT.glob("policy-config.*.json"))
    assert ROOT / "policy-config.dev.json" in paths
    names = {c.name for c in all_controls()}
    for path in paths:
        for policy, setting in json.loads(path.read_text()).items():
            assert policy in names, (path.name, policy)
            assert isinstance(setting, dict) and len(setting.get("reason", "")) > 20, (
                path.name, policy)


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


def _doc_configs() -> list[dict[str, object]]:
    text = (ROOT / "docs" / "policy-pack.md").read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_documented_policy_configs_are_valid_for_the_pack() -> None:
    import jsonschema

    from policies._control import IGNORED_CONFIG_KEYS

    configs = [*_doc_configs(), *(json.loads(p.read_text())
                                  for p in ROOT.glob("policy-config.*.json"))]
    assert len(configs) >= 4
    controls = {c.name: c for c in all_controls()}
    levels = {"advisory", "mandatory", "remediate", "disabled"}
    for config in configs:
        for name, setting in config.items():
            if isinstance(setting, str):
                assert setting in levels, (name, setting)
                continue
            control = controls[name]
            assert setting.get("enforcementLevel", "advisory") in levels
            control.settings(setting)  # refuses keys the control does not declare
            declared = {k: v for k, v in setting.items() if k not in IGNORED_CONFIG_KEYS}
            jsonschema.validate(declared, {"type": "object", "properties": dict(control.config)})


def test_non_strata_config_turns_governance_findings_off() -> None:
    """The documented config for a stack with its own tag schema: Strata's tags are no longer
    demanded, the stack's own are."""
    own_schema = _doc_configs()[1]["strata-required-tags"]
    assert isinstance(own_schema, dict)
    settings = {k: v for k, v in own_schema.items() if k != "reason"}
    tagged = {"tags": {"team": "payments", "env": "prod"}}
    assert analyze("strata-required-tags", "aws:sns/topic:Topic", tagged).violations
    assert analyze("strata-required-tags", "aws:sns/topic:Topic", tagged, config=settings).passed
    verdict = analyze("strata-required-tags", "aws:sns/topic:Topic",
                      {"tags": {"team": "payments", "env": "qa"}}, config=settings)
    assert verdict.violations == ["tag env='qa' is not one of dev, staging, prod"]
