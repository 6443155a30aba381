"""Service quotas the stack would exceed: the applied quota against what is in use plus what the
stack adds.

Quota codes come from AWS's quota tables (cited per rule). Usage is counted with the owning
service's own describe/list calls. Resources the stack already deployed are recognised by their
physical key (DB identifier, MSK cluster name, EC2 `environment`/`Name` tags) and not counted twice,
so preflight stays right before an update too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra._preflight_needs import StackNeeds
from infra._preflight_report import Finding, Severity

__all__ = ["QUOTAS", "QuotaRule", "check_quota"]

Usage = dict[str, dict[str, int]]
"""group (AZ for per-AZ quotas, "" otherwise) -> physical key -> units in use."""


@dataclass(frozen=True)
class QuotaRule:
    kind: str
    """Key into StackNeeds.physical."""
    service_code: str
    quota_code: str
    name: str
    source: str
    """The AWS page that lists the code."""
    usage_service: str
    """boto3 service whose client counts current usage."""
    usage_api: str
    count: Callable[[Any], Usage]


def _tag_key(resource: Mapping[str, Any]) -> str:
    tags = {t["Key"]: t["Value"] for t in resource.get("Tags") or []}
    return f"{tags.get('environment', '')}/{tags.get('Name', '')}"


def _paged(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    pages = client.get_paginator(operation).paginate(**kwargs)
    return [item for page in pages for item in page.get(result_key, [])]


def _count_vpcs(ec2: Any) -> Usage:
    return {"": _keyed(_paged(ec2, "describe_vpcs", "Vpcs"), "VpcId")}


def _has_name(resource: Mapping[str, Any]) -> bool:
    return any(t["Key"] == "Name" for t in resource.get("Tags") or [])


def _keyed(items: list[Mapping[str, Any]], id_key: str) -> dict[str, int]:
    """Named resources by their tag key; unnamed ones by ID, so they still count."""
    return {(_tag_key(i) if _has_name(i) else i[id_key]): 1 for i in items}


def _count_internet_gateways(ec2: Any) -> Usage:
    return {"": _keyed(_paged(ec2, "describe_internet_gateways", "InternetGateways"),
                       "InternetGatewayId")}


def _count_elastic_ips(ec2: Any) -> Usage:
    addresses = ec2.describe_addresses().get("Addresses", [])
    return {"": _keyed([a for a in addresses if a.get("Domain", "vpc") == "vpc"],
                       "AllocationId")}


def _count_nat_gateways(ec2: Any) -> Usage:
    # Only pending, available and deleting NAT gateways count (Amazon VPC quotas).
    gateways = _paged(ec2, "describe_nat_gateways", "NatGateways",
                      Filter=[{"Name": "state", "Values": ["pending", "available", "deleting"]}])
    subnets = {s["SubnetId"]: s["AvailabilityZone"] for s in _paged(
        ec2, "describe_subnets", "Subnets",
        SubnetIds=sorted({g["SubnetId"] for g in gateways}))} if gateways else {}
    usage: Usage = {}
    for g in gateways:
        usage.setdefault(subnets.get(g["SubnetId"], ""), {})[
            _tag_key(g) if _has_name(g) else g["NatGatewayId"]] = 1
    return usage


def _count_rds_clusters(rds: Any) -> Usage:
    return {"": {c["DBClusterIdentifier"].lower(): 1
                 for c in _paged(rds, "describe_db_clusters", "DBClusters")}}


def _count_rds_instances(rds: Any) -> Usage:
    return {"": {i["DBInstanceIdentifier"].lower(): 1
                 for i in _paged(rds, "describe_db_instances", "DBInstances")}}


def _count_msk_brokers(kafka: Any) -> Usage:
    return {"": {c["ClusterName"]: int((c.get("Provisioned") or {}).get("NumberOfBrokerNodes", 0))
                 for c in _paged(kafka, "list_clusters_v2", "ClusterInfoList")}}


_VPC_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
QUOTAS: tuple[QuotaRule, ...] = (
    QuotaRule("vpcs", "vpc", "L-F678F1CE", "VPCs per Region", _VPC_QUOTAS,
              "ec2", "ec2:DescribeVpcs", _count_vpcs),
    QuotaRule("internet-gateways", "vpc", "L-A4707A72", "Internet gateways per Region",
              _VPC_QUOTAS, "ec2", "ec2:DescribeInternetGateways", _count_internet_gateways),
    QuotaRule("elastic-ips", "ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", _VPC_QUOTAS,
              "ec2", "ec2:DescribeAddresses", _count_elastic_ips),
    QuotaRule("nat-gateways-per-az", "vpc", "L-FE5A380F", "NAT gateways per Availability Zone",
              _VPC_QUOTAS, "ec2", "ec2:DescribeNatGateways + DescribeSubnets",
              _count_nat_gateways),
    QuotaRule("rds-clusters", "rds", "L-952B80B8", "DB clusters",
              "https://docs.aws.amazon.com/general/latest/gr/rds-service.html",
              "rds", "rds:DescribeDBClusters", _count_rds_clusters),
    QuotaRule("rds-instances", "rds", "L-7B6409FD", "DB instances",
              "https://docs.aws.amazon.com/general/latest/gr/rds-service.html",
              "rds", "rds:DescribeDBInstances", _count_rds_instances),
    QuotaRule("msk-brokers", "kafka", "L-EDD31C36", "Number of brokers per account",
              "https://docs.aws.amazon.com/general/latest/gr/msk.html",
              "kafka", "kafka:ListClustersV2", _count_msk_brokers),
)


def _quota_value(quotas: Any, rule: QuotaRule) -> float:
    """The applied value; GetServiceQuota answers NoSuchResource for quotas never adjusted in some
    accounts, in which case the AWS default applies."""
    try:
        return float(quotas.get_service_quota(ServiceCode=rule.service_code,
                                              QuotaCode=rule.quota_code)["Quota"]["Value"])
    except quotas.exceptions.NoSuchResourceException:
        return float(quotas.get_aws_default_service_quota(
            ServiceCode=rule.service_code, QuotaCode=rule.quota_code)["Quota"]["Value"])


def check_quota(rule: QuotaRule, quotas: Any, usage_client: Any,
                needs: StackNeeds) -> list[Finding]:
    needed = needs.physical.get(rule.kind, {})
    if not any(needed.values()):
        return []
    limit = _quota_value(quotas, rule)
    usage = rule.count(usage_client)
    api = f"service-quotas:GetServiceQuota {rule.service_code}/{rule.quota_code}; {rule.usage_api}"
    worst: tuple[float, str, int, int] | None = None
    for group, keys in needed.items():
        in_use = usage.get(group, {})
        used = sum(in_use.values())
        adds = sum(units for key, units in keys.items() if _norm(rule, key) not in
                   {_norm(rule, k) for k in in_use})
        if worst is None or used + adds - limit > worst[0]:
            worst = (used + adds - limit, group, used, adds)
    assert worst is not None
    over, group, used, adds = worst
    where = f" in {group}" if group else ""
    subject = f"{rule.name} ({rule.service_code} {rule.quota_code})"
    found = f"{used} in use + {adds} new{where} = {used + adds} of {limit:g}"
    if over > 0:
        return [Finding("service-quotas", Severity.BLOCKER, subject, found + " -> over quota",
                        f"request an increase to at least {used + adds} in Service Quotas "
                        f"({rule.source}), or free {over:g}", api)]
    return [Finding("service-quotas", Severity.OK, subject, found, api=api)]


def _norm(rule: QuotaRule, key: str) -> str:
    # RDS stores identifiers in lower case.
    return key.lower() if rule.service_code == "rds" else key
