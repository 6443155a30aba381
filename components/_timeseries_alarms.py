"""Metrics and alarms of Timestream stores (InfluxDB instances, LiveAnalytics databases), with
every threshold explained."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components._store import AlarmSpec, AlarmThresholds, Metric

__all__ = ["INFLUX_MEMORY_ALARM_PERCENT", "INFLUX_NAMESPACE", "TIMESTREAM_NAMESPACE",
           "TIMESTREAM_OPERATIONS", "USER_ERRORS_PER_PERIOD", "WRITE_LATENCY_MS",
           "influx_alarms", "influx_metrics", "live_alarms", "live_metrics"]

INFLUX_NAMESPACE = "AWS/TimestreamInfluxDB"
"""Assumption, not verified against a live account: AWS's Timestream for InfluxDB monitoring
guide lists CPUUtilization, MemoryUtilization and DiskUtilization (percent) with the dimension
`DbInstanceName`; public alarm examples use the namespace `AWS/TimestreamInfluxDB`. Confirm with
`aws cloudwatch list-metrics --namespace AWS/TimestreamInfluxDB` on first deploy."""
INFLUX_MEMORY_ALARM_PERCENT = 90.0
"""InfluxDB keeps its index and caches in memory; above 90% it is close to being OOM-killed."""
TIMESTREAM_NAMESPACE = "AWS/Timestream"
TIMESTREAM_OPERATIONS = ("WriteRecords", "Query")
"""UserErrors and SystemErrors carry only the Operation dimension (they are account-wide):
https://docs.aws.amazon.com/timestream/latest/developerguide/metrics-dimensions.html"""
USER_ERRORS_PER_PERIOD = 10.0
"""A few rejected requests happen (bad timestamps from a clock-skewed client); ten in five
minutes means a producer is dropping data."""
WRITE_LATENCY_MS = 1000.0
"""WriteRecords normally completes in tens of milliseconds; a second means writers back up."""


def influx_metrics(instance_name: pulumi.Input[str], label: str) -> list[Metric]:
    dims: dict[str, pulumi.Input[str]] = {"DbInstanceName": instance_name}
    return [Metric(INFLUX_NAMESPACE, n, dims, label=f"{label} {n}")
            for n in ("CPUUtilization", "MemoryUtilization", "DiskUtilization")]


def influx_alarms(metrics: Sequence[Metric], thresholds: AlarmThresholds) -> list[AlarmSpec]:
    cpu, memory, disk = metrics
    disk_limit = 100.0 - thresholds.storage_free_percent
    return [
        AlarmSpec("cpu", cpu, "GreaterThanThreshold", float(thresholds.cpu_percent),
                  f"InfluxDB CPU above {thresholds.cpu_percent}% (the platform's CPU alarm "
                  "percentage) for 15 minutes: writes queue and queries slow down; move to "
                  "a larger instance type."),
        AlarmSpec("memory", memory, "GreaterThanThreshold", INFLUX_MEMORY_ALARM_PERCENT,
                  f"InfluxDB memory above {INFLUX_MEMORY_ALARM_PERCENT:g}%: its index and "
                  "caches live in memory and the process is close to being OOM-killed."),
        AlarmSpec("disk", disk, "GreaterThanThreshold", disk_limit,
                  f"InfluxDB disk above {disk_limit:g}% (less than "
                  f"{thresholds.storage_free_percent}% free, the platform's storage alarm): "
                  "storage does not grow by itself and writes fail when it is full; raise "
                  "allocated storage or shorten bucket retention."),
    ]


def live_metrics(database: pulumi.Input[str],
                 tables: Mapping[str, pulumi.Input[str]]) -> list[Metric]:
    """Account-wide UserErrors/SystemErrors per operation, and per table the WriteRecords
    latency and records the magnetic store rejected (these carry the table's dimensions)."""
    out = [Metric(TIMESTREAM_NAMESPACE, n, {"Operation": op}, "Sum", label=f"{op} {n}")
           for op in TIMESTREAM_OPERATIONS for n in ("UserErrors", "SystemErrors")]
    for table, table_name in tables.items():
        dims: dict[str, pulumi.Input[str]] = {"DatabaseName": database, "TableName": table_name}
        out.append(Metric(TIMESTREAM_NAMESPACE, "SuccessfulRequestLatency",
                          {**dims, "Operation": "WriteRecords"}, label=f"{table} write latency"))
        out.append(Metric(TIMESTREAM_NAMESPACE, "MagneticStoreRejectedRecordCount", dims,
                          "Sum", label=f"{table} rejected records"))
    return out


def live_alarms(metrics: Sequence[Metric]) -> list[AlarmSpec]:
    specs: list[AlarmSpec] = []
    for metric in metrics:
        op = str(metric.dimensions.get("Operation", ""))
        table = metric.label.split(" ")[0]
        if metric.name == "SystemErrors":
            specs.append(AlarmSpec(
                f"{op.lower()}-system-errors", metric, "GreaterThanThreshold", 0.0,
                f"Timestream returned server errors for {op} in three periods: an AWS-side "
                "fault; writers retry but may be dropping data. Account-wide: the metric "
                "has only the Operation dimension.", treat_missing_data="notBreaching"))
        elif metric.name == "UserErrors":
            specs.append(AlarmSpec(
                f"{op.lower()}-user-errors", metric, "GreaterThanThreshold",
                USER_ERRORS_PER_PERIOD,
                f"More than {USER_ERRORS_PER_PERIOD:g} rejected {op} requests per 5 minutes: "
                "a client sends invalid records (timestamps outside retention, schema "
                "conflicts) or lacks permission. Account-wide.",
                treat_missing_data="notBreaching"))
        elif metric.name == "SuccessfulRequestLatency":
            specs.append(AlarmSpec(
                f"{table}-write-latency", metric, "GreaterThanThreshold", WRITE_LATENCY_MS,
                f"WriteRecords to {table} averages over {WRITE_LATENCY_MS:g} ms (normally "
                "tens of ms): writers back up and ingestion lags."))
        else:
            specs.append(AlarmSpec(
                f"{table}-rejected-records", metric, "GreaterThanThreshold", 0.0,
                f"The magnetic store rejected records for {table}: they are not queryable; "
                "the report is in the rejected-records bucket.",
                treat_missing_data="notBreaching"))
    return specs
