"""A synthesized manifest indexed for the diagram: dependencies, alarms, Kafka grants.

Only what survives the component refactors is used: resource types, propertyDependencies, and
ownership and role grants as `infra/_ownership.py` reads them. Component type tokens and
resource names never decide anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from infra._ownership import ManifestIndex
from policies import _aws
from policies._control import Node as Resource
from policies._control import StackView
from policies._values import statements

__all__ = ["DiagramIndex", "KafkaGrant", "Resource", "topic_name_of_arn"]


# The data-plane actions that tell a producer from a consumer; DescribeTopic and the cluster
# and group actions are shared by both. Authorized on topic ARNs:
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_apachekafkaapisforamazonmskclusters.html
PRODUCE_ACTION = "kafka-cluster:writedata"
CONSUME_ACTION = "kafka-cluster:readdata"


@dataclass(frozen=True)
class KafkaGrant:
    """One role's access to one topic, as the policy document it holds states it."""

    service: str
    """The service owning the grantee role."""
    topic: str
    """Topic name (the last segment of its ARN, the `name` of its aws:msk/topic:Topic)."""
    produce: bool
    consume: bool


def topic_name_of_arn(arn: str) -> str | None:
    """`arn:aws:kafka:REGION:ACCOUNT:topic/CLUSTER/UUID/TOPIC` -> TOPIC (None otherwise)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "kafka" or not parts[5].startswith("topic/"):
        return None
    segments = parts[5].split("/")
    if len(segments) != 4 or not segments[3] or "*" in segments[3]:
        return None
    return segments[3]


class DiagramIndex:
    """Resources in URN order, so nothing drawn depends on the manifest's order."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self.ownership = ManifestIndex(manifest["resources"])
        self.view = StackView(
            Resource(type=r["type"], name=r["name"], urn=r["urn"], props=dict(r["inputs"] or {}),
                     parent=r.get("parent") or None, dependencies=list(r["dependencies"]),
                     property_dependencies={k: list(v) for k, v in
                                            (r.get("propertyDependencies") or {}).items()})
            for r in sorted(manifest["resources"], key=lambda r: r["urn"]))
        self.owner = {n.urn: self.ownership.service(n.urn) for n in self.view.nodes}
        platform = self.view.of_type("aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster",
                                     _aws.MSK_CLUSTER, _aws.MSK_SERVERLESS)
        self.platform_services = {s for n in platform if (s := self.owner[n.urn])}
        """The `service` tag the shared infrastructure (network, cluster, Kafka) carries."""
        self._alarms: dict[str, set[str]] = {}
        for alarm in self.view.of_type(_aws.METRIC_ALARM):
            for target in self.deps(alarm):
                self._alarms.setdefault(target.urn, set()).add(alarm.urn)

    @property
    def services(self) -> list[str]:
        """Every service that owns something, the platform excluded."""
        return sorted({s for s in self.owner.values() if s} - self.platform_services)

    def of_type(self, *types: str) -> list[Resource]:
        return self.view.of_type(*types)

    def service_of(self, node: Resource) -> str | None:
        return self.owner[node.urn]

    def deps(self, node: Resource, *props: str) -> list[Resource]:
        """Resources that the given input properties (all of them if none named) depend on."""
        names = props or tuple(node.property_dependencies)
        seen: dict[str, Resource] = {}
        for prop in names:
            for dep in self.view.deps_of(node, prop):
                seen.setdefault(dep.urn, dep)
        return list(seen.values())

    def dependents(self, target: Resource, type_: str, *props: str) -> list[Resource]:
        """Resources of `type_` whose `props` depend on `target`."""
        return [n for n in self.of_type(type_) if any(d.urn == target.urn
                                                      for d in self.deps(n, *props))]

    def alarms_on(self, nodes: Iterable[Resource]) -> int:
        """CloudWatch alarms whose metric (dimensions or queries) names any of these resources."""
        alarms: set[str] = set()
        for node in nodes:
            alarms |= self._alarms.get(node.urn, set())
        return len(alarms)

    def reached_by(self, role: Resource) -> list[Resource]:
        """Everything the policies held by `role` use (inline or attached)."""
        return [self.view.by_urn[str(t["urn"])]
                for grant in self.ownership.grants_of(self.ownership.by_urn[role.urn])
                for t in grant.targets]

    def kafka_grants(self, topic_resources: Mapping[str, Resource]) -> list[KafkaGrant]:
        """Produce/consume grants from the Kafka statements of every policy a role holds, under
        the grantee role's service.

        A grant on a topic that the program manages (`topic_resources`, by name) counts only
        when the policy's `policy` input depends on that topic resource: the document really
        uses its ARN. Topics without a resource (MSK Serverless) are known by ARN alone.
        """
        grants: list[KafkaGrant] = []
        for grant in self.ownership.grants():
            if not grant.service:
                continue
            used = {str(t["urn"]) for t in grant.targets}
            for topic, actions in _topic_actions(grant.document).items():
                managed = topic_resources.get(topic)
                if managed is not None and managed.urn not in used:
                    continue
                produce = any(fnmatchcase(PRODUCE_ACTION, a) for a in actions)
                consume = any(fnmatchcase(CONSUME_ACTION, a) for a in actions)
                if produce or consume:
                    grants.append(KafkaGrant(grant.service, topic, produce, consume))
        return grants


def _topic_actions(document: Any) -> dict[str, set[str]]:
    """Topic name -> lower-cased Kafka action patterns the document allows on it."""
    found: dict[str, set[str]] = {}
    for stmt in statements(document) or []:
        if not stmt.allows:
            continue
        actions = {a.lower() for a in stmt.actions if a.lower().startswith("kafka-cluster:")
                   or a == "*"}
        for resource in stmt.resources:
            topic = topic_name_of_arn(resource)
            if topic and actions:
                found.setdefault(topic, set()).update(actions)
    return found
