"""Every size the catalog allows stays within IAM's limits (issue 8, item 13): at 64 shards, an
InfluxDB instance, 10 tables of 5 indexes with streams, 10 produced topics and 10 subscriptions,
a service's role holds at most 10 managed policies, each within 6,144 characters once resolved.

Built through the real ServiceData and Topic code under the mock runtime (a full synth of such a
catalog takes far longer and proves nothing more about the grants).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.iam import MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_MAX_CHARS
from components.kafka import Topic
from components.network import Network
from policies.security.iam_documents import iam_document_problems
from stacks.catalog import (
    MAX_GLOBAL_INDEXES,
    MAX_SUBSCRIPTIONS,
    MAX_TABLES,
    MAX_TOPICS,
    Environment,
    MonitoringSpec,
    Service,
)
from stacks.service import ServiceData
from tests.conftest import run_mocked

CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/strata-prod/0a1b2c3d-4e5f-6789-abcd-ef01"


def _largest_service() -> Service:
    return Service.model_validate({
        "owner": "team-big", "classification": "restricted",
        "postgres": {"engine": "aurora", "shards": 64, "readers": 1},
        "timeseries": {"engine": "influxdb"},
        "keyvalue": {f"table-{t}": {
            "partitionKey": {"name": "id"}, "sortKey": {"name": "at"}, "stream": True,
            "globalIndexes": {f"by-{i}": {"partitionKey": {"name": f"key{i}"}}
                              for i in range(MAX_GLOBAL_INDEXES)}}
            for t in range(MAX_TABLES)},
        "produces": {f"topic-{t}": {"partitions": 6} for t in range(MAX_TOPICS)},
        "consumes": [{"topic": f"producer-{t}.events"} for t in range(MAX_SUBSCRIPTIONS)],
    })


def _build() -> None:
    env = Environment.model_validate({"name": "prod", "tier": "prod", "owner": "platform",
                                      "costCenter": "cc-1", "region": "eu-west-1"})
    network = Network("network", {"cidr": "10.30.0.0/16",
                                  "availability_zones": ["eu-west-1a", "eu-west-1b"]})
    service = _largest_service()
    data = ServiceData("big", {
        "service": service, "environment": env, "network": network,
        "monitoring": MonitoringSpec(), "cluster_arn":
            "arn:aws:eks:eu-west-1:123456789012:cluster/strata-prod"},
        opts=pulumi.ResourceOptions())
    for topic in service.produces:
        data.topics[f"big.{topic}"] = Topic(f"big.{topic}", {
            "cluster_arn": CLUSTER, "topic_name": f"big.{topic}", "partitions": 6,
            "replication_factor": 3}, opts=pulumi.ResourceOptions(parent=data))
    consumed = [Topic(c.topic, {"cluster_arn": CLUSTER, "topic_name": c.topic, "partitions": 6,
                                "replication_factor": 3}) for c in service.consumes]
    data.grant([(topic, "big") for topic in consumed])


def _compact_size(document: str) -> int:
    return len("".join(document.split()))


def test_the_largest_service_the_catalog_allows_fits_iams_limits():
    registered = run_mocked(_build, stack="prod")
    policies: list[dict[str, Any]] = [r for r in registered.of_type("aws:iam/policy:Policy")
                                      if r["name"].startswith("big-grants-")]
    assert 0 < len(policies) <= MANAGED_POLICIES_PER_ROLE
    for policy in policies:
        assert _compact_size(policy["inputs"]["policy"]) <= MANAGED_POLICY_MAX_CHARS
        # Packing merges grants: their Sids must stay unique and every action must still fit.
        assert iam_document_problems(policy["inputs"]["policy"], "identity") == [], policy["name"]
    statements = [s for p in policies for s in json.loads(p["inputs"]["policy"])["Statement"]]
    shard_users = {r for s in statements for r in s["Resource"] if ":dbuser:" in r}
    assert len(shard_users) == 2 * 64  # every shard's _ro and _rw user, none dropped
    topics = {r for s in statements for r in s["Resource"] if ":topic/" in r}
    assert len(topics) == MAX_TOPICS + MAX_SUBSCRIPTIONS
