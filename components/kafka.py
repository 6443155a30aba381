"""MSK Kafka: TLS in transit, IAM authentication only, encrypted at rest, reachable only from the
security groups it is told to admit, broker logs encrypted and retained; and topics as their own
components with produce/consume grants scoped to exact cluster, topic and group ARNs.

Two cluster modes: provisioned (aws.msk.Cluster, storage autoscaling, a broker configuration) and
serverless (aws.msk.ServerlessCluster). The MSK topic API behind `aws.msk.Topic` serves only
provisioned clusters running Kafka 3.6 or later
(https://docs.aws.amazon.com/msk/latest/developerguide/msk-topic-operations-information.html):
a `Topic` on a serverless cluster (`managed: False`) creates no resource, only its ARN and grants,
and the owning service creates it with a Kafka admin client.

Replacement hazards: MSK cannot move brokers to other subnets (`subnet_ids` forces a new cluster),
and a configuration's Kafka versions are create-only, so the configuration's name carries the
version and a version change never collides with the configuration still in use.
"""

import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args
from components import _kafka_sizing as sizing
from components._logs import log_retention_days
from components._names import name_problem
from components._perms import (
    KAFKA_CLUSTER_CONNECT,
    KAFKA_CONSUME_GROUP,
    KAFKA_CONSUME_TOPIC,
    KAFKA_CREATE_TOPIC,
    KAFKA_PRODUCE_CLUSTER,
    KAFKA_PRODUCE_TOPIC,
    Grant,
    grant,
    statement,
)
from components._tags import with_name
from components.iam import attach_grants
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = [
    "DEFAULT_INSTANCE_TYPE",
    "DEFAULT_KAFKA_VERSION",
    "DEFAULT_STORAGE_GIB",
    "IAM_PORT",
    "REPLACED_BY",
    "CleanupPolicy",
    "EnhancedMonitoring",
    "KafkaCluster",
    "KafkaClusterArgs",
    "Topic",
    "TopicArgs",
    "group_arn",
    "physical_names",
    "topic_arn",
]

IAM_PORT = 9098
"""Brokers' SASL/IAM over TLS listener (the only one opened)."""
DEFAULT_KAFKA_VERSION = "3.8.x"
DEFAULT_INSTANCE_TYPE = "kafka.m7g.large"
DEFAULT_STORAGE_GIB = 100
DEFAULT_MAX_STORAGE_FACTOR = 4
DEFAULT_STORAGE_TARGET_PERCENT = 60
DEFAULT_RETENTION_HOURS = 168
REPLACED_BY = ("subnet_ids", "cluster_name", "kms_key_arn", "serverless")
"""Arguments whose change replaces the cluster and every topic on it (MSK CreateCluster
parameters that UpdateCluster* cannot change)."""
_ARN_CHARS = 200
"""Upper bound of the cluster, topic and group ARNs in grants: prefix (~45) + cluster name (64)
+ UUID (38) + topic or group name (up to 64 as names are validated)."""


class EnhancedMonitoring(enum.StrEnum):
    """MSK's CloudWatch metric level (https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html)."""

    DEFAULT = "DEFAULT"
    PER_BROKER = "PER_BROKER"
    PER_TOPIC_PER_BROKER = "PER_TOPIC_PER_BROKER"
    PER_TOPIC_PER_PARTITION = "PER_TOPIC_PER_PARTITION"


class CleanupPolicy(enum.StrEnum):
    """`cleanup.policy` of a topic."""

    DELETE = "delete"
    COMPACT = "compact"


DEFAULT_CLEANUP_POLICY = CleanupPolicy.DELETE

class KafkaClusterArgs(TypedDict):
    """Inputs of a KafkaCluster."""

    cluster_name: str
    """Physical cluster name (1-64 letters, digits, -)."""
    vpc_id: pulumi.Input[str]
    """VPC of the brokers' security group."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Client subnets, one per AZ (2 or 3). Changing them replaces the cluster."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key encrypting data at rest and the broker log group. Default: a key of its own."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """The brokers hold every topic's data. Default: see LifecycleArgs."""
    allowed_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted on the IAM port (9098). Default: none (use `allow_from`)."""
    log_group_name: NotRequired[str]
    """Broker log group. Default: `/msk/<cluster_name>/brokers`."""
    log_retention_days: NotRequired[int]
    """Broker log retention. Default: 365 days."""
    serverless: NotRequired[bool]
    """MSK Serverless instead of provisioned brokers. Default: provisioned."""
    kafka_version: NotRequired[str]
    """Provisioned only. Default: `3.8.x`."""
    instance_type: NotRequired[str]
    """Provisioned only. Default: `kafka.m7g.large`."""
    brokers: NotRequired[int]
    """Provisioned only; a multiple of the subnet count. Default: one per subnet."""
    storage_gib: NotRequired[int]
    """Initial EBS storage per broker. Default: 100 GiB."""
    max_storage_gib: NotRequired[int]
    """Storage autoscaling ceiling per broker. Default: 4x `storage_gib`."""
    storage_target_percent: NotRequired[int]
    """Disk utilisation storage autoscaling aims for. Default: 60."""
    default_replication_factor: NotRequired[int]
    """`default.replication.factor` of the brokers. Default: 3, capped by the broker count."""
    min_insync_replicas: NotRequired[int]
    """`min.insync.replicas`. Default: 2, kept below the replication factor so one broker can
    restart without stopping producers."""
    enhanced_monitoring: NotRequired[EnhancedMonitoring]
    """CloudWatch metric level. Default: `PER_BROKER`."""
    peak_ingress_mib_per_s: NotRequired[float]
    """Declared peak producer throughput, checked against the sizing figures. Default:
    unchecked."""
    retention_hours: NotRequired[int]
    """Typical topic retention, for storage sizing. Default: 168."""
    partition_replicas: NotRequired[int]
    """Partitions x replication over all topics, for the partitions-per-broker check.
    Default: unchecked."""


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


def configuration_name(cluster_name: str, kafka_version: str) -> str:
    """`<cluster>-3-8-x`: a new Kafka version gets a new configuration, no name collision."""
    return f"{cluster_name}-{kafka_version.replace('.', '-')}"


def physical_names(cluster_name: str, kafka_version: str = DEFAULT_KAFKA_VERSION,
                   log_group_name: str | None = None,
                   serverless: bool = False) -> list[tuple[str, str]]:
    """The physical names a KafkaCluster creates."""
    names = [("msk-cluster", cluster_name),
             ("log-group", log_group_name or f"/msk/{cluster_name}/brokers")]
    if not serverless:
        names.append(("msk-configuration", configuration_name(cluster_name, kafka_version)))
    return names


class KafkaCluster(pulumi.ComponentResource):
    """A private, IAM-authenticated MSK cluster."""

    arn: pulumi.Output[str]
    """The cluster ARN (topic and group ARNs derive from it)."""
    bootstrap_brokers: pulumi.Output[str]
    """SASL/IAM bootstrap brokers (port 9098)."""
    security_group_id: pulumi.Output[str]
    """The brokers' security group."""
    name: pulumi.Output[str]
    """The cluster name, an Output of the cluster so dependents wait for it."""

    def __init__(self, name: str, args: KafkaClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:KafkaCluster", name, None, opts)
        args = _args.validate("KafkaCluster", name, args, KafkaClusterArgs)
        self._name = name
        self._tags = dict(args.get("tags", {}))
        self.serverless = bool(args.get("serverless", False))
        self.warnings: list[str] = []
        for kind, physical in physical_names(args["cluster_name"],
                                             args.get("kafka_version", DEFAULT_KAFKA_VERSION),
                                             args.get("log_group_name"), self.serverless):
            problem = name_problem(kind, physical)
            if problem:
                raise _args.ComponentArgsError(f"KafkaCluster {name!r}: {problem}")
        subnets = list(args["subnet_ids"])
        if len(subnets) not in (2, 3) and not self.serverless:
            raise _args.ComponentArgsError(
                f"KafkaCluster {name!r}: subnet_ids has {len(subnets)} subnets; provisioned MSK "
                "spreads brokers over 2 or 3 AZs")
        args["log_retention_days"] = log_retention_days(
            "KafkaCluster", name, "log_retention_days", args.get("log_retention_days"))
        lifecycle = args.get("lifecycle")
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args["vpc_id"],
            description=f"MSK brokers of {args['cluster_name']}: IAM/TLS from admitted groups",
            tags=with_name(self._tags, f"{name}-brokers"),
            opts=lifecycle_options(self, lifecycle))
        self._sg = sg
        self.security_group_id = sg.id
        for index, group in enumerate(args.get("allowed_security_group_ids", [])):
            self.allow_from(f"{name}-client-{index}", group)

        if self.serverless:
            cluster: Any = aws.msk.ServerlessCluster(
                f"{name}-cluster", cluster_name=args["cluster_name"],
                client_authentication={"sasl": {"iam": {"enabled": True}}},
                vpc_configs=[{"subnet_ids": subnets, "security_group_ids": [sg.id]}],
                tags=self._tags, opts=lifecycle_options(self, lifecycle))
        else:
            cluster = self._provisioned(name, args, subnets, sg)
        self.arn = cluster.arn
        self.bootstrap_brokers = cluster.bootstrap_brokers_sasl_iam
        self.name = cluster.cluster_name
        for warning in self.warnings:
            pulumi.log.warn(f"{args['cluster_name']}: {warning}", resource=self)
        self.register_outputs({"arn": self.arn, "bootstrapBrokers": self.bootstrap_brokers,
                               "securityGroupId": self.security_group_id, "name": self.name})

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   from_port: int = IAM_PORT, to_port: int | None = None,
                   description: str = "Kafka SASL/IAM over TLS",
                   aliases: Sequence[pulumi.Alias] = ()) -> None:
        """Admit `security_group_id` on the brokers' port(s) (default: the IAM port).
        `aliases`: the rule's earlier addresses (a rule moved here from elsewhere would
        otherwise be created again first, which EC2 refuses as a duplicate)."""
        aws.vpc.SecurityGroupIngressRule(
            name, security_group_id=self._sg.id, ip_protocol="tcp", from_port=from_port,
            to_port=to_port or from_port, referenced_security_group_id=security_group_id,
            description=description, tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, aliases=list(aliases)))

    def _key(self, name: str, args: KafkaClusterArgs, log_group: str) -> pulumi.Input[str]:
        if "kms_key_arn" in args:
            return args["kms_key_arn"]
        key_args: EncryptionKeyArgs = {
            "description": f"MSK {args['cluster_name']}: data at rest and broker logs",
            "tags": self._tags, "caller_services": ["kafka"], "log_group_names": [log_group]}
        if "lifecycle" in args:
            key_args["lifecycle"] = args["lifecycle"]
        return EncryptionKey(f"{name}-key", key_args, opts=pulumi.ResourceOptions(parent=self)).arn

    def _provisioned(self, name: str, args: KafkaClusterArgs, subnets: list[Any],
                     sg: aws.ec2.SecurityGroup) -> aws.msk.Cluster:
        lifecycle = args.get("lifecycle")
        brokers = args.get("brokers", len(subnets))
        if brokers % len(subnets):
            raise _args.ComponentArgsError(
                f"KafkaCluster {name!r}: brokers={brokers} does not spread evenly over "
                f"{len(subnets)} subnets; use a multiple of {len(subnets)}")
        instance_type = args.get("instance_type", DEFAULT_INSTANCE_TYPE)
        storage = args.get("storage_gib", DEFAULT_STORAGE_GIB)
        max_storage = args.get("max_storage_gib", storage * DEFAULT_MAX_STORAGE_FACTOR)
        target = args.get("storage_target_percent", DEFAULT_STORAGE_TARGET_PERCENT)
        replication = args.get("default_replication_factor", min(3, brokers))
        insync = args.get("min_insync_replicas", max(1, min(2, replication - 1)))
        if not 1 <= insync <= replication <= brokers:
            raise _args.ComponentArgsError(
                f"KafkaCluster {name!r}: need 1 <= min_insync_replicas ({insync}) <= "
                f"default_replication_factor ({replication}) <= brokers ({brokers})")
        self.warnings = sizing.sizing_warnings(
            instance_type=instance_type, brokers=brokers, azs=len(subnets), storage_gib=storage,
            max_storage_gib=max_storage,
            retention_hours=args.get("retention_hours", DEFAULT_RETENTION_HOURS),
            replication=replication, peak_ingress_mib_s=args.get("peak_ingress_mib_per_s"),
            target_percent=target, partition_replicas=args.get("partition_replicas", 0))
        version = args.get("kafka_version", DEFAULT_KAFKA_VERSION)
        config = aws.msk.Configuration(
            f"{name}-config", name=configuration_name(args["cluster_name"], version),
            kafka_versions=[version],
            description="Broker defaults: no auto-created topics, no unclean election",
            server_properties=_server_properties(replication, insync),
            opts=pulumi.ResourceOptions(parent=self))
        log_group_name = args.get("log_group_name", f"/msk/{args['cluster_name']}/brokers")
        key_arn = self._key(name, args, log_group_name)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-broker-logs", name=log_group_name, kms_key_id=key_arn,
            retention_in_days=args["log_retention_days"],
            tags=self._tags, opts=lifecycle_options(self, lifecycle))
        cluster = aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=args["cluster_name"],
            kafka_version=version,
            number_of_broker_nodes=brokers,
            broker_node_group_info={
                "instance_type": instance_type,
                "client_subnets": subnets,
                "security_groups": [sg.id],
                "storage_info": {"ebs_storage_info": {"volume_size": storage}},
                "connectivity_info": {"public_access": {"type": "DISABLED"}},
            },
            encryption_info={
                "encryption_at_rest_kms_key_arn": key_arn,
                "encryption_in_transit": {"client_broker": "TLS", "in_cluster": True},
            },
            client_authentication={"sasl": {"iam": True, "scram": False},
                                   "unauthenticated": False},
            configuration_info={"arn": config.arn, "revision": config.latest_revision},
            enhanced_monitoring=args.get("enhanced_monitoring", EnhancedMonitoring.PER_BROKER),
            open_monitoring={"prometheus": {"jmx_exporter": {"enabled_in_broker": True},
                                            "node_exporter": {"enabled_in_broker": True}}},
            logging_info={"broker_logs": {"cloudwatch_logs": {"enabled": True,
                                                              "log_group": log_group.name}}},
            tags=self._tags,
            opts=lifecycle_options(self, lifecycle))
        scaling = aws.appautoscaling.Target(
            f"{name}-storage", service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize", resource_id=cluster.arn,
            min_capacity=1, max_capacity=max_storage, tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self))
        aws.appautoscaling.Policy(
            f"{name}-storage", name=f"{args['cluster_name']}-broker-storage",
            policy_type="TargetTrackingScaling", service_namespace="kafka",
            scalable_dimension=scaling.scalable_dimension, resource_id=scaling.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": target,
                "disable_scale_in": True,  # MSK cannot shrink broker volumes
                "predefined_metric_specification": {
                    "predefined_metric_type": "KafkaBrokerStorageUtilization"},
            },
            opts=pulumi.ResourceOptions(parent=self))
        return cluster


def _server_properties(replication: int, insync: int) -> str:
    properties = {
        "auto.create.topics.enable": "false",   # topics exist only as code
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(insync),
        "unclean.leader.election.enable": "false",  # never elect an out-of-sync replica
        "num.partitions": "3",
        "delete.topic.enable": "true",           # deletion still needs a reviewed change
    }
    return "\n".join(f"{k}={v}" for k, v in properties.items()) + "\n"


# --- topics ------------------------------------------------------------------------------------


class TopicArgs(TypedDict):
    """Inputs of a Topic."""

    cluster_arn: pulumi.Input[str]
    """ARN of the MSK cluster the topic lives on."""
    topic_name: str
    """Kafka topic name (letters, digits, `.`, `_`, `-`; at most 249 characters)."""
    partitions: int
    """Partition count; it can only grow (Kafka cannot remove partitions)."""
    replication_factor: int
    """Copies of each partition. Changing it replaces the topic and loses its data."""
    retention_hours: NotRequired[int]
    """`retention.ms` of the topic. Default: 168 hours."""
    cleanup_policy: NotRequired[CleanupPolicy]
    """Default: `delete`."""
    configs: NotRequired[Mapping[str, str]]
    """Other topic-level configs, verbatim. Default: none."""
    managed: NotRequired[bool]
    """Create the topic through the MSK topic API (provisioned clusters, Kafka >= 3.6). Off for
    MSK Serverless, where the owning service creates it. Default: on."""
    lifecycle: NotRequired[LifecycleArgs]
    """The topic holds records and consumer offsets. Default: see LifecycleArgs."""


class Topic(pulumi.ComponentResource):
    """A Kafka topic owned by one producer, with produce and consume grants."""

    arn: pulumi.Output[str]
    """The topic ARN (derived from the cluster ARN and the topic name)."""
    topic_name: pulumi.Output[str]
    """The topic name, an Output of the topic resource so grants depend on it."""

    def __init__(self, name: str, args: TopicArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Topic", name, None, opts)
        args = _args.validate("Topic", name, args, TopicArgs)
        self._name = name
        self._cluster_arn = pulumi.Output.from_input(args["cluster_arn"])
        self.managed = bool(args.get("managed", True))
        if args["partitions"] < 1 or args["replication_factor"] < 1:
            raise _args.ComponentArgsError(
                f"Topic {name!r}: partitions and replication_factor must be at least 1")
        named: pulumi.Input[str] = args["topic_name"]
        if self.managed:
            configs = {
                "retention.ms": str(args.get("retention_hours", DEFAULT_RETENTION_HOURS)
                                    * 3_600_000),
                "cleanup.policy": str(args.get("cleanup_policy", DEFAULT_CLEANUP_POLICY)),
                **dict(args.get("configs", {})),
            }
            parent = (opts.parent if opts else None)
            # Before topics were components, the topic resource sat directly under the owner
            # (0.1): the alias keeps that topic, so upgrading replaces nothing.
            aliases = [pulumi.Alias(name=name, parent=parent)] if parent is not None else []
            topic = aws.msk.Topic(
                f"{name}-topic", name=args["topic_name"], cluster_arn=args["cluster_arn"],
                partition_count=args["partitions"],
                replication_factor=args["replication_factor"],
                configs=json.dumps(configs, sort_keys=True),
                opts=lifecycle_options(self, args.get("lifecycle"), aliases=aliases))
            named = topic.name
        self.topic_name = pulumi.Output.from_input(named)
        self.arn = pulumi.Output.all(self._cluster_arn, self.topic_name).apply(
            lambda p: topic_arn(p[0], p[1]))
        self.register_outputs({"arn": self.arn, "topicName": self.topic_name})

    def produce_grant(self) -> Grant:
        """Connect, write idempotently (authorised on the cluster ARN, not the topic:
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_apachekafkaapisforamazonmskclusters.html),
        and write this topic."""
        topic_actions = KAFKA_PRODUCE_TOPIC + (() if self.managed else KAFKA_CREATE_TOPIC)
        return grant([
            statement(KAFKA_CLUSTER_CONNECT + KAFKA_PRODUCE_CLUSTER, [self._cluster_arn],
                      "Connect"),
            statement(topic_actions, [self.arn], "Produce"),
        ], output_chars=_ARN_CHARS)

    def consume_grant(self, group: str) -> Grant:
        """Read this topic as consumer group `group` (join it and commit offsets)."""
        group_ref = self._cluster_arn.apply(lambda arn: group_arn(arn, group))
        return grant([
            statement(KAFKA_CLUSTER_CONNECT, [self._cluster_arn], "Connect"),
            statement(KAFKA_CONSUME_TOPIC, [self.arn], "ReadTopic"),
            statement(KAFKA_CONSUME_GROUP, [group_ref], "ConsumerGroup"),
        ], output_chars=_ARN_CHARS)

    def grant_produce(self, role: aws.iam.Role) -> list[aws.iam.Policy]:
        """Attach `produce_grant` to `role` as a managed policy."""
        return attach_grants(self, f"{self._name}-produce-{role.pulumi_resource_name}", role,
                             {"produce": [self.produce_grant()]})

    def grant_consume(self, role: aws.iam.Role, group: str) -> list[aws.iam.Policy]:
        """Attach `consume_grant(group)` to `role` as a managed policy."""
        return attach_grants(self, f"{self._name}-consume-{role.pulumi_resource_name}", role,
                             {"consume": [self.consume_grant(group)]})
