"""Preflight checks of where the stack runs: AZs, EKS versions and add-ons, node instance types.

Each check takes the boto3 client(s) it calls and the stack's needs, and returns findings; the
runner turns an AWS error into a "not checked" warning, so a check only states what it measured.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from infra._preflight_needs import StackNeeds
from infra._preflight_report import Finding, Severity

__all__ = ["check_addon_versions", "check_availability_zones", "check_kubernetes_versions",
           "check_node_instance_types", "zone_ids"]


def zone_ids(ec2: Any) -> dict[str, dict[str, str]]:
    """AZ name -> {"id", "state", "type"} for the client's region."""
    response = ec2.describe_availability_zones()
    return {z["ZoneName"]: {"id": z.get("ZoneId", ""), "state": z.get("State", ""),
                            "type": z.get("ZoneType", "availability-zone")}
            for z in response.get("AvailabilityZones", [])}


def check_availability_zones(ec2: Any, needs: StackNeeds) -> list[Finding]:
    api = "ec2:DescribeAvailabilityZones"
    if not needs.azs:
        return []
    zones = zone_ids(ec2)
    offered = sorted(n for n, z in zones.items()
                     if z["state"] == "available" and z["type"] == "availability-zone")
    findings = []
    for az in needs.azs:
        zone = zones.get(az)
        if zone is None:
            findings.append(Finding(
                "availability-zones", Severity.BLOCKER, az,
                f"no such Availability Zone in this region (available: {', '.join(offered)})",
                "take AZ names from the region (network.azCount within what it offers); "
                "subnets in an unknown AZ fail at creation", api))
        elif zone["state"] != "available":
            findings.append(Finding(
                "availability-zones", Severity.BLOCKER, az, f"state is {zone['state']}",
                f"use available AZs only ({', '.join(offered)})", api))
        else:
            findings.append(Finding("availability-zones", Severity.OK, az,
                                    f"available ({zone['id']})", api=api))
    return findings


def check_node_instance_types(ec2: Any, needs: StackNeeds) -> list[Finding]:
    """Every instance type of every managed node group is offered in every AZ it spans."""
    api = "ec2:DescribeInstanceTypeOfferings (location-type availability-zone)"
    findings = []
    for group in needs.node_groups:
        if not group.azs:
            findings.append(Finding(
                "node-instance-types", Severity.WARNING, group.name,
                "not checked: the node group's subnets are not created by this stack, so their "
                "AZs are unknown", "check the subnets' AZs by hand", api))
            continue
        offered: dict[str, set[str]] = defaultdict(set)
        pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": list(group.instance_types)},
                     {"Name": "location", "Values": list(group.azs)}])
        for page in pages:
            for offering in page.get("InstanceTypeOfferings", []):
                offered[offering["InstanceType"]].add(offering["Location"])
        for instance_type in group.instance_types:
            missing = [az for az in group.azs if az not in offered[instance_type]]
            subject = f"{group.name}: {instance_type}"
            if missing:
                where = ", ".join(sorted(offered[instance_type])) or "none of its AZs"
                findings.append(Finding(
                    "node-instance-types", Severity.BLOCKER, subject,
                    f"not offered in {', '.join(missing)} (offered in: {where})",
                    "choose instance types offered in every AZ of the node group, or list "
                    "several types so each AZ has one", api))
            else:
                findings.append(Finding("node-instance-types", Severity.OK, subject,
                                        f"offered in {', '.join(group.azs)}", api=api))
    return findings


def check_kubernetes_versions(eks: Any, needs: StackNeeds) -> list[Finding]:
    api = "eks:DescribeClusterVersions"
    findings = []
    for cluster in needs.clusters:
        subject = f"{cluster.name}: Kubernetes {cluster.kubernetes_version}"
        if not hasattr(eks, "describe_cluster_versions"):
            findings.append(Finding(
                "eks-kubernetes-version", Severity.WARNING, subject,
                "not checked: this botocore has no DescribeClusterVersions", "upgrade boto3", api))
            continue
        versions = eks.describe_cluster_versions(
            clusterVersions=[cluster.kubernetes_version], includeAll=True,
        ).get("clusterVersions", [])
        match = next((v for v in versions if v.get("clusterVersion") ==
                      cluster.kubernetes_version), None)
        if match is None:
            findings.append(Finding(
                "eks-kubernetes-version", Severity.BLOCKER, subject,
                "EKS does not offer this version in the region",
                "set cluster.kubernetesVersion to a version `aws eks describe-cluster-versions` "
                "lists", api))
            continue
        # `status` (deprecated) spells it `extended-support`, `versionStatus` EXTENDED_SUPPORT.
        status = str(match.get("versionStatus") or match.get("status") or "")
        status = status.upper().replace("-", "_")
        if status == "UNSUPPORTED":
            findings.append(Finding(
                "eks-kubernetes-version", Severity.BLOCKER, subject,
                f"version status {status}", "choose a version in standard support", api))
        elif status == "EXTENDED_SUPPORT" and cluster.support_type == "STANDARD":
            findings.append(Finding(
                "eks-kubernetes-version", Severity.WARNING, subject,
                f"in extended support (end of standard support "
                f"{match.get('endOfStandardSupportDate', '?')}) while upgradePolicy is STANDARD:"
                " EKS upgrades such clusters automatically",
                "choose a version in standard support, or set cluster.upgradePolicy: EXTENDED",
                api))
        else:
            findings.append(Finding("eks-kubernetes-version", Severity.OK, subject,
                                    f"offered ({status or 'listed'})", api=api))
    return findings


def check_addon_versions(eks: Any, needs: StackNeeds) -> list[Finding]:
    """Each pinned add-on version is published for the cluster's Kubernetes version."""
    api = "eks:DescribeAddonVersions (addonName, kubernetesVersion)"
    findings = []
    for addon in needs.addons:
        published: list[str] = []
        default = ""
        pages = eks.get_paginator("describe_addon_versions").paginate(
            addonName=addon.name, kubernetesVersion=addon.kubernetes_version)
        for page in pages:
            for item in page.get("addons", []):
                for version in item.get("addonVersions", []):
                    published.append(version["addonVersion"])
                    for compat in version.get("compatibilities", []):
                        if compat.get("clusterVersion") == addon.kubernetes_version and \
                                compat.get("defaultVersion"):
                            default = version["addonVersion"]
        subject = f"{addon.name} {addon.version}"
        if addon.version in published:
            findings.append(Finding("eks-addon-versions", Severity.OK, subject,
                                    f"published for Kubernetes {addon.kubernetes_version}",
                                    api=api))
            continue
        if published:
            found = (f"not published for Kubernetes {addon.kubernetes_version} "
                     f"(published: {', '.join(published[:4])}"
                     f"{', ...' if len(published) > 4 else ''})")
            fix = f"pin {default or published[0]}" + (" (the EKS default)" if default else "")
        else:
            found = f"no versions of {addon.name} are published for Kubernetes " \
                    f"{addon.kubernetes_version} in this region"
            fix = "drop the add-on or change the Kubernetes version"
        findings.append(Finding("eks-addon-versions", Severity.BLOCKER, subject, found, fix, api))
    return findings
