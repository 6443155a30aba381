"""Events seam between catalog and components: topics per producing service (with their
effective replication), and the consumer groups that monitoring watches and grants admit.

What was deployed (replication, partitions) is recorded by the deployed-state lock,
`stacks/_lock.py`.
"""

from __future__ import annotations

from typing import Any

from components._kafka_sizing import default_replication_factor
from components.alarms import ConsumerGroup
from components.kafka import CleanupPolicy
from stacks.catalog import Catalog, TopicSpec

__all__ = ["consumer_groups", "replication_factor", "topic_args"]


def replication_factor(catalog: Catalog, spec: TopicSpec) -> int:
    """The topic's replication: as declared, else 3 in prod (capped by brokers), else 2."""
    if spec.replication_factor is not None:
        return spec.replication_factor
    brokers = catalog.kafka.brokers or catalog.network.az_count
    return default_replication_factor(catalog.environment.is_prod, brokers)


def topic_args(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """`TopicArgs` without the cluster: every produced topic by full name."""
    return {
        f"{service_name}.{topic}": {
            "partitions": spec.partitions,
            "replication_factor": replication_factor(catalog, spec),
            "configs": dict(spec.configs),
            **spec.given("retention_hours", cleanup_policy=CleanupPolicy),
        }
        for service_name, service in catalog.services.items()
        for topic, spec in service.produces.items()
    }


def consumer_groups(catalog: Catalog) -> list[ConsumerGroup]:
    """Every (service, topic, group) read: one lag alarm and one consume grant each. The group
    defaults to the consuming service's name."""
    return [{"service": name, "topic": c.topic, "group": c.group or name,
             **c.given("max_lag_messages")}
            for name, service in catalog.services.items() for c in service.consumes]
