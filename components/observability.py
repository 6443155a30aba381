"""Observability: Amazon Managed Service for Prometheus (encrypted, logged, with Kafka rules and
an alert manager that pages through an SNS topic), managed collectors for EKS and MSK, private
Managed Grafana, and a CloudWatch dashboard.

What is alarmed lives in `components.alarms`; this component scrapes, evaluates and shows. It
never touches another component's resources: the MSK collector has a security group of its own
(`msk_scraper_security_group_id`) that the Kafka cluster admits on its exporter ports
(`KafkaCluster.allow_from(name, sg, JMX_EXPORTER_PORT, NODE_EXPORTER_PORT)`), and the EKS
collector needs in-cluster RBAC that the cluster grants to `eks_scraper_role_arn`
(`EKS_SCRAPER_USERNAME`, `EKS_SCRAPER_CLUSTER_ROLE`, `EKS_SCRAPER_RBAC_RULES`).

A customer-managed key is used by AMP and Managed Grafana as the caller that creates the
workspace (they create KMS grants for their own later use), so the key must admit the account's
principals through `KMS_CALLER_SERVICES`; its own key does.
"""

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args, _collectors, _dashboard, _grafana, _prometheus_rules
from components._alarms import (
    DEFAULT_PERIOD_SECONDS,
    DEFAULT_STATISTIC,
    ConsumerGroup,
    max_lag,
)
from components._collectors import scraper_access_principal
from components._logs import DEFAULT_LOG_RETENTION_DAYS, log_retention_problem
from components._names import name_problem
from components._prometheus_rules import JMX_EXPORTER_PORT, NODE_EXPORTER_PORT
from components._store import Metric
from components.alarms import MetricArgs, metric_args
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = [
    "DEFAULT_LOG_RETENTION_DAYS", "EKS_SCRAPER_CLUSTER_ROLE", "EKS_SCRAPER_RBAC_RULES",
    "EKS_SCRAPER_USERNAME", "JMX_EXPORTER_PORT", "KMS_CALLER_SERVICES", "NODE_EXPORTER_PORT",
    "ConsumerGroup", "DashboardPanelArgs", "DashboardRowArgs", "EksSourceArgs", "GrafanaAuth",
    "KafkaSourceArgs", "Observability", "ObservabilityArgs", "dashboard_row", "physical_names",
    "scraper_access_principal",
]

KMS_CALLER_SERVICES = ("aps", "grafana")
"""`kms:ViaService` prefixes through which the account's principals must be able to use the key
(AMP: https://docs.aws.amazon.com/prometheus/latest/userguide/encryption-at-rest-Amazon-Service-Prometheus.html,
Managed Grafana: https://docs.aws.amazon.com/grafana/latest/userguide/AMG-encryption-at-rest.html)."""

EKS_SCRAPER_USERNAME = "aps-collector-user"
"""Kubernetes user the EKS collector's role is mapped to (its access entry's username)."""
EKS_SCRAPER_CLUSTER_ROLE = "aps-collector-role"
EKS_SCRAPER_RBAC_RULES: tuple[Mapping[str, Any], ...] = (
    {"apiGroups": [""], "resources": ["nodes", "nodes/proxy", "nodes/metrics", "services",
                                      "endpoints", "pods", "ingresses", "configmaps"],
     "verbs": ["describe", "get", "list", "watch"]},
    {"apiGroups": ["extensions", "networking.k8s.io"], "resources": ["ingresses/status",
                                                                     "ingresses"],
     "verbs": ["describe", "get", "list", "watch"]},
    {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
)
"""The ClusterRole AWS publishes for the managed collector, verbatim (clusterrole-binding.yml of
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup):
bind it to `EKS_SCRAPER_USERNAME` and give `eks_scraper_role_arn` an access entry with it."""


class GrafanaAuth(enum.StrEnum):
    """How Grafana users sign in."""

    AWS_SSO = "AWS_SSO"
    """IAM Identity Center."""
    SAML = "SAML"


DEFAULT_GRAFANA_AUTH = GrafanaAuth.AWS_SSO


class KafkaSourceArgs(TypedDict):
    """The MSK cluster to plot, rule on and (provisioned) scrape."""

    cluster_name: pulumi.Input[str]
    """Cluster name; pass an Output of the cluster so dependents wait for it."""
    broker_count: int
    """Brokers to plot (MSK numbers them from 1); 0 for MSK Serverless."""
    bootstrap_brokers: NotRequired[pulumi.Input[str]]
    """Bootstrap brokers of a provisioned cluster with open monitoring: enables the managed
    collector of its JMX and node exporters. Default: no MSK collector."""


class EksSourceArgs(TypedDict):
    """The EKS cluster to plot and scrape."""

    cluster_name: pulumi.Input[str]
    """Cluster name; pass an Output of the cluster."""
    cluster_arn: pulumi.Input[str]
    """Cluster ARN (its API endpoint must allow private access)."""
    security_group_id: pulumi.Input[str]
    """The cluster security group the collector's interfaces join."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets for the collector, in at least two AZs."""


class DashboardPanelArgs(TypedDict):
    """One graph of the dashboard."""

    title: str
    """Panel title."""
    metrics: Sequence[MetricArgs]
    """The series it plots."""


class DashboardRowArgs(TypedDict):
    """A band of the dashboard: a heading, then its panels three per line."""

    heading: str
    """Markdown shown across the full width, e.g. `## orders`."""
    panels: Sequence[DashboardPanelArgs]
    """The row's panels."""


class ObservabilityArgs(TypedDict):
    """Inputs of an Observability."""

    name_prefix: str
    """Physical names: the AMP workspace alias, the dashboard and the Grafana workspace are
    `<name_prefix>`, the collectors `<name_prefix>-eks` / `-msk`."""
    vpc_id: pulumi.Input[str]
    """VPC of Grafana's interfaces and endpoint and of the MSK collector."""
    vpc_cidr: str
    """The VPC's CIDR: the MSK collector reaches the exporters in it."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets in at least two AZs for Grafana and the MSK collector."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key of the workspace, its log group and Grafana; it must admit `KMS_CALLER_SERVICES`
    and CloudWatch Logs for the log group. Default: a key of its own that does."""
    log_group_name: NotRequired[str]
    """AMP's log group. Default: `/aws/prometheus/<name_prefix>`."""
    log_retention_days: NotRequired[int]
    """Default: 365 days."""
    kafka: NotRequired[KafkaSourceArgs]
    """Default: no Kafka rules' targets, panels or collector (rules are still created)."""
    consumer_groups: NotRequired[Sequence[ConsumerGroup]]
    """Consumer groups to alert on and plot (needs `kafka`). Default: none."""
    eks: NotRequired[EksSourceArgs]
    """Default: no EKS panels and no EKS collector."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """SNS topic the alert manager sends every alert to; it must let this workspace publish
    (an Alarms' `prometheus_workspace_arns`). Default: none (see `route_alerts_to`)."""
    dashboard_rows: NotRequired[Sequence[DashboardRowArgs]]
    """Rows shown before the Kafka and EKS rows. Default: none."""
    grafana_auth: NotRequired[GrafanaAuth]
    """Default: `AWS_SSO`."""
    grafana_role_name: NotRequired[str]
    """Name of Grafana's role. Default: `<name_prefix>-grafana`."""
    grafana_prefix_list_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Managed prefix lists allowed to reach Grafana besides its VPC endpoint. Default: none
    (only through the endpoint: VPN, Direct Connect or a bastion)."""
    grafana_client_cidrs: NotRequired[Sequence[str]]
    """Networks admitted to Grafana's VPC endpoint on 443. Default: `vpc_cidr`."""
    allowed_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted to Grafana's VPC endpoint. Default: none (see `allow_from`)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """The workspace holds metrics, Grafana dashboards and users, the log group audit data:
    applied to them and to the own key. Default: see LifecycleArgs."""


def physical_names(name_prefix: str, log_group_name: str | None = None,
                   grafana_role_name: str | None = None) -> list[tuple[str, str]]:
    """The physical names an Observability creates."""
    return [("amp-alias", name_prefix), ("amp-alias", f"{name_prefix}-eks"),
            ("amp-alias", f"{name_prefix}-msk"),
            ("log-group", log_group_name or _default_log_group(name_prefix)),
            ("dashboard", name_prefix), ("grafana-workspace", name_prefix),
            ("iam-role", grafana_role_name or _default_grafana_role(name_prefix))]


def _default_log_group(name_prefix: str) -> str:
    return f"/aws/prometheus/{name_prefix}"


def _default_grafana_role(name_prefix: str) -> str:
    return f"{name_prefix}-grafana"


def dashboard_row(heading: str, stores: Sequence[Any]) -> DashboardRowArgs:
    """A row with a panel per store (`kind` and resource name as title, `metrics()` plotted)."""
    panels: list[DashboardPanelArgs] = []
    for index, store in enumerate(stores):
        label = getattr(store, "pulumi_resource_name", None) or f"#{index + 1}"
        panels.append({"title": f"{store.kind} {label}",
                       "metrics": [metric_args(m) for m in store.metrics()]})
    return {"heading": heading, "panels": panels}


class Observability(pulumi.ComponentResource):
    """Managed Prometheus with collectors, rules and alert routing; Grafana; a dashboard."""

    prometheus_workspace_arn: pulumi.Output[str]
    """ARN of the AMP workspace."""
    prometheus_workspace_id: pulumi.Output[str]
    """Id of the AMP workspace."""
    prometheus_endpoint: pulumi.Output[str]
    """Prometheus-compatible endpoint of the workspace."""
    grafana_endpoint: pulumi.Output[str]
    """Grafana's URL (reachable from admitted networks only)."""
    grafana_endpoint_security_group_id: pulumi.Output[str]
    """Security group of Grafana's VPC endpoint."""
    dashboard_name: pulumi.Output[str]
    """The CloudWatch dashboard."""
    msk_scraper_security_group_id: pulumi.Output[str]
    """The MSK collector's security group, for the cluster to admit on 11001-11002 (empty
    without an MSK collector)."""
    eks_scraper_role_arn: pulumi.Output[str]
    """The EKS collector's role, path removed, for an access entry mapped to
    `EKS_SCRAPER_USERNAME` (empty without an EKS collector)."""
    kms_key_arn: pulumi.Output[str]
    """The key in use (given or own)."""

    def __init__(self, name: str, args: ObservabilityArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Observability", name, None, opts)
        args = _args.validate("Observability", name, args, ObservabilityArgs)
        problems = _problems(args)
        if problems:
            raise _args.ComponentArgsError(f"Observability {name!r}: " + "; ".join(problems))
        self._name = name
        self._tags = dict(args.get("tags", {}))
        self._alert_manager: aws.amp.AlertManagerDefinition | None = None
        prefix, lifecycle = args["name_prefix"], args.get("lifecycle")
        log_group_name = args.get("log_group_name", _default_log_group(prefix))
        key_arn = self._key(name, args, log_group_name)
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        kafka, eks = args.get("kafka"), args.get("eks")
        groups = list(args.get("consumer_groups", []))

        logs = aws.cloudwatch.LogGroup(
            f"{name}-amp-logs", name=log_group_name, kms_key_id=key_arn,
            retention_in_days=args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS),
            tags=self._tags, opts=lifecycle_options(self, lifecycle))
        scraped = eks is not None or (kafka is not None and "bootstrap_brokers" in kafka)
        workspace = aws.amp.Workspace(
            f"{name}-amp", alias=prefix, kms_key_arn=key_arn,
            # AMP wants the log group ARN with the `:*` stream suffix.
            logging_configuration={"log_group_arn": logs.arn.apply(lambda a: f"{a}:*")},
            # A collector tags its destination workspace; declaring the tag keeps the next
            # update from removing it (pulumi-aws amp.Scraper docs).
            tags={**self._tags, **({"AMPAgentlessScraper": ""} if scraped else {})},
            opts=lifecycle_options(self, lifecycle))
        self.prometheus_workspace_arn = workspace.arn
        self.prometheus_workspace_id = workspace.id
        self.prometheus_endpoint = workspace.prometheus_endpoint
        aws.amp.RuleGroupNamespace(
            f"{name}-rules", name=_prometheus_rules.RULE_NAMESPACE, workspace_id=workspace.id,
            data=_prometheus_rules.rules_yaml(groups), tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self))
        if "alarm_topic_arn" in args:
            self.route_alerts_to(args["alarm_topic_arn"])
        destination: aws.amp.ScraperDestinationArgsDict = {"amp": {"workspace_arn": workspace.arn}}
        self.eks_scraper_role_arn = pulumi.Output.from_input("")
        if eks is not None:
            self.eks_scraper_role_arn = _collectors.eks_collector(
                self, name, f"{prefix}-eks", eks, destination, self._tags)
        self.msk_scraper_security_group_id = pulumi.Output.from_input("")
        if kafka is not None and "bootstrap_brokers" in kafka:
            self.msk_scraper_security_group_id = _collectors.msk_collector(
                self, name, f"{prefix}-msk", _collectors.MskSource(
                    kafka["cluster_name"], kafka["bootstrap_brokers"], args["vpc_id"],
                    args["vpc_cidr"], list(args["subnet_ids"])), destination, self._tags)

        grafana, endpoint_sg = _grafana.grafana_workspace(self, name, _grafana.GrafanaSettings(
            workspace_name=prefix,
            role_name=args.get("grafana_role_name", _default_grafana_role(prefix)),
            auth=str(args.get("grafana_auth", DEFAULT_GRAFANA_AUTH)), vpc_id=args["vpc_id"],
            subnet_ids=list(args["subnet_ids"]),
            client_cidrs=list(args.get("grafana_client_cidrs", [args["vpc_cidr"]])),
            prefix_list_ids=list(args.get("grafana_prefix_list_ids", [])), kms_key_arn=key_arn,
            tags=self._tags, lifecycle=lifecycle), workspace.arn, account, region)
        self._endpoint_sg = endpoint_sg
        self.grafana_endpoint = grafana.endpoint
        self.grafana_endpoint_security_group_id = endpoint_sg.id
        for index, group in enumerate(args.get("allowed_security_group_ids", [])):
            self.allow_from(f"{name}-grafana-client-{index}", group)
        self.dashboard_name = self._dashboard(name, prefix, args, groups, region)
        self.register_outputs({
            "prometheusWorkspaceArn": self.prometheus_workspace_arn,
            "prometheusWorkspaceId": self.prometheus_workspace_id,
            "prometheusEndpoint": self.prometheus_endpoint,
            "grafanaEndpoint": self.grafana_endpoint,
            "grafanaEndpointSecurityGroupId": self.grafana_endpoint_security_group_id,
            "dashboardName": self.dashboard_name,
            "mskScraperSecurityGroupId": self.msk_scraper_security_group_id,
            "eksScraperRoleArn": self.eks_scraper_role_arn, "kmsKeyArn": self.kms_key_arn})

    def route_alerts_to(self, topic_arn: pulumi.Input[str]) -> aws.amp.AlertManagerDefinition:
        """Send every alert of the workspace to `topic_arn` (once per workspace). Pass an
        Alarms' `topic_arn`, which resolves after its policy admits this workspace."""
        if self._alert_manager is not None:
            raise _args.ComponentArgsError(
                f"Observability {self._name!r}: alerts are already routed; a workspace has one "
                "alert manager definition")
        self._alert_manager = aws.amp.AlertManagerDefinition(
            f"{self._name}-alert-manager", workspace_id=self.prometheus_workspace_id,
            definition=pulumi.Output.from_input(topic_arn).apply(
                _prometheus_rules.alert_manager_definition),
            opts=pulumi.ResourceOptions(parent=self))
        return self._alert_manager

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> None:
        """Admit `security_group_id` to Grafana's VPC endpoint on 443."""
        aws.vpc.SecurityGroupIngressRule(
            name, security_group_id=self._endpoint_sg.id, ip_protocol="tcp",
            from_port=_grafana.HTTPS, to_port=_grafana.HTTPS,
            referenced_security_group_id=security_group_id,
            description=description or "Grafana users", tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self))

    def _key(self, name: str, args: ObservabilityArgs, log_group_name: str) -> pulumi.Input[str]:
        if "kms_key_arn" in args:
            return args["kms_key_arn"]
        key_args: EncryptionKeyArgs = {
            "description": f"{args['name_prefix']}: Prometheus metrics, their logs, Grafana",
            "tags": self._tags, "caller_services": list(KMS_CALLER_SERVICES),
            "log_group_names": [log_group_name]}
        if "lifecycle" in args:
            key_args["lifecycle"] = args["lifecycle"]
        return EncryptionKey(f"{name}-key", key_args, opts=pulumi.ResourceOptions(parent=self)).arn

    def _dashboard(self, name: str, prefix: str, args: ObservabilityArgs,
                   groups: Sequence[ConsumerGroup], region: pulumi.Output[str]
                   ) -> pulumi.Output[str]:
        kafka, eks = args.get("kafka"), args.get("eks")
        rows = _dashboard.platform_rows(
            [_dashboard.Row(row["heading"], [_dashboard.Panel(p["title"], [
                _metric(m) for m in p["metrics"]]) for p in row["panels"]])
             for row in args.get("dashboard_rows", [])],
            groups, kafka["cluster_name"] if kafka else None,
            kafka["broker_count"] if kafka else 0, eks["cluster_name"] if eks else None)
        # Dimension values may be Outputs of the plotted resources: resolve them all, then
        # build the body with the pure builder.
        metrics = [m for row in rows for panel in row.panels for m in panel.metrics]
        resolved = pulumi.Output.all(
            region, *[pulumi.Output.from_input(dict(m.dimensions)) for m in metrics])

        def body(values: list[Any]) -> str:
            dims = iter(values[1:])
            plain = [_dashboard.Row(row.heading, [
                _dashboard.Panel(p.title, [replace(m, dimensions=next(dims)) for m in p.metrics])
                for p in row.panels]) for row in rows]
            return json.dumps(_dashboard.dashboard_body(values[0], plain), sort_keys=True)

        dashboard = aws.cloudwatch.Dashboard(f"{name}-dashboard", dashboard_name=prefix,
                                             dashboard_body=resolved.apply(body),
                                             opts=pulumi.ResourceOptions(parent=self))
        return dashboard.dashboard_name


def _metric(m: MetricArgs) -> Metric:
    return Metric(m["namespace"], m["metric_name"], dict(m.get("dimensions", {})),
                  statistic=m.get("statistic", DEFAULT_STATISTIC),
                  period_seconds=m.get("period_seconds", DEFAULT_PERIOD_SECONDS),
                  label=m.get("label", ""))


def _problems(args: ObservabilityArgs) -> list[str]:
    names = physical_names(args["name_prefix"], args.get("log_group_name"),
                           args.get("grafana_role_name"))
    problems = [p for kind, value in names if (p := name_problem(kind, value))]
    retention = log_retention_problem("log_retention_days",
                                      args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS))
    if retention:
        problems.append(retention)
    if len(args["subnet_ids"]) < 2:
        problems.append("subnet_ids: Grafana and the collectors need subnets in at least two AZs")
    eks = args.get("eks")
    if eks is not None and len(eks["subnet_ids"]) < 2:
        problems.append("eks.subnet_ids: the collector needs subnets in at least two AZs")
    kafka = args.get("kafka")
    if kafka is not None and kafka["broker_count"] < 0:
        problems.append("kafka.broker_count must be 0 (serverless) or more")
    if kafka is not None and kafka["broker_count"] == 0 and "bootstrap_brokers" in kafka:
        problems.append("kafka.bootstrap_brokers: MSK Serverless has no open monitoring to "
                        "scrape; leave it out or give the provisioned broker_count")
    groups = list(args.get("consumer_groups", []))
    if groups and kafka is None:
        problems.append("consumer_groups need kafka (the cluster they lag on)")
    keys = [(g["group"], g["topic"]) for g in groups]
    problems += [f"consumer_groups: group {g!r} on topic {t!r} is listed twice"
                 for g, t in sorted(set(keys)) if keys.count((g, t)) > 1]
    problems += [f"consumer_groups: {g['group']!r} max_lag_messages must be at least 1"
                 for g in groups if max_lag(g) < 1]
    return problems

