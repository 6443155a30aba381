"""Who reaches an EKS cluster's API, from where, as whom; and who may assume pod roles.

Pure functions (no Pulumi), so each rule is unit-tested and the blueprint can check a catalog at
config time: the API access choice, the deployer's kubeconfig, Kubernetes RBAC rules for
`grant_kubernetes_access`, and the trust policy of roles handed to pods through EKS Pod Identity.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["RBAC_RULE_KEYS", "RESERVED_USERNAME_PREFIXES", "api_access_problems", "kubeconfig",
           "pod_identity_trust_policy", "rbac_rule_problems", "username_problem"]


def api_access_problems(public_cidrs: Sequence[str], deployer_cidrs: Sequence[str]) -> list[str]:
    """Why this API access choice cannot deploy or is unsafe; empty when it is sound.

    The program itself talks to the API (the Kubernetes provider), so the machine running
    `pulumi up` needs a route: a public endpoint open to its network, or a private endpoint
    reached from a declared network. Public CIDRs must be public, non-reserved addresses (EKS
    refuses reserved ones, https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)
    and never the whole internet.
    """
    problems: list[str] = []
    if not public_cidrs and not deployer_cidrs:
        problems.append(
            "api_access declares no route to the Kubernetes API for the deployer: give "
            "public_cidrs (public endpoint open to those networks only) or deployer_cidrs "
            "(private endpoint reached over VPN, Transit Gateway or peering); the Kubernetes "
            "provider and everything created through it need one")
    for field, cidrs in (("public_cidrs", public_cidrs), ("deployer_cidrs", deployer_cidrs)):
        for index, cidr in enumerate(cidrs):
            where = f"api_access.{field}[{index}]"
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                problems.append(f"{where}: {cidr!r} is not an IPv4 CIDR ({exc})")
                continue
            if network.prefixlen == 0:
                problems.append(f"{where}: {cidr} would open the API to every address; name "
                                "the networks that deploy and operate the cluster")
            elif field == "public_cidrs" and not network.is_global:
                problems.append(f"{where}: {cidr} is a private or reserved range, which the "
                                "public endpoint cannot see; declare it in deployer_cidrs")
        if len(set(cidrs)) != len(cidrs):
            problems.append(f"api_access.{field} repeats a CIDR")
    return problems


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str,
               role_arn: str) -> str:
    """A kubeconfig whose token is signed as `role_arn` (the role with the cluster's admin
    access entry). Without `--role-arn`, `aws eks get-token` signs as whoever runs the deploy,
    which has no access entry when `bootstrapClusterCreatorAdminPermissions` is off, and the
    provider is refused. The deployer's own IAM policy must allow `sts:AssumeRole` on the role.
    """
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": cluster_name,
        "clusters": [{"name": cluster_name, "cluster": {
            "server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name,
                      "context": {"cluster": cluster_name, "user": cluster_name}}],
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region,
                     "--role-arn", role_arn, "--output", "json"],
            "interactiveMode": "Never"}}}],
    })


RESERVED_USERNAME_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
"""Access entry usernames EKS refuses:
https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html"""


def username_problem(username: str) -> str | None:
    if not username.strip():
        return "username must not be empty"
    for prefix in RESERVED_USERNAME_PREFIXES:
        if username.startswith(prefix):
            return f"username {username!r} starts with {prefix!r}, which EKS reserves"
    return None


RBAC_RULE_KEYS = frozenset({"apiGroups", "resources", "resourceNames", "verbs",
                            "nonResourceURLs"})
"""Fields of a Kubernetes rbac/v1 PolicyRule."""


def rbac_rule_problems(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Shape problems of ClusterRole rules (each needs verbs, and resources or URLs)."""
    problems: list[str] = []
    if not rules:
        problems.append("rules must hold at least one PolicyRule")
    for index, rule in enumerate(rules):
        unknown = sorted(set(rule) - RBAC_RULE_KEYS)
        if unknown:
            problems.append(f"rules[{index}]: unknown field(s) {', '.join(unknown)}; "
                            f"allowed: {', '.join(sorted(RBAC_RULE_KEYS))}")
        if not rule.get("verbs"):
            problems.append(f"rules[{index}]: verbs must not be empty")
        if not rule.get("resources") and not rule.get("nonResourceURLs"):
            problems.append(f"rules[{index}]: name resources or nonResourceURLs")
        for key in RBAC_RULE_KEYS & set(rule):
            value = rule[key]
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                problems.append(f"rules[{index}].{key} must be a list of strings")
    return problems


_CLUSTER_ARN = re.compile(r"arn:(?P<partition>[a-z-]+):eks:[a-z0-9-]+:(?P<account>\d{12}):"
                          r"cluster/[0-9A-Za-z][A-Za-z0-9_-]*")


def pod_identity_trust_policy(account_id: str, cluster_arn: str, partition: str = "aws", *,
                              namespace: str | None = None,
                              service_account: str | None = None) -> dict[str, Any]:
    """Trust policy for a role that EKS Pod Identity hands to pods of one cluster.

    Without conditions any Pod Identity association in the account (another environment's
    cluster, say) could take the role. EKS Pod Identity tags each AssumeRole with the
    association's cluster, namespace and service account, and AWS documents scoping a role
    with those request tags:
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html#pod-id-abac-tags
    `aws:SourceAccount` is this account (the service's confused-deputy key). `aws:SourceArn` is
    not used: EKS does not document what it sets there (reports show the association's ARN,
    not the cluster's), and a condition on a key the request lacks denies every pod. The
    association must keep session tags on (`disable_session_tags` false, the default).
    """
    match = _CLUSTER_ARN.fullmatch(cluster_arn)
    if match is None:
        raise ValueError(f"{cluster_arn!r} is not an EKS cluster ARN "
                         "(arn:<partition>:eks:<region>:<account>:cluster/<name>)")
    if match["partition"] != partition or match["account"] != account_id:
        raise ValueError(f"cluster {cluster_arn} is not in account {account_id} of partition "
                         f"{partition}: EKS Pod Identity only serves roles of the cluster's "
                         "own account")
    conditions: dict[str, Any] = {
        "aws:SourceAccount": account_id,
        "aws:RequestTag/eks-cluster-arn": cluster_arn,
    }
    if namespace is not None:
        conditions["aws:RequestTag/kubernetes-namespace"] = namespace
    if service_account is not None:
        conditions["aws:RequestTag/kubernetes-service-account"] = service_account
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "EksPodIdentity", "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        # TagSession: Pod Identity passes the session tags the conditions test.
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": conditions},
    }]}
