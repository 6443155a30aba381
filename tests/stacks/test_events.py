from __future__ import annotations

import json
from collections import defaultdict

import kubernetes_validate
import pytest

from infra.synth import synthesize
from stacks._events import consumer_groups
from stacks.catalog import Catalog
from tests.conftest import role_policies

EXPECTED_CONSUMES = {  # from Pulumi.<stack>.yaml: service -> {(topic, group)}
    "payments": {("orders.order-events", "payments")},
    "inventory": {("orders.order-events", "inventory-reservations")},
    "telemetry": {("payments.payment-events", "telemetry")},
    "analytics": {("orders.order-events", "analytics"), ("payments.payment-events", "analytics")},
    "orders": set(),
}
EXPECTED_PRODUCES = {"orders": {"orders.order-events"}, "payments": {"payments.payment-events"},
                     "inventory": set(), "telemetry": set(), "analytics": set()}


@pytest.fixture(scope="module")
def manifests():
    return {stack: synthesize(stack) for stack in ("dev", "prod")}


def _of_type(manifest, type_):
    return [r for r in manifest["resources"] if r["type"] == type_]


def _kafka_access(manifest, env):
    """role's service -> (topics it may write, (topic, group) pairs it may read)."""
    produces, consumes = defaultdict(set), defaultdict(set)
    for role, policy in role_policies(manifest):
        if not role.startswith(f"strata-{env}-"):
            continue
        service = role.removeprefix(f"strata-{env}-")
        statements = json.loads(policy["inputs"]["policy"])["Statement"]
        topics = [(s["Action"], r.rsplit("/", 1)[-1]) for s in statements
                  for r in s["Resource"] if ":topic/" in r]
        groups = [r.rsplit("/", 1)[-1] for s in statements for r in s["Resource"]
                  if ":group/" in r]
        reads = [topic for actions, topic in topics if "kafka-cluster:ReadData" in actions]
        for actions, topic in topics:
            assert "kafka-cluster:*" not in actions
            if "kafka-cluster:WriteData" in actions:
                produces[service].add(topic)
        # A consume policy holds one (topic, group) pair per topic of one producer.
        assert len(reads) == len(groups)
        consumes[service] |= set(zip(reads, groups, strict=True))
    return produces, consumes


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_synth_builds_cluster_kafka_topics_and_tenancy_per_service(manifests, stack):
    manifest = manifests[stack]
    assert len(_of_type(manifest, "aws:eks/cluster:Cluster")) == 1
    assert len(_of_type(manifest, "aws:msk/cluster:Cluster")) == 1
    topics = {t["inputs"]["name"]: t for t in _of_type(manifest, "aws:msk/topic:Topic")}
    assert set(topics) == {"orders.order-events", "payments.payment-events"}
    # Both producers hold confidential or restricted data: their topics are protected in
    # every environment, not only in prod.
    assert all(t["protect"] and t["retainOnDelete"] for t in topics.values())
    namespaces = {n["inputs"]["metadata"]["name"]
                  for n in _of_type(manifest, "kubernetes:core/v1:Namespace")}
    assert namespaces == set(EXPECTED_CONSUMES)
    pod_identity = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    bindings = {(b["inputs"]["namespace"], b["inputs"]["roleArn"].rsplit("/", 1)[-1])
                for b in _of_type(manifest, pod_identity)}
    assert bindings == {(s, f"strata-{stack}-{s}") for s in EXPECTED_CONSUMES}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_has_exactly_its_declared_kafka_grants(manifests, stack):
    produces, consumes = _kafka_access(manifests[stack], stack)
    for service in EXPECTED_CONSUMES:
        assert produces.get(service, set()) == EXPECTED_PRODUCES[service], service
        assert consumes.get(service, set()) == EXPECTED_CONSUMES[service], service


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_role_produces_to_another_services_topic(manifests, stack):
    produces, _ = _kafka_access(manifests[stack], stack)
    for service, topics in produces.items():
        assert all(topic.split(".", 1)[0] == service for topic in topics), (service, topics)


def test_prod_kafka_is_sized_and_strict(manifests):
    cluster = _of_type(manifests["prod"], "aws:msk/cluster:Cluster")[0]
    assert cluster["inputs"]["numberOfBrokerNodes"] == 3
    assert cluster["inputs"]["enhancedMonitoring"] == "PER_TOPIC_PER_BROKER"
    rule = _of_type(manifests["prod"],
                    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    kafka_rules = [r for r in rule if r["inputs"].get("fromPort") == 9098]
    assert [r["inputs"]["referencedSecurityGroupId"] for r in kafka_rules] == \
        ["sg-mock-eks-cluster"]
    eks = _of_type(manifests["prod"], "aws:eks/cluster:Cluster")[0]["inputs"]
    assert eks["vpcConfig"]["endpointPublicAccess"] is False
    assert eks["deletionProtection"] is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kubernetes_object_validates_against_the_schema(manifests, stack):
    objects = [r for r in manifests[stack]["resources"]
               if r["type"].startswith("kubernetes:") and r["custom"]]
    # 5 services x (namespace, account, quota, limits, 5 base policies, kafka egress), plus
    # store egress for the 4 services with a PostgreSQL or InfluxDB port, the AMP collector's
    # ClusterRole and binding, plus (prod, Auto Mode) the ConfigMap that turns on NetworkPolicy
    # enforcement.
    assert len(objects) == 5 * 10 + 4 + 2 + (stack == "prod")
    for obj in objects:
        kubernetes_validate.validate(obj["inputs"], "1.33", strict=True)


def test_serverless_dev_has_grants_but_no_topic_resources():
    manifest = synthesize("dev", overrides={"strata:kafka": json.dumps({"mode": "serverless"})})
    assert len(_of_type(manifest, "aws:msk/serverlessCluster:ServerlessCluster")) == 1
    assert _of_type(manifest, "aws:msk/topic:Topic") == []
    produces, consumes = _kafka_access(manifest, "dev")
    assert produces["orders"] == {"orders.order-events"}
    assert consumes["analytics"] == EXPECTED_CONSUMES["analytics"]


def _catalog(tier="prod", partitions=12, rf=None, ack=False, mode="provisioned"):
    topic = {"partitions": partitions, "acknowledgeReplicationChange": ack}
    if rf is not None:
        topic["replicationFactor"] = rf
    return Catalog.model_validate({
        "environment": {"name": tier, "tier": tier, "owner": "platform", "costCenter": "cc-1"},
        "network": {"azCount": 3},
        "kafka": {"mode": mode},
        "services": {
            "orders": {"owner": "team-a", "classification": "internal",
                       "produces": {"order-events": topic}},
            "billing": {"owner": "team-b", "classification": "internal",
                        "produces": {"invoices": {}},
                        "consumes": [{"topic": "orders.order-events", "maxLagMessages": 50}]},
        }})


def test_consumer_groups_default_the_group_to_the_service():
    assert consumer_groups(_catalog()) == [{"service": "billing", "topic": "orders.order-events",
                                           "group": "billing", "max_lag_messages": 50}]
