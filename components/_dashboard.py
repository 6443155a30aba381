"""Pure builders for a CloudWatch dashboard body: one row per service, then a Kafka row.

No resources and no Outputs here: the Monitoring component resolves the dimension values
first and hands plain `Metric`s in, so tests can check the JSON structure directly.
Body format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components._alarms import ConsumerLag, lag_metric
from components._store import DataStore, Metric

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


ServiceStores = tuple[str, Mapping[str, str], Sequence[DataStore]]
"""(service name, its ownership tags, its stores)."""
KafkaInfo = tuple[Any, int, str]
"""(cluster name, broker count, mode)."""


def platform_rows(services: Sequence[ServiceStores], lags: Sequence[ConsumerLag],
                  kafka: KafkaInfo | None, eks_cluster_name: Any | None) -> list[Row]:
    """A row per service (heading, a panel per store, its consumer lag), then Kafka and EKS.

    Dimension values may still be Outputs here; resolve them before `dashboard_body`.
    """
    rows: list[Row] = []
    for name, tags, stores in services:
        panels = [Panel(_store_title(name, store, index), store.metrics())
                  for index, store in enumerate(stores)]
        own = [lag for lag in lags if lag.service == name]
        if own and kafka:
            panels.append(Panel(f"{name} consumer lag (messages)",
                                [lag_metric(kafka[0], lag) for lag in own]))
        rows.append(Row(f"## {name}\nowner **{tags.get('owner', '?')}** · classification "
                        f"**{tags.get('data-classification', '?')}**", panels))
    if kafka:
        rows.append(Row("## Kafka (MSK)", _kafka_panels(*kafka)))
    if eks_cluster_name is not None:
        dims = {"ClusterName": eks_cluster_name}
        rows.append(Row("## EKS control plane", [
            Panel("API requests", [
                Metric("AWS/EKS", "apiserver_request_total", dims, "Sum", label="all"),
                Metric("AWS/EKS", "apiserver_request_total_5XX", dims, "Sum", label="5xx")]),
            Panel("Pending pods", [
                Metric("AWS/EKS", "scheduler_pending_pods_UNSCHEDULABLE", dims, "Maximum",
                       label="unschedulable")])]))
    return rows


def _kafka_panels(cluster_name: Any, broker_count: int, mode: str) -> list[Panel]:
    if mode == "serverless":  # no broker metrics; lag panels sit in the service rows
        return []
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


def _store_title(service: str, store: DataStore, index: int) -> str:
    # Store components are resources: their logical name is the business key (`orders-shard-0`).
    label = getattr(store, "pulumi_resource_name", None) or getattr(store, "label", None)
    if isinstance(label, str):
        return f"{service} {store.kind} {label}"
    return f"{service} {store.kind} #{index + 1}"
