"""URNs as the Pulumi engine assigns them, and the engine's alias resolution, offline.

The SDK's mock monitor qualifies a child's type with only its parent's *last* type; the engine
uses the parent's whole qualified type chain and leaves the root stack out of it
(pulumi/pkg/resource/deploy/deployment.go `generateURN`). Aliases arrive as alias specs (the SDK
delegates them to the engine); `resolve_aliases` replays the engine's step generator
(pulumi/pkg/resource/deploy/step_generator.go `generateAliases`, `collapseAliasToUrn`,
`inheritedChildAlias`, `getOldResource`) so a refactor can be proven to replace nothing: every old
URN is either still registered or claimed by a new resource through an alias.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ROOT_STACK_TYPE",
    "AliasMatch",
    "child_urn",
    "qualified_type",
    "resolve_aliases",
    "urn_name",
    "urn_type",
]

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    """`urn:pulumi:dev::strata::A$B$aws:x/y:Z::name` -> `A$B$aws:x/y:Z`."""
    return urn.split("::")[2]


def urn_type(urn: str) -> str:
    """The resource's own type: the last element of the qualified type chain."""
    return qualified_type(urn).rsplit("$", 1)[-1]


def urn_name(urn: str) -> str:
    """The resource name: everything after the third `::` (names may contain `::`)."""
    return urn.split("::", 3)[3]


def child_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine generates for a registration (`generateURN`)."""
    if parent and qualified_type(parent) != ROOT_STACK_TYPE:
        type_ = f"{qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """`resource.CreateURN`: the parent's URN minus its name, then `$type::name`."""
    if not parent:
        return f"urn:pulumi:{stack}::{project}::{type_}::{name}"
    return f"{parent[:parent.rindex('::')]}${type_}::{name}"


@dataclass(frozen=True)
class AliasMatch:
    """A new resource that takes over an old one through an alias."""

    urn: str
    """The new URN."""
    old_urn: str
    """The old URN it claims."""


def _spec(alias: Mapping[str, Any]) -> dict[str, Any] | None:
    """An alias as recorded in the manifest (protobuf JSON): a spec dict, or None for a URN."""
    spec = alias.get("spec")
    return dict(spec) if isinstance(spec, Mapping) else None


def resolve_aliases(resources: Sequence[Mapping[str, Any]], old_urns: Iterable[str],
                    *, stack: str, project: str,
                    assume_ancestors: bool = False) -> dict[str, AliasMatch]:
    """Which new resources claim which old URNs, as `pulumi up` would decide it.

    `resources` are manifest entries (urn, type, name, parent, aliases) with parents before
    children; `old_urns` is the previous state. Returns new URN -> match, only for resources
    found through an alias (a resource whose URN is unchanged needs none).

    `assume_ancestors`: `old_urns` is a partial state without the components above it (a URN
    pin). A component whose alias names a type chain that some old URN lives under is taken to
    have existed there, so its children inherit the alias as the engine would (the child's
    inherited name still has to match an old URN to be claimed).
    """
    olds = set(old_urns)
    chains = {qualified_type(u) for u in olds} if assume_ancestors else set()
    used: dict[str, str] = {}      # sg.aliases: new URN -> the old URN it matched
    matches: dict[str, AliasMatch] = {}
    for resource in resources:
        urn, parent = str(resource["urn"]), str(resource.get("parent") or "")
        name, type_ = str(resource["name"]), str(resource["type"])
        candidates = _aliases(resource, name, type_, parent, used, stack=stack, project=project)
        if urn in olds:
            continue
        for candidate in candidates:
            if candidate in olds:
                used[urn] = candidate
                matches[urn] = AliasMatch(urn, candidate)
                break
        else:
            if chains and not resource.get("custom", True):
                prefixes = [qualified_type(c) + "$" for c in candidates]
                ancestor = next((c for c, p in zip(candidates, prefixes, strict=True)
                                 if any(chain.startswith(p) for chain in chains)), None)
                if ancestor is not None:
                    used[urn] = ancestor
    return matches


def _aliases(resource: Mapping[str, Any], name: str, type_: str, parent: str,
             used: Mapping[str, str], *, stack: str, project: str) -> list[str]:
    """`generateAliases`: the resource's own aliases, multiplied by its parent's matched alias."""
    result: list[str] = []

    def add(urn: str) -> None:
        if urn not in result:
            result.append(urn)

    collapsed = [_collapse(name, type_, parent, alias, used, stack=stack, project=project)
                 for alias in resource.get("aliases") or []]
    for urn in collapsed:
        add(urn)
    parent_alias = used.get(parent) if parent else None
    if parent_alias:
        add(_inherited(type_, name, urn_name(parent), parent_alias, stack, project))
        for urn in collapsed:
            add(_inherited(urn_type(urn), urn_name(urn), urn_name(parent), parent_alias,
                           stack, project))
    return result


def _collapse(name: str, type_: str, parent: str, alias: Mapping[str, Any],
              used: Mapping[str, str], *, stack: str, project: str) -> str:
    """`collapseAliasToUrn` for one recorded alias."""
    spec = _spec(alias)
    if spec is None:
        return str(alias.get("urn", ""))
    # No parent in the spec means the resource's own parent; a parent that itself matched an
    # alias stands for its old URN.
    given = str(spec.get("parentUrn") or "")
    alias_parent = used.get(given, given) if given else parent
    if spec.get("noParent") or (alias_parent and qualified_type(alias_parent) == ROOT_STACK_TYPE):
        alias_parent = ""
    return _create_urn(str(spec.get("name") or name), str(spec.get("type") or type_),
                       alias_parent, str(spec.get("project") or project),
                       str(spec.get("stack") or stack))


def _inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str,
               stack: str, project: str) -> str:
    """`inheritedChildAlias`: a `<parent>-x` child of a renamed parent is renamed with it."""
    alias_name = child_name
    if child_name.startswith(parent_name):
        alias_name = urn_name(parent_alias) + child_name[len(parent_name):]
    return child_urn(stack, project, parent_alias, child_type, alias_name)
