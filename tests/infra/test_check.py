"""`strata check` end to end: the pack runs as its own process and every resource goes through
the Analyzer gRPC protocol, as the Pulumi engine sends it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._check_locations import artifact_uri  # noqa: E402
from infra._check_protocol import PackError, load_pack_settings  # noqa: E402
from infra.check import PackSession, pack_session, run_check  # noqa: E402
from infra.exits import InputError  # noqa: E402
from tests.policies.fixture_manifest import (  # noqa: E402
    Builder,
    compliant_manifest,
    mutate,
)

SARIF_SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def session() -> Iterator[PackSession]:
    with pack_session() as running:
        yield running


@pytest.fixture(scope="module")
def baseline(session: PackSession):  # type: ignore[no-untyped-def]
    return session.analyze(compliant_manifest())


def _blocking(result, policy: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.message for f in result.findings if f.policy == policy and f.blocking]


def test_compliant_manifest_has_no_violations(baseline) -> None:  # type: ignore[no-untyped-def]
    assert baseline.exit_code == 0
    assert [f for f in baseline.findings if f.status == "violation"] == []
    assert len(baseline.metas) >= 40


def test_every_resource_and_stack_reach_the_pack(baseline) -> None:  # type: ignore[no-untyped-def]
    # 34 manifest resources plus the engine's default aws and kubernetes providers.
    assert baseline.resources == len(compliant_manifest()["resources"]) + 2


@pytest.mark.parametrize(("name", "changes", "policy", "message"), [
    ("orders-db", {"storageEncrypted": False}, "strata-rds-storage-encrypted",
     "storageEncrypted is False"),
    ("orders-db", {"storageEncrypted": None}, "strata-rds-storage-encrypted",
     "storageEncrypted is absent (provider default False)"),
    ("orders-db", {"publiclyAccessible": True}, "strata-rds-no-public-access",
     "publiclyAccessible is True"),
    ("kafka", {"encryptionInfo__encryptionInTransit__clientBroker": "PLAINTEXT"},
     "strata-msk-tls-in-transit", "clientBroker is 'PLAINTEXT'"),
    ("kafka", {"encryptionInfo__encryptionInTransit__inCluster": False},
     "strata-msk-tls-in-transit", "inCluster is False"),
    ("payments-table", {"pointInTimeRecovery__enabled": False}, "strata-dynamodb-pitr",
     "pointInTimeRecovery.enabled is False"),
    ("payments-table", {"pointInTimeRecovery": None}, "strata-dynamodb-pitr",
     "absent (provider default False)"),
    ("orders-db", {"tags__owner": None}, "strata-required-tags",
     "missing required tag(s): owner"),
])
def test_rejects_mutation(session: PackSession, name: str, changes: dict[str, object],
                          policy: str, message: str) -> None:
    result = session.analyze(mutate(compliant_manifest(), name, **changes))
    assert result.exit_code == 1
    blocking = _blocking(result, policy)
    assert any(message in m for m in blocking), blocking
    offenders = {f.name for f in result.findings if f.blocking}
    assert offenders == {name}


def test_rejects_role_granted_another_services_table(session: PackSession) -> None:
    manifest = compliant_manifest()
    grant = next(r for r in manifest["resources"] if r["name"] == "payments-role-consume-orders")
    grant["propertyDependencies"]["policy"].append(
        next(r["urn"] for r in manifest["resources"] if r["name"] == "orders-db"))
    result = session.analyze(manifest)
    assert result.exit_code == 1
    messages = _blocking(result, "strata-no-shared-stores")
    assert messages == ["grants service 'payments''s role payments-role access to 'orders''s "
                        "Instance orders-db: services share data through topics and APIs, never "
                        "stores or keys"]
    assert result.by_policy("strata-no-shared-stores")[0].urn == grant["urn"]


def test_rejects_write_to_another_services_topic(session: PackSession) -> None:
    manifest = compliant_manifest()
    grant = next(r for r in manifest["resources"] if r["name"] == "payments-role-consume-orders")
    grant["inputs"]["policy"] = grant["inputs"]["policy"].replace(
        "kafka-cluster:ReadData", "kafka-cluster:WriteData")
    result = session.analyze(manifest)
    assert any("kafka-cluster:writedata" in m
               for m in _blocking(result, "strata-no-shared-stores"))


def test_unknown_is_cannot_verify_not_pass(session: PackSession) -> None:
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    result = session.analyze(mutate(compliant_manifest(), "kafka",
                                    encryptionInfo__encryptionInTransit__clientBroker=unknown))
    verdicts = [f for f in result.findings if f.policy == "strata-msk-tls-in-transit"]
    assert [f.status for f in verdicts] == ["cannot-verify"]
    assert "cannot verify: encryptionInfo.encryptionInTransit.clientBroker" in verdicts[0].message
    assert result.exit_code == 0  # advisory, as the engine treats unknowns during preview


def test_policy_config_changes_levels_and_values(session: PackSession) -> None:
    manifest = mutate(compliant_manifest(), "orders-db", tags__environment="qa")
    strict = session.analyze(manifest)
    assert _blocking(strict, "strata-required-tags") == [
        "tag environment='qa' is not one of dev, staging, prod"]
    relaxed = session.analyze(manifest, {"strata-required-tags": {
        "allowedValues": {"environment": ["dev", "qa"]}}})
    assert relaxed.exit_code == 0
    advisory = session.analyze(manifest, {"all": "advisory"})
    assert advisory.exit_code == 0
    assert advisory.by_policy("strata-required-tags")


def test_bad_policy_config_is_reported(session: PackSession) -> None:
    with pytest.raises(PackError, match="unknown policies: strata-nope"):
        session.analyze(compliant_manifest(), {"strata-nope": "mandatory"})
    with pytest.raises(PackError, match="minRetentionDays"):
        session.analyze(compliant_manifest(),
                        {"strata-rds-backup-retention": {"minRetentionDays": "seven"}})


def _line_of(text: str) -> int:
    """1-based line of an exact line of the dev stack file, found without YAML."""
    return (ROOT / "Pulumi.dev.yaml").read_text().splitlines().index(text) + 1


def test_sarif_is_valid_sarif_2_1_0_and_points_at_the_declaring_line(tmp_path: Path) -> None:
    manifest = mutate(compliant_manifest(), "orders-db", publiclyAccessible=True)
    manifest = mutate(manifest, "kafka", encryptionInfo__encryptionInTransit__inCluster=False)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    out = tmp_path / "report.sarif"
    assert run_check(stack=None, manifest_path=path, fmt="sarif", out=out, project_dir=ROOT) == 1
    report = json.loads(out.read_text())
    jsonschema.validate(report, json.loads(SARIF_SCHEMA.read_text()))
    results = report["runs"][0]["results"]
    assert sorted((r["ruleId"], r["level"]) for r in results) == [
        ("strata-msk-tls-in-transit", "error"), ("strata-rds-no-public-access", "error")]
    rules = report["runs"][0]["tool"]["driver"]["rules"]
    where = {}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        where[result["ruleId"]] = result["locations"][0]["physicalLocation"]
    # The service's entry for its database; the Kafka section for the platform's cluster.
    assert where["strata-rds-no-public-access"] == {
        "artifactLocation": {"uri": "Pulumi.dev.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": _line_of("    orders:")}}
    assert where["strata-msk-tls-in-transit"]["region"] == {
        "startLine": _line_of("  strata:kafka:")}


def test_sarif_without_a_stack_file_points_at_the_manifest(tmp_path: Path) -> None:
    manifest = mutate(compliant_manifest(), "orders-db", publiclyAccessible=True)
    manifest["stack"] = "elsewhere"
    for r in manifest["resources"]:
        for key in ("urn", "parent"):
            r[key] = r[key].replace("urn:pulumi:dev::", "urn:pulumi:elsewhere::")
        r["dependencies"] = [u.replace(":dev::", ":elsewhere::") for u in r["dependencies"]]
        r["propertyDependencies"] = {k: [u.replace(":dev::", ":elsewhere::") for u in v]
                                     for k, v in r["propertyDependencies"].items()}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    out = tmp_path / "report.sarif"
    assert run_check(stack=None, manifest_path=path, fmt="sarif", out=out, project_dir=ROOT) == 1
    report = json.loads(out.read_text())
    jsonschema.validate(report, json.loads(SARIF_SCHEMA.read_text()))
    location = report["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert "region" not in location
    assert location["artifactLocation"]["uri"] == artifact_uri(path)
    assert report["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["name"] == \
        "orders-db"


def test_table_and_json_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mutate(compliant_manifest(), "kafka",
                                      encryptionInfo__encryptionInTransit__inCluster=False)))
    assert run_check(stack=None, manifest_path=path, project_dir=ROOT) == 1
    table = capsys.readouterr().out
    assert "aws:msk/cluster:Cluster  kafka" in table
    assert f"declared at Pulumi.dev.yaml:{_line_of('  strata:kafka:')} (strata:kafka)" in table
    assert "[MANDATORY] strata-msk-tls-in-transit (critical, FSBP MSK.1)" in table
    assert "fix: Set encryptionInfo.encryptionInTransit" in table
    assert run_check(stack=None, manifest_path=path, fmt="json", out=tmp_path / "r.json",
                     project_dir=ROOT) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["mandatory"] == 1
    assert report["findings"][0]["policy"] == "strata-msk-tls-in-transit"
    assert report["findings"][0]["location"] == {
        "file": "Pulumi.dev.yaml", "line": _line_of("  strata:kafka:"), "key": "strata:kafka"}


def test_pack_that_cannot_start_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "policies" / "__main__.py").write_text("raise SystemExit('boom: no pack')\n")
    path = tmp_path / "m.json"
    path.write_text(json.dumps(compliant_manifest()))
    with pytest.raises(PackError, match="the policy pack did not start") as caught:
        run_check(stack=None, manifest_path=path, project_dir=tmp_path)
    assert isinstance(caught.value, InputError)
    assert "boom: no pack" in str(caught.value)


def test_unreadable_manifest_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the manifest"):
        run_check(stack=None, manifest_path=tmp_path / "missing.json", project_dir=ROOT)


def test_pack_dir_is_a_python_policy_pack() -> None:
    settings = load_pack_settings(ROOT / "policies")
    assert settings.directory == (ROOT / "policies").resolve()
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements


def test_round_trip_of_a_few_hundred_resources_is_fast(session: PackSession) -> None:
    builder = Builder()
    builder.add("strata:index:ServiceData", "bulk", custom=False)
    for i in range(300):
        builder.add("aws:dynamodb/table:Table", f"t{i}", {
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:k"},
            "pointInTimeRecovery": {"enabled": True}, "tags": {"service": "bulk"}},
            parent="bulk")
    began = time.perf_counter()
    result = session.analyze(builder.manifest())
    elapsed = time.perf_counter() - began
    assert result.resources == 303
    assert elapsed < 15, result.timings


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_synthesized_stacks_pass(stack: str) -> None:
    from infra.synth import synthesize

    manifest = synthesize(stack, ROOT)
    with pack_session(stack=stack) as running:
        result = running.analyze(manifest)
    assert result.exit_code == 0, [(f.policy, f.name, f.message) for f in result.findings
                                   if f.blocking]
