"""The committed stateful-URN pins (locks/urns.<stack>.json) hold for dev and prod: a change
that drops or renames a stateful URN without an alias fails here, as does a new stateful URN
that nobody pinned on purpose."""

from __future__ import annotations

import copy
import json

import pytest

from infra.pins import pin_problems, read_pin, stateful_urns
from tests.conftest import ROOT, synthesized


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stateful_urns_match_the_pin(stack):
    pinned = read_pin(ROOT, stack)
    assert pinned is not None, f"locks/urns.{stack}.json is missing: run `strata pin {stack}`"
    assert pin_problems(synthesized(stack), pinned) == []


def test_a_rename_without_alias_is_reported_as_lost():
    manifest = copy.deepcopy(synthesized("prod"))
    pinned = stateful_urns(manifest)
    table = next(r for r in manifest["resources"] if r["type"] == "aws:dynamodb/table:Table")
    old = table["urn"]
    table["urn"], table["name"] = old + "-renamed", table["name"] + "-renamed"
    problems = pin_problems(manifest, pinned)
    assert any(p.startswith(f"lost: {old} ") for p in problems)


def test_a_rename_with_an_alias_to_the_old_name_is_accepted():
    manifest = copy.deepcopy(synthesized("prod"))
    pinned = stateful_urns(manifest)
    table = next(r for r in manifest["resources"] if r["type"] == "aws:dynamodb/table:Table")
    table["aliases"] = [{"spec": {"name": table["name"]}}]
    table["urn"], table["name"] = table["urn"] + "-renamed", table["name"] + "-renamed"
    assert pin_problems(manifest, pinned) == []


# Stateful resources 0.2 removes on purpose, each with its reason and the CHANGELOG upgrade step.
REMOVED_IN_0_2 = {
    "telemetry-timeseries-secret": "a copy of the InfluxDB admin credentials; the grant now "
                                   "points at the secret Timestream for InfluxDB keeps itself",
    # The sample stacks' analytics service moved from Timestream for LiveAnalytics, closed to
    # new customers since 2025-06-20, to InfluxDB: a change of configuration, not of the library.
    "analytics-timeseries-database": "LiveAnalytics database of the sample analytics service",
    "analytics-timeseries-order-metrics": "LiveAnalytics table of the sample analytics service",
    "analytics-timeseries-rejected": "rejected-records bucket of LiveAnalytics",
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_library_refactor_keeps_or_aliases_every_0_1_stateful_urn(stack):
    """The URNs pinned before the library split (0.1, tests/stacks/fixtures) are all still
    registered or claimed through an alias, as `pulumi up` would resolve them; only the
    deliberate removals above are gone."""
    before = json.loads((ROOT / "tests" / "stacks" / "fixtures" / f"urns-0.1.{stack}.json")
                        .read_text())["urns"]
    lost = [p for p in pin_problems(synthesized(stack), before) if p.startswith("lost:")]
    assert sorted(p.split()[1].rsplit("::", 1)[1] for p in lost) == sorted(REMOVED_IN_0_2)
