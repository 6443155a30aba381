"""KafkaCluster and Topic: TLS and IAM only, admitted security groups only, a versioned broker
configuration, topics as components with grants on exact ARNs (idempotent writes on the cluster),
and arguments checked before anything is registered."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components._args import ComponentArgsError
from components.kafka import (
    IAM_PORT,
    KafkaCluster,
    Topic,
    configuration_name,
    group_arn,
    physical_names,
    topic_arn,
)
from tests.components._platform_fixtures import key_and_network

CLUSTER_ARN = "arn:aws:kafka:eu-west-1:123456789012:cluster/strata-prod/abc-123-2"
MOCK_CLUSTER = ("arn:aws:kafka:eu-west-1:123456789012:cluster/mock-msk/"
                "0a1b2c3d-4e5f-6789-abcd-ef0123456789-2")
BASE = "mock-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2"


def _kafka(tags, **extra):
    key, network = key_and_network(tags)
    return KafkaCluster("kafka", {
        "cluster_name": "team-test", "vpc_id": network.vpc_id,
        "subnet_ids": network.private_subnet_ids, "kms_key_arn": key.arn, "tags": tags,
        "allowed_security_group_ids": ["sg-eks"], "log_retention_days": 30, **extra})


def _with_topics(tags, **extra):
    kafka = _kafka(tags, **extra)
    role = aws.iam.Role("payments-role", assume_role_policy="{}")
    managed = not extra.get("serverless", False)
    orders = Topic("orders.order-events", {
        "cluster_arn": kafka.arn, "topic_name": "orders.order-events", "partitions": 12,
        "replication_factor": 3, "retention_hours": 24, "managed": managed,
        "configs": {"max.message.bytes": "2097152"}, "lifecycle": {"protect": True}})
    payments = Topic("payments.payment-events", {
        "cluster_arn": kafka.arn, "topic_name": "payments.payment-events", "partitions": 6,
        "replication_factor": 3, "cleanup_policy": "compact", "managed": managed})
    payments.grant_produce(role)
    orders.grant_consume(role, "payments")


def test_topic_and_group_arns_derive_from_the_cluster_arn():
    assert topic_arn(CLUSTER_ARN, "orders.x") == \
        "arn:aws:kafka:eu-west-1:123456789012:topic/strata-prod/abc-123-2/orders.x"
    assert group_arn(CLUSTER_ARN, "inv") == \
        "arn:aws:kafka:eu-west-1:123456789012:group/strata-prod/abc-123-2/inv"
    with pytest.raises(ValueError):
        topic_arn("arn:aws:kafka:eu-west-1:1:topic/x", "t")


def test_cluster_requires_tls_and_iam_and_encrypts_with_the_given_key(mocked, tags):
    registered = mocked(lambda: _kafka(tags, brokers=3,
                                       enhanced_monitoring="PER_TOPIC_PER_BROKER"))
    inputs = registered.one("aws:msk/cluster:Cluster")["inputs"]
    assert inputs["encryptionInfo"] == {
        "encryptionAtRestKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/platform-key-key",
        "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}
    assert inputs["clientAuthentication"] == {"sasl": {"iam": True, "scram": False},
                                              "unauthenticated": False}
    assert inputs["numberOfBrokerNodes"] == 3
    assert len(inputs["brokerNodeGroupInfo"]["clientSubnets"]) == 3
    assert inputs["brokerNodeGroupInfo"]["connectivityInfo"] == {"publicAccess":
                                                                 {"type": "DISABLED"}}
    assert inputs["enhancedMonitoring"] == "PER_TOPIC_PER_BROKER"
    logs = registered.named("kafka-broker-logs")
    assert logs["inputs"]["name"] == "/msk/team-test/brokers"
    assert logs["inputs"]["kmsKeyId"].endswith("key/platform-key-key")
    assert inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"] == {
        "enabled": True, "logGroup": logs["inputs"]["name"]}


def test_broker_configuration_is_strict_and_named_after_its_kafka_version(mocked, tags):
    registered = mocked(lambda: _kafka(tags, kafka_version="3.9.x"))
    config = registered.one("aws:msk/configuration:Configuration")["inputs"]
    # A version change must create a configuration with another name: MSK configurations'
    # Kafka versions are create-only, and a fixed name would collide with the one in use.
    assert config["name"] == "team-test-3-9-x" == configuration_name("team-test", "3.9.x")
    assert config["kafkaVersions"] == ["3.9.x"]
    props = dict(line.split("=", 1) for line in config["serverProperties"].splitlines())
    assert props["auto.create.topics.enable"] == "false"
    assert props["unclean.leader.election.enable"] == "false"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"


def test_replication_defaults_follow_the_broker_count(mocked, tags):
    key, network = None, None

    def build():
        nonlocal key, network
        key, network = key_and_network(tags, azs=2)
        KafkaCluster("kafka", {"cluster_name": "c", "vpc_id": network.vpc_id,
                               "subnet_ids": network.private_subnet_ids})
    registered = mocked(build)
    props = registered.one("aws:msk/configuration:Configuration")["inputs"]["serverProperties"]
    assert "default.replication.factor=2" in props and "min.insync.replicas=1" in props
    # No key given: the cluster makes one admitting MSK callers and its broker log group.
    keys = {k["name"]: k for k in registered.of_type("aws:kms/key:Key")}
    policy = json.loads(keys["kafka-key-key"]["inputs"]["policy"])
    via = next(s for s in policy["Statement"] if s["Sid"] == "UseThroughServices")
    assert via["Condition"]["StringEquals"]["kms:ViaService"] == ["kafka.eu-west-1.amazonaws.com"]


def test_only_admitted_security_groups_reach_the_iam_port(mocked, tags):
    registered = mocked(lambda: _kafka(tags))
    rules = registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r["inputs"] for r in rules] == [{
        "securityGroupId": "kafka-sg-id", "ipProtocol": "tcp", "fromPort": float(IAM_PORT),
        "toPort": float(IAM_PORT), "referencedSecurityGroupId": "sg-eks",
        "description": "Kafka SASL/IAM over TLS", "tags": tags}]
    sg = registered.one("aws:ec2/securityGroup:SecurityGroup")["inputs"]
    assert "ingress" not in sg and "0.0.0.0/0" not in json.dumps(sg)


def test_lifecycle_covers_the_brokers_their_security_group_and_log_group(mocked, tags):
    registered = mocked(lambda: _kafka(tags, lifecycle={"protect": True,
                                                        "retain_on_delete": True}))
    for kind in ("aws:msk/cluster:Cluster", "aws:ec2/securityGroup:SecurityGroup",
                 "aws:cloudwatch/logGroup:LogGroup"):
        resource = next(r for r in registered.of_type(kind) if r["name"].startswith("kafka"))
        assert resource["protect"] and resource["retainOnDelete"], kind


def test_storage_autoscales_on_broker_storage_utilisation(mocked, tags):
    registered = mocked(lambda: _kafka(tags, storage_gib=100, max_storage_gib=800,
                                       storage_target_percent=55))
    target = registered.one("aws:appautoscaling/target:Target")["inputs"]
    assert target["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target["maxCapacity"] == 800
    tracking = registered.one("aws:appautoscaling/policy:Policy")["inputs"][
        "targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == \
        "KafkaBrokerStorageUtilization"
    assert tracking["targetValue"] == 55 and tracking["disableScaleIn"] is True


def test_topics_carry_their_configs_and_lifecycle(mocked, tags):
    registered = mocked(lambda: _with_topics(tags))
    topics = {t["inputs"]["name"]: t for t in registered.of_type("aws:msk/topic:Topic")}
    orders = topics["orders.order-events"]
    assert orders["inputs"]["partitionCount"] == 12
    assert orders["inputs"]["replicationFactor"] == 3
    assert json.loads(orders["inputs"]["configs"]) == {
        "retention.ms": "86400000", "cleanup.policy": "delete", "max.message.bytes": "2097152"}
    assert orders["protect"] and not topics["payments.payment-events"]["protect"]
    assert json.loads(topics["payments.payment-events"]["inputs"]["configs"])[
        "cleanup.policy"] == "compact"


def test_produce_grant_puts_idempotent_writes_on_the_cluster_and_data_on_the_topic(mocked, tags):
    registered = mocked(lambda: _with_topics(tags))
    produce = next(r for r in registered.of_type("aws:iam/policy:Policy")
                   if "-produce-" in r["name"])
    by_sid = {s["Sid"]: s for s in json.loads(produce["inputs"]["policy"])["Statement"]}
    assert by_sid["Connect"]["Resource"] == [MOCK_CLUSTER]
    assert "kafka-cluster:WriteDataIdempotently" in by_sid["Connect"]["Action"]
    assert by_sid["Produce"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:topic/{BASE}/payments.payment-events"]
    assert "kafka-cluster:WriteDataIdempotently" not in by_sid["Produce"]["Action"]
    assert "kafka-cluster:CreateTopic" not in by_sid["Produce"]["Action"]
    topic_urn = registered.named("payments.payment-events-topic")["urn"]
    assert topic_urn in produce["propertyDependencies"]["policy"]
    attachment = next(r for r in registered.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "-produce-" in r["name"])
    assert produce["urn"] in attachment["propertyDependencies"]["policyArn"]


def test_consume_grant_reads_the_topic_as_its_group_only(mocked, tags):
    registered = mocked(lambda: _with_topics(tags))
    consume = next(r for r in registered.of_type("aws:iam/policy:Policy")
                   if "-consume-" in r["name"])
    by_sid = {s["Sid"]: s for s in json.loads(consume["inputs"]["policy"])["Statement"]}
    assert by_sid["ReadTopic"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:topic/{BASE}/orders.order-events"]
    assert not {"kafka-cluster:WriteData", "kafka-cluster:WriteDataIdempotently"} & {
        a for s in by_sid.values() for a in s["Action"]}
    assert by_sid["ConsumerGroup"]["Resource"] == [
        f"arn:aws:kafka:eu-west-1:123456789012:group/{BASE}/payments"]


def test_serverless_uses_iam_and_does_not_fake_topics(mocked, tags):
    registered = mocked(lambda: _with_topics(tags, serverless=True))
    cluster = registered.one("aws:msk/serverlessCluster:ServerlessCluster")["inputs"]
    assert cluster["clientAuthentication"] == {"sasl": {"iam": {"enabled": True}}}
    assert cluster["vpcConfigs"][0]["securityGroupIds"] == ["kafka-sg-id"]
    assert registered.of_type("aws:msk/topic:Topic") == []
    assert registered.of_type("aws:msk/cluster:Cluster") == []
    produce = next(r for r in registered.of_type("aws:iam/policy:Policy")
                   if "-produce-" in r["name"])
    stmt = json.loads(produce["inputs"]["policy"])["Statement"][1]
    assert "kafka-cluster:CreateTopic" in stmt["Action"]
    assert stmt["Resource"][0].endswith(
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


def test_bad_arguments_are_refused(tags):
    base = {"cluster_name": "c", "vpc_id": "vpc-1", "subnet_ids": ["a", "b"]}
    with pytest.raises(ComponentArgsError, match="did you mean 'kafka_version'"):
        KafkaCluster("k", {**base, "kafka_versoin": "3.8.x"})
    with pytest.raises(ComponentArgsError, match="2 or 3 AZs"):
        KafkaCluster("k", {**base, "subnet_ids": ["a"]})
    with pytest.raises(ComponentArgsError, match="multiple of 2"):
        KafkaCluster("k", {**base, "brokers": 3})
    with pytest.raises(ComponentArgsError, match="msk-cluster name"):
        KafkaCluster("k", {**base, "cluster_name": "bad name"})
    with pytest.raises(ComponentArgsError, match="log_retention_days 0 is not a CloudWatch"):
        KafkaCluster("k", {**base, "log_retention_days": 0})
    with pytest.raises(ComponentArgsError, match=r"'cleanup_policy' expects delete\|compact"):
        Topic("t", {"cluster_arn": CLUSTER_ARN, "topic_name": "t", "partitions": 1,
                    "replication_factor": 1, "cleanup_policy": "shred"})


def test_physical_names_include_the_versioned_configuration():
    assert physical_names("strata-dev", "3.8.x", "/x/logs") == [
        ("msk-cluster", "strata-dev"), ("log-group", "/x/logs"),
        ("msk-configuration", "strata-dev-3-8-x")]


def test_the_provider_host_can_infer_both_schemas():
    from pulumi.provider.experimental.analyzer import Analyzer

    result = Analyzer("strata").analyze([KafkaCluster, Topic])
    cluster = result["component_definitions"]["KafkaCluster"]
    assert {"clusterName", "subnetIds", "allowedSecurityGroupIds", "lifecycle"} <= set(
        cluster.inputs)
    assert {"arn", "bootstrapBrokers", "securityGroupId"} <= set(cluster.outputs)
    topic = result["component_definitions"]["Topic"]
    assert {"clusterArn", "topicName", "partitions", "replicationFactor"} <= set(topic.inputs)
    assert {"CleanupPolicy", "EnhancedMonitoring"} <= set(result["type_definitions"])
