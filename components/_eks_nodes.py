"""Managed node groups of an EksCluster: IMDSv2-only, encrypted gp3, AMI by architecture.

A node group is created only after the node role carries its policies and after the network
plugin add-ons exist (the caller passes both in `depends_on`): EKS checks the role when the
group is created, and nodes without vpc-cni and kube-proxy never become Ready.
https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components._names import name_problem

__all__ = ["GROUP_NAME_MAX", "ami_type", "node_group", "node_group_problems"]

_ARM = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")  # Graviton: a1, m7g, t4g, c6gn, r8gd, is4gen
GROUP_NAME_MAX = 36
"""EKS node group names hold 63 characters; the provider appends 26 to `<group>-`."""
NODE_GROUP_LABEL = "node-group"
"""Kubernetes label carrying the group's key, for scheduling on a chosen group."""


def ami_type(family: str, instance_type: str) -> str:
    """`AL2023_ARM_64_STANDARD`, `AL2023_x86_64_STANDARD`, `BOTTLEROCKET_ARM_64`, ..."""
    arm = _ARM.match(instance_type) is not None
    if family == "BOTTLEROCKET":
        return "BOTTLEROCKET_ARM_64" if arm else "BOTTLEROCKET_x86_64"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


def node_group_problems(group_name: str, group: Mapping[str, Any]) -> list[str]:
    """Bad sizes, names and mixed architectures of one group (its AMI follows one arch)."""
    where = f"node_groups.{group_name}"
    problems: list[str] = []
    label = name_problem("k8s-namespace", group_name)  # a DNS label, like the label value
    if label or len(group_name) > GROUP_NAME_MAX:
        problems.append(f"{where}: the group key becomes a node group name prefix and a "
                        f"label value: up to {GROUP_NAME_MAX} lower-case letters, digits and -")
    types = list(group["instance_types"])
    if not types:
        problems.append(f"{where}.instance_types: name at least one instance type")
    elif len({_ARM.match(t) is not None for t in types}) > 1:
        problems.append(f"{where}.instance_types: {', '.join(types)} mix arm64 and x86_64; "
                        "one group runs one AMI, so one architecture")
    low, high = group["min_size"], group["max_size"]
    desired = group.get("desired_size", low)
    if low < 0 or high < 1 or not low <= desired <= high:
        problems.append(f"{where}: sizes must satisfy 0 <= min_size <= desired_size <= "
                        f"max_size and max_size >= 1 (received {low}, {desired}, {high})")
    return problems


def node_group(parent: pulumi.Resource, name: str, group_name: str, group: Mapping[str, Any], *,
               cluster_name: pulumi.Input[str], node_role_arn: pulumi.Input[str],
               subnet_ids: Sequence[pulumi.Input[str]], ami_family: str, disk_gib: int,
               tags: Mapping[str, str], depends_on: Sequence[pulumi.Resource]
               ) -> aws.eks.NodeGroup:
    child = pulumi.ResourceOptions(parent=parent)
    ami = ami_type(ami_family, group["instance_types"][0])
    # Bottlerocket keeps the OS on /dev/xvda and containers on the /dev/xvdb data volume.
    device = "/dev/xvdb" if ami.startswith("BOTTLEROCKET") else "/dev/xvda"
    named = {**tags, "Name": f"{name}-{group_name}"}
    template = aws.ec2.LaunchTemplate(
        f"{name}-{group_name}", name_prefix=f"{name}-{group_name}-",
        metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                          # Pods get credentials from Pod Identity, never from IMDS.
                          "http_put_response_hop_limit": 1,
                          "instance_metadata_tags": "disabled"},
        block_device_mappings=[{"device_name": device, "ebs": {
            "volume_size": disk_gib, "volume_type": "gp3",
            # pulumi-aws v7 takes these as strings. AWS-managed EBS encryption: a customer key
            # would also need the Auto Scaling service-linked role in its key policy.
            "encrypted": "true", "delete_on_termination": "true"}}],
        tag_specifications=[{"resource_type": kind, "tags": named}
                            for kind in ("instance", "volume")],
        tags=dict(tags), opts=child)
    return aws.eks.NodeGroup(
        f"{name}-{group_name}", cluster_name=cluster_name,
        node_group_name_prefix=f"{group_name}-", node_role_arn=node_role_arn,
        subnet_ids=list(subnet_ids), ami_type=ami,
        instance_types=list(group["instance_types"]), capacity_type="ON_DEMAND",
        scaling_config={"min_size": group["min_size"], "max_size": group["max_size"],
                        "desired_size": group.get("desired_size", group["min_size"])},
        update_config={"max_unavailable": 1},
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        labels={NODE_GROUP_LABEL: group_name}, tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on),
                                    # The cluster autoscaler owns the live size.
                                    ignore_changes=["scalingConfig.desiredSize"]))
