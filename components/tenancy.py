"""A service's tenancy on a shared EKS cluster: its own namespace under the `restricted` Pod
Security Standard, a service account bound to the service's IAM role through EKS Pod Identity, a
resource budget, NetworkPolicies that deny everything not explicitly needed, and, where the
cluster supports security groups for pods, a security group of its own that the service's
stores can admit (`pod_security_group_id`) instead of whole subnets.

The Kubernetes provider of the cluster comes through `opts` (`providers=[cluster.provider]` or
`provider=`); a tenancy without one is refused rather than deployed into whatever cluster the
ambient kubeconfig points at.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import _args
from components._names import name_problem
from components._tenancy_rules import network_policies, pod_sg_rules
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["DEFAULT_KAFKA_PORT", "ClusterDns", "NamespaceQuotaArgs", "PodSecurityGroupArgs",
           "ServiceTenancy", "ServiceTenancyArgs"]

DEFAULT_KAFKA_PORT = 9098
"""MSK's SASL/IAM over TLS port."""
SECURITY_GROUP_POLICY = ("vpcresources.k8s.aws/v1beta1", "SecurityGroupPolicy")
"""The VPC resource controller's CRD assigning security groups to pods:
https://github.com/aws/amazon-vpc-resource-controller-k8s (config/crd/bases)"""


class ClusterDns(StrEnum):
    """Where the cluster's DNS answers pods."""

    COREDNS_PODS = "coredns-pods"
    """CoreDNS pods labelled `k8s-app: kube-dns` in kube-system (the coredns add-on)."""
    NODE_LOCAL = "node-local"
    """A resolver on every node (EKS Auto Mode): no pod for a selector to name."""


class NamespaceQuotaArgs(TypedDict):
    """The namespace's budget, in Kubernetes quantities (`4`, `500m`, `8Gi`)."""

    cpu: str
    """CPU requests and limits of all pods together."""
    memory: str
    """Memory requests and limits of all pods together."""
    pods: int
    """Most pods at once."""
    default_cpu: str
    """CPU request and limit given to containers that declare none."""
    default_memory: str
    """Memory request and limit given to containers that declare none."""


class PodSecurityGroupArgs(TypedDict):
    """Where the service's pod security group lives (security groups for pods)."""

    vpc_id: pulumi.Input[str]
    """VPC of the cluster."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group (nodes, CoreDNS, API); it must admit this group on DNS and
    the API (`EksCluster.allow_from`)."""


class ServiceTenancyArgs(TypedDict):
    """Inputs of a ServiceTenancy."""

    namespace: str
    """Namespace name (a DNS label)."""
    cluster_name: pulumi.Input[str]
    """EKS cluster of the Pod Identity association."""
    role_arn: pulumi.Input[str]
    """IAM role the service's pods get through EKS Pod Identity; its trust policy should be
    scoped to this cluster and namespace (`components.eks.pod_identity_trust_policy`)."""
    kubernetes_version: str
    """Cluster minor version (e.g. `1.33`); pins the Pod Security Standard version."""
    quota: NamespaceQuotaArgs
    """Resource budget of the namespace."""
    vpc_cidr: str
    """VPC CIDR, excluded from the HTTPS-to-AWS egress rule (the VPC is reached only on the
    store and Kafka ports below)."""
    service_account: NotRequired[str]
    """Service account bound to `role_arn`. Default: the namespace name."""
    store_cidrs: NotRequired[Sequence[str]]
    """Subnet CIDRs the service's stores live in. Default: none."""
    store_ports: NotRequired[Sequence[int]]
    """Ports of the service's stores (5432 PostgreSQL, 8086 InfluxDB). Default: none."""
    kafka_cidrs: NotRequired[Sequence[str]]
    """Subnet CIDRs of the Kafka brokers. Default: no Kafka egress."""
    kafka_port: NotRequired[int]
    """Kafka port. Default: 9098 (MSK SASL/IAM)."""
    cluster_dns: NotRequired[ClusterDns]
    """How the cluster serves DNS (decides the DNS egress rule). Default: coredns-pods."""
    labels: NotRequired[Mapping[str, str]]
    """Labels of every Kubernetes object. Default: none."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the AWS resources (Pod Identity association, security group). Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Deletion rules of the namespace: deleting it deletes everything deployed in it.
    Default: see LifecycleArgs."""
    pod_security_group: NotRequired[PodSecurityGroupArgs]
    """Give the service's pods their own security group through a SecurityGroupPolicy; only on
    clusters that enforce security groups for pods (`EksCluster.pod_security_groups_enforced`).
    Default: pods use their node's security group."""


class ServiceTenancy(pulumi.ComponentResource):
    """Namespace, service account, pod identity, quota, limits, default-deny policies and,
    optionally, a pod security group."""

    namespace: pulumi.Output[str]
    """Namespace name."""
    service_account: pulumi.Output[str]
    """Service account bound to the role."""
    pod_security_group_id: pulumi.Output[str]
    """The pods' own security group, for stores to admit (`allow_from`); empty when
    `pod_security_group` was not given."""

    def __init__(self, name: str, args: ServiceTenancyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:ServiceTenancy", name, None, opts)
        args = _args.validate("ServiceTenancy", name, args, ServiceTenancyArgs)
        namespace_name = args["namespace"]
        account = args.get("service_account", namespace_name)
        problems = [p for p in (name_problem("k8s-namespace", namespace_name),
                                name_problem("k8s-namespace", account)) if p]
        provider = self.get_provider("kubernetes:core/v1:Namespace")
        if provider is None:
            problems.append("no Kubernetes provider: pass the cluster's provider in opts "
                            "(providers=[cluster.provider])")
        if problems:
            raise _args.ComponentArgsError(f"ServiceTenancy {name!r}: " + "; ".join(problems))
        tags = dict(args.get("tags", {}))
        labels = dict(args.get("labels", {}))
        psa = f"v{args['kubernetes_version']}"
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": namespace_name, "labels": {
                **labels,
                **{f"pod-security.kubernetes.io/{mode}": "restricted"
                   for mode in ("enforce", "audit", "warn")},
                **{f"pod-security.kubernetes.io/{mode}-version": psa
                   for mode in ("enforce", "audit", "warn")},
            }},
            opts=lifecycle_options(self, args.get("lifecycle")))
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        def meta(object_name: str) -> Any:  # ObjectMetaArgsDict; Any keeps mypy's overloads quiet
            return {"name": object_name, "namespace": namespace_name, "labels": labels}

        k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=meta(account),
                                   automount_service_account_token=False, opts=in_ns)
        aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity", cluster_name=args["cluster_name"], namespace=namespace_name,
            service_account=account, role_arn=args["role_arn"],
            # The role's trust policy tests the session tags (cluster, namespace, account).
            disable_session_tags=False, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]))
        quota = args["quota"]
        hard: Any = {"hard": {
            "requests.cpu": quota["cpu"], "limits.cpu": quota["cpu"],
            "requests.memory": quota["memory"], "limits.memory": quota["memory"],
            "pods": str(quota["pods"])}}
        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=meta("budget"), spec=hard, opts=in_ns)
        defaults = {"cpu": quota["default_cpu"], "memory": quota["default_memory"]}
        limits: Any = {"limits": [
            {"type": "Container", "default": defaults, "defaultRequest": defaults}]}
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=meta("defaults"), spec=limits,
                               opts=in_ns)
        destinations: dict[str, Any] = {
            "store_cidrs": list(args.get("store_cidrs", [])),
            "store_ports": list(args.get("store_ports", [])),
            "kafka_cidrs": list(args.get("kafka_cidrs", [])),
            "kafka_port": args.get("kafka_port", DEFAULT_KAFKA_PORT)}
        dns = args.get("cluster_dns", ClusterDns.COREDNS_PODS)
        spec: Any
        for policy_name, spec in network_policies(
                vpc_cidr=args["vpc_cidr"], node_local_dns=dns == ClusterDns.NODE_LOCAL,
                **destinations).items():
            k8s.networking.v1.NetworkPolicy(f"{name}-{policy_name}", metadata=meta(policy_name),
                                            spec=spec, opts=in_ns)
        self.namespace = namespace.metadata.apply(lambda _: namespace_name)
        self.service_account = pulumi.Output.from_input(account)
        self.pod_security_group_id = pulumi.Output.from_input("")
        sg_args = args.get("pod_security_group")
        if sg_args is not None:
            self.pod_security_group_id = self._pod_security_group(
                name, namespace_name, sg_args, destinations, tags, in_ns, meta)
        self.register_outputs({"namespace": self.namespace,
                               "serviceAccount": self.service_account,
                               "podSecurityGroupId": self.pod_security_group_id})

    def _pod_security_group(self, name: str, namespace: str, sg_args: PodSecurityGroupArgs,
                            destinations: dict[str, Any], tags: dict[str, str],
                            in_ns: pulumi.ResourceOptions, meta: Any) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-pods", vpc_id=sg_args["vpc_id"],
            description=f"Pods of namespace {namespace} (security groups for pods)",
            # No inline rules: the rules below are separate resources, and the provider removes
            # AWS's default allow-all egress on create.
            tags={**tags, "Name": f"{name}-pods"}, opts=child)
        cluster_sg = sg_args["cluster_security_group_id"]
        for rule in pod_sg_rules(**destinations):
            rule_args: dict[str, Any] = {
                "security_group_id": group.id, "ip_protocol": rule.protocol,
                "description": rule.description, "tags": tags}
            if rule.protocol != "-1":  # all protocols: AWS takes no port range
                rule_args.update(from_port=rule.from_port, to_port=rule.to_port)
            if rule.peer == "cluster":
                rule_args["referenced_security_group_id"] = cluster_sg
            elif rule.peer == "self":
                rule_args["referenced_security_group_id"] = group.id
            else:
                rule_args["cidr_ipv4"] = rule.peer
            if rule.direction == "ingress":
                aws.vpc.SecurityGroupIngressRule(f"{name}-pods-{rule.key}", opts=child,
                                                 **rule_args)
            else:
                aws.vpc.SecurityGroupEgressRule(f"{name}-pods-{rule.key}", opts=child,
                                                **rule_args)
        api_version, kind_name = SECURITY_GROUP_POLICY
        k8s.apiextensions.CustomResource(
            f"{name}-pods", api_version=api_version, kind=kind_name, metadata=meta("pods"),
            # An empty selector picks every pod of the namespace.
            spec={"podSelector": {}, "securityGroups": {"groupIds": [group.id]}}, opts=in_ns)
        return group.id
