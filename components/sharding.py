"""Which shard holds a tenant: a stable hash that services import to route queries, and the
reader of the shard map a PostgresShardSet publishes.

Jump consistent hashing (Lamping and Veach, https://arxiv.org/abs/1406.2294): growing from
N to N+1 shards moves only about 1/(N+1) of tenants, and only onto the new shard, so a
resharding migration copies the minimum. Pure Python, no Pulumi import: services vendor or
import this module to route queries exactly as the published shard map says.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

__all__ = ["load_shard_map", "region_assignment", "shard_for_tenant", "writer_for_tenant"]

_MULTIPLIER = 2862933555777941757
_MASK = (1 << 64) - 1


def _key(tenant: str) -> int:
    return int.from_bytes(hashlib.blake2b(tenant.encode(), digest_size=8).digest(), "big")


def shard_for_tenant(tenant: str, shards: int) -> int:
    """The 0-based shard index for `tenant` among `shards` shards."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    key, bucket, jump = _key(tenant), -1, 0
    while jump < shards:
        bucket = jump
        key = (key * _MULTIPLIER + 1) & _MASK
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def region_assignment(regions: list[str], shards: int) -> dict[int, list[str]]:
    """Spread geographies over shards round-robin, in the order declared."""
    assignment: dict[int, list[str]] = {index: [] for index in range(shards)}
    for position, region in enumerate(regions):
        assignment[position % shards].append(region)
    return assignment


def load_shard_map(read_parameter: Callable[[str], str], name: str) -> dict[str, Any]:
    """The shard map published at SSM parameter `name`, with every shard listed.

    `read_parameter(name)` returns a parameter's value (e.g. boto3's
    `ssm.get_parameter(Name=name)["Parameter"]["Value"]`). Format 1 lists the shards in the
    parameter; format 2 (large sets) names page parameters `{"shards": [...]}` that do. Either
    way the result has `engine`, `database`, `partitioning` and `shards` in index order.
    """
    document: dict[str, Any] = json.loads(read_parameter(name))
    version = document.get("version")
    if version == 2:
        pages = document.pop("pages")
        document["shards"] = [shard for page in pages
                              for shard in json.loads(read_parameter(page))["shards"]]
    elif version != 1:
        raise ValueError(f"shard map {name}: unknown format version {version!r}")
    document["shards"] = sorted(document["shards"], key=lambda shard: shard["index"])
    expected = document["partitioning"]["shards"]
    if [shard["index"] for shard in document["shards"]] != list(range(expected)):
        raise ValueError(f"shard map {name}: expected shards 0-{expected - 1}, found "
                         f"{[shard['index'] for shard in document['shards']]}")
    return document


def writer_for_tenant(shard_map: dict[str, Any], tenant: str) -> str:
    """The writer endpoint serving `tenant` in a tenant-partitioned shard map."""
    partitioning = shard_map["partitioning"]
    if partitioning["by"] != "tenant":
        raise ValueError(f"the shard map is partitioned by {partitioning['by']}, not tenant")
    index = shard_for_tenant(tenant, partitioning["shards"])
    return str(shard_map["shards"][index]["writerEndpoint"])
