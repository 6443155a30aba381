"""The one reviewed place where a control may be waived for a resource.

Every entry names the control, the resource (an fnmatch pattern over the URN), why, who
approved it and when it expires. An expired entry is not honoured: the violation comes back
and its message says which exemption lapsed. Reports list honoured exemptions as "exempted"
(they reach the engine as the policy's not-applicable reason), never silently.

Add entries through a pull request reviewed by the platform security owners.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fnmatch import fnmatchcase

__all__ = ["EXEMPTIONS", "Exemption", "match_exemption"]


@dataclass(frozen=True)
class Exemption:
    control: str
    """Control name, e.g. `strata-rds-multi-az` (fnmatch pattern allowed)."""
    resource: str
    """URN pattern, e.g. `urn:pulumi:dev::strata::*::orders-db`."""
    reason: str
    approved_by: str
    expires: _dt.date

    def active(self, today: _dt.date | None = None) -> bool:
        return (today or _dt.date.today()) <= self.expires

    def matches(self, control: str, urn: str) -> bool:
        return fnmatchcase(control, self.control) and fnmatchcase(urn, self.resource)


_PENDING = "pending platform lead review"
# Reviewed exemptions. Keep sorted by control; delete entries once they expire or stop
# matching (tests/infra/test_check_prod.py fails on an exemption no finding uses).
EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        "strata-eks-cluster-admin-scope",
        "urn:pulumi:*::*$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::eks-admin",
        "the platform admin role (strata-<env>-admin) holds cluster-admin: the deploy job "
        "assumes it to apply namespaces, quotas and network policies; workloads get "
        "namespace-scoped access only; re-approve at each access review",
        _PENDING, _dt.date(2027, 6, 30)),
)


def match_exemption(control: str, urn: str, exemptions: tuple[Exemption, ...],
                    today: _dt.date | None = None) -> tuple[Exemption | None, Exemption | None]:
    """(active exemption, expired exemption) matching this control and resource."""
    active: Exemption | None = None
    expired: Exemption | None = None
    for exemption in exemptions:
        if not exemption.matches(control, urn):
            continue
        if exemption.active(today):
            active = active or exemption
        else:
            expired = expired or exemption
    return active, expired
