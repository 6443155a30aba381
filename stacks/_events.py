"""Events seam between catalog and components: topics per producing service (with their
effective replication), and consumer relations for monitoring and grants.

What was deployed (replication, partitions) is recorded by the deployed-state lock,
`stacks/_lock.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components._kafka_sizing import default_replication_factor
from stacks.catalog import Catalog, TopicSpec

__all__ = ["ConsumerRelation", "consumer_relations", "replication_factor", "topic_args"]


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
