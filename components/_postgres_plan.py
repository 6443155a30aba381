"""Pure planning for PostgreSQL shard sets: parameter families, memory, connections, thresholds.

No Pulumi import, so every number that ends up in an alarm is unit-tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB",
    "CONNECTIONS_ALARM_FRACTION",
    "FREEABLE_MEMORY_ALARM_FRACTION",
    "INSTANCE_MEMORY_GIB",
    "READ_LATENCY_SECONDS",
    "REPLICA_LAG_MS",
    "SERVERLESS_GIB_PER_ACU",
    "TENANT_ALGORITHM",
    "WRITE_LATENCY_SECONDS",
    "ShardSizing",
    "db_user",
    "max_connections",
    "parameter_family",
    "sizing",
]

TENANT_ALGORITHM = "jump-consistent-hash/blake2b-64"
"""The name services look for in the shard map; implemented by
`components.sharding.shard_for_tenant`."""

INSTANCE_MEMORY_GIB: dict[str, float] = {
    # Burstable: dev and small services.
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.t4g.xlarge": 16, "db.t4g.2xlarge": 32,
    # General purpose (4 GiB per vCPU).
    "db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32, "db.m6g.4xlarge": 64,
    "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64,
    # Memory optimised (8 GiB per vCPU): the usual Aurora writer classes.
    "db.r6g.large": 16, "db.r6g.xlarge": 32, "db.r6g.2xlarge": 64, "db.r6g.4xlarge": 128,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64, "db.r7g.4xlarge": 128,
    "db.r7g.8xlarge": 256,
}
"""Instance class -> memory in GiB (from the RDS instance class tables). A class not listed
here gets no memory or connection alarms (and a warning) rather than a guessed threshold."""

SERVERLESS_GIB_PER_ACU = 2.0
"""One Aurora Capacity Unit is about 2 GiB of memory; thresholds use the maximum ACU."""

FREEABLE_MEMORY_ALARM_FRACTION = 0.10
"""Below 10% of the class memory PostgreSQL is evicting its cache and the OS is close to
swapping."""

CONNECTIONS_ALARM_FRACTION = 0.80
"""At 80% of max_connections a connection storm or a pool leak has little headroom left."""

AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB = 2.0
"""Aurora's cluster volume grows by itself; the instance's local storage (temporary tables,
sorts, logs) does not. Below 2 GiB large sorts and index builds start to fail."""

READ_LATENCY_SECONDS = 0.02
WRITE_LATENCY_SECONDS = 0.02
"""gp3 and the Aurora volume serve single-digit milliseconds; sustained 20 ms per I/O means the
storage is saturated (IOPS or throughput limit) and queries queue behind it."""

REPLICA_LAG_MS = 2000.0
"""AuroraReplicaLag is normally under 100 ms; two seconds means readers serve stale data and a
failover to that reader would take longer."""

_MAX_CONNECTIONS_BYTES_PER_CONNECTION = 9_531_392
_MAX_CONNECTIONS_CAP = 5000


def parameter_family(engine: str, engine_version: str) -> str:
    """`postgres16` (RDS) or `aurora-postgresql16` (Aurora) from an engine version like `16.6`."""
    match = re.match(r"^(\d+)", engine_version)
    if not match:
        raise ValueError(f"engine version {engine_version!r} does not start with a major version")
    major = match.group(1)
    return f"aurora-postgresql{major}" if engine == "aurora" else f"postgres{major}"


def max_connections(memory_gib: float) -> int:
    """RDS/Aurora PostgreSQL default: LEAST({DBInstanceClassMemory/9531392}, 5000).

    DBInstanceClassMemory is slightly below the class memory (the OS keeps some), so this
    estimate is a little high; the 80% alarm still fires well before clients are refused.
    """
    return min(int(memory_gib * 2**30 // _MAX_CONNECTIONS_BYTES_PER_CONNECTION),
               _MAX_CONNECTIONS_CAP)


@dataclass(frozen=True)
class ShardSizing:
    """What the alarms of one shard are measured against."""

    memory_gib: float | None
    """Writer memory; None when the class is not in INSTANCE_MEMORY_GIB."""
    allocated_storage_gib: int | None
    """RDS initial storage; None for Aurora (elastic storage)."""

    @property
    def max_connections(self) -> int | None:
        return None if self.memory_gib is None else max_connections(self.memory_gib)


def sizing(engine: str, instance_class: str | None, serverless_max_acu: float | None,
           allocated_storage_gib: int) -> ShardSizing:
    if instance_class is None or instance_class == "db.serverless":
        memory = None if serverless_max_acu is None else serverless_max_acu * SERVERLESS_GIB_PER_ACU
    else:
        memory = INSTANCE_MEMORY_GIB.get(instance_class)
    return ShardSizing(memory, allocated_storage_gib if engine == "rds" else None)


def db_user(service: str, access: str) -> str:
    """Database user for IAM authentication: `<service>_ro` / `<service>_rw`.

    Hyphens become underscores so the name needs no quoting in SQL (`CREATE USER orders_rw`).
    """
    return f"{service.replace('-', '_')}_{access}"
