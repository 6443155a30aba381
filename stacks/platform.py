"""Platform: the shared network, cluster, Kafka and monitoring, and every service's data, wired
together in the order AWS needs them.

No raw AWS resources here: only components. The data catalog output tells governance which
service owns which store, under which key, with what classification.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from components.alarms import (
    KMS_SERVICE_PRINCIPALS,
    PROMETHEUS_SERVICE_PRINCIPAL,
    Alarms,
    ConsumerGroup,
)
from components.eks import EksCluster
from components.kafka import KafkaCluster, Topic
from components.kms import EncryptionKey
from components.network import NatMode, Network
from components.observability import KMS_CALLER_SERVICES, Observability
from components.tenancy import ServiceTenancy
from stacks._cluster import build_cluster, build_tenancy
from stacks._events import consumer_groups
from stacks._kafka import build_kafka, build_topics
from stacks._monitoring import build_monitoring
from stacks.catalog import Catalog
from stacks.conventions import PLATFORM_SERVICE, Names, lifecycle, ownership_tags
from stacks.service import ServiceData

__all__ = ["Platform", "PlatformArgs"]


class PlatformArgs(TypedDict):
    catalog: Catalog
    """The validated stack config."""
    availability_zones: list[str]
    """The AZs to spread over (configured or the region's own; `infra/zones.py`)."""


class Platform(pulumi.ComponentResource):
    network: Network
    platform_key: EncryptionKey
    services: dict[str, ServiceData]
    data_catalog: pulumi.Output[dict[str, Any]]
    cluster: EksCluster
    kafka: KafkaCluster
    topics: dict[str, Topic]
    tenancies: dict[str, ServiceTenancy]
    consumers: list[ConsumerGroup]
    """Every (service, topic, group) read, with its lag threshold: one lag alarm each."""
    monitoring: Observability
    alarms: Alarms

    def __init__(self, name: str, args: PlatformArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Platform", name, None, opts)
        catalog = args["catalog"]
        env = catalog.environment
        names = Names(env.name)
        child = pulumi.ResourceOptions(parent=self)
        tags = ownership_tags(owner=env.owner, service=PLATFORM_SERVICE, environment=env.name,
                              classification="internal", cost_center=env.cost_center)
        self.platform_key = EncryptionKey("platform-key", {
            "description": f"Shared platform infrastructure of {env.name}: logs, alarms, "
                           "Kafka, EKS secrets",
            "alias": names.key_alias(PLATFORM_SERVICE),
            "tags": tags,
            "log_group_names": [names.log_group_pattern, names.eks_log_group],
            # EKS (CreateCluster's grants), AMP and Grafana use the key as their caller.
            "caller_services": ["eks", *KMS_CALLER_SERVICES],
            # CloudWatch alarms and AMP's alert manager publish to the encrypted alarm topic
            # as themselves.
            "service_principals": [*KMS_SERVICE_PRINCIPALS, PROMETHEUS_SERVICE_PRINCIPAL],
            "lifecycle": lifecycle(env),
        }, opts=child)
        self.network = Network("network", {
            "cidr": catalog.network.cidr,
            "availability_zones": args["availability_zones"],
            **catalog.network.given(nat_mode=NatMode),
            "tags": tags,
            "flow_log_group_name": names.log_group("vpc-flow-logs"),
            "flow_log_kms_key_arn": self.platform_key.arn,
            "flow_log_retention_days": env.log_days,
            "lifecycle": lifecycle(env),
        }, opts=child)
        self.cluster = build_cluster(catalog, self.network, self.platform_key.arn, tags, child)
        self.kafka = build_kafka(catalog, self.network, self.cluster, self.platform_key.arn,
                                 tags, child)
        cluster_arn = _cluster_arn(self, names.stack)
        self.services = {
            service_name: ServiceData(service_name, {
                "service": service, "environment": env, "network": self.network,
                "monitoring": catalog.monitoring, "cluster_arn": cluster_arn,
            }, opts=child)
            for service_name, service in catalog.services.items()
        }
        self.topics = build_topics(catalog, self.kafka, self.services)
        self.consumers = consumer_groups(catalog)
        for service_name, data in self.services.items():
            data.grant([(self.topics[c["topic"]], c["group"]) for c in self.consumers
                        if c["service"] == service_name])
        self.tenancies = {name: build_tenancy(catalog, name, data, self.cluster, self.network,
                                              child)
                          for name, data in self.services.items()}
        self.monitoring, self.alarms = build_monitoring(
            self, catalog, tags=tags, key_arn=self.platform_key.arn, network=self.network,
            cluster=self.cluster, kafka=self.kafka, services=self.services,
            consumers=self.consumers)
        self.data_catalog = pulumi.Output.from_input(
            {name: svc.catalog_entry for name, svc in self.services.items()})
        self.register_outputs({"dataCatalog": self.data_catalog})


def _cluster_arn(parent: pulumi.Resource, cluster_name: str) -> pulumi.Output[str]:
    """The EKS cluster's ARN, built from its name: service roles trust only its pods and need
    not wait for the cluster (its creation takes a quarter of an hour)."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    return pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                             aws.get_region_output(opts=invoke).region,
                             aws.get_caller_identity_output(opts=invoke).account_id).apply(
        lambda v: f"arn:{v[0]}:eks:{v[1]}:{v[2]}:cluster/{cluster_name}")
