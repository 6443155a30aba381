"""Managed collectors (AMP scrapers) for Observability: one for an EKS cluster, one for an MSK
cluster's open-monitoring exporters.

The EKS collector runs as a service-linked role that must be mapped to Kubernetes RBAC (see
`observability.EKS_SCRAPER_RBAC_RULES`). The MSK collector scrapes from interfaces in the VPC
with a security group of its own: egress to the exporter ports, never a rule on the brokers'
group (the Kafka cluster admits this group itself).
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components import _prometheus_rules
from components._prometheus_rules import JMX_EXPORTER_PORT, NODE_EXPORTER_PORT
from components._tags import with_name

if TYPE_CHECKING:
    from components.observability import EksSourceArgs

__all__ = ["MskSource", "eks_collector", "msk_collector", "scraper_access_principal"]

_SCRAPER_ROLE_PATH = "role/aws-service-role/scraper.aps.amazonaws.com/"


def scraper_access_principal(role_arn: str) -> str:
    """The collector's role ARN without its service-role path, as Kubernetes access mappings
    take it (the AMP EKS setup steps strip `aws-service-role/scraper.aps.amazonaws.com/`)."""
    return role_arn.replace(_SCRAPER_ROLE_PATH, "role/") if role_arn else role_arn


def eks_collector(parent: pulumi.Resource, name: str, alias: str, eks: EksSourceArgs,
                  destination: aws.amp.ScraperDestinationArgsDict,
                  tags: Mapping[str, str]) -> pulumi.Output[str]:
    """The EKS collector; returns its role ARN (path removed) for the cluster's access entry."""
    scraper = aws.amp.Scraper(
        f"{name}-eks-scraper", alias=alias, destination=destination,
        source={"eks": {"cluster_arn": eks["cluster_arn"], "subnet_ids": list(eks["subnet_ids"]),
                        "security_group_ids": [eks["security_group_id"]]}},
        scrape_configuration=pulumi.Output.from_input(eks["cluster_name"]).apply(
            _prometheus_rules.eks_scrape_configuration),
        tags=dict(tags), opts=pulumi.ResourceOptions(parent=parent))
    return scraper.role_arn.apply(lambda arn: scraper_access_principal(arn or ""))


@dataclass(frozen=True)
class MskSource:
    cluster_name: pulumi.Input[str]
    bootstrap_brokers: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]


def msk_collector(parent: pulumi.Resource, name: str, alias: str, source: MskSource,
                  destination: aws.amp.ScraperDestinationArgsDict,
                  tags: Mapping[str, str]) -> pulumi.Output[str]:
    """The MSK collector; returns its security group id for the brokers to admit."""
    child = pulumi.ResourceOptions(parent=parent)
    sg = aws.ec2.SecurityGroup(
        f"{name}-msk-scraper-sg", vpc_id=source.vpc_id,
        description="AMP collector for MSK open monitoring: no ingress, egress to exporters",
        tags=with_name(tags, f"{name}-msk-scraper"), opts=child)
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-msk-scraper-exporters", security_group_id=sg.id, ip_protocol="tcp",
        from_port=JMX_EXPORTER_PORT, to_port=NODE_EXPORTER_PORT, cidr_ipv4=source.vpc_cidr,
        description="JMX and node exporters on the brokers", tags=dict(tags), opts=child)
    config = pulumi.Output.all(source.bootstrap_brokers, source.cluster_name).apply(
        lambda p: _prometheus_rules.msk_scrape_configuration(
            _prometheus_rules.broker_hosts(p[0]), p[1]))
    aws.amp.Scraper(
        f"{name}-msk-scraper", alias=alias, destination=destination,
        source={"vpc": {"subnet_ids": list(source.subnet_ids), "security_group_ids": [sg.id]}},
        scrape_configuration=config, tags=dict(tags), opts=child)
    return sg.id
