from __future__ import annotations

import json
from collections import Counter

import pytest

from components.sharding import (
    load_shard_map,
    region_assignment,
    shard_for_tenant,
    writer_for_tenant,
)

TENANTS = [f"tenant-{i}" for i in range(10_000)]


@pytest.mark.parametrize(("tenant", "shards", "expected"), [
    ("acme", 8, 4), ("globex", 8, 1), ("initech", 8, 6), ("umbrella", 8, 3),
    ("acme", 64, 26), ("globex", 9, 1),
])
def test_tenant_placement_is_pinned(tenant, shards, expected):
    # Golden values: a change here re-routes live tenants to the wrong shard.
    assert shard_for_tenant(tenant, shards) == expected


def test_placement_is_stable_across_calls():
    assert [shard_for_tenant(t, 8) for t in TENANTS[:500]] == \
           [shard_for_tenant(t, 8) for t in TENANTS[:500]]


def test_tenants_balance_within_ten_percent():
    counts = Counter(shard_for_tenant(t, 8) for t in TENANTS)
    mean = len(TENANTS) / 8
    assert sorted(counts) == list(range(8))
    assert all(abs(c - mean) <= 0.1 * mean for c in counts.values()), counts


def test_growing_moves_about_one_ninth_and_only_onto_the_new_shard():
    moved = [t for t in TENANTS if shard_for_tenant(t, 8) != shard_for_tenant(t, 9)]
    assert {shard_for_tenant(t, 9) for t in moved} == {8}
    assert abs(len(moved) / len(TENANTS) - 1 / 9) < 0.015


def test_single_shard_takes_everyone_and_zero_is_refused():
    assert {shard_for_tenant(t, 1) for t in TENANTS[:100]} == {0}
    with pytest.raises(ValueError):
        shard_for_tenant("acme", 0)


def test_regions_spread_round_robin_in_declared_order():
    assert region_assignment(["eu", "us", "apac"], 2) == {0: ["eu", "apac"], 1: ["us"]}
    assert region_assignment(["eu"], 3) == {0: ["eu"], 1: [], 2: []}


def _map(version, count, **extra):
    return {"version": version, "engine": "rds", "database": "app",
            "partitioning": {"by": "tenant", "shards": count}, **extra}


def test_shard_map_reader_follows_pages_and_checks_every_shard_is_there():
    entries = [{"index": i, "writerEndpoint": f"w{i}", "port": 5432} for i in range(3)]
    parameters = {"/m": json.dumps(_map(2, 3, pages=["/m-page-0", "/m-page-1"])),
                  "/m-page-0": json.dumps({"shards": entries[:2]}),
                  "/m-page-1": json.dumps({"shards": entries[2:]})}
    shard_map = load_shard_map(parameters.__getitem__, "/m")
    assert shard_map["shards"] == entries and "pages" not in shard_map
    assert writer_for_tenant(shard_map, "acme") == f"w{shard_for_tenant('acme', 3)}"
    parameters["/m-page-1"] = json.dumps({"shards": []})
    with pytest.raises(ValueError, match="expected shards 0-2"):
        load_shard_map(parameters.__getitem__, "/m")


def test_shard_map_reader_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown format version 9"):
        load_shard_map(lambda _: json.dumps(_map(9, 1, shards=[])), "/m")
