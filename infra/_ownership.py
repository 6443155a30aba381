"""Which service a manifest resource belongs to, from what the engine sees, not from names.

Component names and nesting change with refactors; the ownership tags do not. A resource's
service is, in order: its own `service` tag (AWS) or `strata.io/service` label (Kubernetes);
for a grant, the service of the role it is attached to (the `role` property dependency); its
nearest tagged ancestor's; else the one service tagged anywhere under the resource (when it is a
component) or under its nearest component that holds any (a topic under its producer's
component, a key alias under its key's component). Several services there means none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

__all__ = ["SERVICE_LABEL", "SERVICE_TAG", "ManifestIndex", "own_service"]

SERVICE_TAG = "service"
"""The AWS ownership tag (components/_tags.py REQUIRED_TAG_KEYS)."""
SERVICE_LABEL = "strata.io/service"
"""The Kubernetes label carrying the same (components/tenancy.py)."""


def own_service(resource: Mapping[str, Any]) -> str | None:
    inputs = resource.get("inputs")
    if not isinstance(inputs, Mapping):
        return None
    tags = inputs.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get(SERVICE_TAG), str):
        return str(tags[SERVICE_TAG])
    metadata = inputs.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if isinstance(labels, Mapping) and isinstance(labels.get(SERVICE_LABEL), str):
        return str(labels[SERVICE_LABEL])
    return None


class ManifestIndex:
    """Parent/child links and ownership over one manifest's resources (validated shape)."""

    def __init__(self, resources: Sequence[Mapping[str, Any]]) -> None:
        self.resources = list(resources)
        self.by_urn = {str(r["urn"]): r for r in self.resources}
        self.children: dict[str, list[Mapping[str, Any]]] = {}
        self._services: dict[str, str | None] = {}
        for r in self.resources:
            self.children.setdefault(str(r["parent"]), []).append(r)

    def ancestors(self, urn: str) -> Iterator[Mapping[str, Any]]:
        seen = {urn}
        parent = self.by_urn.get(urn, {}).get("parent", "")
        while parent in self.by_urn and parent not in seen:
            seen.add(parent)
            node = self.by_urn[parent]
            yield node
            parent = node.get("parent", "")

    def deps(self, resource: Mapping[str, Any], prop: str) -> list[Mapping[str, Any]]:
        urns = (resource.get("propertyDependencies") or {}).get(prop) or []
        return [self.by_urn[u] for u in urns if u in self.by_urn]

    @cached_property
    def _subtree_services(self) -> dict[str, frozenset[str]]:
        """urn -> services tagged on it or anywhere below it."""
        found: dict[str, set[str]] = {}
        for r in self.resources:
            service = own_service(r)
            if service is not None:
                for node in (r, *self.ancestors(str(r["urn"]))):
                    found.setdefault(str(node["urn"]), set()).add(service)
        return {urn: frozenset(services) for urn, services in found.items()}

    def service(self, urn: str) -> str | None:
        if urn not in self._services:
            self._services[urn] = self._find_service(urn)
        return self._services[urn]

    def _find_service(self, urn: str) -> str | None:
        resource = self.by_urn.get(urn)
        if resource is None:
            return None
        service = own_service(resource)
        if service is not None:
            return service
        for role in self.deps(resource, "role"):
            if own_service(role) is not None:
                return own_service(role)
        chain = list(self.ancestors(urn))
        for ancestor in chain:
            if own_service(ancestor) is not None:
                return own_service(ancestor)
        for ancestor in (resource, *chain):
            if ancestor.get("custom"):
                continue
            services = self._subtree_services.get(str(ancestor["urn"]), frozenset())
            if len(services) == 1:
                return next(iter(services))
            if services:
                return None  # the nearest component holding services holds several
        return None

    def subtree_types(self, urn: str) -> set[str]:
        types: set[str] = set()
        pending = [urn]
        while pending:
            for child in self.children.get(pending.pop(), []):
                types.add(str(child["type"]))
                pending.append(str(child["urn"]))
        return types
