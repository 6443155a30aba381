"""Platform: the shared network, the platform key and every service's data, wired together.

No raw AWS resources here: only components. The data catalog output tells governance which
service owns which store, under which key, with what classification.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi

from components._plan import availability_zones
from components._tags import ownership_tags
from components.eks import EksCluster, EksClusterArgs
from components.kafka import KafkaCluster, KafkaClusterArgs
from components.kms import EncryptionKey
from components.monitoring import Monitoring
from components.network import Network
from components.tenancy import ServiceTenancy, ServiceTenancyArgs
from stacks._events import ConsumerRelation, consumer_relations, grant_events, topic_args
from stacks.catalog import Catalog
from stacks.service import ServiceData

__all__ = ["Platform", "PlatformArgs"]

PLATFORM_SERVICE = "platform"
"""The `service` tag of shared infrastructure (network, cluster, Kafka, monitoring)."""


class PlatformArgs(TypedDict):
    catalog: Catalog
    """The validated stack config."""


class Platform(pulumi.ComponentResource):
    network: Network
    platform_key: EncryptionKey
    services: dict[str, ServiceData]
    data_catalog: pulumi.Output[dict[str, Any]]
    cluster: EksCluster
    kafka: KafkaCluster
    tenancies: dict[str, ServiceTenancy]
    consumers: list[ConsumerRelation]
    """Every (service, topic, group) read, with its lag threshold: one lag alarm each."""
    monitoring: Monitoring

    def __init__(self, name: str, args: PlatformArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Platform", name, None, opts)
        catalog = args["catalog"]
        env = catalog.environment
        child = pulumi.ResourceOptions(parent=self)
        tags = ownership_tags(owner=env.owner, service=PLATFORM_SERVICE, environment=env.name,
                              classification="internal", cost_center=env.cost_center)
        self.platform_key = EncryptionKey(
            "platform-key",
            {
                "description": f"Shared platform infrastructure of {env.name}: logs, alarms, "
                               "Kafka, EKS secrets",
                "alias": f"strata/{env.name}/platform",
                "tags": tags,
                "service_principals": [f"logs.{env.region}.amazonaws.com",
                                       "cloudwatch.amazonaws.com", "sns.amazonaws.com"],
                "protect": env.protected,
            },
            opts=child,
        )
        self.network = Network(
            "network",
            {
                "cidr": catalog.network.cidr,
                "availability_zones": availability_zones(env.region, catalog.network.az_count),
                "nat_mode": catalog.network.nat_mode,
                "tags": tags,
                "log_key": self.platform_key,
                "log_retention_days": env.log_days,
                "protect": env.protected,
            },
            opts=child,
        )
        self.services = {
            service_name: ServiceData(
                service_name,
                {"service": service, "environment": env, "network": self.network,
                 "monitoring": catalog.monitoring},
                opts=child,
            )
            for service_name, service in catalog.services.items()
        }
        self._compute_and_events(catalog, tags, child)
        self._monitoring(catalog, tags, child)
        self.data_catalog = pulumi.Output.from_input(
            {name: svc.catalog_entry for name, svc in self.services.items()})
        self.register_outputs({"dataCatalog": self.data_catalog})

    def _monitoring(self, catalog: Catalog, tags: dict[str, str],
                    child: pulumi.ResourceOptions) -> None:
        """Alarms, dashboard, AMP and Grafana over every service, Kafka and EKS."""
        env, spec = catalog.environment, catalog.monitoring
        args: dict[str, Any] = {
            "environment": env.name, "key": self.platform_key, "tags": tags,
            "network": self.network, "log_retention_days": env.log_days,
            "services": list(self.services.values()),
            "alarm_emails": spec.alarm_emails,
            "alarm_https_endpoints": spec.alarm_https_endpoints,
            "grafana_auth": spec.grafana_auth, "protect": env.protected,
        }
        kafka = getattr(self, "kafka", None)
        if kafka is not None:
            # Derived from the cluster ARN so every Kafka alarm depends on the MSK resource.
            name = kafka.arn.apply(lambda _: kafka.cluster_name)
            args["kafka"] = {
                "cluster_name": name, "mode": catalog.kafka.mode,
                "broker_count": catalog.kafka.brokers or catalog.network.az_count,
                "bootstrap_brokers": kafka.bootstrap_brokers,
                "security_group_id": kafka.security_group_id,
            }
            args["consumers"] = [
                {"service": c.service, "topic": c.topic, "group": c.group,
                 "max_lag_messages": c.max_lag_messages}
                for c in getattr(self, "consumers", [])]
        cluster = getattr(self, "cluster", None)
        if cluster is not None:
            args["eks"] = {"cluster_name": cluster.name, "cluster_arn": cluster.cluster.arn,
                           "security_group_id": cluster.security_group_id,
                           "subnet_ids": self.network.private_subnet_ids}
        self.monitoring = Monitoring("monitoring", args, opts=child)  # type: ignore[arg-type]

    def _compute_and_events(self, catalog: Catalog, tags: dict[str, str],
                            child: pulumi.ResourceOptions) -> None:
        """EKS, then Kafka admitting only the cluster, then each service's tenancy and grants."""
        env, spec, kafka = catalog.environment, catalog.cluster, catalog.kafka
        eks_args: EksClusterArgs = {
            "cluster_name": f"strata-{env.name}",
            "network": self.network, "key": self.platform_key, "tags": tags,
            "kubernetes_version": spec.kubernetes_version,
            "upgrade_policy": spec.upgrade_policy,
            "log_retention_days": env.log_days,
            "auto_mode": spec.compute == "auto",
            "node_groups": {name: {
                "instance_types": group.instance_types, "ami": group.ami,
                "min_size": group.min_size, "max_size": group.max_size,
                "desired_size": group.desired_size if group.desired_size is not None
                else group.min_size,
                "disk_gib": group.disk_gib} for name, group in spec.node_groups.items()},
            "public_access_cidrs": spec.public_access_cidrs,
            "protect": env.protected,
        }
        if spec.admin_role_arn:
            eks_args["admin_role_arn"] = spec.admin_role_arn
        self.cluster = EksCluster("eks", eks_args, opts=child)
        kafka_args: KafkaClusterArgs = {
            "cluster_name": f"strata-{env.name}",
            "network": self.network, "key": self.platform_key, "tags": tags,
            "client_security_group_id": self.cluster.security_group_id,
            "log_retention_days": env.log_days,
            "serverless": kafka.mode == "serverless",
            "kafka_version": kafka.kafka_version, "instance_type": kafka.instance_type,
            "brokers": kafka.brokers or catalog.network.az_count,
            "storage_gib": kafka.storage_gib,
            "max_storage_gib": kafka.max_storage_gib or kafka.storage_gib * 4,
            "storage_target_percent": kafka.storage_target_percent,
            "production": env.is_prod, "protect": env.protected,
            "retention_hours": kafka.retention_hours,
            "topics": {
                full_name: {**args,  # type: ignore[typeddict-item]
                            "owner": self.services[full_name.split(".", 1)[0]],
                            "protect": self.services[full_name.split(".", 1)[0]].protect}
                for full_name, args in topic_args(catalog).items()},
        }
        if kafka.peak_ingress_mib_per_s:
            kafka_args["peak_ingress_mib_per_s"] = kafka.peak_ingress_mib_per_s
        self.kafka = KafkaCluster("kafka", kafka_args, opts=child)
        self.consumers = consumer_relations(catalog)
        grant_events(self.kafka, catalog, {n: s.role for n, s in self.services.items()})
        ports = {"postgres": 5432, "influxdb": 8086}
        self.tenancies = {}
        for name, service in catalog.services.items():
            store_ports = ([ports["postgres"]] if service.postgres else []) + (
                [ports["influxdb"]] if service.timeseries and
                service.timeseries.engine == "influxdb" else [])
            tenancy_args: ServiceTenancyArgs = {
                "service": name, "owner": service.owner,
                "classification": service.classification,
                "tags": self.services[name].tags,
                "cluster_name": self.cluster.name, "provider": self.cluster.provider,
                "kubernetes_version": spec.kubernetes_version,
                "role_arn": self.services[name].role.arn,
                "quota": service.workload.model_dump(),  # type: ignore[typeddict-item]
                "vpc_cidr": catalog.network.cidr,
                "store_cidrs": self.network.isolated_cidrs, "store_ports": store_ports,
            }
            if service.produces or service.consumes:
                tenancy_args["kafka_cidrs"] = self.network.private_cidrs
            self.tenancies[name] = ServiceTenancy(f"{name}-tenancy", tenancy_args, opts=child)
