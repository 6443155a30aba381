"""The picture `strata diagram` draws, as plain data: boxes of nodes and typed edges.

Kept apart from Graphviz so the tests can assert what is shown (nodes, facts, edges) without
parsing DOT, and so the DOT text is a pure function of this model (deterministic output).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Box", "Diagram", "Edge", "EdgeKind", "Node", "merged", "number", "plural"]

EdgeKind = Literal["produces", "consumes", "encrypted-by", "runs-in", "scrapes", "queries"]


@dataclass(frozen=True)
class Node:
    """One box on the picture; it may stand for many resources (a shard set, a service's tables).

    `facts` carry the numbers behind the label (shards, partitions, AZs) so tests and other
    tools read them without parsing text.
    """

    id: str
    kind: str
    """workload, postgres, dynamodb, influxdb, liveanalytics, key, topic, network, kubernetes,
    kafka, alarms, prometheus or grafana: the renderer styles each kind its own way."""
    title: str
    lines: tuple[str, ...] = ()
    service: str | None = None
    facts: tuple[tuple[str, Any], ...] = ()

    def fact(self, key: str) -> Any:
        return dict(self.facts).get(key)


@dataclass(frozen=True, order=True)
class Edge:
    tail: str
    head: str
    kind: EdgeKind


@dataclass
class Box:
    """A Graphviz cluster: one service (what it owns) or the shared platform."""

    id: str
    title: str
    subtitle: str = ""
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Diagram:
    stack: str
    platform: Box
    services: list[Box]
    topics: list[Node]
    """Topics no drawn service owns (a service's own topics are in its box)."""
    edges: list[Edge]

    @property
    def nodes(self) -> list[Node]:
        return [*self.platform.nodes, *(n for box in self.services for n in box.nodes),
                *self.topics]

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def find(self, kind: str, service: str | None = None) -> list[Node]:
        """Nodes of one kind, optionally only those a service owns."""
        return [n for n in self.nodes
                if n.kind == kind and (service is None or n.service == service)]

    def targets(self, node_id: str, kind: EdgeKind) -> list[str]:
        return [e.head for e in self.edges if e.tail == node_id and e.kind == kind]

    def sources(self, node_id: str, kind: EdgeKind) -> list[str]:
        return [e.tail for e in self.edges if e.head == node_id and e.kind == kind]


def merged(edges: Iterable[Edge], known: set[str]) -> list[Edge]:
    """One edge per (tail, head, kind), between nodes that are drawn, in a stable order."""
    return sorted({e for e in edges if e.tail in known and e.head in known and e.tail != e.head})


def number(value: Any) -> str:
    """Manifest numbers arrive as floats: 400.0 -> "400", 0.5 -> "0.5"."""
    return f"{value:g}" if isinstance(value, int | float) else "?"


def plural(count: int) -> str:
    return "" if count == 1 else "s"
