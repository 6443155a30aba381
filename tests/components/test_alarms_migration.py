"""Splitting Monitoring into Alarms and Observability replaces nothing in a deployed stack.

Alarms, dashboards, topic policies, subscriptions, rule namespaces and security-group rules are
keyed by name in AWS: re-created under a new URN, the new resource writes them and the old
resource's deletion (which runs last) removes them, or the create fails as a duplicate. So every
URN the pre-split `Monitoring` registered (monitoring_urns_before_split.json, recorded from the
0.1 dev and prod manifests) must still be registered or be claimed through an alias, as the
engine resolves them. This file can go once no stack predates the split.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from infra.pins import pin_problems
from infra.stateful import is_stateful
from infra.urns import resolve_aliases, urn_type
from tests.conftest import synthesized

BEFORE = json.loads((Path(__file__).parent / "monitoring_urns_before_split.json").read_text())
PLATFORM = "urn:pulumi:{stack}::strata::strata:index:Platform"


def _claims(manifest, old):
    matches = resolve_aliases(manifest["resources"], old, stack=manifest["stack"],
                              project=manifest["project"])
    current = {r["urn"] for r in manifest["resources"]}
    return {u for u in old if u in current} | {m.old_urn for m in matches.values()}


# The sample analytics service moved from Timestream for LiveAnalytics (closed to new customers)
# to InfluxDB after the split: a change of configuration whose LiveAnalytics alarms go with it.
LIVEANALYTICS_ALARMS = ("order-metrics-rejected-records", "order-metrics-write-latency",
                        "user-errors", "system-errors")


def _removed_by_configuration(urn: str) -> bool:
    name = urn.rsplit("::", 1)[1]
    return name.startswith("monitoring-analytics-") and name.endswith(LIVEANALYTICS_ALARMS)


def _renamed_to_a_new_physical_name(urn: str, manifest: dict) -> bool:
    """DynamoDB alarms now carry their table's name (a service may own several tables): the
    old alarm and the new one have different names in CloudWatch, so deleting the old one
    cannot remove the new one. True when the manifest holds the renamed alarm."""
    old_name = urn.rsplit("::", 1)[1].removeprefix("monitoring-")
    service, _, key = old_name.partition("-")
    alarms = {r["inputs"]["name"] for r in manifest["resources"]
              if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    stack = manifest["stack"]
    return any(name.startswith(f"{stack}-{service}-") and name.endswith(f"-{key}")
               and name != f"{stack}-{service}-{key}" for name in alarms)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pre_split_monitoring_urn_is_kept_or_claimed(stack):
    old = BEFORE[stack]
    assert len(old) > 80  # alarms, topic, subscriptions, AMP, Grafana, ...
    manifest = synthesized(stack)
    lost = sorted(u for u in set(old) - _claims(manifest, old)
                  if not _removed_by_configuration(u)
                  and not _renamed_to_a_new_physical_name(u, manifest))
    assert lost == []


def test_without_the_components_aliases_the_stateful_children_are_lost():
    manifest = copy.deepcopy(synthesized("prod"))
    pinned = [u for u in BEFORE["prod"] if is_stateful(urn_type(u))]
    assert {u.rsplit("::", 1)[1] for u in pinned} == {
        "monitoring-amp", "monitoring-amp-logs", "monitoring-grafana"}
    # The alarm topic is stateful too (confirmed subscriptions): pinned, it is claimed through
    # the Alarms component's alias to the old AlarmTopic.
    (topic,) = [u for u in BEFORE["prod"] if urn_type(u) == "aws:sns/topic:Topic"]
    assert [p for p in pin_problems(manifest, [*pinned, topic]) if p.startswith("lost")] == []
    for resource in manifest["resources"]:
        if resource["type"] in ("strata:index:Observability", "strata:index:Alarms"):
            resource["aliases"] = []
    lost = [p for p in pin_problems(manifest, [*pinned, topic]) if p.startswith("lost")]
    assert len(lost) == 4


def test_without_the_alarm_aliases_the_alarms_would_be_recreated():
    manifest = copy.deepcopy(synthesized("dev"))
    for resource in manifest["resources"]:
        if resource["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm":
            resource["aliases"] = []
    lost = set(BEFORE["dev"]) - _claims(manifest, BEFORE["dev"])
    assert lost and all("metricAlarm" in u for u in lost)


def _component(urn, name, type_, parent, aliases=()):
    return {"urn": urn, "name": name, "type": type_, "parent": parent, "custom": False,
            "aliases": list(aliases)}


def test_an_assumed_ancestor_must_match_the_type_chain_and_the_child_name():
    platform = PLATFORM.format(stack="s") + "::p"
    new = f"{PLATFORM.format(stack='s')}$strata:index:New::obs"
    old_child = (f"{PLATFORM.format(stack='s')}$strata:index:Old$aws:amp/workspace:Workspace"
                 "::obs-amp")

    def resources(child_name, alias_type="strata:index:Old"):
        return [_component(platform, "p", "strata:index:Platform", ""),
                _component(new, "obs", "strata:index:New", platform,
                           [{"spec": {"type": alias_type}}]),
                {"urn": f"{new}$aws:amp/workspace:Workspace::{child_name}", "name": child_name,
                 "type": "aws:amp/workspace:Workspace", "parent": new, "custom": True,
                 "aliases": []}]

    claimed = resolve_aliases(resources("obs-amp"), [old_child], stack="s", project="strata",
                              assume_ancestors=True)
    assert [m.old_urn for m in claimed.values()] == [old_child]
    # the engine, given only the pin, would not know the component: nothing is assumed
    assert resolve_aliases(resources("obs-amp"), [old_child], stack="s", project="strata") == {}
    # a renamed child, or an alias to a type chain nothing lived under, claims nothing
    for kwargs in ({"child_name": "obs-prometheus"},
                   {"child_name": "obs-amp", "alias_type": "strata:index:Other"}):
        assert resolve_aliases(resources(**kwargs), [old_child], stack="s", project="strata",
                               assume_ancestors=True) == {}
