"""What a service's pods may reach, as NetworkPolicies and as pod security group rules.

Pure data, so each allowance is unit-tested. NetworkPolicies deny everything by default and then
allow one reason per policy; the pod security group (security groups for pods) repeats the
allowances that leave the node, because in `standard` enforcing mode a pod's own group governs
its traffic to other hosts in the VPC:
https://github.com/aws/amazon-vpc-cni-k8s#pod_security_group_enforcing_mode-v1110
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["DNS_PORT", "POD_IDENTITY_AGENT", "SgRule", "network_policies", "pod_sg_rules"]

DNS_PORT = 53
POD_IDENTITY_AGENT = ("169.254.170.23/32", 80)
"""Where the EKS Pod Identity agent serves credentials on every node (link-local, IPv4):
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html"""
_EVERYTHING: dict[str, Any] = {}


def network_policies(*, vpc_cidr: str, node_local_dns: bool, store_cidrs: Sequence[str],
                     store_ports: Sequence[int], kafka_cidrs: Sequence[str],
                     kafka_port: int) -> dict[str, dict[str, Any]]:
    """NetworkPolicy specs by object name: default deny, then one allow-list per reason."""
    dns_ports = [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}]
    if node_local_dns:
        # EKS Auto Mode serves cluster DNS from each node, not from kube-dns pods that a
        # selector could name: allow the DNS port itself.
        dns: dict[str, Any] = {"ports": dns_ports}
    else:
        dns = {"to": [{"namespaceSelector": {"matchLabels": {
                           "kubernetes.io/metadata.name": "kube-system"}},
                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
               "ports": dns_ports}
    policies: dict[str, dict[str, Any]] = {
        "default-deny": {"podSelector": _EVERYTHING, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {"podSelector": _EVERYTHING, "policyTypes": ["Egress"], "egress": [dns]},
        "allow-same-namespace": {
            "podSelector": _EVERYTHING, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": _EVERYTHING}]}],
            "egress": [{"to": [{"podSelector": _EVERYTHING}]}]},
        "allow-pod-identity": {"podSelector": _EVERYTHING, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT[0]}}],
            "ports": [{"protocol": "TCP", "port": POD_IDENTITY_AGENT[1]}]}]},
        # AWS APIs (STS, KMS, DynamoDB, ...) are HTTPS on addresses outside the VPC.
        "allow-aws-apis": {"podSelector": _EVERYTHING, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [vpc_cidr]}}],
            "ports": [{"protocol": "TCP", "port": 443}]}]},
    }
    if store_cidrs and store_ports:
        policies["allow-stores"] = {
            "podSelector": _EVERYTHING, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in store_cidrs],
                        "ports": [{"protocol": "TCP", "port": p}
                                  for p in sorted(set(store_ports))]}]}
    if kafka_cidrs:
        policies["allow-kafka"] = {
            "podSelector": _EVERYTHING, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in kafka_cidrs],
                        "ports": [{"protocol": "TCP", "port": kafka_port}]}]}
    return policies


@dataclass(frozen=True)
class SgRule:
    """One rule of the pod security group; `peer` is `cluster`, `self` or a CIDR."""

    key: str
    """Stable part of the rule's resource name."""
    direction: str
    """`ingress` or `egress`."""
    protocol: str
    """`tcp`, `udp` or `-1` (all)."""
    from_port: int
    to_port: int
    peer: str
    description: str


def pod_sg_rules(*, store_cidrs: Sequence[str], store_ports: Sequence[int],
                 kafka_cidrs: Sequence[str], kafka_port: int) -> list[SgRule]:
    """Rules AWS requires of a pod security group, plus the service's own destinations.

    Required (https://docs.aws.amazon.com/eks/latest/userguide/sg-pods-example-deployment.html):
    inbound from the nodes' group for kubelet probes on any probed port, and outbound TCP/UDP 53
    to the group of the CoreDNS pods (managed nodes carry the cluster security group).
    """
    rules = [
        SgRule("from-nodes", "ingress", "tcp", 0, 65535, "cluster",
               "kubelet probes and scrapes from the nodes (cluster security group)"),
        SgRule("from-self", "ingress", "-1", -1, -1, "self", "the service's own pods"),
        SgRule("to-self", "egress", "-1", -1, -1, "self", "the service's own pods"),
        SgRule("dns-tcp", "egress", "tcp", DNS_PORT, DNS_PORT, "cluster", "CoreDNS on the nodes"),
        SgRule("dns-udp", "egress", "udp", DNS_PORT, DNS_PORT, "cluster", "CoreDNS on the nodes"),
        SgRule("api", "egress", "tcp", 443, 443, "cluster", "Kubernetes API"),
        # In standard mode traffic leaving the VPC is translated to the node's address and
        # judged by the node's group; this rule covers interface endpoints inside the VPC.
        SgRule("https", "egress", "tcp", 443, 443, "0.0.0.0/0", "AWS APIs over HTTPS"),
    ]
    for cidr in store_cidrs:
        for port in sorted(set(store_ports)):
            rules.append(SgRule(f"store-{cidr.replace('/', '-')}-{port}", "egress", "tcp",
                                port, port, cidr, "the service's stores"))
    for cidr in kafka_cidrs:
        rules.append(SgRule(f"kafka-{cidr.replace('/', '-')}", "egress", "tcp", kafka_port,
                            kafka_port, cidr, "Kafka brokers"))
    return rules
