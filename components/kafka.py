"""MSK Kafka: TLS in transit, IAM authentication only, encrypted at rest with the platform key,
reachable only from the EKS cluster's security group, broker logs encrypted and retained,
topics as code, and produce/consume grants scoped to exact topic and group ARNs.

Two modes: `provisioned` (aws.msk.Cluster, storage autoscaling, a pinned broker configuration)
and `serverless` (aws.msk.ServerlessCluster, dev only). The MSK topic API behind `aws.msk.Topic`
works only on provisioned clusters running Kafka 3.6 or later
(https://docs.aws.amazon.com/msk/latest/developerguide/msk-topic-operations-information.html),
so in serverless mode topics are not created here: their names and grants are, and a warning
says that the owning service must create them with a Kafka admin client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _kafka_sizing as sizing
from components._grant import attach_grant
from components._perms import (
    KAFKA_CLUSTER_CONNECT,
    KAFKA_CONSUME_GROUP,
    KAFKA_CONSUME_TOPIC,
    KAFKA_CREATE_TOPIC,
    KAFKA_PRODUCE_TOPIC,
    statement,
)
from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey
from components.network import Network

__all__ = ["IAM_PORT", "KafkaCluster", "KafkaClusterArgs", "Topic", "TopicArgs",
           "group_arn", "topic_arn"]

IAM_PORT = 9098
"""Brokers' SASL/IAM over TLS listener (the only one Strata opens)."""


class TopicArgs(TypedDict):
    partitions: int
    """Partition count; it can only grow (Kafka cannot remove partitions)."""
    replication_factor: int
    """Copies of each partition. Changing it replaces the topic and loses its data."""
    retention_hours: int
    """`retention.ms` of the topic."""
    cleanup_policy: NotRequired[str]
    """`delete` or `compact`. Default: `delete`."""
    configs: NotRequired[Mapping[str, str]]
    """Other topic-level configs, verbatim. Default: none."""
    owner: NotRequired[pulumi.Resource]
    """The producing service's component: the topic is parented to it, so ownership follows
    the resource tree (topics take no tags). Default: the cluster."""
    protect: NotRequired[bool]
    """Protect and retain this topic. Default: the cluster's `protect`."""


class KafkaClusterArgs(TypedDict):
    cluster_name: str
    """Physical cluster name (e.g. `strata-prod`)."""
    network: Network
    """Brokers go in its private subnets, one AZ each."""
    key: EncryptionKey
    """Encrypts data at rest and the broker log group."""
    client_security_group_id: pulumi.Input[str]
    """The only security group admitted on the IAM port (the EKS cluster's)."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    log_retention_days: int
    """Broker log retention."""
    serverless: NotRequired[bool]
    """MSK Serverless instead of provisioned brokers (dev only). Default: provisioned."""
    kafka_version: NotRequired[str]
    """Provisioned only. Default: `3.8.x`."""
    instance_type: NotRequired[str]
    """Provisioned only. Default: `kafka.m7g.large`."""
    brokers: NotRequired[int]
    """Provisioned only; a multiple of the AZ count. Default: one per AZ."""
    storage_gib: NotRequired[int]
    """Initial EBS storage per broker. Default: 100 GiB."""
    max_storage_gib: NotRequired[int]
    """Storage autoscaling ceiling per broker. Default: 4x `storage_gib`."""
    storage_target_percent: NotRequired[int]
    """Disk utilisation storage autoscaling aims for. Default: 60."""
    production: NotRequired[bool]
    """Per-topic-per-broker monitoring, replication 3 and min.insync.replicas 2. Default: off."""
    protect: NotRequired[bool]
    """Protect and retain topics and the broker log group. Default: off."""
    peak_ingress_mib_per_s: NotRequired[float]
    """Declared peak producer throughput, checked against the sizing figures. Default: unchecked."""
    retention_hours: NotRequired[int]
    """Default topic retention, used for storage sizing. Default: 168."""
    topics: NotRequired[Mapping[str, TopicArgs]]
    """Topics by full name (`<service>.<topic>`). Default: none."""


def topic_arn(cluster_arn: str, topic: str) -> str:
    """`arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>`."""
    return _sibling_arn(cluster_arn, "topic", topic)


def group_arn(cluster_arn: str, group: str) -> str:
    """`arn:aws:kafka:<region>:<account>:group/<cluster-name>/<cluster-uuid>/<group>`."""
    return _sibling_arn(cluster_arn, "group", group)


def _sibling_arn(cluster_arn: str, kind: str, name: str) -> str:
    prefix, _, resource = cluster_arn.partition(":cluster/")
    if not resource or resource.count("/") != 1:
        raise ValueError(f"not an MSK cluster ARN: {cluster_arn!r}")
    return f"{prefix}:{kind}/{resource}/{name}"


class Topic:
    """A topic on the cluster: its full name, ARN and (provisioned mode) the aws.msk.Topic."""

    def __init__(self, name: str, arn: pulumi.Output[str],
                 resource: aws.msk.Topic | None) -> None:
        self.name = name
        self.arn = arn
        self.resource = resource


class KafkaCluster(pulumi.ComponentResource):
    """A private, IAM-authenticated MSK cluster with its topics."""

    arn: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    cluster_name: str
    topics: dict[str, Topic]
    serverless: bool
    warnings: list[str]

    def __init__(self, name: str, args: KafkaClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:KafkaCluster", name, None, opts)
        tags = require_tags(args["tags"], name)
        child = pulumi.ResourceOptions(parent=self)
        network = args["network"]
        self.cluster_name = args["cluster_name"]
        self.serverless = args.get("serverless", False)
        protect = args.get("protect", False)
        topics = dict(args.get("topics", {}))

        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=network.vpc_id,
            description=f"MSK brokers of {self.cluster_name}: IAM/TLS from the EKS cluster only",
            tags=with_name(tags, f"{name}-brokers"), opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-eks", security_group_id=sg.id, ip_protocol="tcp",
            from_port=IAM_PORT, to_port=IAM_PORT,
            referenced_security_group_id=args["client_security_group_id"],
            description="Kafka SASL/IAM over TLS from EKS workloads", tags=tags, opts=child)
        self.security_group_id = sg.id

        if self.serverless:
            self.warnings = [f"MSK Serverless: topic {t} is not created by Strata (the MSK topic "
                             "API supports provisioned clusters only); the owning service must "
                             "create it with a Kafka admin client" for t in sorted(topics)]
            cluster: Any = aws.msk.ServerlessCluster(
                f"{name}-cluster", cluster_name=self.cluster_name,
                client_authentication={"sasl": {"iam": {"enabled": True}}},
                vpc_configs=[{"subnet_ids": network.private_subnet_ids,
                              "security_group_ids": [sg.id]}],
                tags=tags, opts=child)
        else:
            cluster = self._provisioned(name, args, tags, sg, topics)
        self.arn = cluster.arn
        self.bootstrap_brokers = cluster.bootstrap_brokers_sasl_iam
        for warning in self.warnings:
            pulumi.log.warn(f"{self.cluster_name}: {warning}", resource=self)

        self.topics = {}
        for topic_name, spec in sorted(topics.items()):
            resource = None if self.serverless else self._topic(topic_name, spec, cluster, protect)
            # The ARN is built from the topic resource's name so grants depend on the topic.
            named: pulumi.Input[str] = resource.name if resource is not None else topic_name
            arn = pulumi.Output.all(cluster.arn, named).apply(lambda p: topic_arn(p[0], p[1]))
            self.topics[topic_name] = Topic(topic_name, arn, resource)
        self.register_outputs({"arn": self.arn, "bootstrapBrokers": self.bootstrap_brokers,
                               "securityGroupId": self.security_group_id})

    def _provisioned(self, name: str, args: KafkaClusterArgs, tags: dict[str, str],
                     sg: aws.ec2.SecurityGroup, topics: Mapping[str, TopicArgs]) -> aws.msk.Cluster:
        network, key = args["network"], args["key"]
        production = args.get("production", False)
        azs = len(network.private_subnet_ids)
        brokers = args.get("brokers", azs)
        instance_type = args.get("instance_type", "kafka.m7g.large")
        storage = args.get("storage_gib", 100)
        max_storage = args.get("max_storage_gib", storage * 4)
        target = args.get("storage_target_percent", 60)
        replication = sizing.default_replication_factor(production, brokers)
        self.warnings = sizing.sizing_warnings(
            instance_type=instance_type, brokers=brokers, azs=azs, storage_gib=storage,
            max_storage_gib=max_storage, retention_hours=args.get("retention_hours", 168),
            replication=max([replication, *(t["replication_factor"] for t in topics.values())]),
            peak_ingress_mib_s=args.get("peak_ingress_mib_per_s"), target_percent=target,
            partition_replicas=sum(t["partitions"] * t["replication_factor"]
                                   for t in topics.values()))
        version = args.get("kafka_version", "3.8.x")
        config = aws.msk.Configuration(
            f"{name}-config", name=f"{self.cluster_name}-brokers", kafka_versions=[version],
            description="Strata broker defaults: no auto-created topics, no unclean election",
            server_properties=_server_properties(production, replication),
            opts=pulumi.ResourceOptions(parent=self))
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-broker-logs", name=f"/strata/{self.cluster_name}/msk-brokers",
            kms_key_id=key.arn, retention_in_days=args["log_retention_days"], tags=tags,
            opts=stateful_options(self, args.get("protect", False)))
        cluster = aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=self.cluster_name,
            kafka_version=version,
            number_of_broker_nodes=brokers,
            broker_node_group_info={
                "instance_type": instance_type,
                "client_subnets": network.private_subnet_ids,
                "security_groups": [sg.id],
                "storage_info": {"ebs_storage_info": {"volume_size": storage}},
                "connectivity_info": {"public_access": {"type": "DISABLED"}},
            },
            encryption_info={
                "encryption_at_rest_kms_key_arn": key.arn,
                "encryption_in_transit": {"client_broker": "TLS", "in_cluster": True},
            },
            client_authentication={"sasl": {"iam": True, "scram": False},
                                   "unauthenticated": False},
            configuration_info={"arn": config.arn, "revision": config.latest_revision},
            enhanced_monitoring="PER_TOPIC_PER_BROKER" if production else "DEFAULT",
            open_monitoring={"prometheus": {"jmx_exporter": {"enabled_in_broker": True},
                                            "node_exporter": {"enabled_in_broker": True}}},
            logging_info={"broker_logs": {"cloudwatch_logs": {"enabled": True,
                                                              "log_group": log_group.name}}},
            tags=tags,
            # The brokers hold every topic's data: protected like the topics.
            opts=stateful_options(self, args.get("protect", False)))
        scaling = aws.appautoscaling.Target(
            f"{name}-storage", service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize", resource_id=cluster.arn,
            min_capacity=1, max_capacity=max_storage, tags=tags,
            opts=pulumi.ResourceOptions(parent=self))
        aws.appautoscaling.Policy(
            f"{name}-storage", name=f"{self.cluster_name}-broker-storage",
            policy_type="TargetTrackingScaling", service_namespace="kafka",
            scalable_dimension=scaling.scalable_dimension, resource_id=scaling.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": target,
                # MSK cannot shrink broker volumes.
                "disable_scale_in": True,
                "predefined_metric_specification": {
                    "predefined_metric_type": "KafkaBrokerStorageUtilization"},
            },
            opts=pulumi.ResourceOptions(parent=self))
        return cluster

    def _topic(self, topic_name: str, spec: TopicArgs, cluster: aws.msk.Cluster,
               protect: bool) -> aws.msk.Topic:
        configs = {
            "retention.ms": str(spec["retention_hours"] * 3_600_000),
            "cleanup.policy": spec.get("cleanup_policy", "delete"),
            **dict(spec.get("configs", {})),
        }
        return aws.msk.Topic(
            topic_name, name=topic_name, cluster_arn=cluster.arn,
            partition_count=spec["partitions"], replication_factor=spec["replication_factor"],
            configs=json.dumps(configs, sort_keys=True),
            opts=stateful_options(spec.get("owner", self), spec.get("protect", protect)))

    # --- grants ---------------------------------------------------------------------------

    def grant_produce(self, role: aws.iam.Role, topic: Topic,
                      grantee: str | None = None) -> aws.iam.RolePolicy:
        """Let `role` connect and write to `topic`, and nothing else on the cluster."""
        who = grantee or role.pulumi_resource_name
        return attach_grant(self, f"{who}-produce-{topic.name}", role, [
            statement(KAFKA_CLUSTER_CONNECT, [self.arn], "Connect"),
            statement(KAFKA_PRODUCE_TOPIC + (KAFKA_CREATE_TOPIC if self.serverless else ()),
                      [topic.arn], "Produce"),
        ])

    def grant_consume(self, role: aws.iam.Role, topic: Topic, group: str,
                      grantee: str | None = None) -> aws.iam.RolePolicy:
        """Let `role` read `topic` as consumer group `group` (join it and commit offsets)."""
        who = grantee or role.pulumi_resource_name
        group_ref = pulumi.Output.from_input(self.arn).apply(lambda arn: group_arn(arn, group))
        return attach_grant(self, f"{who}-consume-{topic.name}-{group}", role, [
            statement(KAFKA_CLUSTER_CONNECT, [self.arn], "Connect"),
            statement(KAFKA_CONSUME_TOPIC, [topic.arn], "ReadTopic"),
            statement(KAFKA_CONSUME_GROUP, [group_ref], "ConsumerGroup"),
        ])


def _server_properties(production: bool, replication: int) -> str:
    properties = {
        "auto.create.topics.enable": "false",   # topics exist only as code
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(sizing.min_insync_replicas(production, replication)),
        "unclean.leader.election.enable": "false",  # never elect an out-of-sync replica
        "num.partitions": "3",
        "delete.topic.enable": "true",           # deletion still needs a reviewed change
    }
    return "\n".join(f"{k}={v}" for k, v in properties.items()) + "\n"
