"""The deployed-state lock: topics and the network's region, CIDR and AZs as last deployed;
replacements against it are refused unless acknowledged, naming the real lock file."""

from __future__ import annotations

import json
import shutil

import pytest

from infra.cli import main
from infra.config import load_catalog
from infra.errors import ConfigError
from stacks._lock import (
    LockError,
    deployed_state,
    legacy_lock_file,
    lock_file,
    lock_problems,
    read_lock,
    write_lock,
)
from stacks.catalog import Catalog
from tests.conftest import run_mocked
from tests.stacks._config_fixtures import ROOT, find, problems_of_raw, raw_with


def _catalog(tier="prod", partitions=12, rf=None, ack=False, mode="provisioned", **network):
    topic = {"partitions": partitions, "acknowledgeReplicationChange": ack}
    if rf is not None:
        topic["replicationFactor"] = rf
    return Catalog.model_validate({
        "environment": {"name": tier, "tier": tier, "owner": "platform", "costCenter": "cc-1"},
        "network": {"azCount": 3, **network},
        "kafka": {"mode": mode},
        "services": {
            "orders": {"owner": "team-a", "classification": "internal",
                       "produces": {"order-events": topic}},
            "billing": {"owner": "team-b", "classification": "internal",
                        "produces": {"invoices": {}},
                        "consumes": [{"topic": "orders.order-events", "maxLagMessages": 50}]},
        }})


LOCKED = deployed_state(_catalog())
SOURCE = "locks/deployed.prod.json"


def test_lock_records_region_network_and_effective_topics():
    assert LOCKED == {
        "version": 2, "region": "eu-west-1",
        "network": {"cidr": "10.0.0.0/16", "azCount": 3, "availabilityZones": None},
        "topics": {"billing.invoices": {"replicationFactor": 3, "partitions": 6},
                   "orders.order-events": {"replicationFactor": 3, "partitions": 12}}}


def test_lock_round_trips_through_the_file_at_the_project_root(tmp_path):
    path = write_lock(_catalog(), tmp_path, "prod")
    assert path == tmp_path / "locks" / "deployed.prod.json" == lock_file(tmp_path, "prod")
    assert read_lock(tmp_path, "prod") == (LOCKED, path)
    assert read_lock(tmp_path, "dev") == (None, None)


REFUSED = [
    # (case, catalog, key path, fragment)
    ("a replication change", _catalog(rf=2),
     ("services", "orders", "produces", "order-events", "replicationFactor"),
     "replaces topic orders.order-events and deletes its data"),
    ("fewer partitions, even acknowledged", _catalog(partitions=6, ack=True),
     ("services", "orders", "produces", "order-events", "partitions"),
     "Kafka cannot remove partitions"),
    ("another AZ count", _catalog(azCount=2), ("network", "azCount"),
     "azCount 3 -> 2 replaces the subnets and everything in them: the MSK cluster, every "
     "InfluxDB instance"),
    ("AZs named where the data source chose them", _catalog(
        availabilityZones=["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
     ("network", "availabilityZones"), "(the region's first 3 AZs) -> [eu-west-1a"),
    ("another VPC CIDR", _catalog(cidr="10.1.0.0/16"), ("network", "cidr"),
     "replaces the VPC"),
]


@pytest.mark.parametrize(("catalog", "path", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refuses_unacknowledged_replacements_naming_the_lock_file(catalog, path, fragment):
    problem = find(lock_problems(catalog, LOCKED, SOURCE), path, "STRATA-E106", fragment)
    assert f"deployed value from {SOURCE}" in problem.message


def test_another_region_is_refused_at_aws_region():
    moved = {**LOCKED, "region": "eu-central-1"}
    problem = find(lock_problems(_catalog(), moved, SOURCE), ("aws:region",), "STRATA-E106")
    assert "every resource is replaced" in problem.message


def test_acknowledged_changes_pass():
    assert lock_problems(_catalog(rf=2, ack=True), LOCKED, SOURCE) == []
    renamed = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert lock_problems(_catalog(cidr="10.1.0.0/16", availabilityZones=renamed,
                                  acknowledgeReplacement=True), LOCKED, SOURCE) == []


def test_fewer_azs_also_change_the_default_replication():
    """Two AZs mean two brokers, so the default replication drops from 3 to 2: the topics
    would be replaced too, and the message says so per topic."""
    problems = lock_problems(_catalog(azCount=2, acknowledgeReplacement=True), LOCKED, SOURCE)
    assert sorted(p.path[1] for p in problems) == ["billing", "orders"]


def test_growth_serverless_and_no_lock_pass():
    assert lock_problems(_catalog(partitions=24), LOCKED, SOURCE) == []
    assert lock_problems(_catalog(rf=2, mode="serverless", tier="dev"),
                         deployed_state(_catalog(tier="dev")), SOURCE) == []
    assert lock_problems(_catalog(rf=2), None, SOURCE) == []


def test_a_version_1_topic_lock_is_still_read_where_it_was(tmp_path):
    legacy = legacy_lock_file(tmp_path, "prod")
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"version": 1, "topics": LOCKED["topics"]}))
    lock, path = read_lock(tmp_path, "prod")
    assert path == legacy
    problems = lock_problems(_catalog(rf=2, cidr="10.1.0.0/16"), lock,
                             "stacks/topics.prod.lock.json")
    assert [p.path[-1] for p in problems] == ["replicationFactor"]  # no network in version 1


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "cannot read the deployed-state lock"),
    ("[]", "the file must be a JSON object"),
    ('{"topics": {"a.b": {"partitions": "6", "replicationFactor": 3}}}', "topics.a.b must be"),
    ('{"topics": {}, "network": {"cidr": 1}}', "network must be"),
])
def test_a_broken_lock_is_named_not_a_traceback(tmp_path, content, fragment):
    path = lock_file(tmp_path, "prod")
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(LockError, match=fragment) as caught:
        read_lock(tmp_path, "prod")
    assert str(path) in str(caught.value)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's stack files, run from its directory."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_strata_lock_writes_the_lock_and_the_program_judges_against_it(project, capsys):
    assert main(["lock", "dev"]) == 0
    assert f"wrote {project / 'locks' / 'deployed.dev.json'}" in capsys.readouterr().out
    raw = raw_with("dev", ("network.azCount", 3), ("kafka.brokers", 3))
    lock, _ = read_lock(project, "dev")
    problem = find(problems_of_raw(raw, lock, "locks/deployed.dev.json"), ("network", "azCount"),
                   "STRATA-E106")
    assert "locks/deployed.dev.json" in problem.message


def test_the_program_reads_the_lock_at_the_project_root(project):
    locked = json.loads(json.dumps(deployed_state(_catalog())))
    locked["network"]["cidr"] = "10.99.0.0/16"  # deployed elsewhere than Pulumi.dev.yaml says
    (project / "locks").mkdir()
    (project / "locks" / "deployed.dev.json").write_text(json.dumps(locked))
    config = {"aws:region": "eu-west-1"}
    for key, value in raw_with("dev").items():
        config[f"strata:{key}"] = json.dumps(value)
    errors = []
    run_mocked(lambda: _load(errors), stack="dev", config=config)
    assert "[STRATA-E106] strata:network.cidr: VPC CIDR 10.99.0.0/16 -> 10.20.0.0/16" \
        in errors[0]
    assert "(deployed value from locks/deployed.dev.json)" in errors[0]


def _load(errors):
    try:
        load_catalog()
    except ConfigError as error:
        errors.append(error.render())


def test_topics_lock_is_an_alias_and_reminds_to_drop_acknowledgements(project, capsys):
    text = (project / "Pulumi.dev.yaml").read_text().replace(
        "    natMode: single\n", "    natMode: single\n    acknowledgeReplacement: true\n")
    (project / "Pulumi.dev.yaml").write_text(text)
    legacy = legacy_lock_file(project, "dev")
    legacy.parent.mkdir()
    legacy.write_text('{"version": 1, "topics": {}}')
    assert main(["topics", "lock", "dev"]) == 0
    out = capsys.readouterr().out
    assert "remove network.acknowledgeReplacement" in out
    assert f"delete {legacy}" in out
    assert read_lock(project, "dev")[1] == lock_file(project, "dev")


def test_strata_lock_refuses_a_bad_config_with_exit_2(project, capsys):
    text = (project / "Pulumi.dev.yaml").read_text().replace("azCount: 2", "azCount: true")
    (project / "Pulumi.dev.yaml").write_text(text)
    assert main(["lock", "dev"]) == 2
    assert "strata:network.azCount: expected a whole number" in capsys.readouterr().err
    assert not lock_file(project, "dev").exists()

