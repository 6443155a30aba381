"""An EksCluster's arguments turned into plain decisions, every problem reported at once.

No Pulumi here: the blueprint can check a catalog with the same rules at config time
(`physical_names`, `pod_security_group_problem`), and each rule is unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from components import _args
from components._eks_access import api_access_problems
from components._eks_addons import ADDON_VERSIONS
from components._eks_branch_eni import unsupported_for_pod_security_groups
from components._eks_nodes import node_group_problems
from components._logs import DEFAULT_LOG_RETENTION_DAYS, log_retention_problem
from components._names import name_problem

__all__ = ["DEFAULT_AUTO_MODE", "DEFAULT_NODE_DISK_GIB", "DEFAULT_UPGRADE_POLICY", "EksPlan",
           "physical_names", "plan_cluster", "pod_security_group_problem"]

DEFAULT_AUTO_MODE = True
DEFAULT_NODE_DISK_GIB = 50
DEFAULT_UPGRADE_POLICY: Final = "STANDARD"


@dataclass(frozen=True)
class EksPlan:
    """What an EksCluster builds, decided from its arguments."""

    version: str
    auto_mode: bool
    node_groups: dict[str, Mapping[str, Any]]
    public_cidrs: list[str]
    deployer_cidrs: list[str]
    log_retention_days: int
    upgrade_policy: str
    pod_security_groups: bool
    pod_security_groups_off_because: str


def physical_names(cluster_name: str, admin_role_name: str | None = None,
                   creates_admin_role: bool = True) -> list[tuple[str, str]]:
    """(kind, name) of every physical name an EksCluster builds from its arguments."""
    names = [("eks-cluster", cluster_name), ("log-group", f"/aws/eks/{cluster_name}/cluster")]
    if creates_admin_role:
        names.append(("iam-role", admin_role_name or f"{cluster_name}-admin"))
    return names


def pod_security_group_problem(auto_mode: bool,
                               node_groups: Mapping[str, Sequence[str]]) -> str | None:
    """Why security groups for pods cannot be enforced on this compute; None when they can.
    `node_groups` maps each group key to its instance types."""
    if auto_mode:
        return ("EKS Auto Mode does not support security groups for pods: "
                "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html")
    unsupported = {group: unsupported_for_pod_security_groups(types)
                   for group, types in sorted(node_groups.items())}
    unsupported = {group: types for group, types in unsupported.items() if types}
    if unsupported:
        listed = "; ".join(f"{g}: {', '.join(t)}" for g, t in unsupported.items())
        return ("instance types without branch network interfaces (no t family; see the VPC "
                f"resource controller's limits.go): {listed}")
    return None


def plan_cluster(name: str, args: Mapping[str, Any]) -> EksPlan:
    """The plan of an EksCluster from its (shape-checked) arguments; raises ComponentArgsError
    listing every argument combination that cannot deploy."""
    problems: list[str] = []
    version = args["kubernetes_version"]
    if version not in ADDON_VERSIONS:
        problems.append(f"kubernetes_version {version!r} has no pinned add-on versions; "
                        f"supported: {', '.join(sorted(ADDON_VERSIONS))}")
    for kind, physical in physical_names(args["cluster_name"], args.get("admin_role_name"),
                                         "admin_role_arn" not in args):
        problem = name_problem(kind, physical)
        if problem:
            problems.append(problem)
    access = args["api_access"]
    public = list(access.get("public_cidrs", []))
    deployers = list(access.get("deployer_cidrs", []))
    problems += api_access_problems(public, deployers)
    retention = args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS)
    problem = log_retention_problem("log_retention_days", retention)
    if problem:
        problems.append(problem)
    if len(args["subnet_ids"]) < 2:
        problems.append("subnet_ids: EKS needs subnets in at least two availability zones")
    auto = args.get("auto_mode", DEFAULT_AUTO_MODE)
    groups = dict(args.get("node_groups", {}))
    if auto and groups:
        problems.append("node_groups apply only with auto_mode off; Auto Mode runs its own "
                        "nodes")
    if not auto and not groups:
        problems.append("auto_mode is off and node_groups is empty: nothing would run pods")
    for group_name, group in sorted(groups.items()):
        problems += node_group_problems(group_name, group)
    reason = pod_security_group_problem(
        auto, {g: list(group["instance_types"]) for g, group in groups.items()})
    wanted = args.get("pod_security_groups")
    if wanted and reason:
        problems.append(f"pod_security_groups is on but {reason}")
    if problems:
        raise _args.ComponentArgsError(f"EksCluster {name!r}: " + "; ".join(problems))
    return EksPlan(
        version=version, auto_mode=auto, node_groups=groups, public_cidrs=public,
        deployer_cidrs=deployers, log_retention_days=retention,
        upgrade_policy=str(args.get("upgrade_policy", DEFAULT_UPGRADE_POLICY)),
        pod_security_groups=reason is None and wanted is not False,
        pod_security_groups_off_because=reason or "pod_security_groups is off")
