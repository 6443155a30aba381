from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components.kafka import IAM_PORT, KafkaCluster, group_arn, topic_arn
from tests.components._platform_fixtures import key_and_network

CLUSTER_ARN = "arn:aws:kafka:eu-west-1:123456789012:cluster/strata-prod/abc-123-2"
TOPICS = {
    "orders.order-events": {"partitions": 12, "replication_factor": 3, "retention_hours": 24,
                            "configs": {"max.message.bytes": "2097152"}},
    "payments.payment-events": {"partitions": 6, "replication_factor": 3,
                                "retention_hours": 168, "cleanup_policy": "compact"},
}


def _kafka(tags, **extra):
    key, network = key_and_network(tags)
    role = aws.iam.Role("payments-role", assume_role_policy="{}")
    kafka = KafkaCluster("kafka", {
        "cluster_name": "strata-test", "network": network, "key": key, "tags": tags,
        "client_security_group_id": "sg-eks", "log_retention_days": 30, "topics": TOPICS,
        **extra})
    kafka.grant_produce(role, kafka.topics["payments.payment-events"], grantee="payments")
    kafka.grant_consume(role, kafka.topics["orders.order-events"], "payments",
                        grantee="payments")
    return kafka


def test_topic_and_group_arns_derive_from_the_cluster_arn():
    assert topic_arn(CLUSTER_ARN, "orders.x") == \
        "arn:aws:kafka:eu-west-1:123456789012:topic/strata-prod/abc-123-2/orders.x"
    assert group_arn(CLUSTER_ARN, "inv") == \
        "arn:aws:kafka:eu-west-1:123456789012:group/strata-prod/abc-123-2/inv"
    with pytest.raises(ValueError):
        topic_arn("arn:aws:kafka:eu-west-1:1:topic/x", "t")


def test_cluster_requires_tls_and_iam_and_encrypts_with_the_platform_key(mocked, tags):
    registered = mocked(lambda: _kafka(tags, production=True, brokers=3))
    inputs = registered.one("aws:msk/cluster:Cluster")["inputs"]
    key_arn = registered.one("aws:kms/key:Key")  # the platform key
    assert inputs["encryptionInfo"] == {
        "encryptionAtRestKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/platform-key-key",
        "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}
    assert key_arn["name"] == "platform-key-key"
    assert inputs["clientAuthentication"] == {"sasl": {"iam": True, "scram": False},
                                              "unauthenticated": False}
    assert inputs["numberOfBrokerNodes"] == 3
    assert len(inputs["brokerNodeGroupInfo"]["clientSubnets"]) == 3
    assert inputs["brokerNodeGroupInfo"]["connectivityInfo"] == {"publicAccess":
                                                                 {"type": "DISABLED"}}
    assert inputs["enhancedMonitoring"] == "PER_TOPIC_PER_BROKER"
    assert inputs["openMonitoring"] == {"prometheus": {
        "jmxExporter": {"enabledInBroker": True}, "nodeExporter": {"enabledInBroker": True}}}
    logs = registered.named("kafka-broker-logs")
    assert logs["inputs"]["kmsKeyId"].endswith("key/platform-key-key")
    assert logs["inputs"]["retentionInDays"] == 30
    assert inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"] == {
        "enabled": True, "logGroup": logs["inputs"]["name"]}


def test_broker_configuration_is_strict_in_prod(mocked, tags):
    registered = mocked(lambda: _kafka(tags, production=True, brokers=3))
    props = dict(line.split("=", 1) for line in
                 registered.one("aws:msk/configuration:Configuration")["inputs"]
                 ["serverProperties"].splitlines())
    assert props["auto.create.topics.enable"] == "false"
    assert props["unclean.leader.election.enable"] == "false"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"


def test_only_the_eks_security_group_reaches_the_iam_port(mocked, tags):
    registered = mocked(lambda: _kafka(tags))
    rules = registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r["inputs"] for r in rules] == [{
        "securityGroupId": "kafka-sg-id", "ipProtocol": "tcp", "fromPort": float(IAM_PORT),
        "toPort": float(IAM_PORT), "referencedSecurityGroupId": "sg-eks",
        "description": "Kafka SASL/IAM over TLS from EKS workloads", "tags": tags}]
    sg = registered.one("aws:ec2/securityGroup:SecurityGroup")["inputs"]
    assert "ingress" not in sg and "0.0.0.0/0" not in json.dumps(sg)


def test_storage_autoscales_on_broker_storage_utilisation(mocked, tags):
    registered = mocked(lambda: _kafka(tags, storage_gib=100, max_storage_gib=800,
                                       storage_target_percent=55))
    target = registered.one("aws:appautoscaling/target:Target")["inputs"]
    assert target["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target["maxCapacity"] == 800
    policy = registered.one("aws:appautoscaling/policy:Policy")["inputs"]
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == \
        "KafkaBrokerStorageUtilization"
    assert tracking["targetValue"] == 55
    assert tracking["disableScaleIn"] is True


def test_topics_are_keyed_by_name_and_protected_when_asked(mocked, tags):
    registered = mocked(lambda: _kafka(tags, protect=True))
    topics = {t["name"]: t for t in registered.of_type("aws:msk/topic:Topic")}
    assert set(topics) == set(TOPICS)
    orders = topics["orders.order-events"]
    assert orders["inputs"]["name"] == "orders.order-events"
    assert orders["inputs"]["partitionCount"] == 12
    assert orders["inputs"]["replicationFactor"] == 3
    assert json.loads(orders["inputs"]["configs"]) == {
        "retention.ms": "86400000", "cleanup.policy": "delete", "max.message.bytes": "2097152"}
    assert json.loads(topics["payments.payment-events"]["inputs"]["configs"])[
        "cleanup.policy"] == "compact"
    assert all(t["protect"] and t["retainOnDelete"] for t in topics.values())
    assert registered.one("aws:msk/cluster:Cluster")["protect"]


def test_unprotected_topics_are_not_retained(mocked, tags):
    registered = mocked(lambda: _kafka(tags))
    assert not any(t["protect"] or t["retainOnDelete"]
                   for t in registered.of_type("aws:msk/topic:Topic"))


def test_grants_name_exact_topic_group_and_cluster_arns(mocked, tags):
    registered = mocked(lambda: _kafka(tags))
    cluster = "arn:aws:kafka:eu-west-1:123456789012:cluster/mock-msk/" \
              "0a1b2c3d-4e5f-6789-abcd-ef0123456789-2"
    base = "mock-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2"
    produce = registered.named("payments-produce-payments.payment-events")
    doc = json.loads(produce["inputs"]["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["Connect"]["Resource"] == [cluster]
    assert by_sid["Produce"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:topic/{base}/payments.payment-events"]
    assert "kafka-cluster:WriteData" in by_sid["Produce"]["Action"]
    assert "kafka-cluster:CreateTopic" not in by_sid["Produce"]["Action"]
    topic_urn = registered.named("payments.payment-events")["urn"]
    cluster_urn = registered.named("kafka-cluster")["urn"]
    assert {topic_urn, cluster_urn} <= set(produce["propertyDependencies"]["policy"])
    consume = json.loads(registered.named(
        "payments-consume-orders.order-events-payments")["inputs"]["policy"])
    by_sid = {s["Sid"]: s for s in consume["Statement"]}
    assert by_sid["ReadTopic"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:topic/{base}/orders.order-events"]
    assert "kafka-cluster:WriteData" not in by_sid["ReadTopic"]["Action"]
    assert by_sid["ConsumerGroup"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:group/{base}/payments"]


def test_serverless_uses_iam_and_does_not_fake_topics(mocked, tags):
    registered = mocked(lambda: _kafka(tags, serverless=True))
    cluster = registered.one("aws:msk/serverlessCluster:ServerlessCluster")["inputs"]
    assert cluster["clientAuthentication"] == {"sasl": {"iam": {"enabled": True}}}
    assert cluster["vpcConfigs"][0]["securityGroupIds"] == ["kafka-sg-id"]
    assert len(cluster["vpcConfigs"][0]["subnetIds"]) == 3
    assert registered.of_type("aws:msk/topic:Topic") == []
    assert registered.of_type("aws:msk/cluster:Cluster") == []
    # Grants still exist, scoped to the serverless cluster's topic ARN.
    doc = json.loads(registered.named("payments-produce-payments.payment-events")
                     ["inputs"]["policy"])
    assert "kafka-cluster:CreateTopic" in doc["Statement"][1]["Action"]
    assert doc["Statement"][1]["Resource"][0].endswith(
        ":topic/mock-msk-serverless/9f8e7d6c-5b4a-3210-fedc-ba9876543210-s1/"
        "payments.payment-events")


def test_undersized_cluster_warns(mocked, tags):
    holder = {}

    def build():
        holder["kafka"] = _kafka(tags, instance_type="kafka.t3.small", brokers=3,
                                 peak_ingress_mib_per_s=50, storage_gib=10, max_storage_gib=20)
    mocked(build)
    warnings = holder["kafka"].warnings
    assert any("brokers to survive the loss of one AZ" in w for w in warnings)
    assert any("storage autoscaling stops at 20 GiB" in w for w in warnings)
