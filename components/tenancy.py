"""A service's tenancy on the shared EKS cluster: its own namespace under the `restricted` Pod
Security Standard, a service account bound to the service's IAM role through EKS Pod Identity,
a resource budget, and network policies that deny everything not explicitly needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components._tags import require_tags

__all__ = ["KAFKA_PORT", "POD_IDENTITY_AGENT", "Quota", "ServiceTenancy", "ServiceTenancyArgs"]

KAFKA_PORT = 9098
POD_IDENTITY_AGENT = ("169.254.170.23/32", 80)
"""Where the EKS Pod Identity agent serves credentials on every node (link-local)."""


class Quota(TypedDict):
    """Namespace budget; Kubernetes quantities (`4`, `500m`, `8Gi`)."""

    cpu: str
    memory: str
    pods: int
    default_cpu: str
    """Request and limit given to containers that declare none."""
    default_memory: str


class ServiceTenancyArgs(TypedDict):
    service: str
    """Service name; also the namespace and service account name."""
    owner: str
    classification: str
    tags: Mapping[str, str]
    """The five ownership tags (for the pod identity association)."""
    cluster_name: pulumi.Input[str]
    provider: k8s.Provider
    """Provider of the cluster (`EksCluster.provider`)."""
    kubernetes_version: str
    """Pins the Pod Security Standard version (`v1.33`)."""
    role_arn: pulumi.Input[str]
    """The service's workload role, bound to its service account."""
    quota: Quota
    vpc_cidr: str
    """Excluded from the AWS-API egress rule (the VPC is reached only on the ports below)."""
    store_cidrs: NotRequired[Sequence[str]]
    """Isolated (data) subnet CIDRs the service's stores live in. Default: none."""
    store_ports: NotRequired[Sequence[int]]
    """Ports of the service's own stores (5432 PostgreSQL, 8086 InfluxDB). Default: none."""
    kafka_cidrs: NotRequired[Sequence[str]]
    """Private subnet CIDRs of the MSK brokers; egress on 9098. Default: no Kafka egress."""


class ServiceTenancy(pulumi.ComponentResource):
    """Namespace, service account, pod identity, quota, limits and default-deny policies."""

    namespace: str
    service_account: str

    def __init__(self, name: str, args: ServiceTenancyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:ServiceTenancy", name, None, opts)
        tags = require_tags(args["tags"], name)
        service = args["service"]
        self.namespace = self.service_account = service
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args["provider"])
        psa = f"v{args['kubernetes_version']}"
        labels = {"strata.io/owner": args["owner"], "strata.io/service": service,
                  "strata.io/data-classification": args["classification"]}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": service, "labels": {
                **labels,
                **{f"pod-security.kubernetes.io/{mode}": "restricted"
                   for mode in ("enforce", "audit", "warn")},
                **{f"pod-security.kubernetes.io/{mode}-version": psa
                   for mode in ("enforce", "audit", "warn")},
            }},
            opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args["provider"],
                                       depends_on=[namespace])

        def meta(object_name: str) -> Any:  # ObjectMetaArgsDict; Any keeps mypy's overloads quiet
            return {"name": object_name, "namespace": service, "labels": labels}

        k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=meta(service),
                                   automount_service_account_token=False, opts=in_ns)
        aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity", cluster_name=args["cluster_name"], namespace=service,
            service_account=service, role_arn=args["role_arn"], tags=tags,
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
        for policy_name, spec in _network_policies(args).items():
            k8s.networking.v1.NetworkPolicy(f"{name}-{policy_name}", metadata=meta(policy_name),
                                            spec=spec, opts=in_ns)
        self.register_outputs({"namespace": self.namespace})


def _network_policies(args: ServiceTenancyArgs) -> dict[str, Any]:
    """Default deny, then one allow-list policy per reason."""
    everything: dict[str, Any] = {}
    policies: dict[str, dict[str, Any]] = {
        "default-deny": {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {"podSelector": everything, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]},
        "allow-same-namespace": {
            "podSelector": everything, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": everything}]}],
            "egress": [{"to": [{"podSelector": everything}]}]},
        "allow-pod-identity": {"podSelector": everything, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT[0]}}],
            "ports": [{"protocol": "TCP", "port": POD_IDENTITY_AGENT[1]}]}]},
        # KMS, STS, DynamoDB and Timestream are HTTPS APIs on AWS addresses outside the VPC.
        "allow-aws-apis": {"podSelector": everything, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [args["vpc_cidr"]]}}],
            "ports": [{"protocol": "TCP", "port": 443}]}]},
    }
    stores, ports = list(args.get("store_cidrs", [])), list(args.get("store_ports", []))
    if stores and ports:
        policies["allow-stores"] = {"podSelector": everything, "policyTypes": ["Egress"],
                                    "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in stores],
                                                "ports": [{"protocol": "TCP", "port": p}
                                                          for p in sorted(set(ports))]}]}
    kafka = list(args.get("kafka_cidrs", []))
    if kafka:
        policies["allow-kafka"] = {"podSelector": everything, "policyTypes": ["Egress"],
                                   "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in kafka],
                                               "ports": [{"protocol": "TCP",
                                                          "port": KAFKA_PORT}]}]}
    return policies
