"""The dev and prod stacks, synthesized from their real stack files, honour the contract:
manifest shape, counts derived from config, tags everywhere, each service alone with its data.
"""

from __future__ import annotations

import importlib
import inspect
import json
from functools import cache
from pathlib import Path

import pytest
import yaml

from infra.config import catalog_from_raw
from infra.synth import synthesize
from stacks.conventions import REQUIRED_TAG_KEYS
from tests.conftest import role_policies

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"urn", "type", "name", "custom", "parent", "provider", "inputs", "dependencies",
          "propertyDependencies", "protect", "retainOnDelete", "aliases"}


@cache
def _synth(stack: str) -> dict:
    return synthesize(stack, ROOT)


def _catalog(stack: str):
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("strata:")}
    raw["environment"]["region"] = config["aws:region"]
    return catalog_from_raw(raw, f"Pulumi.{stack}.yaml")


@cache
def takes_tags(type_token: str) -> bool:
    """Whether a pulumi-aws resource type accepts `tags`, read from the SDK's own signature."""
    package, module_path, class_name = type_token.split(":")
    if package != "aws":
        return False
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def _service_of(manifest: dict) -> dict[str, str]:
    """urn -> the ServiceData (service name) it belongs to, by parent chain."""
    by_urn = {r["urn"]: r for r in manifest["resources"]}
    owner: dict[str, str] = {}
    for r in manifest["resources"]:
        node = r
        while node and node["type"] != "strata:index:ServiceData":
            node = by_urn.get(node["parent"])
        if node:
            owner[r["urn"]] = node["name"]
    return owner


@pytest.fixture(params=["dev", "prod"])
def stack(request):
    return request.param


def test_manifest_has_the_contract_shape(stack, tmp_path):
    manifest = _synth(stack)
    assert manifest["project"] == "strata" and manifest["stack"] == stack
    for record in manifest["resources"]:
        assert set(record) == FIELDS
        assert record["urn"].startswith(f"urn:pulumi:{stack}::strata::")
    root = [r for r in manifest["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert len(root) == 1
    platform = next(r for r in manifest["resources"] if r["type"] == "strata:index:Platform")
    assert platform["parent"] == root[0]["urn"]
    assert set(manifest["outputs"]) >= {"vpcId", "dataCatalog"}


def test_counts_follow_the_config(stack):
    manifest, catalog = _synth(stack), _catalog(stack)
    count = {}
    for r in manifest["resources"]:
        count[r["type"]] = count.get(r["type"], 0) + 1
    azs = catalog.network.az_count
    assert count["aws:ec2/subnet:Subnet"] == 3 * azs
    nats = azs if catalog.network.nat_mode == "per-az" else 1
    assert count["aws:ec2/natGateway:NatGateway"] == nats
    services = catalog.services.values()
    assert count["strata:index:ServiceData"] == len(catalog.services)
    assert count["aws:kms/key:Key"] == len(catalog.services) + 1  # one each + the platform key
    shards = {engine: sum(s.postgres.shards for s in services
                          if s.postgres and s.postgres.engine == engine)
              for engine in ("rds", "aurora")}
    assert count.get("aws:rds/instance:Instance", 0) == shards["rds"]
    assert count.get("aws:rds/cluster:Cluster", 0) == shards["aurora"]
    writers_and_readers = sum(s.postgres.shards * (1 + s.postgres.readers) for s in services
                              if s.postgres and s.postgres.engine == "aurora")
    assert count.get("aws:rds/clusterInstance:ClusterInstance", 0) == writers_and_readers
    assert count["aws:dynamodb/table:Table"] == sum(len(s.keyvalue) for s in services)
    assert count["aws:msk/topic:Topic"] == sum(len(s.produces) for s in services)
    assert count["kubernetes:core/v1:Namespace"] == len(catalog.services)


def test_every_taggable_resource_carries_the_five_tags(stack):
    manifest, catalog = _synth(stack), _catalog(stack)
    owners = _service_of(manifest)
    checked = 0
    for r in manifest["resources"]:
        if not r["custom"] or not takes_tags(r["type"]):
            continue
        tags = r["inputs"].get("tags", {})
        missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
        assert not missing, f"{r['urn']} lacks {missing}"
        assert tags["environment"] == catalog.environment.name
        service = owners.get(r["urn"])
        if service:
            assert tags["service"] == service, r["urn"]
            assert tags["data-classification"] == catalog.services[service].classification
        checked += 1
    assert checked > 25


def test_stateful_protection_in_prod_and_for_classified_data_everywhere(stack):
    manifest, catalog = _synth(stack), _catalog(stack)
    owners = _service_of(manifest)
    stateful = {"aws:kms/key:Key", "aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
                "aws:dynamodb/table:Table", "aws:msk/topic:Topic"}
    checked = 0
    for r in manifest["resources"]:
        if r["type"] not in stateful or r["urn"] not in owners:
            continue
        classified = catalog.services[owners[r["urn"]]].classification in (
            "confidential", "restricted")
        expected = stack == "prod" or classified
        assert r["protect"] is expected and r["retainOnDelete"] is expected, r["urn"]
        checked += 1
    assert checked >= len(catalog.services)


def test_each_key_is_usable_only_by_its_own_service(stack):
    manifest = _synth(stack)
    owners = _service_of(manifest)
    for key in (r for r in manifest["resources"] if r["type"] == "aws:kms/key:Key"):
        service = owners.get(key["urn"])
        policy = json.loads(key["inputs"]["policy"])
        users = [s for s in policy["Statement"] if s["Sid"] == "KeyUsers"]
        if service is None:  # the platform key: AWS services only, no workload role
            assert not users
            continue
        (statement,) = users
        assert statement["Principal"]["AWS"] == [
            f"arn:aws:iam::123456789012:role/strata-{stack}-{service}"]


def test_no_role_is_granted_another_services_resources(stack):
    manifest = _synth(stack)
    owners = _service_of(manifest)
    by_urn = {r["urn"]: r for r in manifest["resources"]}
    groups: dict[str, set[str]] = {}
    for grantee, policy in role_policies(manifest):
        service = grantee.removeprefix(f"strata-{stack}-")
        if service == grantee or service not in _catalog(stack).services:
            continue  # platform roles (flow logs, cluster, monitoring) are not service roles
        groups.setdefault(service, set()).add(policy["name"].rsplit("-", 1)[0])
        for urn in policy["propertyDependencies"].get("policy", []):
            target = by_urn[urn]
            target_service = owners.get(urn)
            if target["type"] == "aws:msk/topic:Topic":
                continue  # consumption of other services' topics: tests/stacks/test_events.py
            assert target_service in (None, service), \
                f"{service}'s role reaches {target['type']} of {target_service}"
        document = json.loads(policy["inputs"]["policy"])
        for statement in document["Statement"]:
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            if resources == ["*"]:
                assert all(a == "timestream:DescribeEndpoints" for a in statement["Action"])
                continue
            for other in _catalog(stack).services:
                if other != service:
                    assert not any(f"-{other}" in arn.split(":")[-1] for arn in resources
                                   if ":topic/" not in arn and ":group/" not in arn), \
                        (service, other, resources)
    # One group for the service's own stores and topics, one for what it consumes.
    for name, svc in _catalog(stack).services.items():
        assert groups[name] == {f"{name}-grants-own"} | (
            {f"{name}-grants-consume"} if svc.consumes else set()), name
