"""Pure planning for PostgreSQL shard sets: versions, names, parameter families, memory,
connections, thresholds, shard-map pages and grant sizes.

No Pulumi import, so every number that ends up in an alarm, a name or a policy size is
unit-tested directly, and the blueprint can check a whole catalog before registering anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from components._arns import REGION_MAX_CHARS, arn_max_chars

__all__ = [
    "AURORA_FREE_LOCAL_STORAGE_FLOOR_GIB",
    "CONNECTIONS_ALARM_FRACTION",
    "FREEABLE_MEMORY_ALARM_FRACTION",
    "INSTANCE_MEMORY_GIB",
    "READ_LATENCY_SECONDS",
    "REPLICA_LAG_MS",
    "SERVERLESS_GIB_PER_ACU",
    "SSM_STANDARD_VALUE_MAX_CHARS",
    "TENANT_ALGORITHM",
    "WRITE_LATENCY_SECONDS",
    "ShardMapLayout",
    "ShardSizing",
    "connect_arn_max_chars",
    "db_user",
    "db_user_problem",
    "engine_version_problem",
    "max_connections",
    "parameter_family",
    "shard_map_layout",
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


def engine_version_problem(engine_version: str) -> str | None:
    """Why `engine_version` cannot be used with automatic minor upgrades; None when it can.

    With automatic minor upgrades (always on: FSBP RDS.13) AWS moves the minor version in a
    maintenance window. A configured minor (`16.6`) then no longer matches the running `16.8`,
    and the next `pulumi up` asks RDS to go back to 16.6, which it refuses. The provider
    documents the fix: give only the version prefix (`16`); it then keeps the configured value
    while the actual version starts with it (terraform-provider-aws `compareActualEngineVersion`,
    pulumi_aws rds/instance.py `engine_version`).
    """
    if re.fullmatch(r"\d+", engine_version):
        return None
    major = re.match(r"^(\d+)", engine_version)
    hint = f" (e.g. {major.group(1)!r})" if major else ""
    return (f"engine_version {engine_version!r} is not a major version: with automatic minor "
            f"upgrades (FSBP RDS.13) AWS upgrades the minor and the next update would try to "
            f"go back to {engine_version!r}; give the major version only{hint}")


_DB_USER = re.compile(r"[a-z_][a-z0-9_]*")
_DB_USER_MAX = 63 - len("_rw")
"""PostgreSQL identifiers are at most 63 bytes (NAMEDATALEN - 1)."""


def db_user_problem(prefix: str) -> str | None:
    """Why `<prefix>_ro` / `<prefix>_rw` are not plain PostgreSQL user names; None when they
    are (plain: no quoting in `CREATE USER`, and the same text in the IAM `dbuser` ARN)."""
    if not _DB_USER.fullmatch(prefix) or len(prefix) > _DB_USER_MAX:
        return (f"database user prefix {prefix!r} must be 1-{_DB_USER_MAX} lower-case letters, "
                "digits and underscores, not starting with a digit")
    return None


def db_user(prefix: str, access: str) -> str:
    """Database user for IAM authentication: `<prefix>_ro` / `<prefix>_rw`."""
    return f"{prefix}_{access}"


_DB_RESOURCE_ID_CHARS = len("cluster-") + 26
"""`db-` or `cluster-` plus 26 upper-case characters: the resource id the IAM ARN names."""


def connect_arn_max_chars(user: str) -> int:
    """`arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<user>` at its longest
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html)."""
    return arn_max_chars("rds-db", len("dbuser:/") + _DB_RESOURCE_ID_CHARS + len(user))


# --- the shard map -------------------------------------------------------------------------------

SSM_STANDARD_VALUE_MAX_CHARS = 4096
"""A Standard-tier SSM parameter holds at most 4 KB
(https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
The map is split over Standard parameters rather than moved to the Advanced tier (8 KB): 64
shards need more than 8 KB anyway, Advanced parameters are charged, and AWS cannot turn an
Advanced parameter back into a Standard one."""

_SECRET_ARN_MAX_CHARS = arn_max_chars("secretsmanager", len("secret:rds!cluster--") + 36 + 6)
"""The managed master secret: `secret:rds!cluster-<uuid>-<6 random characters>`."""
_ENDPOINT_SUFFIX_MAX_CHARS = (len(".cluster-.") + 12 + REGION_MAX_CHARS
                              + len(".rds.amazonaws.com.cn"))
"""`<identifier>.cluster-<12 characters>.<region>.rds.amazonaws.com[.cn]` (instances omit
`cluster-`)."""
_PORT_MAX = 65535


@dataclass(frozen=True)
class ShardMapLayout:
    """How the shard map is stored: inline in one parameter, or a header plus pages."""

    pages: tuple[tuple[int, ...], ...]
    """Shard indexes per page parameter; empty when the map fits in one parameter."""
    max_chars: tuple[int, ...]
    """Upper bound of each parameter's value: the main parameter first, then each page."""

    def page_names(self, name: str) -> list[str]:
        return [f"{name}-page-{page}" for page in range(len(self.pages))]


def shard_entry(index: int, endpoint: str, port: int, secret_arn: str,
                regions: Sequence[str] | None) -> dict[str, object]:
    """One shard in the map (the format services read)."""
    entry: dict[str, object] = {"index": index, "writerEndpoint": endpoint, "port": port,
                                "secretArn": secret_arn}
    if regions is not None:
        entry["regions"] = list(regions)
    return entry


def shard_map_document(header: dict[str, object], shards: Sequence[dict[str, object]] | None,
                       pages: Sequence[str] = ()) -> str:
    """The main parameter's JSON: format 1 lists the shards, format 2 names the page
    parameters that do (each page is `{"shards": [...]}`)."""
    doc = {**header, "version": 2 if pages else 1}
    if pages:
        doc["pages"] = list(pages)
    else:
        doc["shards"] = list(shards or [])
    return _compact(doc)


def shard_page_document(shards: Sequence[dict[str, object]]) -> str:
    return _compact({"shards": list(shards)})


def _compact(doc: dict[str, object]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def shard_map_layout(name: str, header: dict[str, object], identifiers: Sequence[str],
                     regions: Sequence[Sequence[str] | None]) -> ShardMapLayout:
    """Pages of shards sized from each entry's upper bound, so that every parameter stays
    within the Standard tier whatever the endpoints and secret ARNs turn out to be."""
    bounds = [_compact(shard_entry(index, "x" * (len(identifier) + _ENDPOINT_SUFFIX_MAX_CHARS),
                                   _PORT_MAX, "x" * _SECRET_ARN_MAX_CHARS, regions[index]))
              for index, identifier in enumerate(identifiers)]
    inline = len(shard_map_document(header, [])) + sum(len(b) for b in bounds) + len(bounds)
    if inline <= SSM_STANDARD_VALUE_MAX_CHARS:
        return ShardMapLayout((), (inline,))
    pages: list[list[int]] = [[]]
    sizes = [len(shard_page_document([]))]
    for index, bound in enumerate(bounds):
        need = len(bound) + 1  # the comma between entries
        if pages[-1] and sizes[-1] + need > SSM_STANDARD_VALUE_MAX_CHARS:
            pages.append([])
            sizes.append(len(shard_page_document([])))
        if sizes[-1] + need > SSM_STANDARD_VALUE_MAX_CHARS:
            raise ValueError(f"shard {index} alone needs {need} characters; an SSM parameter "
                             f"holds {SSM_STANDARD_VALUE_MAX_CHARS}")
        pages[-1].append(index)
        sizes[-1] += need
    layout = ShardMapLayout(tuple(tuple(p) for p in pages), ())
    main = len(shard_map_document(header, None, layout.page_names(name)))
    if main > SSM_STANDARD_VALUE_MAX_CHARS:
        raise ValueError(f"the shard map header needs {main} characters; an SSM parameter holds "
                         f"{SSM_STANDARD_VALUE_MAX_CHARS}")
    return ShardMapLayout(layout.pages, (main, *sizes))
