"""Kafka wiring: the shared MSK cluster, admitting only EKS workloads, and each topic under the
service that produces (and so owns) it."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.eks import EksCluster
from components.kafka import (
    EnhancedMonitoring,
    KafkaCluster,
    KafkaClusterArgs,
    Topic,
)
from components.network import Network
from stacks._events import topic_args
from stacks.catalog import Catalog
from stacks.conventions import Names, lifecycle
from stacks.service import ServiceData

__all__ = ["build_kafka", "build_topics"]


def build_kafka(catalog: Catalog, network: Network, cluster: EksCluster,
                key_arn: pulumi.Input[str], tags: dict[str, str],
                opts: pulumi.ResourceOptions) -> KafkaCluster:
    env, spec = catalog.environment, catalog.kafka
    names = Names(env.name)
    topics = topic_args(catalog)
    args: KafkaClusterArgs = {
        "cluster_name": names.stack,
        "vpc_id": network.vpc_id, "subnet_ids": network.private_subnet_ids,
        "kms_key_arn": key_arn, "tags": tags, "lifecycle": lifecycle(env),
        "log_group_name": names.log_group("msk-brokers"),
        "log_retention_days": env.log_days,
        "serverless": spec.mode == "serverless",
        # Per-topic lag and throughput in prod; the free level elsewhere.
        "enhanced_monitoring": EnhancedMonitoring.PER_TOPIC_PER_BROKER if env.is_prod
        else EnhancedMonitoring.DEFAULT,
        "partition_replicas": sum(t["partitions"] * t["replication_factor"]
                                  for t in topics.values()),
        **spec.given("kafka_version", "instance_type", "brokers", "storage_gib",
                "max_storage_gib", "storage_target_percent", "peak_ingress_mib_per_s",
                "retention_hours"),
    }
    kafka = KafkaCluster("kafka", args, opts=opts)
    kafka.allow_from("kafka-from-eks", cluster.security_group_id,
                     description="Kafka SASL/IAM over TLS from EKS workloads")
    return kafka


def build_topics(catalog: Catalog, kafka: KafkaCluster,
                 services: Mapping[str, ServiceData]) -> dict[str, Topic]:
    """Every topic by full name (`<service>.<topic>`), a child of its producing service."""
    env, topics = catalog.environment, {}
    for full_name, spec in topic_args(catalog).items():
        owner = full_name.split(".", 1)[0]
        topic = Topic(full_name, {
            "cluster_arn": kafka.arn, "topic_name": full_name,
            **spec,  # type: ignore[typeddict-item]  # the catalog topic's settings, keyed as TopicArgs
            "managed": catalog.kafka.mode != "serverless",
            "lifecycle": lifecycle(env, catalog.services[owner]),
        }, opts=pulumi.ResourceOptions(parent=services[owner]))
        services[owner].topics[full_name] = topic
        topics[full_name] = topic
    return topics
