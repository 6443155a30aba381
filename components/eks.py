"""EKS clusters that a deploy can reach and that come up healthy: secrets envelope-encrypted,
every control-plane log type kept in an encrypted log group, access entries only (no aws-auth,
no implicit creator admin), pinned Kubernetes and add-on versions, enforced NetworkPolicies,
and nodes that require IMDSv2 and encrypted gp3 volumes (or EKS Auto Mode).

How a deploy reaches the API (`api_access`, required; a choice with no route is refused, since
the Kubernetes provider and everything created through it talk to the endpoint):
- `deployer_cidrs` only: the endpoint is private. Each CIDR gets ingress on 443 in the
  EKS-created cluster security group, and `pulumi up` runs on a machine in one of those
  networks, connected to the VPC over VPN, Transit Gateway or peering. The cluster subnets' route
  tables must route those CIDRs back through that attachment (the network's job, not this
  component's). The endpoint's name resolves to its private addresses from anywhere.
  https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html#private-access
- `public_cidrs`: the public endpoint opens to those networks only (never 0.0.0.0/0); private
  access stays on, so nodes keep their traffic in the VPC. Both lists may be given.
Whoever deploys signs API requests as the admin role (the kubeconfig's `aws eks get-token
--role-arn`), the only principal with an access entry; its IAM policy must allow
`sts:AssumeRole` on that role.

Creation order, as AWS needs it: cluster and node roles carry their policies before
CreateCluster and CreateNodegroup; vpc-cni (NetworkPolicies on), kube-proxy and the Pod Identity
agent before node groups; CoreDNS and metrics-server after them; the Kubernetes provider after
the admin access entry, its policy association and the deployer ingress rules.
"""

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import _args
from components._eks_access import (
    kubeconfig,
    pod_identity_trust_policy,
    rbac_rule_problems,
    username_problem,
)
from components._eks_addons import ADDON_VERSIONS, AFTER_NODES, BEFORE_NODES, create_addons
from components._eks_iam import (
    AUTO_MODE_CLUSTER_POLICIES,
    AUTO_NODE_POLICIES,
    CLUSTER_KEY_ACTIONS,
    CLUSTER_POLICIES,
    NODEGROUP_NODE_POLICIES,
    POD_SECURITY_GROUP_CLUSTER_POLICIES,
    service_role,
)
from components._eks_nodes import ami_type, node_group
from components._eks_plan import (
    DEFAULT_AUTO_MODE,
    DEFAULT_NODE_DISK_GIB,
    DEFAULT_UPGRADE_POLICY,
    EksPlan,
    physical_names,
    plan_cluster,
    pod_security_group_problem,
)
from components._logs import DEFAULT_LOG_RETENTION_DAYS, LOG_RETENTION_DAYS_ALLOWED
from components._names import name_problem
from components._perms import policy_document, statement
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs, deletion_protection, lifecycle_options

__all__ = ["ADDON_VERSIONS", "DEFAULT_AUTO_MODE", "DEFAULT_LOG_RETENTION_DAYS",
           "DEFAULT_NODE_DISK_GIB", "DEFAULT_UPGRADE_POLICY", "LOG_RETENTION_DAYS_ALLOWED",
           "LOG_TYPES", "ApiAccessArgs", "EksCluster", "EksClusterArgs", "NodeAmi",
           "NodeGroupArgs", "UpgradePolicy", "ami_type", "kubeconfig", "physical_names",
           "pod_identity_trust_policy", "pod_security_group_problem"]

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every control-plane log type: audit and authenticator are the security record."""
AUTO_MODE_NODE_POOLS = ("general-purpose", "system")
NETWORK_POLICY_CONFIGMAP = {"name": "amazon-vpc-cni", "namespace": "kube-system"}
"""Auto Mode enforces NetworkPolicies once this ConfigMap enables the controller; its nodes'
default NodeClass sets `networkPolicy: DefaultAllow`, i.e. the agent enforces the policies.
https://docs.aws.amazon.com/eks/latest/userguide/auto-net-pol.html"""


class UpgradePolicy(StrEnum):
    """Kubernetes version support: STANDARD (14 months) or EXTENDED (paid, 12 more)."""

    STANDARD = "STANDARD"
    EXTENDED = "EXTENDED"


class NodeAmi(StrEnum):
    """Node operating system of a managed node group."""

    AL2023 = "AL2023"
    BOTTLEROCKET = "BOTTLEROCKET"


DEFAULT_NODE_AMI = NodeAmi.AL2023
"""Default node operating system."""


class NodeGroupArgs(TypedDict):
    """One managed node group."""

    instance_types: Sequence[str]
    """EC2 instance types, one architecture (Graviton `*g` types are arm64). Security groups for
    pods need types with branch interfaces (no `t` family)."""
    min_size: int
    """Fewest nodes."""
    max_size: int
    """Most nodes."""
    desired_size: NotRequired[int]
    """Nodes at creation; later changes are the autoscaler's. Default: `min_size`."""
    ami: NotRequired[NodeAmi]
    """Operating system. Default: AL2023."""
    disk_gib: NotRequired[int]
    """Root (AL2023) or data (Bottlerocket) gp3 volume size. Default: 50 GiB."""


class ApiAccessArgs(TypedDict):
    """Networks from which the Kubernetes API is reached; at least one list is required."""

    public_cidrs: NotRequired[Sequence[str]]
    """Open the public endpoint to these public IPv4 networks only (0.0.0.0/0 is refused).
    Default: no public endpoint."""
    deployer_cidrs: NotRequired[Sequence[str]]
    """Networks routed to the VPC (VPN, Transit Gateway, peering) that reach the private
    endpoint; each gets ingress on 443 in the cluster security group. Default: none."""


class EksClusterArgs(TypedDict):
    """Inputs of an EksCluster."""

    cluster_name: str
    """Physical cluster name; also names the log group `/aws/eks/<cluster_name>/cluster`."""
    vpc_id: pulumi.Input[str]
    """VPC of `subnet_ids`; exposed as `vpc_id` for the security groups of pods."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (at least two AZs) for the control-plane interfaces and the nodes."""
    kubernetes_version: str
    """Kubernetes minor version, a key of `ADDON_VERSIONS` (e.g. `1.33`)."""
    api_access: ApiAccessArgs
    """Where deploys and operators reach the API from: `deployer_cidrs` (private endpoint,
    networks routed to the VPC) and/or `public_cidrs` (public endpoint); at least one."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key for Kubernetes secrets and the control-plane log group. Its policy must let the
    deployer use it through EKS (`kms:ViaService` eks, with CreateGrant and DescribeKey), let
    CloudWatch Logs encrypt the log group, and delegate the cluster role's use to IAM.
    Default: an own key `<name>-key` with exactly that policy and this cluster's lifecycle."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every AWS resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Deletion rules of the cluster, its log group, its key and its role (deleting a cluster
    deletes every Kubernetes object in it). Default: see LifecycleArgs."""
    log_retention_days: NotRequired[int]
    """Control-plane log retention, a CloudWatch Logs value. Default: 365 days."""
    upgrade_policy: NotRequired[UpgradePolicy]
    """Version support policy. Default: STANDARD."""
    auto_mode: NotRequired[bool]
    """EKS Auto Mode runs nodes, networking, storage and load balancers. Default: on."""
    node_groups: NotRequired[Mapping[str, NodeGroupArgs]]
    """Managed node groups by key, required when `auto_mode` is off. Default: none."""
    pod_security_groups: NotRequired[bool]
    """Security groups for pods on managed node groups (vpc-cni branch interfaces). Auto Mode
    does not support them. Default: on when every node group's instance types support branch
    interfaces; otherwise off, with a warning."""
    admin_role_arn: NotRequired[pulumi.Input[str]]
    """Role given cluster-admin through an access entry; the deploy signs API requests as it.
    Default: a role `admin_role_name` created here, assumable by this account's principals whose
    IAM policy allows it."""
    admin_role_name: NotRequired[str]
    """Name of the created admin role. Default: `<cluster_name>-admin`."""
    allowed_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups of pods (security groups for pods) admitted to cluster DNS and the API,
    as `allow_from` does. Default: none."""


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with pinned add-ons, enforced NetworkPolicies and a Kubernetes provider
    (`provider`, a Python attribute) that authenticates as the admin role."""

    name: pulumi.Output[str]
    """Cluster name."""
    arn: pulumi.Output[str]
    """Cluster ARN."""
    endpoint: pulumi.Output[str]
    """Kubernetes API endpoint."""
    security_group_id: pulumi.Output[str]
    """The EKS-created cluster security group (control plane, managed and Auto Mode nodes)."""
    admin_role_arn: pulumi.Output[str]
    """Role with cluster-admin access; the deploy's kubeconfig assumes it."""
    node_role_arn: pulumi.Output[str]
    """IAM role of the nodes."""
    oidc_issuer_url: pulumi.Output[str]
    """The cluster's OIDC issuer (for IAM roles for service accounts)."""
    vpc_id: pulumi.Output[str]
    """VPC of the cluster."""
    pod_security_groups_enforced: pulumi.Output[bool]
    """Whether pods can get their own security groups (SecurityGroupPolicy) on this cluster."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (secret) that signs as the admin role, for a Kubernetes provider in other
    languages; Python callers use the `provider` attribute."""

    def __init__(self, name: str, args: EksClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:EksCluster", name, None, opts)
        args = _args.validate("EksCluster", name, args, EksClusterArgs)
        self._name = name
        plan = plan_cluster(name, args)
        self.auto_mode: bool = plan.auto_mode
        self.enforces_pod_security_groups: bool = plan.pod_security_groups
        tags = dict(args.get("tags", {}))
        self._tags = tags
        lifecycle = args.get("lifecycle")
        cluster_name = args["cluster_name"]
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region

        cluster_policies: tuple[str, ...] = CLUSTER_POLICIES
        if self.auto_mode:
            cluster_policies += AUTO_MODE_CLUSTER_POLICIES
        if self.enforces_pod_security_groups:
            cluster_policies += POD_SECURITY_GROUP_CLUSTER_POLICIES
        # Auto Mode tags the sessions it opens with the cluster role (sts:TagSession):
        # https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html
        cluster_role, cluster_attached = service_role(
            f"{name}-cluster-role", "eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"],
            cluster_policies, partition, tags, lifecycle_options(self, lifecycle))
        node_role, node_attached = service_role(
            f"{name}-node-role", "ec2.amazonaws.com", ["sts:AssumeRole"],
            AUTO_NODE_POLICIES if self.auto_mode else NODEGROUP_NODE_POLICIES, partition, tags,
            pulumi.ResourceOptions(parent=self))

        log_group_name = f"/aws/eks/{cluster_name}/cluster"
        key_arn = args.get("kms_key_arn")
        if key_arn is None:
            key_args: EncryptionKeyArgs = {
                "description": f"EKS cluster {cluster_name}: Kubernetes secrets and "
                               "control-plane logs",
                "tags": tags, "caller_services": ["eks"], "log_group_names": [log_group_name],
                "user_arns": [cluster_role.arn]}
            if lifecycle:
                key_args["lifecycle"] = lifecycle
            key_arn = EncryptionKey(f"{name}-key", key_args,
                                    opts=pulumi.ResourceOptions(parent=self)).arn
        key_access = aws.iam.RolePolicy(
            f"{name}-cluster-role-key", role=cluster_role.id,
            policy=policy_document([statement(CLUSTER_KEY_ACTIONS, [key_arn],
                                              sid="ClusterEncryptionKey")]),
            opts=lifecycle_options(self, lifecycle))
        # EKS writes here once the cluster exists; creating it first sets key and retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name, kms_key_id=key_arn,
            retention_in_days=plan.log_retention_days, tags=tags,
            opts=lifecycle_options(self, lifecycle))
        self._cluster = self._create_cluster(
            name, args, plan, cluster_role, node_role, key_arn,
            [log_group, key_access, *cluster_attached,
             *(node_attached if self.auto_mode else [])])
        self.name = self._cluster.name
        self.arn = self._cluster.arn
        self.endpoint = self._cluster.endpoint
        self.security_group_id = self._cluster.vpc_config.cluster_security_group_id
        self.node_role_arn = node_role.arn
        self.vpc_id = pulumi.Output.from_input(args["vpc_id"])
        self.oidc_issuer_url = self._cluster.identities.apply(
            lambda ids: (ids[0].oidcs[0].issuer if ids and ids[0].oidcs else None) or "")
        self.pod_security_groups_enforced = pulumi.Output.from_input(
            self.enforces_pod_security_groups)

        deployer_rules = [self._ingress(f"deployer-{cidr.replace('/', '-')}", "tcp", 443,
                                        "Kubernetes API from a declared deployer network",
                                        cidr_ipv4=cidr)
                          for cidr in plan.deployer_cidrs]
        self.admin_role_arn, access = self._admin(name, args, partition)
        self._admin_access = access[-1]
        addons = create_addons(self, name, self.name, plan.version, BEFORE_NODES,
                               auto_mode=self.auto_mode,
                               pod_security_groups=self.enforces_pod_security_groups,
                               tags=tags, depends_on=[])
        nodes = [node_group(self, name, group_name, group, cluster_name=self.name,
                            node_role_arn=node_role.arn, subnet_ids=args["subnet_ids"],
                            ami_family=group.get("ami", DEFAULT_NODE_AMI).value,
                            disk_gib=group.get("disk_gib", DEFAULT_NODE_DISK_GIB), tags=tags,
                            depends_on=[*addons, *node_attached])
                 for group_name, group in sorted(plan.node_groups.items())]

        config: pulumi.Output[str] = pulumi.Output.all(
            self.name, self.endpoint, self._cluster.certificate_authority.data, region,
            self.admin_role_arn).apply(lambda p: kubeconfig(*p))
        self.kubeconfig = pulumi.Output.secret(config)  # never printed
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*access, *deployer_rules]))
        ready: list[pulumi.Resource] = list(nodes)
        if self.auto_mode:
            metadata: Any = dict(NETWORK_POLICY_CONFIGMAP)
            ready = [k8s.core.v1.ConfigMap(
                f"{name}-network-policy", metadata=metadata,
                data={"enable-network-policy-controller": "true"},
                opts=self._in_cluster(depends_on=[]))]
        create_addons(self, name, self.name, plan.version, AFTER_NODES,
                      auto_mode=self.auto_mode,
                      pod_security_groups=self.enforces_pod_security_groups, tags=tags,
                      depends_on=ready)
        for index, group_id in enumerate(args.get("allowed_security_group_ids", [])):
            self.allow_from(f"allowed-{index}", group_id)
        if not self.enforces_pod_security_groups:
            pulumi.log.warn(f"{cluster_name}: security groups for pods are not enforced "
                            f"({plan.pod_security_groups_off_because}); pods reach stores "
                            "through their node's security group", resource=self)
        self.register_outputs({
            "name": self.name, "arn": self.arn, "endpoint": self.endpoint,
            "securityGroupId": self.security_group_id, "adminRoleArn": self.admin_role_arn,
            "nodeRoleArn": self.node_role_arn, "oidcIssuerUrl": self.oidc_issuer_url,
            "vpcId": self.vpc_id, "kubeconfig": self.kubeconfig,
            "podSecurityGroupsEnforced": self.pod_security_groups_enforced})

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> None:
        """Admit pods carrying `security_group_id` (security groups for pods) to cluster DNS
        (CoreDNS on the nodes, TCP and UDP 53) and the Kubernetes API (443). AWS requires DNS
        to be reachable from every pod security group:
        https://docs.aws.amazon.com/eks/latest/userguide/sg-pods-example-deployment.html"""
        what = description or f"pods of {name}"
        for suffix, protocol, port in (("dns-tcp", "tcp", 53), ("dns-udp", "udp", 53),
                                       ("api", "tcp", 443)):
            self._ingress(f"from-{name}-{suffix}", protocol, port, what,
                          referenced_security_group_id=security_group_id)

    def grant_kubernetes_access(self, name: str, principal_arn: pulumi.Input[str],
                                username: str, rules: Sequence[Mapping[str, Any]]
                                ) -> aws.eks.AccessEntry:
        """Give an IAM principal Kubernetes RBAC: an access entry mapping it to `username`, and a
        ClusterRole `name` with `rules` (rbac/v1 PolicyRules) bound to that user. Used for
        principals AWS documents RBAC for, such as the AMP managed scraper's role."""
        problems = [p for p in (name_problem("k8s-namespace", name), username_problem(username))
                    if p] + rbac_rule_problems(rules)
        if problems:
            raise _args.ComponentArgsError(
                f"EksCluster {self._name!r}.grant_kubernetes_access({name!r}): "
                + "; ".join(problems))
        entry = aws.eks.AccessEntry(
            f"{self._name}-{name}", cluster_name=self.name, principal_arn=principal_arn,
            type="STANDARD", user_name=username, tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self))
        policy_rules: Any = [dict(rule) for rule in rules]
        role = k8s.rbac.v1.ClusterRole(
            f"{self._name}-{name}", metadata={"name": name}, rules=policy_rules,
            opts=self._in_cluster(depends_on=[]))
        k8s.rbac.v1.ClusterRoleBinding(
            f"{self._name}-{name}", metadata={"name": name},
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                      "name": name},
            subjects=[{"kind": "User", "api_group": "rbac.authorization.k8s.io",
                       "name": username}],
            opts=self._in_cluster(depends_on=[role, entry]))
        return entry

    # --- construction helpers --------------------------------------------------------------

    def _in_cluster(self, depends_on: list[pulumi.Resource]) -> pulumi.ResourceOptions:
        """Options of an object created through the provider: after the admin access exists."""
        return pulumi.ResourceOptions(parent=self, provider=self.provider,
                                      depends_on=[self._admin_access, *depends_on])

    def _create_cluster(self, name: str, args: EksClusterArgs, plan: EksPlan,
                        cluster_role: aws.iam.Role, node_role: aws.iam.Role,
                        key_arn: pulumi.Input[str], depends_on: list[pulumi.Resource]
                        ) -> aws.eks.Cluster:
        public = plan.public_cidrs
        vpc_config: Any = {"subnet_ids": list(args["subnet_ids"]),
                           # Nodes always reach the API inside the VPC.
                           "endpoint_private_access": True,
                           "endpoint_public_access": bool(public)}
        if public:
            vpc_config["public_access_cidrs"] = public
        auto: Any = {}
        if self.auto_mode:
            auto = {"compute_config": {"enabled": True, "node_pools": list(AUTO_MODE_NODE_POOLS),
                                       "node_role_arn": node_role.arn},
                    "storage_config": {"block_storage": {"enabled": True}},
                    "kubernetes_network_config": {"elastic_load_balancing": {"enabled": True}}}
        lifecycle = args.get("lifecycle")
        return aws.eks.Cluster(
            f"{name}-cluster",
            name=args["cluster_name"],
            version=args["kubernetes_version"],
            role_arn=cluster_role.arn,
            vpc_config=vpc_config,
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": key_arn}},
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config={"authentication_mode": "API",
                           "bootstrap_cluster_creator_admin_permissions": False},
            upgrade_policy={"support_type": plan.upgrade_policy},
            # Add-ons are installed below at pinned versions, never implicitly.
            bootstrap_self_managed_addons=False,
            deletion_protection=deletion_protection(lifecycle),
            tags=self._tags,
            # The roles must carry their policies before CreateCluster (pulumi-aws role_arn).
            opts=lifecycle_options(self, lifecycle, depends_on=depends_on),
            **auto,
        )

    def _ingress(self, key: str, protocol: str, port: int, description: str,
                 **source: pulumi.Input[str]) -> aws.vpc.SecurityGroupIngressRule:
        return aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-{key}", security_group_id=self.security_group_id,
            ip_protocol=protocol, from_port=port, to_port=port, description=description,
            tags=self._tags, opts=pulumi.ResourceOptions(parent=self), **source)

    def _admin(self, name: str, args: EksClusterArgs, partition: pulumi.Output[str]
               ) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        child = pulumi.ResourceOptions(parent=self)
        admin_arn = args.get("admin_role_arn")
        if admin_arn is None:
            account = aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            role = aws.iam.Role(
                f"{name}-admin", tags=self._tags, opts=child,
                name=args.get("admin_role_name", f"{args['cluster_name']}-admin"),
                description="Cluster administrators; assumable by account principals allowed "
                            "to by their own IAM policy",
                assume_role_policy=pulumi.Output.all(partition, account).apply(
                    lambda v: json.dumps({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:{v[0]}:iam::{v[1]}:root"}}]})))
            admin_arn = role.arn
        entry = aws.eks.AccessEntry(f"{name}-admin", cluster_name=self.name,
                                    principal_arn=admin_arn, type="STANDARD", tags=self._tags,
                                    opts=child)
        association = aws.eks.AccessPolicyAssociation(
            f"{name}-admin", cluster_name=self.name, principal_arn=entry.principal_arn,
            policy_arn=pulumi.Output.concat(
                "arn:", partition, ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
            access_scope={"type": "cluster"}, opts=child)
        return pulumi.Output.from_input(admin_arn), [entry, association]
