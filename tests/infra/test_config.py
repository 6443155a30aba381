"""Bad stack config is rejected with the key path, all problems at once, before any resource."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from infra.config import catalog_from_raw
from infra.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _dev_raw() -> dict:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in config.items()
            if key.startswith("strata:")}


def _with(path: str, value, raw=None) -> dict:
    """A copy of the dev catalog with `value` at dotted `path` (None deletes the key)."""
    raw = copy.deepcopy(raw or _dev_raw())
    *parents, leaf = path.split(".")
    node = raw
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is None:
        del node[leaf]
    else:
        node[leaf] = value
    return raw


def _prod_like(raw: dict) -> dict:
    raw["environment"] = {**raw["environment"], "tier": "prod", "name": "prod"}
    return raw


BAD_CONFIGS = [
    # (description, raw catalog, expected key path, expected fragment)
    ("unknown key with hint", _with("services.orders.postgres.shard", 3),
     "strata:services.orders.postgres.shard", "did you mean 'shards'"),
    ("unknown section", _with("servics", {}), "strata:servics", "did you mean 'services'"),
    ("too many shards", _with("services.orders.postgres.shards", 65),
     "strata:services.orders.postgres.shards", "1..64"),
    ("zero shards", _with("services.orders.postgres.shards", 0),
     "strata:services.orders.postgres.shards", "1..64"),
    ("cidr too wide", _with("network.cidr", "10.0.0.0/8"), "strata:network.cidr", "/16../24"),
    ("cidr too small for the AZs",
     _with("network.azCount", 6, _with("network.cidr", "10.0.0.0/24")),
     "strata:network.azCount", "below /28"),
    ("public cidr", _with("network.cidr", "8.8.0.0/16"), "strata:network.cidr", "private"),
    ("service name not DNS-safe", _with("services.Orders_Svc", {"owner": "a-team",
                                                               "classification": "public"}),
     "strata:services.Orders_Svc", "DNS label"),
    ("bad classification", _with("services.orders.classification", "secret"),
     "strata:services.orders.classification", "'restricted'"),
    ("missing owner", _with("services.orders.owner", None), "strata:services.orders.owner",
     "missing"),
    ("missing environment", _with("environment", None), "strata:environment", "missing"),
    ("prod single AZ", _prod_like(_with("network.azCount", 1)), "strata:network.azCount",
     "at least 2 AZs"),
    ("prod unprotected", _prod_like(_with("environment.protect", False)),
     "strata:environment.protect", "protect"),
    ("rds with serverless", _with("services.orders.postgres.serverless", {"maxAcu": 4}),
     "strata:services.orders.postgres.engine", "Aurora"),
    ("provisioned without capacity",
     _with("services.payments.keyvalue.payment-intents.billingMode", "provisioned"),
     "strata:services.payments.keyvalue.payment-intents.capacity", "capacity"),
    ("consumer of a missing topic", _with("services.payments.consumes.0.topic", "orders.nope"),
     "strata:services.payments.consumes[0].topic", "no service produces 'orders.nope'"),
    ("parallelism above partitions", _with("services.payments.consumes.0.parallelism", 7),
     "strata:services.payments.consumes[0].parallelism", "6 partitions"),
    ("brokers not a multiple of AZs", _with("kafka.brokers", 3), "strata:kafka.brokers",
     "a multiple of 2"),
    ("region partitioning without regions",
     _with("services.inventory.postgres.regions", ["eu"]),
     "strata:services.inventory.postgres.regions", "geography per shard"),
    ("public EKS endpoint open to the world", _with("cluster.publicAccessCidrs", ["0.0.0.0/0"]),
     "strata:cluster.publicAccessCidrs", "internet"),
    ("no route from the deployer to the EKS API", _with("cluster.deployerCidrs", None),
     "strata:cluster.deployerCidrs", "no route from the deployer"),
    ("deployer network open to the world", _with("cluster.deployerCidrs", ["0.0.0.0/0"]),
     "strata:cluster.deployerCidrs", "internet"),
]


@pytest.mark.parametrize(("raw", "path", "fragment"),
                         [case[1:] for case in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
def test_rejects_bad_config_naming_the_key(raw, path, fragment):
    with pytest.raises(ConfigError) as caught:
        catalog_from_raw(raw, "Pulumi.dev.yaml")
    text = caught.value.render()
    assert text.startswith("Pulumi.dev.yaml:")
    matching = [line for line in text.splitlines() if f"{path}:" in line]
    assert matching, text
    assert fragment in text, text


def test_reports_every_problem_at_once():
    raw = _with("services.orders.postgres.shards", 99, _with("network.cidr", "10.0.0.0/8"))
    raw["servces"] = {}
    with pytest.raises(ConfigError) as caught:
        catalog_from_raw(raw, "Pulumi.dev.yaml")
    paths = {p.path for p in caught.value.problems}
    assert paths == {("servces",), ("network", "cidr"), ("services", "orders", "postgres",
                                                          "shards")}


def test_the_sample_stacks_are_valid():
    dev = catalog_from_raw(_dev_raw(), "Pulumi.dev.yaml")
    assert not dev.environment.is_prod and dev.environment.backup_days == 7
    prod_raw = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    prod = catalog_from_raw({k.split(":", 1)[1]: v for k, v in prod_raw.items()
                             if k.startswith("strata:")}, "Pulumi.prod.yaml")
    assert prod.environment.protected and prod.environment.backup_days == 35
    assert prod.network.az_count >= 2
    kinds = {kind for s in dev.services.values() for kind, present in
             (("postgres", s.postgres), ("keyvalue", s.keyvalue), ("timeseries", s.timeseries))
             if present}
    assert kinds == {"postgres", "keyvalue", "timeseries"}
    assert len(dev.services) >= 4


def _project_with(tmp_path: Path, stack_config: dict) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(textwrap.dedent(f"""\
        name: strata
        runtime: python
        main: {ROOT / 'infra'}
        """))
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": stack_config}))
    return tmp_path


def test_cli_exits_2_without_traceback(tmp_path):
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["strata:services"]["orders"]["postgres"]["shards"] = 100
    config["strata:network"]["natMod"] = "single"
    project = _project_with(tmp_path, config)
    result = subprocess.run([sys.executable, "-m", "infra.cli", "synth", "bad"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Pulumi.bad.yaml: 2 problems" in result.stderr
    assert "strata:services.orders.postgres.shards" in result.stderr
    assert "did you mean 'natMode'" in result.stderr
    assert not (project / "build").exists()


def test_cli_rejects_duplicate_yaml_keys(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\nmain: {ROOT/'infra'}\n")
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  aws:region: eu-west-1\n"
                                              "  aws:region: us-east-1\n")
    result = subprocess.run([sys.executable, "-m", "infra.cli", "synth", "bad"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "duplicate key 'aws:region'" in result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_an_unacknowledged_replication_change_against_the_lock():
    lock = {"version": 1, "topics": {"orders.order-events": {"replicationFactor": 3,
                                                             "partitions": 12}}}
    with pytest.raises(ConfigError) as caught:
        catalog_from_raw(_dev_raw(), "Pulumi.dev.yaml", topic_lock=lock)
    text = caught.value.render()
    assert "[STRATA-E106] strata:services.orders.produces.order-events.replicationFactor" in text
    assert "[STRATA-E106] strata:services.orders.produces.order-events.partitions" in text
    acknowledged = _with("services.orders.produces.order-events.acknowledgeReplicationChange",
                         True, _with("services.orders.produces.order-events.partitions", 12))
    catalog_from_raw(acknowledged, "Pulumi.dev.yaml", topic_lock=lock)


def test_topics_lock_command_records_the_deployed_topics(tmp_path, monkeypatch):
    import stacks._events as events

    monkeypatch.setattr(events, "LOCK_DIR", tmp_path)
    from infra.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["topics", "lock", "dev"]) == 0
    lock = events.read_topic_lock("dev")
    assert lock["topics"]["orders.order-events"] == {"replicationFactor": 2, "partitions": 6}
