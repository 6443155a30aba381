"""The issue's done criterion: prod against prod with one service added, one grant widened and
one shard removed reports exactly those, flags the shard as a stateful deletion and exits 1;
acknowledging that URN makes it exit 0.

NEW is the real program synthesized from a modified copy of Pulumi.prod.yaml's catalog (a
`ledger` service, orders with 7 shards instead of 8). The catalog has no knob that widens an
existing grant (action lists are constants in `components/_perms.py`), so the widened grant is
one added action in payments' read policy, edited in the synthesized manifest.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.cli import main
from infra.diff import DiffReport, diff_manifests
from infra.synth import synthesize
from tests.conftest import ROOT, synthesized

WIDENED = "payments-grants-own-0"
ADDED_ACTION = "dynamodb:PartiQLSelect"
SHARD = "orders-postgres-shard-7"
LEDGER = {"owner": "team-finance", "classification": "confidential",
          "keyvalue": {"entries": {"partitionKey": {"name": "accountId"},
                                   "sortKey": {"name": "entryId"}}},
          "consumes": [{"topic": "payments.payment-events", "parallelism": 2}]}

# Resources that change because of the three edits, and why; anything else is a false report.
CONSEQUENCES = {
    WIDENED: "the widened grant itself",
    "orders-grants-own-0": "the orders grants list every shard",
    "orders-postgres-shard-map": "the published shard map lists every shard",
    "monitoring-dashboard": "the dashboard shows every shard and every service",
    "monitoring-rules": "consumer-lag recording rules cover the ledger's consumer group",
}


@cache
def _after() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    services = copy.deepcopy(config["strata:services"])
    assert services["orders"]["postgres"]["shards"] == 8
    services["orders"]["postgres"]["shards"] = 7
    services["ledger"] = LEDGER
    manifest = synthesize("prod", ROOT, overrides={"strata:services": json.dumps(services)})
    (grant,) = [r for r in manifest["resources"]
                if r["name"] == WIDENED and r["type"] == "aws:iam/policy:Policy"]
    document = json.loads(grant["inputs"]["policy"])
    (read,) = [s for s in document["Statement"] if s["Sid"] == "ReadTable"]
    assert ADDED_ACTION not in read["Action"]
    read["Action"].append(ADDED_ACTION)
    grant["inputs"]["policy"] = json.dumps(document)
    return manifest


@pytest.fixture(scope="module")
def report() -> DiffReport:
    return diff_manifests(synthesized("prod"), _after(), old_label="prod", new_label="after")


def test_added_resources_all_belong_to_the_new_service(report: DiffReport) -> None:
    added = [c for c in report.resources if c.kind == "added"]
    assert {c.service for c in added} == {"ledger"}
    assert {c.type for c in added} >= {"aws:dynamodb/table:Table", "aws:kms/key:Key",
                                       "aws:iam/role:Role", "kubernetes:core/v1:Namespace"}
    assert all("ledger" in c.name for c in added)


def test_removed_resources_are_the_shard_and_what_watches_it(report: DiffReport) -> None:
    removed = [c for c in report.resources if c.kind == "removed"]
    assert {c.service for c in removed} == {"orders"}
    assert all("shard-7" in c.name for c in removed)
    assert {(c.type, c.name) for c in removed} >= {
        ("aws:rds/cluster:Cluster", SHARD),
        ("aws:rds/clusterInstance:ClusterInstance", f"{SHARD}-writer"),
        ("aws:rds/clusterInstance:ClusterInstance", f"{SHARD}-reader-1")}


def test_changed_resources_are_the_grant_and_the_direct_consequences(report: DiffReport) -> None:
    changed = {c.name: c for c in report.resources if c.kind == "changed"}
    assert set(changed) == set(CONSEQUENCES)
    assert [c.path for c in changed[WIDENED].changes] == ["policy"]
    assert changed[WIDENED].service == "payments"


def test_iam_table_shows_the_widened_statement_and_the_new_services_grants(
        report: DiffReport) -> None:
    assert {c.service for c in report.iam} == {"ledger", "orders", "payments"}
    assert {c.sign for c in report.iam if c.service == "ledger"} == {"+"}
    # Orders' connect statements lose exactly the removed shard's database users.
    narrowed = [c for c in report.iam if c.service == "orders"]
    assert {c.resource_name for c in narrowed} == {"orders-grants-own-0"}
    for sid in ("ConnectAsRO", "ConnectAsRW"):
        removed, added = (c for c in narrowed if c.sid == sid)
        assert (removed.sign, added.sign) == ("-", "+")
        assert removed.statement is not None and added.statement is not None
        assert len(removed.statement.resources) - len(added.statement.resources) == 1

    widened = [c for c in report.iam if c.service == "payments"]
    assert [(c.sign, c.resource_name) for c in widened] == [("-", WIDENED), ("+", WIDENED)]
    before, after = (c.statement for c in widened)
    assert before is not None and after is not None
    assert set(after.actions) - set(before.actions) == {ADDED_ACTION}
    assert (after.resources, after.principals) == (before.resources, before.principals)
    trust = [c for c in report.iam if c.document == "assumeRolePolicy"]
    assert [(c.resource_name, c.statement.principals if c.statement else ()) for c in trust] == \
        [("ledger-role", ("Service:pods.eks.amazonaws.com",))]


def test_no_security_group_rule_changes(report: DiffReport) -> None:
    assert report.security_groups == []


def test_the_shard_is_the_one_stateful_deletion_and_the_run_fails(report: DiffReport) -> None:
    (deletion,) = report.stateful
    assert (deletion.action, deletion.type, deletion.name, deletion.service) == \
        ("delete", "aws:rds/cluster:Cluster", SHARD, "orders")
    assert deletion.protect and deletion.retain_on_delete  # prod protects its databases
    assert report.exit_code == 1


def test_the_command_exits_1_then_0_once_the_shard_urn_is_acknowledged(
        report: DiffReport, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(synthesized("prod")))
    new.write_text(json.dumps(_after()))
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["exitCode"] == 1 and body["summary"]["unacknowledged"] == 1
    urn = report.stateful[0].urn
    assert main(["diff", str(old), str(new), "--format", "json",
                 "--accept-replacement", urn]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["stateful"][0]["acceptedBy"] == urn and body["unusedAcceptances"] == []
    assert main(["diff", str(old), str(new), "--accept-replacement", "*::orders-postgres-*"]) == 0
