"""Monitoring: every store, broker and consumer group alarmed to one encrypted topic; a
dashboard per environment; Managed Prometheus with scrapers and rules; private Grafana.

Alarms come from each store's `alarm_specs()` and from the documented platform thresholds
in `components/_alarms.py` (see docs/alarms.md). Log groups use the platform key and the
configured retention. Grafana is reachable only through its VPC endpoint unless prefix
lists are named, always behind IAM Identity Center or SAML, with no API keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _alarms, _dashboard, _prometheus_rules
from components._alarms import ConsumerLag
from components._store import AlarmThresholds, DataStore
from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey
from components.network import Network

__all__ = ["ConsumerRelation", "EksMonitoringArgs", "KafkaMonitoringArgs", "MonitoredService",
           "Monitoring", "MonitoringArgs"]

HTTPS = 443


class MonitoredService(TypedDict):
    """One service whose stores get alarms."""

    name: str
    stores: Sequence[DataStore]
    thresholds: AlarmThresholds
    """Percentages the stores turn into absolute thresholds."""
    tags: Mapping[str, str]
    """The service's ownership tags; its alarms carry them, so each names its owner."""


class ConsumerRelation(TypedDict):
    service: str
    """The consuming service (owns the lag alarm)."""
    topic: str
    """Full topic name, `<producer>.<topic>`."""
    group: str
    max_lag_messages: int
    """Alarm when the group's max offset lag stays above this."""


class KafkaMonitoringArgs(TypedDict):
    cluster_name: pulumi.Input[str]
    """Pass an Output of the MSK cluster resource so the alarms depend on (and so cover) it."""
    mode: str
    """`provisioned` or `serverless` (Serverless publishes consumer-lag metrics only)."""
    broker_count: int
    bootstrap_brokers: NotRequired[pulumi.Input[str]]
    """Broker endpoints; enables the MSK open-monitoring scraper. Default: no MSK scraper."""
    security_group_id: NotRequired[pulumi.Input[str]]
    """Broker security group; gets ingress on 11001-11002 from the scraper only. Default: the
    Kafka owner must open those ports to `msk_scraper_security_group_id` itself."""


class EksMonitoringArgs(TypedDict):
    cluster_name: pulumi.Input[str]
    """An Output of the EKS cluster, so control-plane alarms depend on it."""
    cluster_arn: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    """Cluster security group the AMP scraper's interfaces join."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets for the scraper (at least two AZs)."""


class MonitoringArgs(TypedDict):
    environment: str
    """Environment name: prefixes alarm, dashboard and workspace names."""
    key: EncryptionKey
    """Platform key: encrypts the alarm topic, log groups, AMP and Grafana."""
    tags: Mapping[str, str]
    """The platform's five ownership tags."""
    network: Network
    """Private subnets for Grafana and the MSK scraper."""
    log_retention_days: int
    services: Sequence[MonitoredService]
    consumers: NotRequired[Sequence[ConsumerRelation]]
    """Consumer groups to alarm on (need `kafka`). Default: none."""
    kafka: NotRequired[KafkaMonitoringArgs]
    """Default: no Kafka alarms, rules still created (they match nothing), no MSK scraper."""
    eks: NotRequired[EksMonitoringArgs]
    """Default: no EKS alarms and no EKS scraper."""
    alarm_emails: NotRequired[Sequence[str]]
    """Email subscriptions (each confirms by mail). Default: none."""
    alarm_https_endpoints: NotRequired[Sequence[str]]
    """HTTPS subscriptions (e.g. an incident tool). Default: none."""
    grafana_auth: NotRequired[str]
    """`AWS_SSO` or `SAML`. Default: `AWS_SSO`."""
    grafana_prefix_list_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Managed prefix lists allowed to reach Grafana besides its VPC endpoint. Default: none
    (only through the VPC endpoint: VPN, Direct Connect or a bastion)."""
    protect: NotRequired[bool]
    """Protect the AMP workspace and its log group. Default: off."""


class Monitoring(pulumi.ComponentResource):
    """Alarms, dashboard, Managed Prometheus and Managed Grafana for one environment."""

    alarm_topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    """By alarm name, e.g. `prod-orders-shard-0-cpu`."""
    dashboard_name: pulumi.Output[str]
    prometheus_workspace_arn: pulumi.Output[str]
    prometheus_endpoint: pulumi.Output[str]
    grafana_endpoint: pulumi.Output[str]
    msk_scraper_security_group_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: MonitoringArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Monitoring", name, None, opts)
        self._name = name
        self._env = args["environment"]
        self._tags = require_tags(args["tags"], name)
        self._key = args["key"]
        self._child = pulumi.ResourceOptions(parent=self)
        services = args["services"]
        lags = [ConsumerLag(c["service"], c["topic"], c["group"], int(c["max_lag_messages"]))
                for c in args.get("consumers", [])]
        kafka, eks = args.get("kafka"), args.get("eks")
        if lags and kafka is None:
            raise ValueError(f"{name}: consumers need `kafka` (the cluster they lag on)")
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        topic = _alarms.AlarmTopic(f"{name}-alarms", {
            "topic_name": f"strata-{self._env}-alarms", "key": self._key, "tags": self._tags,
            "emails": list(args.get("alarm_emails", [])),
            "https_endpoints": list(args.get("alarm_https_endpoints", []))}, opts=self._child)
        self.alarm_topic_arn = topic.arn
        self.alarms = {}
        self._store_alarms(services)
        kafka_name = kafka["cluster_name"] if kafka else ""
        if kafka:
            for spec in _alarms.kafka_alarm_specs(kafka_name, kafka["broker_count"],
                                                  kafka["mode"]):
                self._alarm("platform", spec, self._tags)
            owners = {s["name"]: s["tags"] for s in services}
            for lag in lags:
                self._alarm(lag.service, _alarms.consumer_lag_spec(kafka_name, lag),
                            owners.get(lag.service, self._tags))
        if eks:
            for spec in _alarms.eks_alarm_specs(eks["cluster_name"]):
                self._alarm("platform", spec, self._tags)

        self.dashboard_name = self._dashboard(region, services, lags, kafka, eks).dashboard_name
        workspace = self._prometheus(args, lags, kafka, eks)
        self.prometheus_workspace_arn = workspace.arn
        self.prometheus_endpoint = workspace.prometheus_endpoint
        self.grafana_endpoint = self._grafana(args, workspace, account.account_id, region)
        self.register_outputs({
            "alarmTopicArn": self.alarm_topic_arn, "dashboardName": self.dashboard_name,
            "prometheusWorkspaceArn": self.prometheus_workspace_arn,
            "grafanaEndpoint": self.grafana_endpoint, "alarmCount": len(self.alarms)})

    # --- alarms ------------------------------------------------------------------------------


    def _store_alarms(self, services: Sequence[MonitoredService]) -> None:
        for service in services:
            for store in service["stores"]:
                for spec in store.alarm_specs(service["thresholds"]):
                    self._alarm(service["name"], spec, service["tags"])

    def _alarm(self, owner: str, spec: _alarms.AnySpec, tags: Mapping[str, str]) -> None:
        alarm_name = f"{self._env}-{owner}-{spec.key}"
        if alarm_name in self.alarms:
            raise ValueError(f"{self._name}: two alarms named {alarm_name}; alarm keys must be "
                             "unique per service")
        team = tags.get("owner", owner)
        self.alarms[alarm_name] = _alarms.metric_alarm(
            f"{self._name}-{owner}-{spec.key}", spec, alarm_name=alarm_name,
            topic_arn=self.alarm_topic_arn, owner=f"{owner} ({team})", tags=tags, parent=self)

    # --- dashboard ---------------------------------------------------------------------------

    def _dashboard(self, region: pulumi.Output[str], services: Sequence[MonitoredService],
                   lags: Sequence[ConsumerLag], kafka: KafkaMonitoringArgs | None,
                   eks: EksMonitoringArgs | None) -> aws.cloudwatch.Dashboard:
        # Rows hold Metrics whose dimension values may be Outputs: resolve them all, then
        # build the body with the pure builder.
        rows = _dashboard.platform_rows(
            [(s["name"], s["tags"], s["stores"]) for s in services], lags,
            (kafka["cluster_name"], kafka["broker_count"], kafka["mode"]) if kafka else None,
            eks["cluster_name"] if eks else None)
        metrics = [m for row in rows for panel in row.panels for m in panel.metrics]
        resolved = pulumi.Output.all(
            region, *[pulumi.Output.from_input(dict(m.dimensions)) for m in metrics])

        def body(values: list[Any]) -> str:
            dims = iter(values[1:])
            plain = [_dashboard.Row(row.heading, [
                _dashboard.Panel(p.title, [replace(m, dimensions=next(dims)) for m in p.metrics])
                for p in row.panels]) for row in rows]
            return json.dumps(_dashboard.dashboard_body(values[0], plain), sort_keys=True)

        return aws.cloudwatch.Dashboard(f"{self._name}-dashboard",
                                        dashboard_name=f"strata-{self._env}",
                                        dashboard_body=resolved.apply(body), opts=self._child)

    # --- Prometheus --------------------------------------------------------------------------

    def _prometheus(self, args: MonitoringArgs, lags: Sequence[ConsumerLag],
                    kafka: KafkaMonitoringArgs | None,
                    eks: EksMonitoringArgs | None) -> aws.amp.Workspace:
        name, protect = self._name, args.get("protect", False)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-amp-logs", name=f"/strata/{self._env}/prometheus",
            kms_key_id=self._key.arn, retention_in_days=args["log_retention_days"],
            tags=self._tags, opts=stateful_options(self, protect))
        workspace = aws.amp.Workspace(
            f"{name}-amp", alias=f"strata-{self._env}", kms_key_arn=self._key.arn,
            # AMP wants the log group ARN with the `:*` stream suffix.
            logging_configuration={"log_group_arn": logs.arn.apply(lambda a: f"{a}:*")},
            tags=self._tags, opts=stateful_options(self, protect))
        aws.amp.RuleGroupNamespace(
            f"{name}-rules", name="strata-kafka", workspace_id=workspace.id,
            data=_prometheus_rules.rules_yaml(lags), tags=self._tags, opts=self._child)
        destination: aws.amp.ScraperDestinationArgsDict = {
            "amp": {"workspace_arn": workspace.arn}}
        if eks:
            source: aws.amp.ScraperSourceArgsDict = {"eks": {
                "cluster_arn": eks["cluster_arn"], "subnet_ids": list(eks["subnet_ids"]),
                "security_group_ids": [eks["security_group_id"]]}}
            aws.amp.Scraper(
                f"{name}-eks-scraper", alias=f"strata-{self._env}-eks", source=source,
                destination=destination,
                scrape_configuration=pulumi.Output.from_input(eks["cluster_name"]).apply(
                    _prometheus_rules.eks_scrape_configuration),
                tags=self._tags, opts=self._child)
        self.msk_scraper_security_group_id = None
        if kafka and kafka["mode"] != "serverless" and "bootstrap_brokers" in kafka:
            self._msk_scraper(args["network"], kafka, destination)
        return workspace

    def _msk_scraper(self, network: Network, kafka: KafkaMonitoringArgs,
                     destination: aws.amp.ScraperDestinationArgsDict) -> None:
        name = self._name
        ports = (_prometheus_rules.JMX_EXPORTER_PORT, _prometheus_rules.NODE_EXPORTER_PORT)
        sg = aws.ec2.SecurityGroup(
            f"{name}-msk-scraper-sg", vpc_id=network.vpc_id,
            description="AMP collector for MSK open monitoring: no ingress, egress to exporters",
            tags=with_name(self._tags, f"{name}-msk-scraper"), opts=self._child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-msk-scraper-exporters", security_group_id=sg.id, ip_protocol="tcp",
            from_port=ports[0], to_port=ports[1], cidr_ipv4=network.cidr,
            description="JMX and node exporters on the brokers", tags=self._tags,
            opts=self._child)
        if "security_group_id" in kafka:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-msk-exporters-from-scraper", security_group_id=kafka["security_group_id"],
                ip_protocol="tcp", from_port=ports[0], to_port=ports[1],
                referenced_security_group_id=sg.id,
                description="Open monitoring scrape from the AMP collector", tags=self._tags,
                opts=self._child)
        config = pulumi.Output.all(kafka["bootstrap_brokers"], kafka["cluster_name"]).apply(
            lambda p: _prometheus_rules.msk_scrape_configuration(
                _prometheus_rules.broker_hosts(p[0]), p[1]))
        source: aws.amp.ScraperSourceArgsDict = {"vpc": {
            "subnet_ids": network.private_subnet_ids, "security_group_ids": [sg.id]}}
        aws.amp.Scraper(
            f"{name}-msk-scraper", alias=f"strata-{self._env}-msk", source=source,
            destination=destination, scrape_configuration=config, tags=self._tags,
            opts=self._child)
        self.msk_scraper_security_group_id = sg.id

    # --- Grafana -----------------------------------------------------------------------------

    def _grafana(self, args: MonitoringArgs, workspace: aws.amp.Workspace,
                 account_id: pulumi.Output[str], region: pulumi.Output[str]) -> pulumi.Output[str]:
        name, network = self._name, args["network"]
        role = aws.iam.Role(
            f"{name}-grafana-role", name=f"grafana-strata-{self._env}",
            description="Managed Grafana: query this environment's AMP workspace and CloudWatch",
            assume_role_policy=account_id.apply(_grafana_trust), tags=self._tags,
            opts=self._child)
        aws.iam.RolePolicy(f"{name}-grafana-read", role=role.name,
                           policy=workspace.arn.apply(_grafana_policy), opts=self._child)
        # Grafana's interfaces in the VPC: outbound only, to AWS APIs over HTTPS (via NAT).
        sg = aws.ec2.SecurityGroup(
            f"{name}-grafana-sg", vpc_id=network.vpc_id,
            description="Managed Grafana data-source traffic: no ingress, HTTPS egress",
            tags=with_name(self._tags, f"{name}-grafana"), opts=self._child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-grafana-https-out", security_group_id=sg.id, ip_protocol="tcp",
            from_port=HTTPS, to_port=HTTPS, cidr_ipv4="0.0.0.0/0",
            description="AMP and CloudWatch APIs", tags=self._tags, opts=self._child)
        # Users reach the workspace through this interface endpoint, from inside the VPC only.
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-grafana-endpoint-sg", vpc_id=network.vpc_id,
            description="Managed Grafana VPC endpoint: HTTPS from the VPC only",
            tags=with_name(self._tags, f"{name}-grafana-endpoint"), opts=self._child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-grafana-endpoint-in", security_group_id=endpoint_sg.id, ip_protocol="tcp",
            from_port=HTTPS, to_port=HTTPS, cidr_ipv4=network.cidr,
            description="Grafana users inside the VPC", tags=self._tags, opts=self._child)
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-grafana-endpoint", vpc_id=network.vpc_id, vpc_endpoint_type="Interface",
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.grafana-workspace"),
            subnet_ids=network.private_subnet_ids, security_group_ids=[endpoint_sg.id],
            private_dns_enabled=True, tags=with_name(self._tags, f"{name}-grafana"),
            opts=self._child)
        grafana = aws.grafana.Workspace(
            f"{name}-grafana", name=f"strata-{self._env}",
            description=f"Strata {self._env}: Prometheus and CloudWatch dashboards",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=[args.get("grafana_auth", "AWS_SSO")],
            permission_type="SERVICE_MANAGED", data_sources=["PROMETHEUS", "CLOUDWATCH"],
            role_arn=role.arn, kms_key_id=self._key.arn,
            vpc_configuration={"subnet_ids": network.private_subnet_ids,
                               "security_group_ids": [sg.id]},
            network_access_control={
                "prefix_list_ids": list(args.get("grafana_prefix_list_ids", [])),
                "vpce_ids": [endpoint.id]},
            configuration=json.dumps({"plugins": {"pluginAdminEnabled": False},
                                      "unifiedAlerting": {"enabled": True}}),
            tags=self._tags, opts=self._child)
        return grafana.endpoint


def _grafana_trust(account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "grafana.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }]})


def _grafana_policy(workspace_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "QueryThisWorkspace", "Effect": "Allow",
         "Action": ["aps:QueryMetrics", "aps:GetLabels", "aps:GetSeries",
                    "aps:GetMetricMetadata"],
         "Resource": workspace_arn},
        # CloudWatch metric reads have no resource-level permissions:
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
        {"Sid": "ReadCloudWatchMetrics", "Effect": "Allow",
         "Action": ["cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory",
                    "cloudwatch:DescribeAlarms", "cloudwatch:ListMetrics",
                    "cloudwatch:GetMetricData", "cloudwatch:GetInsightRuleReport"],
         "Resource": "*"},
    ]})
