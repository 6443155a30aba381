"""Manifest -> diagram model: each service's stores and keys, topics with their producers and
consumers, and the shared platform.

Aggregated so a 50-service catalog stays readable: one node per PostgreSQL shard set, one per
service for its DynamoDB tables, InfluxDB instances and LiveAnalytics databases, one per topic,
one edge per (tail, head, kind).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from infra._diagram_index import DiagramIndex, Resource
from infra._diagram_model import Box, Diagram, Edge, Node, merged, number, plural
from infra._diagram_platform import platform_box
from infra._ownership import SERVICE_TAG
from policies import _aws

__all__ = ["build_diagram"]

RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
KMS_ALIAS = "aws:kms/alias:Alias"
MAX_LISTED = 4
"""Table names listed on a node before the rest are counted ("+3 more")."""


def build_diagram(manifest: Mapping[str, Any]) -> Diagram:
    index = DiagramIndex(manifest)
    edges: list[Edge] = []
    keys = _keys(index)
    subtitles = _subtitles(index)
    boxes = {service: Box(f"service/{service}", service, subtitles.get(service, ""),
                          [_workload(index, service)]) for service in index.services}
    for store, members in _stores(index):
        encrypted = [Edge(store.id, keys[k.urn].id, "encrypted-by") for m in members
                     for k in index.deps(m) if k.type == _aws.KMS_KEY and k.urn in keys]
        if not encrypted:  # e.g. Timestream for InfluxDB: pulumi-aws takes no key for it
            store = replace(store, lines=(*store.lines, "no customer-managed key"))
        boxes[store.service or ""].nodes.append(store)
        edges += encrypted
    platform, platform_edges = platform_box(index, keys)
    edges += platform_edges
    for key in keys.values():
        if key.service in boxes:
            boxes[key.service].nodes.append(key)
    topics, topic_edges = _topics(index, set(boxes))
    edges += topic_edges
    for topic in topics:  # a topic belongs to its owner, like its stores
        if topic.service in boxes:
            boxes[topic.service].nodes.append(topic)
    topics = [t for t in topics if t.service not in boxes]
    services = [boxes[s] for s in sorted(boxes)]
    known = {n.id for box in (platform, *services) for n in box.nodes} | {t.id for t in topics}
    return Diagram(str(manifest.get("stack", "")), platform, services, topics,
                   merged(edges, known))


def _subtitles(index: DiagramIndex) -> dict[str, str]:
    """Service -> `owner · classification`, as most of its tagged resources say."""
    counts: dict[str, tuple[Counter[str], Counter[str]]] = {}
    for node in index.view.nodes:
        service = node.tags.get(SERVICE_TAG)
        if isinstance(service, str):
            owners, classes = counts.setdefault(service, (Counter(), Counter()))
            owners.update([str(node.tags["owner"])] if "owner" in node.tags else [])
            classes.update([str(node.tags["data-classification"])]
                           if "data-classification" in node.tags else [])
    return {service: " · ".join(p for p in map(_most_common, pair) if p)
            for service, pair in counts.items()}


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else ""


def _workload(index: DiagramIndex, service: str) -> Node:
    """The service itself: its pods (namespace) and IAM role, what produces and consumes."""
    associations = [a for a in index.of_type(POD_IDENTITY) if index.service_of(a) == service]
    namespaces = sorted({str(a.props["namespace"]) for a in associations
                         if "namespace" in a.props})
    lines = tuple(f"EKS namespace {ns}" for ns in namespaces) or ("no EKS workload",)
    return Node(f"workload/{service}", "workload", service, lines, service,
                (("namespaces", tuple(namespaces)),))


def _keys(index: DiagramIndex) -> dict[str, Node]:
    """KMS keys by URN, labelled with their aliases."""
    keys: dict[str, Node] = {}
    for key in index.of_type(_aws.KMS_KEY):
        aliases = sorted(str(a.props.get("name", a.name))
                         for a in index.dependents(key, KMS_ALIAS, "targetKeyId"))
        rotation = key.props.get("enableKeyRotation") is True
        lines = (*(aliases or [key.name]), "rotated yearly" if rotation else "no rotation")
        service = index.service_of(key)
        keys[key.urn] = Node(f"key/{key.name}", "key", "KMS key", tuple(lines), service,
                             (("aliases", tuple(aliases)), ("rotation", rotation)))
    return keys


def _stores(index: DiagramIndex) -> list[tuple[Node, list[Resource]]]:
    """(store node, the resources it stands for), services' stores only."""
    stores = [*_postgres(index), *_per_service(index, _aws.DYNAMO_TABLE, _dynamodb),
              *_per_service(index, _aws.INFLUX, _influxdb),
              *_per_service(index, _aws.TS_DATABASE, _liveanalytics)]
    services = set(index.services)
    return sorted(((n, m) for n, m in stores if n.service in services), key=lambda s: s[0].id)


def _postgres(index: DiagramIndex) -> Iterable[tuple[Node, list[Resource]]]:
    """One node per shard set: the PostgreSQL clusters/instances under one parent."""
    sets: dict[str, list[Resource]] = {}
    for node in index.of_type(_aws.RDS_CLUSTER, _aws.RDS_INSTANCE):
        if "postgres" not in str(node.props.get("engine", "")):
            continue
        if node.type == _aws.RDS_INSTANCE and node.props.get("replicateSourceDb"):
            continue  # a read replica serves a shard, it is not one
        sets.setdefault(node.parent or node.urn, []).append(node)
    for parent, shards in sets.items():
        parent_node = index.view.by_urn.get(parent)
        name = parent_node.name if parent_node else shards[0].name
        yield _shard_set(index, name, shards), shards


def _shard_set(index: DiagramIndex, name: str, shards: list[Resource]) -> Node:
    aurora = shards[0].type == _aws.RDS_CLUSTER
    members = [m for s in shards for m in index.dependents(s, RDS_CLUSTER_INSTANCE,
                                                            "clusterIdentifier")] if aurora else []
    classes = sorted({str(n.props.get("instanceClass", "?")) for n in (members or shards)})
    size = ", ".join(classes)
    if classes == ["db.serverless"]:
        scaling = shards[0].props.get("serverlessv2ScalingConfiguration") or {}
        size = f"Serverless v2 {number(scaling.get('minCapacity'))}-" \
               f"{number(scaling.get('maxCapacity'))} ACU"
    count = len(shards)
    per_shard = len(members) // count if aurora else 1
    lines = [name, f"{count} shard{plural(count)} · "
                   f"{'Aurora' if aurora else 'RDS'} PostgreSQL"]
    if aurora:
        lines.append(f"{per_shard} instance{plural(per_shard)} each · {size}")
    else:
        multi_az = all(s.props.get("multiAz") is True for s in shards)
        lines.append(f"{size}{' · Multi-AZ' if multi_az else ''}")
    lines.append(f"{index.alarms_on(shards)} alarms")
    return Node(f"postgres/{name}", "postgres", "PostgreSQL shard set", tuple(lines),
                index.service_of(shards[0]),
                (("shards", count), ("engine", "aurora" if aurora else "rds"),
                 ("instances_per_shard", per_shard), ("size", size)))


def _per_service(index: DiagramIndex, type_: str,
                 make: Any) -> Iterable[tuple[Node, list[Resource]]]:
    """One node per service for all its resources of `type_`."""
    by_service: dict[str, list[Resource]] = {}
    for node in index.of_type(type_):
        by_service.setdefault(index.service_of(node) or "", []).append(node)
    for service, nodes in sorted(by_service.items()):
        yield make(index, service, sorted(nodes, key=lambda n: n.urn))


def _dynamodb(index: DiagramIndex, service: str,
              tables: list[Resource]) -> tuple[Node, list[Resource]]:
    names = sorted(str(t.props.get("name", t.name)) for t in tables)
    listed = names[:MAX_LISTED] + ([f"+{len(names) - MAX_LISTED} more"]
                                   if len(names) > MAX_LISTED else [])
    title = "DynamoDB" + (f" · {len(names)} tables" if len(names) > 1 else " table")
    lines = (*listed, f"{index.alarms_on(tables)} alarms")
    return Node(f"dynamodb/{service}", "dynamodb", title, lines, service,
                (("tables", tuple(names)),)), tables


def _influxdb(index: DiagramIndex, service: str,
              instances: list[Resource]) -> tuple[Node, list[Resource]]:
    lines = [f"{i.props.get('dbInstanceType', '?')} · {number(i.props.get('allocatedStorage'))} GiB"
             + (" · Multi-AZ" if i.props.get("deploymentType") == "WITH_MULTIAZ_STANDBY" else "")
             for i in instances]
    lines.append(f"{index.alarms_on(instances)} alarms")
    return Node(f"influxdb/{service}", "influxdb", "Timestream for InfluxDB", tuple(lines),
                service, (("instances", len(instances)),)), instances


def _liveanalytics(index: DiagramIndex, service: str,
                   databases: list[Resource]) -> tuple[Node, list[Resource]]:
    members: list[Resource] = list(databases)
    lines = []
    for db in databases:
        tables = index.dependents(db, _aws.TS_TABLE, "databaseName")
        members += tables
        lines.append(f"{db.props.get('databaseName', db.name)} · {len(tables)} "
                     f"table{plural(len(tables))}")
    lines.append(f"{index.alarms_on(members)} alarms")
    return Node(f"liveanalytics/{service}", "liveanalytics", "Timestream LiveAnalytics",
                tuple(lines), service, (("databases", len(databases)),)), members


def _topics(index: DiagramIndex, services: set[str]) -> tuple[list[Node], list[Edge]]:
    """Topics with producer (owner, or a produce grant) and consumer (consume grant) edges."""
    resources = {str(t.props.get("name", t.name)): t for t in index.of_type(_aws.MSK_TOPIC)}
    grants = index.kafka_grants(resources)
    names = sorted(set(resources) | {g.topic for g in grants})
    nodes: list[Node] = []
    edges: list[Edge] = []
    for name in names:
        topic_id = f"topic/{name}"
        resource = resources.get(name)
        granted = {g.service for g in grants if g.topic == name and g.produce}
        owner = index.service_of(resource) if resource else None
        if owner is None and len(granted) == 1:  # untagged and no tagged ancestor to tell
            owner = next(iter(granted))
        producers = {owner} | granted
        edges += [Edge(f"workload/{s}", topic_id, "produces") for s in producers if s in services]
        edges += [Edge(topic_id, f"workload/{g.service}", "consumes") for g in grants
                  if g.topic == name and g.consume and g.service in services]
        if resource is None:
            nodes.append(Node(topic_id, "topic", name, ("not managed by Pulumi",), owner,
                              (("managed", False),)))
            continue
        partitions = int(resource.props.get("partitionCount", 0))
        replication = int(resource.props.get("replicationFactor", 0))
        nodes.append(Node(topic_id, "topic", name,
                          (f"{partitions} partitions · RF {replication}",), owner,
                          (("managed", True), ("partitions", partitions),
                           ("replication", replication))))
    return nodes, edges
