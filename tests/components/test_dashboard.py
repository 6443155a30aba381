from __future__ import annotations

import json

import jsonschema
import pytest

from components._dashboard import GRID_WIDTH, Panel, Row, dashboard_body, metric_row
from components._store import Metric
from tests.components._monitoring_fixtures import (
    BROKERS,
    CONSUMERS,
    MSK_NAME,
    SERVICES,
    build_observability,
)

DIMENSION_PAIRS = {"type": "string"}
METRIC_ENTRY = {
    # [namespace, metricName, dimName, dimValue, ..., {rendering options}]
    "type": "array", "minItems": 3,
    "prefixItems": [{"type": "string", "minLength": 1}, {"type": "string", "minLength": 1}],
    "items": {"anyOf": [
        {"type": "string"},
        {"type": "object", "required": ["stat"],
         "properties": {"stat": {"type": "string"}, "period": {"type": "integer"},
                        "label": {"type": "string"}}},
    ]},
}
WIDGET_BASE = {
    "type": "object", "required": ["type", "x", "y", "width", "height", "properties"],
    "properties": {
        "type": {"enum": ["metric", "text"]},
        "x": {"type": "integer", "minimum": 0, "maximum": GRID_WIDTH - 1},
        "y": {"type": "integer", "minimum": 0},
        "width": {"type": "integer", "minimum": 1, "maximum": GRID_WIDTH},
        "height": {"type": "integer", "minimum": 1, "maximum": 1000},
    },
}
DASHBOARD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "required": ["widgets"],
    "properties": {
        "start": {"type": "string"}, "periodOverride": {"enum": ["auto", "inherit"]},
        "widgets": {"type": "array", "minItems": 1, "maxItems": 500, "items": {
            "allOf": [WIDGET_BASE],
            "if": {"properties": {"type": {"const": "metric"}}},
            "then": {"properties": {"properties": {
                "type": "object", "required": ["metrics", "region", "stat", "period", "title"],
                "properties": {"metrics": {"type": "array", "minItems": 1,
                                           "items": METRIC_ENTRY},
                               "region": {"type": "string", "pattern": r"^[a-z]{2}-[a-z]+-\d$"},
                               "view": {"enum": ["timeSeries", "singleValue"]}}}}},
            "else": {"properties": {"properties": {
                "type": "object", "required": ["markdown"]}}},
        }},
    },
}


def _validate(body):
    jsonschema.validate(body, DASHBOARD_SCHEMA)
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= GRID_WIDTH


def test_metric_row_is_namespace_name_dimension_pairs_then_options():
    m = Metric("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "db-1"}, "Maximum", 60, "cpu")
    assert metric_row(m) == ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "db-1",
                             {"stat": "Maximum", "period": 60, "label": "cpu"}]


def test_rows_stack_without_overlap_and_wrap_three_panels_per_line():
    panel = Panel("p", [Metric("N", "M", {"D": "v"})])
    body = dashboard_body("eu-west-1", [Row("## a", [panel] * 4), Row("## b", [panel])])
    _validate(body)
    cells = set()
    for w in body["widgets"]:
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells
                cells.add((x, y))
    texts = [w for w in body["widgets"] if w["type"] == "text"]
    assert [t["y"] for t in texts] == [0, 14]


def test_schema_rejects_a_widget_wider_than_the_grid():
    body = dashboard_body("eu-west-1", [Row("## a")])
    body["widgets"][0]["width"] = 25
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, DASHBOARD_SCHEMA)


@pytest.fixture(scope="module")
def body():
    from tests.conftest import run_mocked
    registered = run_mocked(build_observability)
    return json.loads(registered.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]
                      ["dashboardBody"])


def test_dashboard_body_is_valid_and_has_a_row_per_service_then_the_platform(body):
    _validate(body)
    headings = [w["properties"]["markdown"].splitlines()[0] for w in body["widgets"]
                if w["type"] == "text"]
    assert headings == [f"## {s}" for s in SERVICES] + [
        "## Kafka consumer lag", "## Kafka (MSK)", "## EKS control plane"]
    titles = [w["properties"]["title"] for w in body["widgets"] if w["type"] == "metric"]
    assert "dynamodb orders-t1" in titles
    assert {"payments consumer lag (messages)", "telemetry consumer lag (messages)"} <= set(titles)


def test_every_store_metric_and_consumer_group_is_plotted(body):
    plotted = [tuple(m[:-1]) for w in body["widgets"] if w["type"] == "metric"
               for m in w["properties"]["metrics"]]
    for service, count in SERVICES.items():
        for i in range(count):
            for name in ("ConsumedReadCapacityUnits", "ThrottledRequests"):
                assert ("AWS/DynamoDB", name, "TableName", f"{service}-t{i}") in plotted
    for _, topic, group, _ in CONSUMERS:
        assert ("AWS/Kafka", "MaxOffsetLag", "Cluster Name", MSK_NAME, "Consumer Group", group,
                "Topic", topic) in plotted
    cpu = [m for m in plotted if m[1] == "CpuUser"]
    assert len(cpu) == BROKERS
