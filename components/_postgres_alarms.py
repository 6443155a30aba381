"""Metrics and alarms of one PostgreSQL shard, with every threshold explained."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components._postgres_plan import (
    AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB,
    CONNECTIONS_ALARM_FRACTION,
    FREEABLE_MEMORY_ALARM_FRACTION,
    READ_LATENCY_SECONDS,
    REPLICA_LAG_MS,
    WRITE_LATENCY_SECONDS,
    ShardSizing,
)
from components._store import AlarmSpec, AlarmThresholds, Metric

__all__ = ["shard_alarms", "shard_metrics"]

NAMESPACE = "AWS/RDS"
GIB = 2**30

Dims = Mapping[str, pulumi.Input[str]]


def shard_metrics(engine: str, index: int, dims: Dims, reader_dims: Dims | None) -> list[Metric]:
    """Writer CPU, memory, storage, connections, latency; replica lag where readers exist."""
    storage = "FreeStorageSpace" if engine == "rds" else "FreeLocalStorage"
    names = ["CPUUtilization", "FreeableMemory", storage, "DatabaseConnections", "ReadLatency",
             "WriteLatency"]
    metrics = [Metric(NAMESPACE, n, dict(dims), label=f"shard {index} {n}") for n in names]
    if reader_dims is not None:
        metrics.append(Metric(NAMESPACE, "AuroraReplicaLag", dict(reader_dims),
                              statistic="Maximum", label=f"shard {index} AuroraReplicaLag"))
    return metrics


def shard_alarms(engine: str, instance_class: str, index: int, dims: Dims,
                 reader_dims: Dims | None, sizing: ShardSizing,
                 thresholds: AlarmThresholds) -> list[AlarmSpec]:
    by_name = {m.name: m for m in shard_metrics(engine, index, dims, reader_dims)}
    key = f"shard-{index}"
    specs = [AlarmSpec(
        f"{key}-cpu", by_name["CPUUtilization"], "GreaterThanThreshold",
        float(thresholds.cpu_percent),
        f"Shard {index} writer CPU above {thresholds.cpu_percent}% for 15 minutes: queries "
        "queue and latency rises. The threshold is the platform's CPU alarm percentage; "
        "scale the instance class (or max ACU) or move tenants to a new shard.")]
    if engine == "rds" and sizing.allocated_storage_gib is not None:
        floor = sizing.allocated_storage_gib * GIB * thresholds.storage_free_percent / 100
        specs.append(AlarmSpec(
            f"{key}-free-storage", by_name["FreeStorageSpace"], "LessThanThreshold", floor,
            f"Shard {index} has less than {thresholds.storage_free_percent}% of its "
            f"{sizing.allocated_storage_gib} GiB initial storage free. Storage autoscaling "
            "grows the volume at 10% free, at most once every 6 hours and up to its ceiling; "
            "this alarm fires first, so a fast fill or a reached ceiling is seen before the "
            "database stops accepting writes."))
    elif engine == "aurora":
        specs.append(AlarmSpec(
            f"{key}-free-local-storage", by_name["FreeLocalStorage"], "LessThanThreshold",
            AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB * GIB,
            f"Shard {index} writer has less than {AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB:g} GiB "
            "local storage. Aurora's cluster volume grows by itself, but temporary tables, "
            "sorts and logs use the instance's fixed local storage; below this floor large "
            "queries and index builds fail."))
    memory = sizing.memory_gib
    if memory is None:
        pulumi.log.warn(f"{instance_class}: memory unknown to Strata; no memory or connection "
                        f"alarms for shard {index}")
    else:
        fraction = FREEABLE_MEMORY_ALARM_FRACTION
        specs.append(AlarmSpec(
            f"{key}-freeable-memory", by_name["FreeableMemory"], "LessThanThreshold",
            memory * GIB * fraction,
            f"Shard {index} writer has less than {fraction:.0%} of its {memory:g} GiB memory "
            f"({instance_class}) free: PostgreSQL is losing its cache and the host is close "
            "to swapping. Scale the class or find the memory-hungry queries."))
        limit = sizing.max_connections or 0
        specs.append(AlarmSpec(
            f"{key}-connections", by_name["DatabaseConnections"], "GreaterThanThreshold",
            float(int(limit * CONNECTIONS_ALARM_FRACTION)),
            f"Shard {index} uses more than {CONNECTIONS_ALARM_FRACTION:.0%} of its estimated "
            f"max_connections ({limit} = LEAST({memory:g} GiB/9531392 B, 5000), the RDS "
            "default). Near the limit new connections are refused; check pool sizes and "
            "leaks, or put RDS Proxy in front."))
    specs += [
        AlarmSpec(f"{key}-read-latency", by_name["ReadLatency"], "GreaterThanThreshold",
                  READ_LATENCY_SECONDS,
                  f"Shard {index} read I/O takes over {READ_LATENCY_SECONDS * 1000:g} ms on "
                  "average: storage is saturated (gp3 IOPS/throughput or Aurora I/O) and "
                  "queries wait on disk. Healthy is single-digit milliseconds."),
        AlarmSpec(f"{key}-write-latency", by_name["WriteLatency"], "GreaterThanThreshold",
                  WRITE_LATENCY_SECONDS,
                  f"Shard {index} write I/O takes over {WRITE_LATENCY_SECONDS * 1000:g} ms on "
                  "average: commits slow down and replication falls behind. Healthy is "
                  "single-digit milliseconds."),
    ]
    if "AuroraReplicaLag" in by_name:
        specs.append(AlarmSpec(
            f"{key}-replica-lag", by_name["AuroraReplicaLag"], "GreaterThanThreshold",
            REPLICA_LAG_MS,
            f"A shard {index} reader lags the writer by more than {REPLICA_LAG_MS / 1000:g} s "
            "(normally under 100 ms): readers serve stale data and failing over to that "
            "reader would take longer."))
    return specs
