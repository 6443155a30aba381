"""Pair the resources of two manifests as `pulumi up` would, and say what changed in each.

A resource keeps its identity through its URN, or through an alias that claims the old URN
(`infra.urns.resolve_aliases` replays the engine's rules). Everything else is added or removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.synth import tree_order
from infra.urns import resolve_aliases
from policies._values import ABSENT

__all__ = ["ABSENT", "InputChange", "Pairing", "ResourceChange", "input_changes",
           "pair_resources", "resource_changes"]


@dataclass(frozen=True)
class InputChange:
    path: str
    """`tags.owner`, `ingress[0].fromPort`, `options.protect`."""
    old: Any
    """The old value, or ABSENT when the property was not set."""
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    kind: str
    """`added`, `removed` or `changed`."""
    urn: str
    type: str
    name: str
    service: str
    renamed_from: str | None = None
    """The old URN when an alias carried the resource over to a new one."""
    changes: tuple[InputChange, ...] = ()


@dataclass
class Pairing:
    """Old and new resources by URN, and which new URN continues which old one."""

    old: dict[str, Mapping[str, Any]]
    new: dict[str, Mapping[str, Any]]
    pairs: dict[str, str] = field(default_factory=dict)
    """New URN -> old URN, for unchanged URNs and alias claims alike."""

    @property
    def added(self) -> list[str]:
        return [urn for urn in self.new if urn not in self.pairs]

    @property
    def removed(self) -> list[str]:
        kept = set(self.pairs.values())
        return [urn for urn in self.old if urn not in kept]


def pair_resources(old: Mapping[str, Any], new: Mapping[str, Any]) -> Pairing:
    old_by_urn = {str(r["urn"]): r for r in old["resources"]}
    new_by_urn = {str(r["urn"]): r for r in new["resources"]}
    pairing = Pairing(old_by_urn, new_by_urn)
    pairing.pairs = {urn: urn for urn in new_by_urn if urn in old_by_urn}
    # The engine resolves aliases parents first; hand-made manifests may come in any order.
    claims = resolve_aliases(tree_order(list(new["resources"])), old_by_urn,
                             stack=str(new["stack"]), project=str(new["project"]))
    for match in claims.values():
        pairing.pairs.setdefault(match.urn, match.old_urn)
    return pairing


def resource_changes(pairing: Pairing, old_owners: Mapping[str, str],
                     new_owners: Mapping[str, str]) -> list[ResourceChange]:
    """Added, removed and changed custom resources (components hold no cloud state)."""
    out: list[ResourceChange] = []
    for urn in pairing.added:
        resource = pairing.new[urn]
        if resource.get("custom", True):
            out.append(_change("added", resource, new_owners[urn]))
    for urn in pairing.removed:
        resource = pairing.old[urn]
        if resource.get("custom", True):
            out.append(_change("removed", resource, old_owners[urn]))
    for new_urn, old_urn in pairing.pairs.items():
        before, after = pairing.old[old_urn], pairing.new[new_urn]
        if not after.get("custom", True):
            continue
        changes = input_changes(before.get("inputs") or {}, after.get("inputs") or {})
        changes += _option_changes(before, after)
        renamed = old_urn if old_urn != new_urn else None
        if changes or renamed:
            out.append(_change("changed", after, new_owners[new_urn], renamed, changes))
    return sorted(out, key=lambda c: (c.service, c.kind, c.type, c.name))


def _change(kind: str, resource: Mapping[str, Any], service: str, renamed: str | None = None,
            changes: Sequence[InputChange] = ()) -> ResourceChange:
    return ResourceChange(kind, str(resource["urn"]), str(resource["type"]),
                          str(resource["name"]), service, renamed, tuple(changes))


def _option_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[InputChange]:
    """`protect` and `retainOnDelete` decide what a deletion does: a reviewer must see them."""
    return [InputChange(f"options.{key}", bool(before.get(key)), bool(after.get(key)))
            for key in ("protect", "retainOnDelete")
            if bool(before.get(key)) != bool(after.get(key))]


def input_changes(old: Any, new: Any, path: str = "") -> list[InputChange]:
    """The leaf paths at which two input trees differ.

    Objects are compared key by key and equal-length lists element by element; a list that
    grew or shrank is one change. JSON documents held as strings (IAM policies, dashboards)
    count as changed only when their parsed content differs, as the provider judges them.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[InputChange] = []
        for key in sorted(set(old) | set(new)):
            out += input_changes(old.get(key, ABSENT), new.get(key, ABSENT),
                                 f"{path}.{key}" if path else str(key))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            out += input_changes(a, b, f"{path}[{index}]")
        return out
    if _same(old, new):
        return []
    return [InputChange(path, old, new)]


def _same(old: Any, new: Any) -> bool:
    if old is ABSENT or new is ABSENT:
        return old is new
    if isinstance(old, str) and isinstance(new, str) and old != new:
        parsed_old, parsed_new = _json_document(old), _json_document(new)
        return parsed_old is not None and parsed_old == parsed_new
    return bool(old == new)


def _json_document(text: str) -> Any:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
