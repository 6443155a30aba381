"""Stateful resources that `pulumi up` would delete or replace, and their acknowledgement.

A deletion is a stateful URN of OLD that NEW neither keeps nor claims through an alias. A
replacement is a kept stateful resource whose replace-on-change property
(`infra.stateful.REPLACE_ON_CHANGE`) differs, or takes its value from a stateful resource that is
itself replaced (offline, a replaced key's mock ARN looks unchanged, so the dependency is
followed through propertyDependencies instead). A finding is acknowledged when an
`--accept-replacement` pattern matches its URN (fnmatch, case-sensitive).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from infra._diff_resources import Pairing
from infra.stateful import REPLACE_ON_CHANGE, STATEFUL_TYPES, is_stateful
from policies._values import ABSENT, get

__all__ = ["StatefulChange", "accept", "stateful_changes"]


@dataclass(frozen=True)
class StatefulChange:
    action: str
    """`delete` or `replace`."""
    urn: str
    old_urn: str
    type: str
    name: str
    service: str
    loses: str
    """What the deletion destroys (`infra.stateful.STATEFUL_TYPES`)."""
    reasons: tuple[str, ...]
    source: str = ""
    """Where the replace-on-change rule comes from."""
    protect: bool = False
    """Protected in OLD: `pulumi up` stops until the protection is lifted."""
    retain_on_delete: bool = False
    """Retained in OLD: the cloud resource survives, but leaves Pulumi's management."""
    accepted_by: str | None = None


def stateful_changes(pairing: Pairing, old_owners: Mapping[str, str],
                     new_owners: Mapping[str, str]) -> list[StatefulChange]:
    out = [_deletion(pairing.old[urn], old_owners[urn]) for urn in pairing.removed
           if is_stateful(str(pairing.old[urn]["type"]))]
    out += _replacements(pairing, new_owners)
    return sorted(out, key=lambda c: (c.action, c.service, c.urn))


def accept(changes: Sequence[StatefulChange],
           patterns: Sequence[str]) -> tuple[list[StatefulChange], list[str]]:
    """Mark the changes a pattern acknowledges; also return the patterns that matched none."""
    used: set[str] = set()
    out = []
    for change in changes:
        pattern = next((p for p in patterns
                        if fnmatchcase(change.urn, p) or fnmatchcase(change.old_urn, p)), None)
        if pattern is not None:
            used.add(pattern)
            change = replace(change, accepted_by=pattern)
        out.append(change)
    return out, [p for p in patterns if p not in used]


def _deletion(resource: Mapping[str, Any], service: str) -> StatefulChange:
    urn = str(resource["urn"])
    return StatefulChange(
        "delete", urn, urn, str(resource["type"]), str(resource["name"]), service,
        STATEFUL_TYPES[str(resource["type"])],
        ("no resource in NEW has this URN or claims it through an alias",),
        protect=bool(resource.get("protect")),
        retain_on_delete=bool(resource.get("retainOnDelete")))


def _replacements(pairing: Pairing, owners: Mapping[str, str]) -> list[StatefulChange]:
    reasons: dict[str, list[str]] = {}
    for new_urn, old_urn in pairing.pairs.items():
        before, after = pairing.old[old_urn], pairing.new[new_urn]
        rules = REPLACE_ON_CHANGE.get(str(after["type"]))
        if rules is None or before.get("type") != after.get("type"):
            continue
        for prop in rules.properties:
            was, now = (get(r.get("inputs") or {}, prop.path, ABSENT) for r in (before, after))
            if was != now:
                reasons.setdefault(new_urn, []).append(f"{prop.path}: {_show(was)} -> "
                                                       f"{_show(now)}")
    _follow_dependencies(pairing, reasons)
    out = []
    for new_urn, why in reasons.items():
        before, after = pairing.old[pairing.pairs[new_urn]], pairing.new[new_urn]
        type_ = str(after["type"])
        out.append(StatefulChange(
            "replace", new_urn, pairing.pairs[new_urn], type_, str(after["name"]),
            owners[new_urn], STATEFUL_TYPES[type_], tuple(why), REPLACE_ON_CHANGE[type_].source,
            protect=bool(before.get("protect")),
            retain_on_delete=bool(before.get("retainOnDelete"))))
    return out


def _follow_dependencies(pairing: Pairing, reasons: dict[str, list[str]]) -> None:
    """Add replacements whose replace-on-change input comes from a replaced resource."""
    changed = True
    while changed:
        changed = False
        for new_urn, resource in pairing.new.items():
            rules = REPLACE_ON_CHANGE.get(str(resource["type"]))
            if new_urn in reasons or new_urn not in pairing.pairs or rules is None:
                continue
            deps = resource.get("propertyDependencies") or {}
            for prop in rules.properties:
                replaced = [pairing.new[u] for u in deps.get(prop.path.split(".")[0], [])
                            if u in reasons]
                if replaced:
                    source = replaced[0]
                    reasons[new_urn] = [f"{prop.path}: comes from {source['name']} "
                                        f"({source['type']}), which is replaced"]
                    changed = True
                    break


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(unset)"
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
