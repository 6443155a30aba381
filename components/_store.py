"""What every data store component offers: verbs for access, and the alarms it needs.

Monitoring builds alarms and dashboards from `alarm_specs()` and `metrics()`, never from
hand-typed metric names, and ServiceData grants access only through `grant_read` /
`grant_write`. Thresholds that depend on a store's size are computed by the store itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pulumi
import pulumi_aws as aws

__all__ = ["AlarmSpec", "AlarmThresholds", "DataStore", "Metric"]

Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric series; dimension values may be Outputs of the store's resources."""

    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str = "Average"
    period_seconds: int = 300
    label: str = ""


@dataclass(frozen=True)
class AlarmSpec:
    """An alarm a store needs, with its threshold already computed and explained."""

    key: str
    """Stable business key for the alarm resource name, e.g. `shard-0-cpu`."""
    metric: Metric
    comparison: Comparison
    threshold: float
    description: str
    """What breached means and why the threshold is where it is."""
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"


@dataclass(frozen=True)
class AlarmThresholds:
    """Percentages from the monitoring config, which stores turn into absolute thresholds."""

    cpu_percent: int = 80
    storage_free_percent: int = 20


class DataStore(Protocol):
    """A store owned by exactly one service."""

    kind: str
    """`postgres`, `dynamodb` or `timeseries` (the data catalog's vocabulary)."""
    ports: tuple[int, ...]
    """TCP ports workloads open to reach the store in the data subnets; empty when the store
    is reached only through AWS APIs."""

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy: ...

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy: ...

    def metrics(self) -> list[Metric]: ...

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]: ...

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        """What governance needs to know about the store (kind, name, ARN, key, settings)."""
        ...
