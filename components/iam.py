"""Attach grants to a role as customer-managed policies sized within IAM's limits.

IAM refuses a managed policy over 6,144 characters and, by default, more than 10 managed
policies on one role; inline policies share 10,240 characters per role, which one service's
grants on a 64-shard database already exceed
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). So grants are
packed, first fit in the order given, into as few managed policies as their size bounds allow,
decided at plan time from each `Grant.max_chars`. Grants in different groups never share a
policy: a reviewer (and the ownership policy control) can then judge each policy's targets on
their own, e.g. consumption of another service's topic apart from a service's own stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components._perms import Grant, policy_document

__all__ = ["MANAGED_POLICIES_PER_ROLE", "MANAGED_POLICY_MAX_CHARS", "attach_grants",
           "pack_grants"]

MANAGED_POLICY_MAX_CHARS = 6144
MANAGED_POLICIES_PER_ROLE = 10
"""IAM's default quota of managed policies attached to one role (adjustable up to 20)."""
_DOCUMENT_OVERHEAD = len('{"Version":"2012-10-17","Statement":[]}')


def pack_grants(groups: Mapping[str, Sequence[Grant]],
                max_chars: int = MANAGED_POLICY_MAX_CHARS) -> list[tuple[str, list[Grant]]]:
    """(group, grants) per policy: first fit within `max_chars`, groups kept apart.

    Pure, so the blueprint can count policies at config time. Raises ValueError for a single
    grant that cannot fit in any policy.
    """
    policies: list[tuple[str, list[Grant]]] = []
    for group in sorted(groups):
        bins: list[list[Grant]] = []
        sizes: list[int] = []
        for item in groups[group]:
            need = item.max_chars + 1  # the comma between statements
            if need + _DOCUMENT_OVERHEAD > max_chars:
                raise ValueError(f"a grant in {group!r} needs up to {item.max_chars} characters; "
                                 f"a managed policy holds {max_chars}: split the grant")
            for index, size in enumerate(sizes):
                if size + need <= max_chars:
                    bins[index].append(item)
                    sizes[index] += need
                    break
            else:
                bins.append([item])
                sizes.append(_DOCUMENT_OVERHEAD + need)
        policies += [(group, grants) for grants in bins]
    return policies


def attach_grants(parent: pulumi.Resource, name: str, role: aws.iam.Role,
                  groups: Mapping[str, Sequence[Grant]],
                  max_policies: int = MANAGED_POLICIES_PER_ROLE, description: str = "",
                  tags: Mapping[str, str] | None = None) -> list[aws.iam.Policy]:
    """Managed policies `<name>-<group>-<n>` holding the grants, each attached to `role`."""
    packed = pack_grants(groups)
    if len(packed) > max_policies:
        raise ValueError(f"{name}: the grants need {len(packed)} managed policies; a role "
                         f"takes {max_policies} (IAM quota): grant fewer stores or topics")
    policies: list[aws.iam.Policy] = []
    counters: dict[str, int] = {}
    for group, grants in packed:
        index = counters[group] = counters.get(group, -1) + 1
        statements = _unique_sids([s for g in grants for s in g.statements])
        policy = aws.iam.Policy(
            f"{name}-{group}-{index}", description=description or f"{name}: {group}",
            policy=policy_document(statements).apply(_within_limit), tags=dict(tags or {}),
            opts=pulumi.ResourceOptions(parent=parent))
        aws.iam.RolePolicyAttachment(f"{name}-{group}-{index}", role=role.name,
                                     policy_arn=policy.arn,
                                     opts=pulumi.ResourceOptions(parent=parent))
        policies.append(policy)
    return policies


def _unique_sids(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IAM wants each Sid unique within a policy; grants packed together may repeat one."""
    seen: dict[str, int] = {}
    out = []
    for stmt in statements:
        sid = stmt.get("Sid")
        if sid:
            seen[sid] = seen.get(sid, 0) + 1
            if seen[sid] > 1:
                stmt = {**stmt, "Sid": f"{sid}{seen[sid]}"}
        out.append(stmt)
    return out


def _within_limit(document: str) -> str:
    """The plan-time bound is conservative; this guards it at apply time with a clear error."""
    size = len("".join(document.split()))
    if size > MANAGED_POLICY_MAX_CHARS:
        raise ValueError(f"policy document has {size} characters; IAM allows "
                         f"{MANAGED_POLICY_MAX_CHARS}")
    return document
