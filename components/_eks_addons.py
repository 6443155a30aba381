"""EKS add-ons: pinned versions, the order they need against nodes, and vpc-cni's configuration.

Order. With `bootstrap_self_managed_addons=False` a new cluster has no network plugin: nodes join
but stay `NotReady` until vpc-cni and kube-proxy run, and pods cannot get credentials until the
Pod Identity agent runs. Those three are DaemonSets, ACTIVE without any node, so they are created
right after the cluster and node groups wait for them. CoreDNS and metrics-server are
Deployments that stay DEGRADED (and the add-on create times out) until nodes exist, so they wait
for the node groups. https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html
EKS Auto Mode runs the first four itself (installing them as add-ons would conflict):
https://docs.aws.amazon.com/eks/latest/userguide/automode.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

__all__ = ["ADDON_VERSIONS", "AFTER_NODES", "AUTO_MODE_BUILT_IN", "BEFORE_NODES",
           "create_addons", "vpc_cni_configuration"]

BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
"""Node agents a node needs to become Ready and serve credentials: created before node groups."""
AFTER_NODES = ("coredns", "metrics-server")
"""Deployments that need nodes to schedule on: created after node groups."""
AUTO_MODE_BUILT_IN = frozenset({"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"})
"""Run by EKS Auto Mode itself."""

# Where each pin comes from (checked against the EKS User Guide's version tables, which list
# the latest Amazon EKS add-on build per Kubernetes minor; the captures used list 1.28-1.34):
#   vpc-cni     "Amazon VPC CNI versions", userguide/managing-vpc-cni.html
#               (v1.20.4-eksbuild.1 for every listed minor)
#   kube-proxy  "kube-proxy versions", userguide/managing-kube-proxy.html
#   coredns     "CoreDNS versions", userguide/managing-coredns.html
#   (https://docs.aws.amazon.com/eks/latest/userguide/<page>)
#   eks-pod-identity-agent, metrics-server: AWS publishes no per-minor table for these two; the
#   pins are builds seen ACTIVE on 1.32/1.33 clusters, NOT checked against an AWS source.
# Refresh: `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>
#   --query 'addons[].addonVersions[].addonVersion'`, pin the newest build listed, and ship the
#   bump with a CHANGELOG line. `strata preflight` checks these pins against the account's
#   region before a deploy (describe_addon_versions), which is where a wrong pin is caught.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.32": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.32.9-eksbuild.2",
        "coredns": "v1.11.4-eksbuild.24",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
        "metrics-server": "v0.7.2-eksbuild.3",
    },
    "1.33": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.33.5-eksbuild.2",
        "coredns": "v1.12.4-eksbuild.1",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
        "metrics-server": "v0.7.2-eksbuild.3",
    },
}
"""Add-on build per Kubernetes minor; the keys are the Kubernetes versions EksCluster supports."""


def vpc_cni_configuration(pod_security_groups: bool) -> dict[str, Any]:
    """vpc-cni's add-on configuration (keys of its `describe-addon-configuration` schema, which
    mirrors the aws-vpc-cni chart's values: top-level `enableNetworkPolicy`, `env`).

    `enableNetworkPolicy` starts the network policy agent; without it NetworkPolicies are stored
    but never enforced. https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
    Security groups for pods: `ENABLE_POD_ENI` makes the plugin request a trunk interface per
    node, and `POD_SECURITY_GROUP_ENFORCING_MODE=standard` keeps NetworkPolicies (and kubelet
    probes, without disabling TCP early demux) working for pods that have their own groups.
    https://docs.aws.amazon.com/eks/latest/userguide/security-groups-pods-deployment.html
    https://github.com/aws/amazon-vpc-cni-k8s#pod_security_group_enforcing_mode-v1110
    """
    config: dict[str, Any] = {"enableNetworkPolicy": "true"}
    if pod_security_groups:
        config["env"] = {"ENABLE_POD_ENI": "true",
                         "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}
    return config


def create_addons(parent: pulumi.Resource, name: str, cluster_name: pulumi.Input[str],
                  version: str, addons: Sequence[str], *, auto_mode: bool,
                  pod_security_groups: bool, tags: Mapping[str, str],
                  depends_on: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
    """The named add-ons at their pinned builds (those Auto Mode runs itself are skipped)."""
    created: list[pulumi.Resource] = []
    for addon in addons:
        if auto_mode and addon in AUTO_MODE_BUILT_IN:
            continue
        configuration = (vpc_cni_configuration(pod_security_groups)
                         if addon == "vpc-cni" else None)
        created.append(aws.eks.Addon(
            f"{name}-{addon}", cluster_name=cluster_name, addon_name=addon,
            addon_version=ADDON_VERSIONS[version][addon],
            configuration_values=json.dumps(configuration) if configuration else None,
            # No self-managed copy exists (bootstrap_self_managed_addons is off).
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on))))
    return created
