"""Monitoring wiring: Prometheus, Grafana and the dashboard over the platform; the alarm topic and
every alarm, the platform's beside the topic and each service's under that service.

Before the library split everything sat in one `strata:index:Monitoring` component: aliases to
it keep every name-keyed resource (alarms, the topic, the scraper's ingress rule) updated in
place, never re-created (a re-created alarm or topic would be deleted by its old resource's
delete, which runs last).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pulumi

from components.alarms import (
    Alarms,
    AnySpec,
    consumer_lag_alarm_spec,
    eks_alarm_specs,
    kafka_alarm_specs,
)
from components.eks import EksCluster
from components.kafka import KafkaCluster
from components.network import Network
from components.observability import (
    EKS_SCRAPER_CLUSTER_ROLE,
    EKS_SCRAPER_RBAC_RULES,
    EKS_SCRAPER_USERNAME,
    JMX_EXPORTER_PORT,
    NODE_EXPORTER_PORT,
    ConsumerGroup,
    GrafanaAuth,
    KafkaSourceArgs,
    Observability,
    dashboard_row,
)
from stacks.catalog import Catalog
from stacks.conventions import PLATFORM_SERVICE, Names, lifecycle
from stacks.service import ServiceData

__all__ = ["build_monitoring"]


def build_monitoring(platform: pulumi.Resource, catalog: Catalog, *, tags: dict[str, str],
                     key_arn: pulumi.Input[str], network: Network, cluster: EksCluster,
                     kafka: KafkaCluster, services: Mapping[str, ServiceData],
                     consumers: list[ConsumerGroup]) -> tuple[Observability, Alarms]:
    env, spec = catalog.environment, catalog.monitoring
    names = Names(env.name)
    pre_split = platform.urn.apply(
        lambda urn: f"{urn.rsplit('::', 1)[0]}$strata:index:Monitoring::monitoring")
    serverless = catalog.kafka.mode == "serverless"
    brokers = 0 if serverless else catalog.kafka.brokers or catalog.network.az_count
    source: KafkaSourceArgs = {"cluster_name": kafka.name, "broker_count": brokers}
    if not serverless:
        source["bootstrap_brokers"] = kafka.bootstrap_brokers
    observability = Observability("monitoring", {
        "name_prefix": names.stack, "vpc_id": network.vpc_id,
        "vpc_cidr": catalog.network.cidr, "subnet_ids": network.private_subnet_ids,
        "kms_key_arn": key_arn, "log_group_name": names.log_group("prometheus"),
        "log_retention_days": env.log_days, "kafka": source, "consumer_groups": consumers,
        "eks": {"cluster_name": cluster.name, "cluster_arn": cluster.arn,
                "security_group_id": cluster.security_group_id,
                "subnet_ids": network.private_subnet_ids},
        "dashboard_rows": [dashboard_row(
            f"## {name}\nowner **{data.tags['owner']}** · classification "
            f"**{data.tags['data-classification']}**", data.stores)
            for name, data in services.items()],
        **spec.given(grafana_auth=GrafanaAuth),
        "grafana_role_name": f"grafana-{names.stack}", "tags": tags,
        "lifecycle": lifecycle(env),
    }, opts=pulumi.ResourceOptions(parent=platform,
                                   aliases=[pulumi.Alias(type_="strata:index:Monitoring")]))
    if not serverless:
        kafka.allow_from("monitoring-msk-exporters-from-scraper",
                         observability.msk_scraper_security_group_id, JMX_EXPORTER_PORT,
                         NODE_EXPORTER_PORT, "Open monitoring scrape from the AMP collector",
                         aliases=[pulumi.Alias(parent=pre_split)])
    alarms = Alarms("monitoring-alarms", {
        "topic_name": f"{names.stack}-alarms", "kms_key_arn": key_arn,
        "emails": spec.alarm_emails,
        # SecretStr in the catalog; the component keeps each URL secret (Output.secret).
        "https_endpoints": [e.get_secret_value() for e in spec.alarm_https_endpoints],
        "prometheus_workspace_arns": [observability.prometheus_workspace_arn],
        "tags": tags, "lifecycle": lifecycle(env),
    }, opts=pulumi.ResourceOptions(parent=platform, aliases=[
        pulumi.Alias(type_="strata:index:AlarmTopic", parent=pre_split)]))
    observability.route_alerts_to(alarms.topic_arn)
    # The AMP collector reads the cluster's metrics through the RBAC AWS documents for it.
    cluster.grant_kubernetes_access(EKS_SCRAPER_CLUSTER_ROLE, observability.eks_scraper_role_arn,
                                    EKS_SCRAPER_USERNAME, EKS_SCRAPER_RBAC_RULES)
    for alarm in [*kafka_alarm_specs(kafka.name, brokers), *eks_alarm_specs(cluster.name)]:
        _add_alarm(alarms, names, PLATFORM_SERVICE, alarm, tags, pre_split)
    for name, data in services.items():
        owned = Alarms(f"{name}-alarms", {"topic_arn": alarms.topic_arn, "tags": data.tags},
                       opts=pulumi.ResourceOptions(parent=data))
        specs: list[AnySpec] = [_labelled(label, store.kind, spec)
                                for label, store in data.stores_by_label.items()
                                for spec in store.alarm_specs(data.thresholds)]
        specs += [consumer_lag_alarm_spec(kafka.name, g) for g in consumers
                  if g["service"] == name]
        for alarm in specs:
            _add_alarm(owned, names, name, alarm, data.tags, pre_split)
    return observability, alarms


def _labelled(label: str, kind: str, spec: AnySpec) -> AnySpec:
    """A service may own several tables: their alarms carry the table's name (a service has at
    most one PostgreSQL shard set and one time-series store, whose keys are unique already)."""
    return replace(spec, key=f"{label}-{spec.key}") if kind == "dynamodb" else spec


def _add_alarm(alarms: Alarms, names: Names, owner: str, spec: AnySpec,
               tags: dict[str, str], pre_split: pulumi.Output[str]) -> None:
    """`<env>-<owner>-<key>`, tagged and described as its owner's, aliased to its place in the
    pre-split Monitoring."""
    alarms.add(spec, alarm_name=f"{names.alarm_prefix(owner)}{spec.key}",
               description=f"{spec.description} Owner: {owner} ({tags.get('owner', owner)}).",
               tags=tags, aliases=[pulumi.Alias(name=f"monitoring-{owner}-{spec.key}",
                                                parent=pre_split)])
