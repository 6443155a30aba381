"""Managed Grafana for Observability: reachable only through its VPC endpoint (and any prefix
lists named), users from IAM Identity Center or SAML, no API keys, a role of its own that reads
one Prometheus workspace and CloudWatch metrics.

Through the API, Managed Grafana cannot create its own roles: the workspace must be
`CUSTOMER_MANAGED` with a `workspaceRoleArn` (CreateWorkspace `permissionType`,
https://docs.aws.amazon.com/grafana/latest/APIReference/API_CreateWorkspace.html), and
`workspaceDataSources` is "for internal use only", so it is not set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components._tags import with_name
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["HTTPS", "GrafanaSettings", "grafana_policy", "grafana_trust", "grafana_workspace"]

HTTPS = 443


@dataclass(frozen=True)
class GrafanaSettings:
    """What the Grafana workspace is built from (resolved from ObservabilityArgs)."""

    workspace_name: str
    role_name: str
    auth: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_cidrs: Sequence[str]
    prefix_list_ids: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    lifecycle: LifecycleArgs | None


def grafana_workspace(parent: pulumi.Resource, name: str, settings: GrafanaSettings,
                      prometheus_workspace_arn: pulumi.Input[str], account_id: pulumi.Input[str],
                      region: pulumi.Input[str]
                      ) -> tuple[aws.grafana.Workspace, aws.ec2.SecurityGroup]:
    """The workspace and the security group of its VPC endpoint (users come in through it)."""
    child = pulumi.ResourceOptions(parent=parent)
    tags = dict(settings.tags)
    role = aws.iam.Role(
        f"{name}-grafana-role", name=settings.role_name,
        description="Managed Grafana: query one Prometheus workspace and CloudWatch metrics",
        assume_role_policy=pulumi.Output.from_input(account_id).apply(grafana_trust),
        tags=tags, opts=child)
    read = aws.iam.RolePolicy(
        f"{name}-grafana-read", role=role.name, opts=child,
        policy=pulumi.Output.from_input(prometheus_workspace_arn).apply(grafana_policy))
    # Grafana's interfaces in the VPC: outbound only, to AWS APIs over HTTPS (via NAT).
    sg = aws.ec2.SecurityGroup(
        f"{name}-grafana-sg", vpc_id=settings.vpc_id,
        description="Managed Grafana data-source traffic: no ingress, HTTPS egress",
        tags=with_name(tags, f"{name}-grafana"), opts=child)
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-grafana-https-out", security_group_id=sg.id, ip_protocol="tcp",
        from_port=HTTPS, to_port=HTTPS, cidr_ipv4="0.0.0.0/0",
        description="AMP and CloudWatch APIs", tags=tags, opts=child)
    # Users reach the workspace through this interface endpoint, from the admitted networks.
    endpoint_sg = aws.ec2.SecurityGroup(
        f"{name}-grafana-endpoint-sg", vpc_id=settings.vpc_id,
        description="Managed Grafana VPC endpoint: HTTPS from admitted networks only",
        tags=with_name(tags, f"{name}-grafana-endpoint"), opts=child)
    for index, cidr in enumerate(settings.client_cidrs):
        suffix = "" if index == 0 else f"-{index}"  # the first keeps its original name
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-grafana-endpoint-in{suffix}", security_group_id=endpoint_sg.id,
            ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_ipv4=cidr,
            description="Grafana users", tags=tags, opts=child)
    endpoint = aws.ec2.VpcEndpoint(
        f"{name}-grafana-endpoint", vpc_id=settings.vpc_id, vpc_endpoint_type="Interface",
        service_name=pulumi.Output.from_input(region).apply(
            lambda r: f"com.amazonaws.{r}.grafana-workspace"),
        subnet_ids=list(settings.subnet_ids), security_group_ids=[endpoint_sg.id],
        private_dns_enabled=True, tags=with_name(tags, f"{name}-grafana"), opts=child)
    workspace = aws.grafana.Workspace(
        f"{name}-grafana", name=settings.workspace_name,
        description=f"{settings.workspace_name}: Prometheus and CloudWatch dashboards",
        account_access_type="CURRENT_ACCOUNT", authentication_providers=[settings.auth],
        permission_type="CUSTOMER_MANAGED", role_arn=role.arn,
        kms_key_id=settings.kms_key_arn,
        vpc_configuration={"subnet_ids": list(settings.subnet_ids),
                           "security_group_ids": [sg.id]},
        network_access_control={"prefix_list_ids": list(settings.prefix_list_ids),
                                "vpce_ids": [endpoint.id]},
        configuration=json.dumps({"plugins": {"pluginAdminEnabled": False},
                                  "unifiedAlerting": {"enabled": True}}),
        tags=tags,
        # The role's permissions exist before the workspace first queries with it.
        opts=lifecycle_options(parent, settings.lifecycle, depends_on=[read]))
    return workspace, endpoint_sg


def grafana_trust(account_id: str) -> str:
    """Managed Grafana of this account only may assume the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "grafana.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }]})


def grafana_policy(workspace_arn: str) -> str:
    statements: list[dict[str, Any]] = [
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
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
