"""Events seam between catalog and components: topics per producing service, produce and
consume grants per role, consumer relations for monitoring, and the topic lock file.

The topic lock (`stacks/topics.<stack>.lock.json`, committed) records what was deployed:
topic -> replicationFactor and partitions. Config validation compares the catalog with it
because two changes destroy or cannot be applied to a live topic:
- a replication-factor change replaces the topic (all its data is lost): refused unless the
  topic says `acknowledgeReplicationChange: true`;
- fewer partitions: Kafka cannot remove partitions, refused outright.
No lock file means nothing deployed yet: nothing to compare. After a deploy, refresh it with
`write_topic_lock(catalog, stack)` (the `strata topics lock STACK` command).
The lock functions are pure (no Pulumi calls) so config validation can run them first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components._kafka_sizing import default_replication_factor
from stacks.catalog import Catalog, Problem, TopicSpec

__all__ = [
    "LOCK_DIR",
    "ConsumerRelation",
    "consumer_relations",
    "lock_path",
    "read_topic_lock",
    "replication_factor",
    "topic_args",
    "topic_lock",
    "topic_lock_problems",
    "write_topic_lock",
]

LOCK_DIR = Path(__file__).resolve().parent
LOCK_VERSION = 1


@dataclass(frozen=True)
class ConsumerRelation:
    """One consumer group reading one topic: what monitoring alarms on (lag per group)."""

    service: str
    """The consuming service."""
    topic: str
    """Full topic name `<producer>.<topic>`."""
    group: str
    parallelism: int
    max_lag_messages: int


def replication_factor(catalog: Catalog, spec: TopicSpec) -> int:
    """The topic's replication: as declared, else 3 in prod (capped by brokers), else 2."""
    if spec.replication_factor is not None:
        return spec.replication_factor
    brokers = catalog.kafka.brokers or catalog.network.az_count
    return default_replication_factor(catalog.environment.is_prod, brokers)


def topic_args(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """`KafkaClusterArgs.topics`: every produced topic by full name."""
    return {
        f"{service_name}.{topic}": {
            "partitions": spec.partitions,
            "replication_factor": replication_factor(catalog, spec),
            "retention_hours": spec.retention_hours,
            "cleanup_policy": spec.cleanup_policy,
            "configs": dict(spec.configs),
        }
        for service_name, service in catalog.services.items()
        for topic, spec in service.produces.items()
    }


def consumer_relations(catalog: Catalog) -> list[ConsumerRelation]:
    return [ConsumerRelation(service=name, topic=c.topic, group=c.group or name,
                             parallelism=c.parallelism, max_lag_messages=c.max_lag_messages)
            for name, service in catalog.services.items() for c in service.consumes]


# --- topic lock (pure) -------------------------------------------------------------------------


def lock_path(stack: str, directory: Path | None = None) -> Path:
    return (directory or LOCK_DIR) / f"topics.{stack}.lock.json"


def topic_lock(catalog: Catalog) -> dict[str, Any]:
    """The lock content for the catalog as it stands (MSK Serverless topics are not managed)."""
    topics = {} if catalog.kafka.mode == "serverless" else {
        name: {"replicationFactor": args["replication_factor"], "partitions": args["partitions"]}
        for name, args in sorted(topic_args(catalog).items())}
    return {"version": LOCK_VERSION, "topics": topics}


def read_topic_lock(stack: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The committed lock, or None when the stack has never been locked."""
    path = lock_path(stack, directory)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_topic_lock(catalog: Catalog, stack: str, directory: Path | None = None) -> Path:
    """Record the catalog's topics as deployed; run after a successful `pulumi up`."""
    path = lock_path(stack, directory)
    path.write_text(json.dumps(topic_lock(catalog), indent=2, sort_keys=True) + "\n")
    return path


def topic_lock_problems(catalog: Catalog, lock: Mapping[str, Any] | None,
                        lock_file: str = "stacks/topics.<stack>.lock.json") -> list[Problem]:
    """Refuse unacknowledged replication changes and any partition decrease (STRATA-E106)."""
    if not lock or catalog.kafka.mode == "serverless":
        return []
    locked: Mapping[str, Any] = lock.get("topics", {})
    problems: list[Problem] = []
    for service_name, service in catalog.services.items():
        for topic, spec in service.produces.items():
            deployed = locked.get(f"{service_name}.{topic}")
            if deployed is None:
                continue
            at = ("services", service_name, "produces", topic)
            was_rf, now_rf = int(deployed["replicationFactor"]), replication_factor(catalog, spec)
            if was_rf != now_rf and not spec.acknowledge_replication_change:
                problems.append(Problem(
                    (*at, "replicationFactor"),
                    f"replication {was_rf} -> {now_rf} replaces topic {service_name}.{topic} "
                    f"and deletes its data (deployed value from {lock_file})",
                    f"{was_rf}, or add acknowledgeReplicationChange: true to accept the loss",
                    "STRATA-E106"))
            was_p = int(deployed["partitions"])
            if spec.partitions < was_p:
                problems.append(Problem(
                    (*at, "partitions"),
                    f"partitions {was_p} -> {spec.partitions}: Kafka cannot remove partitions "
                    f"(deployed value from {lock_file})",
                    f">= {was_p}", "STRATA-E106"))
    return problems
