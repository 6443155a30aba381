"""Each default is defined once, in its component (issue 10): a catalog field's default is the
component's constant, and the wiring passes a field only when the stack file sets it, so the
component's default is the one that runs."""

from __future__ import annotations

import ast
from pathlib import Path

from components.alarms import ConsumerGroup
from components.kafka import DEFAULT_RETENTION_HOURS, CleanupPolicy
from components.postgres import DEFAULT_ENGINE_VERSION
from stacks._events import consumer_groups, topic_args
from stacks.catalog import Catalog, PostgresSpec

CATALOG = Path(__file__).resolve().parents[2] / "stacks" / "catalog.py"

CATALOG_CONVENTIONS = {
    # Values no component defaults (the component requires the argument, or the concept is the
    # catalog's own): Strata's conventions, defined here once.
    ("Environment", "region"): "filled from aws:region by the loader",
    ("NetworkSpec", "cidr"): "Network requires a CIDR",
    ("NetworkSpec", "az_count"): "Network requires its AZs",
    ("TableCapacity", "read_min"): "CapacityArgs requires bounds",
    ("TableCapacity", "read_max"): "CapacityArgs requires bounds",
    ("TableCapacity", "write_min"): "CapacityArgs requires bounds",
    ("TableCapacity", "write_max"): "CapacityArgs requires bounds",
    ("KeyValueTable", "billing_mode"): "catalog words (on-demand) for BillingMode",
    ("TimeseriesTable", "memory_retention_hours"): "LiveAnalytics tables require retention",
    ("TimeseriesTable", "magnetic_retention_days"): "LiveAnalytics tables require retention",
    ("TimeseriesSpec", "engine"): "chooses the component (InfluxDB or LiveAnalytics)",
    ("TopicSpec", "partitions"): "TopicArgs requires partitions",
    ("ConsumerSpec", "parallelism"): "the catalog's own concept (a partition check)",
    ("WorkloadSpec", "cpu"): "ServiceTenancy requires a quota",
    ("WorkloadSpec", "memory"): "ServiceTenancy requires a quota",
    ("WorkloadSpec", "pods"): "ServiceTenancy requires a quota",
    ("WorkloadSpec", "default_cpu"): "ServiceTenancy requires a quota",
    ("WorkloadSpec", "default_memory"): "ServiceTenancy requires a quota",
    ("Service", "description"): "the catalog's own",
    ("KafkaSpec", "mode"): "catalog words for KafkaClusterArgs.serverless",
    ("NodeGroupSpec", "instance_types"): "node groups require instance types",
    ("NodeGroupSpec", "min_size"): "node groups require sizes",
    ("NodeGroupSpec", "max_size"): "node groups require sizes",
    ("ClusterSpec", "kubernetes_version"): "EksCluster requires a version",
    ("ClusterSpec", "compute"): "catalog words for EksClusterArgs.auto_mode",
}


def _literal_defaults() -> set[tuple[str, str]]:
    """(class, field) of every catalog field whose default is written as a literal value
    (switches that are off, None and empty collections aside)."""
    found = set()
    for cls in (n for n in ast.parse(CATALOG.read_text()).body if isinstance(n, ast.ClassDef)):
        for st in cls.body:
            if not (isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name)):
                continue
            value = st.value
            if _is_literal_default(value):
                found.add((cls.name, st.target.id))
    return found


def _is_literal_default(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return value.value not in (None, False)
    if isinstance(value, ast.List):
        return bool(value.elts)
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    return False


def test_no_catalog_default_repeats_a_component_default():
    # A new literal default either names the component's constant or is listed, with why,
    # as a catalog convention.
    assert _literal_defaults() == set(CATALOG_CONVENTIONS)


def test_a_catalog_default_is_the_components_constant():
    assert PostgresSpec().engine_version == DEFAULT_ENGINE_VERSION


def _catalog(topic: dict[str, object], consumer: dict[str, object]) -> Catalog:
    return Catalog.model_validate({
        "environment": {"name": "dev", "tier": "dev", "owner": "platform", "costCenter": "cc-1"},
        "services": {
            "orders": {"owner": "team-a", "classification": "internal",
                       "produces": {"order-events": topic}},
            "billing": {"owner": "team-b", "classification": "internal",
                        "consumes": [{"topic": "orders.order-events", **consumer}]}}})


def test_unset_fields_are_left_to_the_component():
    catalog = _catalog({}, {})
    (topic,) = topic_args(catalog).values()
    assert "retention_hours" not in topic and "cleanup_policy" not in topic
    expected: ConsumerGroup = {"service": "billing", "topic": "orders.order-events",
                               "group": "billing"}
    assert consumer_groups(catalog) == [expected]


def test_set_fields_are_passed_in_the_components_types():
    catalog = _catalog({"retentionHours": DEFAULT_RETENTION_HOURS, "cleanupPolicy": "compact"},
                       {"maxLagMessages": 50, "group": "billing-v2"})
    (topic,) = topic_args(catalog).values()
    # Set to the default's value is still set: the user's choice survives a default change.
    assert topic["retention_hours"] == DEFAULT_RETENTION_HOURS
    assert topic["cleanup_policy"] is CleanupPolicy.COMPACT
    assert consumer_groups(catalog) == [{"service": "billing", "topic": "orders.order-events",
                                         "group": "billing-v2", "max_lag_messages": 50}]
