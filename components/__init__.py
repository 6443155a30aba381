"""Strata's reusable component resources (type tokens `strata:index:<Class>`).

Exports load lazily (PEP 562), so pure modules such as `components._plan` and
`components.sharding` import without pulling in Pulumi.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Alarms": "alarms", "AlarmsArgs": "alarms",
    "EksCluster": "eks", "EksClusterArgs": "eks", "NodeGroupArgs": "eks",
    "EncryptionKey": "kms", "EncryptionKeyArgs": "kms",
    "InfluxDbInstance": "timeseries", "InfluxDbInstanceArgs": "timeseries",
    "KafkaCluster": "kafka", "KafkaClusterArgs": "kafka", "TopicArgs": "kafka",
    "KeyValueTable": "dynamodb", "KeyValueTableArgs": "dynamodb",
    "LiveAnalyticsDatabase": "timeseries", "LiveAnalyticsDatabaseArgs": "timeseries",
    "Observability": "observability", "ObservabilityArgs": "observability",
    "Network": "network", "NetworkArgs": "network",
    "PostgresShardSet": "postgres", "PostgresShardSetArgs": "postgres",
    "ServiceTenancy": "tenancy", "ServiceTenancyArgs": "tenancy",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(importlib.import_module(f"components.{_EXPORTS[name]}"), name)
