"""Where a finding's resource is declared in `Pulumi.<stack>.yaml`, so code scanning annotates it.

A service's resources point at the service's entry (`strata:services.orders`). Platform
resources point at the section that configures them, told by the resource types around them:
the resource itself, else the nearest component whose subtree holds the anchors of exactly one
section (a VPC means `network`, an EKS cluster `cluster`, ...). Anything else points at
`strata:environment`. Line numbers come from PyYAML's node marks, so comments and blank lines
count as they do in an editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra._ownership import ManifestIndex

__all__ = ["SECTION_ANCHORS", "Location", "artifact_uri", "key_lines", "locate"]

SECTION_ANCHORS: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "network",
    "aws:eks/cluster:Cluster": "cluster",
    "aws:msk/cluster:Cluster": "kafka",
    "aws:msk/serverlessCluster:ServerlessCluster": "kafka",
    "aws:amp/workspace:Workspace": "monitoring",
    "aws:grafana/workspace:Workspace": "monitoring",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "monitoring",
    "aws:cloudwatch/dashboard:Dashboard": "monitoring",
    "aws:sns/topic:Topic": "monitoring",
}
"""Resource type -> the stack config section (`strata:<section>`) that configures it."""
FALLBACK_SECTION = "environment"
SERVICES = "services"


@dataclass(frozen=True)
class Location:
    uri: str
    """The artifact, relative to the repository root when it is inside one, else a file URI."""
    line: int | None
    """1-based line of the declaring key; None when the file or key is unknown."""
    key: str | None = None
    """The declaring key path, e.g. `strata:services.orders`."""


def artifact_uri(path: Path) -> str:
    """`path` relative to its git repository's root (what code scanning resolves), else a
    file URI."""
    path = path.resolve()
    for folder in path.parents:
        if (folder / ".git").exists():
            return path.relative_to(folder).as_posix()
    return path.as_uri()


def key_lines(stack_file: Path, project: str) -> dict[tuple[str, ...], int]:
    """`("strata:network",)` and `("strata:services", "orders")` -> 1-based line; `("config",)`
    too. Bare keys get the project namespace, as the Pulumi CLI reads them."""
    try:
        root = yaml.compose(stack_file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    lines: dict[tuple[str, ...], int] = {}
    config = _entries(root).get("config")
    if config is None:
        return lines
    lines[("config",)] = config[0]
    for key, (line, node) in _entries(config[1]).items():
        full = key if ":" in key else f"{project}:{key}"
        lines[(full,)] = line
        if full == f"{project}:{SERVICES}":
            for service, (service_line, _) in _entries(node).items():
                lines[(full, service)] = service_line
    return lines


def _entries(node: Any) -> dict[str, tuple[int, Any]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k.start_mark.line + 1, v) for k, v in node.value
            if isinstance(k, yaml.ScalarNode)}


def locate(manifest: Mapping[str, Any], stack_file: Path) -> dict[str, Location]:
    """urn -> where the stack file declares it; `""` (stack-level findings) -> `config:`."""
    project = str(manifest["project"])
    uri = artifact_uri(stack_file)
    lines = key_lines(stack_file, project)
    index = ManifestIndex(manifest["resources"])

    def at(*key: str) -> Location | None:
        line = lines.get(key)
        return None if line is None else Location(uri, line, ".".join(key))

    fallback = at(f"{project}:{FALLBACK_SECTION}") or at("config") or Location(uri, None)
    located = {"": at("config") or Location(uri, None)}
    for resource in manifest["resources"]:
        urn = str(resource["urn"])
        service = index.service(urn)
        section = _section(index, urn)
        located[urn] = ((at(f"{project}:{SERVICES}", service) if service else None)
                        or (at(f"{project}:{section}") if section else None) or fallback)
    return located


def _section_anchor(resource: Mapping[str, Any]) -> str | None:
    return SECTION_ANCHORS.get(str(resource["type"]))


def _section(index: ManifestIndex, urn: str) -> str | None:
    """The section the resource anchors, else the one anchored under its nearest enclosing
    component that anchors any (the ownership rule's "enclosed", with sections for services)."""
    return _section_anchor(index.by_urn[urn]) or index.enclosed(urn, _section_anchor)
