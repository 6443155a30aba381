"""Which shard holds a tenant: a stable hash that services import to route queries.

Jump consistent hashing (Lamping and Veach, https://arxiv.org/abs/1406.2294): growing from
N to N+1 shards moves only about 1/(N+1) of tenants, and only onto the new shard, so a
resharding migration copies the minimum. Pure Python, no Pulumi import: services vendor or
import this module to route queries exactly as the published shard map says.
"""

from __future__ import annotations

import hashlib

__all__ = ["region_assignment", "shard_for_tenant"]

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
