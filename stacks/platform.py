"""Platform: the shared network, the platform key and every service's data, wired together.

No raw AWS resources here: only components. The data catalog output tells governance which
service owns which store, under which key, with what classification.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi

from components._plan import availability_zones
from components._tags import ownership_tags
from components.alarms import (
    KMS_SERVICE_PRINCIPALS,
    PROMETHEUS_SERVICE_PRINCIPAL,
    Alarms,
    AnySpec,
    consumer_lag_alarm_spec,
    eks_alarm_specs,
    kafka_alarm_specs,
)
from components.eks import EksCluster, EksClusterArgs, NodeAmi, UpgradePolicy
from components.kafka import (
    CleanupPolicy,
    EnhancedMonitoring,
    KafkaCluster,
    KafkaClusterArgs,
    Topic,
)
from components.kms import EncryptionKey
from components.network import NatMode, Network
from components.observability import (
    EKS_SCRAPER_CLUSTER_ROLE,
    EKS_SCRAPER_RBAC_RULES,
    EKS_SCRAPER_USERNAME,
    JMX_EXPORTER_PORT,
    KMS_CALLER_SERVICES,
    NODE_EXPORTER_PORT,
    ConsumerGroup,
    GrafanaAuth,
    KafkaSourceArgs,
    Observability,
    dashboard_row,
)
from components.tenancy import ClusterDns, ServiceTenancy, ServiceTenancyArgs
from stacks._events import ConsumerRelation, consumer_relations, topic_args
from stacks.catalog import Catalog
from stacks.conventions import Names, lifecycle
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
    topics: dict[str, Topic]
    tenancies: dict[str, ServiceTenancy]
    consumers: list[ConsumerRelation]
    """Every (service, topic, group) read, with its lag threshold: one lag alarm each."""
    monitoring: Observability
    alarms: Alarms

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
                "log_group_names": ["/strata/*", f"/aws/eks/strata-{env.name}/*"],
                # EKS (CreateCluster's grants), AMP and Grafana use the key as their caller.
                "caller_services": ["eks", *KMS_CALLER_SERVICES],
                # CloudWatch alarms and AMP's alert manager publish to the encrypted alarm
                # topic as themselves.
                "service_principals": [*KMS_SERVICE_PRINCIPALS, PROMETHEUS_SERVICE_PRINCIPAL],
                "lifecycle": lifecycle(env),
            },
            opts=child,
        )
        self.network = Network(
            "network",
            {
                "cidr": catalog.network.cidr,
                "availability_zones": availability_zones(env.region, catalog.network.az_count),
                "nat_mode": NatMode(catalog.network.nat_mode),
                "tags": tags,
                "flow_log_group_name": f"/strata/{env.name}/vpc-flow-logs",
                "flow_log_kms_key_arn": self.platform_key.arn,
                "flow_log_retention_days": env.log_days,
                "lifecycle": lifecycle(env),
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
        self.cluster = self._cluster(catalog, tags, child)
        self.kafka = self._kafka(catalog, tags, child)
        self.topics = self._topics(catalog)
        self.consumers = consumer_relations(catalog)
        for service_name, data in self.services.items():
            data.grant_events(
                produces=[self.topics[f"{service_name}.{t}"]
                          for t in catalog.services[service_name].produces],
                consumes=[(self.topics[c.topic], c.group) for c in self.consumers
                          if c.service == service_name])
        self.tenancies = {name: self._tenancy(catalog, name, child)
                          for name in catalog.services}
        self.monitoring = self._monitoring(catalog, tags, child)
        self.data_catalog = pulumi.Output.from_input(
            {name: svc.catalog_entry for name, svc in self.services.items()})
        self.register_outputs({"dataCatalog": self.data_catalog})

    def _cluster(self, catalog: Catalog, tags: dict[str, str],
                 child: pulumi.ResourceOptions) -> EksCluster:
        env, spec = catalog.environment, catalog.cluster
        eks_args: EksClusterArgs = {
            "cluster_name": f"strata-{env.name}",
            "vpc_id": self.network.vpc_id,
            "subnet_ids": self.network.private_subnet_ids,
            "kms_key_arn": self.platform_key.arn,
            "tags": tags,
            "kubernetes_version": spec.kubernetes_version,
            "upgrade_policy": UpgradePolicy(spec.upgrade_policy),
            "log_retention_days": env.log_days,
            "auto_mode": spec.compute == "auto",
            "api_access": {"public_cidrs": spec.public_access_cidrs,
                           "deployer_cidrs": spec.deployer_cidrs},
            "lifecycle": lifecycle(env),
        }
        if spec.node_groups:
            eks_args["node_groups"] = {name: {
                "instance_types": group.instance_types, "ami": NodeAmi(group.ami),
                "min_size": group.min_size, "max_size": group.max_size,
                "desired_size": group.desired_size if group.desired_size is not None
                else group.min_size,
                "disk_gib": group.disk_gib} for name, group in spec.node_groups.items()}
        if spec.admin_role_arn:
            eks_args["admin_role_arn"] = spec.admin_role_arn
        return EksCluster("eks", eks_args, opts=child)

    def _kafka(self, catalog: Catalog, tags: dict[str, str],
               child: pulumi.ResourceOptions) -> KafkaCluster:
        """MSK admitting only the EKS cluster's security group."""
        env, kafka = catalog.environment, catalog.kafka
        topics = topic_args(catalog)
        kafka_args: KafkaClusterArgs = {
            "cluster_name": f"strata-{env.name}",
            "vpc_id": self.network.vpc_id, "subnet_ids": self.network.private_subnet_ids,
            "kms_key_arn": self.platform_key.arn, "tags": tags, "lifecycle": lifecycle(env),
            "log_group_name": f"/strata/{env.name}/msk-brokers",
            "log_retention_days": env.log_days,
            "serverless": kafka.mode == "serverless",
            "kafka_version": kafka.kafka_version, "instance_type": kafka.instance_type,
            "brokers": kafka.brokers or catalog.network.az_count,
            "storage_gib": kafka.storage_gib,
            "max_storage_gib": kafka.max_storage_gib or kafka.storage_gib * 4,
            "storage_target_percent": kafka.storage_target_percent,
            "enhanced_monitoring": EnhancedMonitoring.PER_TOPIC_PER_BROKER if env.is_prod
            else EnhancedMonitoring.DEFAULT,
            "retention_hours": kafka.retention_hours,
            "partition_replicas": sum(t["partitions"] * t["replication_factor"]
                                      for t in topics.values()),
        }
        if kafka.peak_ingress_mib_per_s:
            kafka_args["peak_ingress_mib_per_s"] = kafka.peak_ingress_mib_per_s
        cluster = KafkaCluster("kafka", kafka_args, opts=child)
        cluster.allow_from("kafka-from-eks", self.cluster.security_group_id,
                           description="Kafka SASL/IAM over TLS from EKS workloads")
        return cluster

    def _topics(self, catalog: Catalog) -> dict[str, Topic]:
        """Each topic under the service that produces (and so owns) it."""
        env, topics = catalog.environment, {}
        for full_name, spec in topic_args(catalog).items():
            owner = full_name.split(".", 1)[0]
            topics[full_name] = Topic(full_name, {
                "cluster_arn": self.kafka.arn, "topic_name": full_name,
                "partitions": spec["partitions"],
                "replication_factor": spec["replication_factor"],
                "retention_hours": spec["retention_hours"],
                "cleanup_policy": CleanupPolicy(spec["cleanup_policy"]),
                "configs": spec["configs"], "managed": catalog.kafka.mode != "serverless",
                "lifecycle": lifecycle(env, catalog.services[owner]),
            }, opts=pulumi.ResourceOptions(parent=self.services[owner]))
        return topics

    def _tenancy(self, catalog: Catalog, name: str,
                 child: pulumi.ResourceOptions) -> ServiceTenancy:
        """The service's namespace, allowed to reach its own stores' ports and Kafka."""
        service, data = catalog.services[name], self.services[name]
        tenancy_args: ServiceTenancyArgs = {
            "namespace": name,
            "labels": {"strata.io/owner": service.owner, "strata.io/service": name,
                       "strata.io/data-classification": service.classification},
            "tags": data.tags,
            "cluster_name": self.cluster.name,
            "kubernetes_version": catalog.cluster.kubernetes_version,
            "role_arn": data.role.arn,
            "quota": service.workload.model_dump(),  # type: ignore[typeddict-item]
            "vpc_cidr": catalog.network.cidr,
            "store_cidrs": self.network.isolated_cidrs,
            "store_ports": sorted({port for store in data.stores for port in store.ports}),
            "cluster_dns": ClusterDns.NODE_LOCAL if self.cluster.auto_mode
            else ClusterDns.COREDNS_PODS,
            "lifecycle": lifecycle(catalog.environment),
        }
        if service.produces or service.consumes:
            tenancy_args["kafka_cidrs"] = self.network.private_cidrs
        if self.cluster.enforces_pod_security_groups:
            tenancy_args["pod_security_group"] = {
                "vpc_id": self.network.vpc_id,
                "cluster_security_group_id": self.cluster.security_group_id}
        tenancy = ServiceTenancy(f"{name}-tenancy", tenancy_args,
                                 opts=pulumi.ResourceOptions.merge(
                                     child, pulumi.ResourceOptions(
                                         providers=[self.cluster.provider])))
        if self.cluster.enforces_pod_security_groups:
            self.cluster.allow_from(name, tenancy.pod_security_group_id)
        return tenancy

    def _monitoring(self, catalog: Catalog, tags: dict[str, str],
                    child: pulumi.ResourceOptions) -> Observability:
        """Prometheus, Grafana and the dashboard; then the alarm topic and every alarm: the
        platform's beside the topic, each service's in an Alarms of its own under it."""
        env, spec, kafka = catalog.environment, catalog.monitoring, self.kafka
        names = Names(env.name)
        # Before the split everything sat in one `Monitoring`: aliases to it keep every
        # name-keyed resource (alarms, topic, rules) updated in place, never re-created.
        pre_split = self.urn.apply(
            lambda urn: f"{urn.rsplit('::', 1)[0]}$strata:index:Monitoring::monitoring")
        serverless = catalog.kafka.mode == "serverless"
        brokers = 0 if serverless else catalog.kafka.brokers or catalog.network.az_count
        source: KafkaSourceArgs = {"cluster_name": kafka.name, "broker_count": brokers}
        if not serverless:
            source["bootstrap_brokers"] = kafka.bootstrap_brokers
        groups: list[ConsumerGroup] = [
            {"service": c.service, "topic": c.topic, "group": c.group,
             "max_lag_messages": c.max_lag_messages} for c in self.consumers]
        observability = Observability("monitoring", {
            "name_prefix": names.stack, "vpc_id": self.network.vpc_id,
            "vpc_cidr": catalog.network.cidr, "subnet_ids": self.network.private_subnet_ids,
            "kms_key_arn": self.platform_key.arn, "log_group_name": names.log_group("prometheus"),
            "log_retention_days": env.log_days, "kafka": source, "consumer_groups": groups,
            "eks": {"cluster_name": self.cluster.name, "cluster_arn": self.cluster.arn,
                    "security_group_id": self.cluster.security_group_id,
                    "subnet_ids": self.network.private_subnet_ids},
            "dashboard_rows": [dashboard_row(
                f"## {name}\nowner **{data.tags['owner']}** · classification "
                f"**{data.tags['data-classification']}**", data.stores)
                for name, data in self.services.items()],
            "grafana_auth": GrafanaAuth(spec.grafana_auth),
            "grafana_role_name": f"grafana-{names.stack}", "tags": tags,
            "lifecycle": lifecycle(env),
        }, opts=pulumi.ResourceOptions(parent=self,
                                       aliases=[pulumi.Alias(type_="strata:index:Monitoring")]))
        if not serverless:
            kafka.allow_from("monitoring-msk-exporters-from-scraper",
                             observability.msk_scraper_security_group_id, JMX_EXPORTER_PORT,
                             NODE_EXPORTER_PORT, "Open monitoring scrape from the AMP collector",
                             aliases=[pulumi.Alias(parent=pre_split)])
        self.alarms = Alarms("monitoring-alarms", {
            "topic_name": f"{names.stack}-alarms", "kms_key_arn": self.platform_key.arn,
            "emails": spec.alarm_emails,
            # SecretStr in the catalog; the component keeps each URL secret (Output.secret).
            "https_endpoints": [e.get_secret_value() for e in spec.alarm_https_endpoints],
            "prometheus_workspace_arns": [observability.prometheus_workspace_arn],
            "tags": tags, "lifecycle": lifecycle(env),
        }, opts=pulumi.ResourceOptions(parent=self, aliases=[
            pulumi.Alias(type_="strata:index:AlarmTopic", parent=pre_split)]))
        observability.route_alerts_to(self.alarms.topic_arn)
        # The AMP collector reads the cluster's metrics through RBAC AWS documents for it.
        self.cluster.grant_kubernetes_access(
            EKS_SCRAPER_CLUSTER_ROLE, observability.eks_scraper_role_arn, EKS_SCRAPER_USERNAME,
            EKS_SCRAPER_RBAC_RULES)
        platform: list[AnySpec] = [*kafka_alarm_specs(kafka.name, brokers),
                                   *eks_alarm_specs(self.cluster.name)]
        for alarm in platform:
            _add_alarm(self.alarms, names, PLATFORM_SERVICE, alarm, tags, pre_split)
        for name, data in self.services.items():
            owned = Alarms(f"{name}-alarms", {"topic_arn": self.alarms.topic_arn,
                                               "tags": data.tags},
                           opts=pulumi.ResourceOptions(parent=data))
            specs: list[AnySpec] = [s for store in data.stores
                                    for s in store.alarm_specs(data.thresholds)]
            specs += [consumer_lag_alarm_spec(kafka.name, g) for g in groups
                      if g["service"] == name]
            for alarm in specs:
                _add_alarm(owned, names, name, alarm, data.tags, pre_split)
        return observability


def _add_alarm(alarms: Alarms, names: Names, owner: str, spec: AnySpec,
               tags: dict[str, str], pre_split: pulumi.Output[str]) -> None:
    """`<env>-<owner>-<key>`, tagged and described as its owner's, aliased to its place in the
    pre-split Monitoring."""
    alarms.add(spec, alarm_name=f"{names.alarm_prefix(owner)}{spec.key}",
               description=f"{spec.description} Owner: {owner} ({tags.get('owner', owner)}).",
               tags=tags, aliases=[pulumi.Alias(name=f"monitoring-{owner}-{spec.key}",
                                                parent=pre_split)])
