"""EKS: a private API endpoint, secrets envelope-encrypted with the platform key, all five
control-plane log types to an encrypted log group, access entries only (no aws-auth, no
implicit creator admin), pinned Kubernetes and add-on versions, and nodes that require IMDSv2
and encrypted gp3 volumes (or EKS Auto Mode).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey
from components.network import Network

__all__ = ["ADDON_VERSIONS", "AUTO_MODE_ADDONS", "LOG_TYPES", "EksCluster", "EksClusterArgs",
           "NodeGroupArgs", "ami_type", "kubeconfig"]

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every control-plane log type: audit and authenticator are the security record."""

ADDON_VERSIONS: dict[str, dict[str, str]] = {
    # One table, per Kubernetes minor. Refresh with
    # `aws eks describe-addon-versions --kubernetes-version 1.33 --addon-name <name>`
    # and ship the bump with a CHANGELOG line.
    "1.32": {
        "vpc-cni": "v1.19.5-eksbuild.1",
        "coredns": "v1.11.4-eksbuild.2",
        "kube-proxy": "v1.32.3-eksbuild.7",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
        "metrics-server": "v0.7.2-eksbuild.3",
    },
    "1.33": {
        "vpc-cni": "v1.19.5-eksbuild.1",
        "coredns": "v1.12.1-eksbuild.2",
        "kube-proxy": "v1.33.0-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
        "metrics-server": "v0.7.2-eksbuild.3",
    },
}

AUTO_MODE_ADDONS = frozenset({"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"})
"""Run by EKS Auto Mode itself; installing them as add-ons would conflict."""

_MANAGED = "arn:aws:iam::aws:policy/"
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")
AUTO_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")
NODEGROUP_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                           "AmazonEKS_CNI_Policy")
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


class NodeGroupArgs(TypedDict):
    instance_types: Sequence[str]
    """EC2 instance types; the first one decides the architecture (Graviton `*g` = arm64)."""
    min_size: int
    max_size: int
    desired_size: NotRequired[int]
    """Default: `min_size`."""
    ami: NotRequired[str]
    """`AL2023` or `BOTTLEROCKET`. Default: `AL2023`."""
    disk_gib: NotRequired[int]
    """Root (AL2023) or data (Bottlerocket) gp3 volume size. Default: 50 GiB."""


class EksClusterArgs(TypedDict):
    cluster_name: str
    """Physical cluster name (e.g. `strata-prod`)."""
    network: Network
    """The control plane and nodes use its private subnets."""
    key: EncryptionKey
    """Envelope-encrypts Kubernetes secrets and the control-plane log group."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    kubernetes_version: str
    """Pinned minor version, a key of `ADDON_VERSIONS`."""
    log_retention_days: int
    """Control-plane log retention."""
    upgrade_policy: NotRequired[str]
    """`STANDARD` or `EXTENDED` support. Default: `STANDARD`."""
    auto_mode: NotRequired[bool]
    """EKS Auto Mode manages nodes, networking, storage and load balancers. Default: on."""
    node_groups: NotRequired[Mapping[str, NodeGroupArgs]]
    """Managed node groups by name, when Auto Mode is off. Default: none."""
    public_access_cidrs: NotRequired[Sequence[str]]
    """Open the API endpoint to these CIDRs only. Default: private endpoint only."""
    admin_role_arn: NotRequired[pulumi.Input[str]]
    """Role given cluster-admin through an access entry. Default: a `<cluster>-admin` role
    created here, assumable by principals of this account whose IAM policy allows it."""
    protect: NotRequired[bool]
    """Deletion protection, Pulumi protect and retain on the cluster and its log group.
    Default: off."""


class EksCluster(pulumi.ComponentResource):
    """A private EKS cluster with pinned add-ons and a Kubernetes provider for it."""

    cluster: aws.eks.Cluster
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    """The EKS-created cluster security group, attached to Auto Mode and managed nodes."""
    admin_role_arn: pulumi.Output[str]
    provider: k8s.Provider
    kubernetes_version: str

    def __init__(self, name: str, args: EksClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:EksCluster", name, None, opts)
        tags = require_tags(args["tags"], name)
        child = pulumi.ResourceOptions(parent=self)
        network, key = args["network"], args["key"]
        version = args["kubernetes_version"]
        if version not in ADDON_VERSIONS:
            raise ValueError(f"{name}: no pinned add-on versions for Kubernetes {version}; "
                             f"known: {', '.join(sorted(ADDON_VERSIONS))}")
        self.kubernetes_version = version
        auto = args.get("auto_mode", True)
        protect = args.get("protect", False)
        cluster_name = args["cluster_name"]

        cluster_role = self._role(f"{name}-cluster-role", "eks.amazonaws.com",
                                  CLUSTER_POLICIES + (AUTO_MODE_CLUSTER_POLICIES if auto else ()),
                                  tags)
        node_role = self._role(f"{name}-node-role", "ec2.amazonaws.com",
                               AUTO_NODE_POLICIES if auto else NODEGROUP_NODE_POLICIES, tags)
        # EKS writes here once the cluster exists; creating it first sets key and retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/eks/{cluster_name}/cluster", kms_key_id=key.arn,
            retention_in_days=args["log_retention_days"], tags=tags,
            opts=stateful_options(self, protect))
        public_cidrs = list(args.get("public_access_cidrs", []))
        vpc_config: Any = {
            "subnet_ids": network.private_subnet_ids,
            "endpoint_private_access": True,
            "endpoint_public_access": bool(public_cidrs),
        }
        if public_cidrs:
            vpc_config["public_access_cidrs"] = public_cidrs
        compute: Any = None
        storage_config: Any = None
        network_config: Any = None
        if auto:
            compute = {"enabled": True, "node_pools": ["general-purpose", "system"],
                       "node_role_arn": node_role.arn}
            storage_config = {"block_storage": {"enabled": True}}
            network_config = {"elastic_load_balancing": {"enabled": True}}
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=version,
            role_arn=cluster_role.arn,
            vpc_config=vpc_config,
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": key.arn}},
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config={"authentication_mode": "API",
                           "bootstrap_cluster_creator_admin_permissions": False},
            upgrade_policy={"support_type": args.get("upgrade_policy", "STANDARD")},
            # Add-ons are installed below at pinned versions, never implicitly.
            bootstrap_self_managed_addons=False,
            deletion_protection=protect,
            compute_config=compute,
            storage_config=storage_config,
            kubernetes_network_config=network_config,
            tags=tags,
            opts=stateful_options(self, protect, depends_on=[log_group]),
        )
        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.admin_role_arn = self._admin(name, args, tags)

        nodes: list[pulumi.Resource] = []
        if not auto:
            for group_name, group in sorted(args.get("node_groups", {}).items()):
                nodes.append(self._node_group(name, group_name, group, node_role, network, tags))
        for addon, addon_version in sorted(ADDON_VERSIONS[version].items()):
            if auto and addon in AUTO_MODE_ADDONS:
                continue
            aws.eks.Addon(
                f"{name}-{addon}", cluster_name=self.cluster.name, addon_name=addon,
                addon_version=addon_version, resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE", tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=nodes))

        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        config: pulumi.Output[str] = pulumi.Output.all(self.cluster.name, self.cluster.endpoint,
                                   self.cluster.certificate_authority.data,
                                   region.region).apply(lambda p: kubeconfig(*p))
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=pulumi.Output.secret(config),  # type: ignore[arg-type]
                                     enable_server_side_apply=True, opts=child)
        self.register_outputs({"name": self.name, "endpoint": self.endpoint,
                               "securityGroupId": self.security_group_id})

    def _role(self, name: str, service: str, policies: Sequence[str],
              tags: dict[str, str]) -> aws.iam.Role:
        role = aws.iam.Role(name, tags=tags, opts=pulumi.ResourceOptions(parent=self),
                            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Principal": {"Service": service},
                                # Auto Mode tags the sessions it opens with the role.
                                "Action": ["sts:AssumeRole", "sts:TagSession"]}]}))
        for policy in policies:
            aws.iam.RolePolicyAttachment(f"{name}-{policy}", role=role.name,
                                         policy_arn=_MANAGED + policy,
                                         opts=pulumi.ResourceOptions(parent=self))
        return role

    def _admin(self, name: str, args: EksClusterArgs,
               tags: dict[str, str]) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        admin_arn = args.get("admin_role_arn")
        if admin_arn is None:
            account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            role = aws.iam.Role(
                f"{name}-admin", name=f"{args['cluster_name']}-admin", tags=tags, opts=child,
                description="Cluster administrators; assumable by account principals allowed "
                            "to by their own IAM policy",
                assume_role_policy=account.account_id.apply(lambda acct: json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}}]})))
            admin_arn = role.arn
        entry = aws.eks.AccessEntry(f"{name}-admin", cluster_name=self.cluster.name,
                                    principal_arn=admin_arn, type="STANDARD", tags=tags,
                                    opts=child)
        aws.eks.AccessPolicyAssociation(
            f"{name}-admin", cluster_name=self.cluster.name, principal_arn=entry.principal_arn,
            policy_arn=ADMIN_POLICY, access_scope={"type": "cluster"}, opts=child)
        return pulumi.Output.from_input(admin_arn)

    def _node_group(self, name: str, group_name: str, group: NodeGroupArgs,
                    node_role: aws.iam.Role, network: Network,
                    tags: dict[str, str]) -> aws.eks.NodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        ami = ami_type(group.get("ami", "AL2023"), group["instance_types"][0])
        # Bottlerocket keeps the OS on /dev/xvda and containers on the /dev/xvdb data volume.
        device = "/dev/xvdb" if ami.startswith("BOTTLEROCKET") else "/dev/xvda"
        template = aws.ec2.LaunchTemplate(
            f"{name}-{group_name}", name_prefix=f"{name}-{group_name}-",
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              # Pods get credentials from Pod Identity, never from IMDS.
                              "http_put_response_hop_limit": 1,
                              "instance_metadata_tags": "disabled"},
            block_device_mappings=[{"device_name": device, "ebs": {
                "volume_size": group.get("disk_gib", 50), "volume_type": "gp3",
                # pulumi-aws v7 takes these as strings. AWS-managed EBS encryption: the
                # platform key would also need the Auto Scaling service-linked role.
                "encrypted": "true", "delete_on_termination": "true"}}],
            tag_specifications=[{"resource_type": kind,
                                 "tags": with_name(tags, f"{name}-{group_name}")}
                                for kind in ("instance", "volume")],
            tags=tags, opts=child)
        return aws.eks.NodeGroup(
            f"{name}-{group_name}", cluster_name=self.cluster.name,
            node_group_name_prefix=f"{group_name}-", node_role_arn=node_role.arn,
            subnet_ids=network.private_subnet_ids, ami_type=ami,
            instance_types=list(group["instance_types"]), capacity_type="ON_DEMAND",
            scaling_config={"min_size": group["min_size"], "max_size": group["max_size"],
                            "desired_size": group.get("desired_size", group["min_size"])},
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels={"strata.io/node-group": group_name}, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]))


def ami_type(family: str, instance_type: str) -> str:
    """`AL2023_ARM_64_STANDARD`, `AL2023_x86_64_STANDARD`, `BOTTLEROCKET_ARM_64`, ..."""
    arm = re.match(r"^[a-z]+\d+g", instance_type) is not None  # Graviton: m7g, t4g, c6gn
    if family == "BOTTLEROCKET":
        return "BOTTLEROCKET_ARM_64" if arm else "BOTTLEROCKET_x86_64"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token`; held in memory only."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": cluster_name,
        "clusters": [{"name": cluster_name, "cluster": {
            "server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name,
                      "context": {"cluster": cluster_name, "user": cluster_name}}],
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name,
                     "--region", region, "--output", "json"],
            "interactiveMode": "Never"}}}],
    })
