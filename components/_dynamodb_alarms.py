"""Metrics and alarms of one DynamoDB table, with every threshold explained."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components._store import AlarmSpec, Metric

__all__ = ["CAPACITY_ALARM_FRACTION", "NAMESPACE", "PERIOD_SECONDS", "SYSTEM_ERROR_OPERATIONS",
           "table_alarms", "table_metrics"]

NAMESPACE = "AWS/DynamoDB"
PERIOD_SECONDS = 300
CAPACITY_ALARM_FRACTION = 0.8
"""Consumed capacity above 80% of the autoscaling maximum: autoscaling has no room left and
throttling is next. Consumed*Units is a Sum per period, so the threshold is
0.8 x max units/s x period seconds."""
SYSTEM_ERROR_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "Query")
"""SystemErrors carries an Operation dimension; these are the calls services make most."""


def table_metrics(table: pulumi.Input[str], label: str, indexes: Sequence[str],
                  provisioned: bool) -> list[Metric]:
    """Throttles (table and each index), system errors per operation, and consumed capacity
    when provisioned. `table` is the table resource's name output, so every alarm depends on
    the table."""
    dims: dict[str, pulumi.Input[str]] = {"TableName": table}
    out = [Metric(NAMESPACE, f"{d}ThrottleEvents", dims, "Sum", PERIOD_SECONDS,
                  f"{label} {d} throttles") for d in ("Read", "Write")]
    for index in indexes:
        index_dims = {**dims, "GlobalSecondaryIndexName": index}
        out += [Metric(NAMESPACE, f"{d}ThrottleEvents", index_dims, "Sum", PERIOD_SECONDS,
                       f"{label}/{index} {d} throttles") for d in ("Read", "Write")]
    out += [Metric(NAMESPACE, "SystemErrors", {**dims, "Operation": op}, "Sum",
                   PERIOD_SECONDS, f"{label} {op} system errors")
            for op in SYSTEM_ERROR_OPERATIONS]
    if provisioned:
        out += [Metric(NAMESPACE, f"Consumed{d}CapacityUnits", dims, "Sum", PERIOD_SECONDS,
                       f"{label} consumed {d.lower()} units") for d in ("Read", "Write")]
    return out


def table_alarms(metrics: Sequence[Metric],
                 capacity_max: Mapping[str, int] | None) -> list[AlarmSpec]:
    """One alarm per metric; `capacity_max` (units/s per direction) when provisioned."""
    specs: list[AlarmSpec] = []
    for metric in metrics:
        index = metric.dimensions.get("GlobalSecondaryIndexName")
        where = f"index {index}" if index else "table"
        slug = f"index-{index}-" if index else ""
        if metric.name.endswith("ThrottleEvents"):
            direction = metric.name.removesuffix("ThrottleEvents").lower()
            specs.append(AlarmSpec(
                f"{slug}{direction}-throttles", metric, "GreaterThanThreshold", 0.0,
                f"Requests to the {where} are being throttled ({direction}s): callers see "
                "ProvisionedThroughputExceeded and retry. Any sustained throttling is a "
                "capacity or hot-key problem, hence a threshold of zero over 3 periods.",
                treat_missing_data="notBreaching"))
        elif metric.name == "SystemErrors":
            op = metric.dimensions["Operation"]
            specs.append(AlarmSpec(
                f"system-errors-{str(op).lower()}", metric, "GreaterThanThreshold", 0.0,
                f"DynamoDB returned HTTP 500s for {op}: an AWS-side fault. SDKs retry, but "
                "errors in three consecutive periods mean callers are failing.",
                treat_missing_data="notBreaching"))
        elif capacity_max is not None:
            direction = "read" if "Read" in metric.name else "write"
            maximum = capacity_max[direction]
            specs.append(AlarmSpec(
                f"{direction}-capacity", metric, "GreaterThanThreshold",
                CAPACITY_ALARM_FRACTION * maximum * PERIOD_SECONDS,
                f"Consumed {direction} capacity is above {CAPACITY_ALARM_FRACTION:.0%} of the "
                f"autoscaling maximum ({maximum} units/s x {PERIOD_SECONDS} s per period): "
                "autoscaling is nearly out of room and throttling follows. Raise the "
                "maximum or move to on-demand."))
    return specs
