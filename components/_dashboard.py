"""Pure builders for a CloudWatch dashboard body: the caller's rows (a row per service and its
stores, say), then consumer lag, Kafka brokers and the EKS control plane.

No resources here: the Observability component resolves the dimension values first and hands
plain `Metric`s to `dashboard_body`, so tests can check the JSON structure directly.
Body format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components._alarms import lag_metric
from components._store import Metric

if TYPE_CHECKING:
    from components._alarms import ConsumerGroup

__all__ = ["GRID_WIDTH", "Panel", "Row", "dashboard_body", "metric_row", "platform_rows"]

GRID_WIDTH = 24
"""CloudWatch dashboards are 24 columns wide."""
TEXT_HEIGHT = 2
PANEL_WIDTH = 8
PANEL_HEIGHT = 6


@dataclass(frozen=True)
class Panel:
    """One metric widget: a title and the series it plots."""

    title: str
    metrics: Sequence[Metric]


@dataclass(frozen=True)
class Row:
    """A band of the dashboard: a heading text widget, then metric panels three per line."""

    heading: str
    """Markdown shown across the full width."""
    panels: Sequence[Panel] = field(default_factory=list)


def metric_row(metric: Metric) -> list[Any]:
    """A metric in the dashboard form `[namespace, name, dimName, dimValue, ..., {options}]`."""
    entry: list[Any] = [metric.namespace, metric.name]
    for key, value in metric.dimensions.items():
        entry += [key, str(value)]
    options: dict[str, Any] = {"stat": metric.statistic, "period": metric.period_seconds}
    if metric.label:
        options["label"] = metric.label
    entry.append(options)
    return entry


def _metric_widget(panel: Panel, region: str, x: int, y: int) -> dict[str, Any]:
    stats = {m.statistic for m in panel.metrics}
    periods = {m.period_seconds for m in panel.metrics}
    return {
        "type": "metric", "x": x, "y": y, "width": PANEL_WIDTH, "height": PANEL_HEIGHT,
        "properties": {
            "title": panel.title,
            "view": "timeSeries",
            "stacked": False,
            "region": region,
            # Per-series options override these; the widget needs defaults all the same.
            "stat": stats.pop() if len(stats) == 1 else "Average",
            "period": periods.pop() if len(periods) == 1 else 300,
            "metrics": [metric_row(m) for m in panel.metrics],
        },
    }


def dashboard_body(region: str, rows: Sequence[Row]) -> dict[str, Any]:
    """The dashboard body as a dict (json.dumps it for `dashboard_body`)."""
    widgets: list[dict[str, Any]] = []
    y = 0
    per_line = GRID_WIDTH // PANEL_WIDTH
    for row in rows:
        widgets.append({"type": "text", "x": 0, "y": y, "width": GRID_WIDTH,
                        "height": TEXT_HEIGHT, "properties": {"markdown": row.heading}})
        y += TEXT_HEIGHT
        panels = [p for p in row.panels if p.metrics]
        for index, panel in enumerate(panels):
            x = (index % per_line) * PANEL_WIDTH
            widgets.append(_metric_widget(panel, region, x, y))
            if index % per_line == per_line - 1 or index == len(panels) - 1:
                y += PANEL_HEIGHT
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets}


def platform_rows(rows: Sequence[Row], groups: Sequence[ConsumerGroup],
                  kafka_cluster_name: Any | None, broker_count: int,
                  eks_cluster_name: Any | None) -> list[Row]:
    """`rows`, then consumer lag (a panel per consuming service), Kafka brokers (when
    `broker_count` > 0) and the EKS control plane. Dimension values may still be Outputs here;
    resolve them before `dashboard_body`."""
    out = list(rows)
    if groups and kafka_cluster_name is not None:
        services = sorted({g["service"] for g in groups})
        out.append(Row("## Kafka consumer lag", [
            Panel(f"{service} consumer lag (messages)",
                  [lag_metric(kafka_cluster_name, g) for g in groups if g["service"] == service])
            for service in services]))
    if kafka_cluster_name is not None and broker_count > 0:
        out.append(Row("## Kafka (MSK)", _kafka_panels(kafka_cluster_name, broker_count)))
    if eks_cluster_name is not None:
        dims = {"ClusterName": eks_cluster_name}
        out.append(Row("## EKS control plane", [
            Panel("API requests", [
                Metric("AWS/EKS", "apiserver_request_total", dims, "Sum", label="all"),
                Metric("AWS/EKS", "apiserver_request_total_5XX", dims, "Sum", label="5xx")]),
            Panel("Pending pods", [
                Metric("AWS/EKS", "scheduler_pending_pods_UNSCHEDULABLE", dims, "Maximum",
                       label="unschedulable")])]))
    return out


def _kafka_panels(cluster_name: Any, broker_count: int) -> list[Panel]:
    cluster = {"Cluster Name": cluster_name}

    def per_broker(metric: str) -> list[Metric]:
        return [Metric("AWS/Kafka", metric, {**cluster, "Broker ID": str(b)},
                       label=f"broker {b}") for b in range(1, broker_count + 1)]
    return [
        Panel("Broker CPU user %", per_broker("CpuUser")),
        Panel("Broker data disk used %", per_broker("KafkaDataLogsDiskUsed")),
        Panel("Partitions and controller", [
            Metric("AWS/Kafka", "OfflinePartitionsCount", cluster, "Maximum", label="offline"),
            Metric("AWS/Kafka", "ActiveControllerCount", cluster, "Maximum",
                   label="active controllers")]),
    ]
