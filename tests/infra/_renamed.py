"""A manifest whose component tree was refactored: every component type and name changed, URNs
recomputed as the engine would. Readers of manifests must give the same answers for it."""

from __future__ import annotations

import copy
from typing import Any

from infra.urns import child_urn


def renamed_components(manifest: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(manifest)
    stack, project = out["stack"], out["project"]
    new_urns: dict[str, str] = {}
    for resource in out["resources"]:  # parents before children (tree order)
        if not resource["custom"] and resource["type"] != "pulumi:pulumi:Stack":
            member = resource["type"].rsplit(":", 1)[-1]
            resource["type"] = f"acme:blocks:{member}V2"
            resource["name"] = f"x-{resource['name']}"
        parent = new_urns.get(resource["parent"], resource["parent"])
        new = child_urn(stack, project, parent, resource["type"], resource["name"]) if parent \
            else resource["urn"]
        new_urns[resource["urn"]] = new
        resource["urn"], resource["parent"] = new, parent
    for resource in out["resources"]:
        resource["dependencies"] = [new_urns.get(u, u) for u in resource["dependencies"]]
        resource["propertyDependencies"] = {
            key: [new_urns.get(u, u) for u in urns]
            for key, urns in resource["propertyDependencies"].items()}
        if resource["provider"]:
            urn, _, id_ = resource["provider"].rpartition("::")
            resource["provider"] = f"{new_urns.get(urn, urn)}::{id_}"
    return out
