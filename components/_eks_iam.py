"""The IAM roles of an EksCluster and the AWS managed policies each one carries.

EKS checks a role's permissions when the cluster or node group is created, so callers make the
cluster and the node groups depend on the attachments returned here (pulumi-aws documents the
same for `role_arn`: without it EKS cannot clean up on deletion either).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

__all__ = ["AUTO_MODE_CLUSTER_POLICIES", "AUTO_NODE_POLICIES", "CLUSTER_KEY_ACTIONS",
           "CLUSTER_POLICIES", "NODEGROUP_NODE_POLICIES", "POD_SECURITY_GROUP_CLUSTER_POLICIES",
           "service_role"]

CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")
"""https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html"""
POD_SECURITY_GROUP_CLUSTER_POLICIES = ("AmazonEKSVPCResourceController",)
"""Lets the cluster role create trunk and branch interfaces for security groups for pods:
https://docs.aws.amazon.com/eks/latest/userguide/security-groups-pods-deployment.html"""
AUTO_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")
"""https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html"""
NODEGROUP_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                           "AmazonEKS_CNI_Policy")
"""https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"""
CLUSTER_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
"""The cluster role's use of the secrets key, as terraform-aws-modules/eks grants it (policy
`cluster_encryption`); it takes effect where the key policy delegates to IAM."""


def service_role(name: str, service: str, actions: Sequence[str], policies: Sequence[str],
                 partition: pulumi.Input[str], tags: Mapping[str, str],
                 opts: pulumi.ResourceOptions) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """A role `service` may assume, with the named AWS managed policies attached; returns the
    role and the attachments (what EKS needs in place before it uses the role)."""
    role = aws.iam.Role(name, tags=dict(tags), opts=opts,
                        assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Principal": {"Service": service},
                            "Action": list(actions)}]}))
    attached: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy}", role=role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy),
            opts=opts)
        for policy in policies]
    return role, attached
