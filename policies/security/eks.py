"""EKS clusters on a supported Kubernetes version, nodes without open SSH, cluster-admin access
only for the principals named in config."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from .._control import Control, Finding, Res, cannot_verify, fail
from .._values import ABSENT, as_list, get, is_unknown

__all__ = ["CONTROLS"]

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
# EKS access policies that grant cluster-admin or admin (EKS User Guide, "Access policy
# permissions").
_ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")


def _version(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _check_supported_version(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    version = res.props.get("version", ABSENT)
    if is_unknown(version):
        return [cannot_verify("version")]
    if version is ABSENT:
        return []  # EKS creates the cluster on its current default version
    oldest = _version(str(cfg["oldestVersionSupported"]))
    given = _version(str(version))
    if given is None:
        return [fail(f"version {version!r} is not a Kubernetes minor version (e.g. \"1.33\")")]
    if oldest is not None and given < oldest:
        return [fail(f"version {version} is older than {cfg['oldestVersionSupported']}, the "
                     "oldest version EKS supports: no security patches")]
    return []


def _check_remote_access(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    access = res.props.get("remoteAccess", ABSENT)
    if is_unknown(access):
        return [cannot_verify("remoteAccess")]
    key, sources = get(access, "ec2SshKey"), get(access, "sourceSecurityGroupIds")
    if is_unknown(key) or is_unknown(sources):
        return [cannot_verify("remoteAccess")]
    if key in (ABSENT, None, ""):
        return []
    if not as_list(sources):
        return [fail("remoteAccess.ec2SshKey without sourceSecurityGroupIds: EKS opens SSH "
                     "(port 22, RDP 3389 on Windows) on every node to 0.0.0.0/0")]
    return []


def _admin_allowed(principal: str, cfg: Mapping[str, Any]) -> bool:
    return any(fnmatchcase(principal, pattern) for pattern in cfg["clusterAdminPrincipals"])


def _check_admin_scope(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    principal = res.props.get("principalArn")
    if res.type == ACCESS_ENTRY:
        groups = res.props.get("kubernetesGroups", ABSENT)
        if is_unknown(groups):
            return [cannot_verify("kubernetesGroups")]
        if "system:masters" in as_list(groups):
            return [fail("kubernetesGroups includes system:masters: unrevocable cluster-admin "
                         "that bypasses access policies and RBAC")]
        return []
    policy, scope = res.props.get("policyArn"), get(res.props, "accessScope.type")
    if is_unknown(policy) or is_unknown(scope) or is_unknown(principal):
        return [cannot_verify("policyArn/accessScope/principalArn")]
    name = str(policy or "").rsplit("/", 1)[-1]
    if name not in _ADMIN_POLICIES or scope != "cluster":
        return []
    if _admin_allowed(str(principal), cfg):
        return []
    return [fail(f"associates {name} at cluster scope with {principal}, which is not one of "
                 "the configured cluster administrators")]


CONTROLS = [
    Control(
        "strata-eks-supported-version",
        "EKS clusters run a Kubernetes version EKS still supports (at least the configured "
        "oldest supported version).",
        severity="high", enforcement="mandatory", check=_check_supported_version,
        types=(EKS_CLUSTER,), fsbp="EKS.2",
        config={"oldestVersionSupported": {
            "type": "string", "default": "1.33",
            "description": "Oldest Kubernetes minor version EKS supports (standard or extended "
                           "support); raise it as EKS retires versions."}},
        remediation="Upgrade the cluster one minor version at a time (control plane, then "
                    "nodes and add-ons) to a supported version.",
        tags=("kubernetes", "patching")),
    Control(
        "strata-eks-node-group-no-open-ssh",
        "EKS managed node groups do not open SSH to the internet: remote access with a key pair "
        "names the security groups allowed to connect.",
        severity="high", enforcement="mandatory", check=_check_remote_access,
        types=(NODE_GROUP,),
        remediation="Remove remoteAccess and reach nodes through SSM Session Manager, or set "
                    "remoteAccess.sourceSecurityGroupIds.",
        tags=("kubernetes", "network")),
    Control(
        "strata-eks-cluster-admin-scope",
        "Cluster-wide admin access (AmazonEKSClusterAdminPolicy or AmazonEKSAdminPolicy at "
        "cluster scope) goes only to the principals named in config, and no access entry joins "
        "system:masters.",
        severity="high", enforcement="mandatory", check=_check_admin_scope,
        types=(ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION),
        config={"clusterAdminPrincipals": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "IAM principal ARN patterns (fnmatch) allowed cluster-wide admin "
                           "access, e.g. the deployment role."}},
        remediation="Scope access policies to namespaces (accessScope type namespace) or name "
                    "the principal in clusterAdminPrincipals with a reason.",
        tags=("kubernetes", "iam")),
]
