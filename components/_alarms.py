"""The platform's alarm thresholds in one table, and the alarm plans built from it (MSK brokers,
consumer lag, EKS control plane). No resources here.

`THRESHOLDS` is the single home of every platform threshold: the CloudWatch alarm plans below,
the Prometheus alert rules (`components/_prometheus_rules.py`) and the table in docs/alarms.md
(`render_thresholds_markdown`, kept in sync by tests/components/test_alarms_doc.py) all read it.
Store thresholds are computed by each store from `components._store.AlarmThresholds`.

No `from __future__ import annotations`: `ConsumerGroup` is part of a public component's
arguments, and Pulumi's component provider host reads its annotations at run time.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Literal, NotRequired, TypedDict

import pulumi

from components._store import AlarmSpec, AlarmThresholds, Metric

__all__ = [
    "ACTIVE_CONTROLLER",
    "BROKER_CPU",
    "BROKER_DISK",
    "CONSUMER_LAG",
    "DEFAULT_EVALUATION_PERIODS",
    "DEFAULT_MAX_LAG_MESSAGES",
    "DEFAULT_PERIOD_SECONDS",
    "DEFAULT_STATISTIC",
    "EKS_API_5XX",
    "EKS_UNSCHEDULABLE_PODS",
    "EXPORTER_DOWN",
    "OFFLINE_PARTITIONS",
    "THRESHOLDS",
    "UNDER_REPLICATED",
    "AnySpec",
    "ConsumerGroup",
    "MathAlarmSpec",
    "Threshold",
    "consumer_lag_spec",
    "eks_alarm_specs",
    "kafka_alarm_specs",
    "lag_metric",
    "max_lag",
    "render_store_defaults_markdown",
    "render_thresholds_markdown",
]

KAFKA_NS = "AWS/Kafka"
EKS_NS = "AWS/EKS"
CLUSTER_DIM = "Cluster Name"
"""MSK's CloudWatch dimension names contain spaces: https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html"""

DEFAULT_EVALUATION_PERIODS = 3
"""Periods an alarm looks back over (and, by default, must breach in) before it fires."""
DEFAULT_STATISTIC = "Average"
DEFAULT_PERIOD_SECONDS = 300

MissingData = Literal["missing", "notBreaching", "breaching", "ignore"]

_COMPARISONS = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
                "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold"}


@dataclass(frozen=True)
class Threshold:
    """One documented threshold: what is watched, where it fires, for how long, and why."""

    alarm: str
    """Alarm key, `<id>` standing for a broker number, e.g. `kafka-broker-<id>-disk`."""
    metric: str
    """What is measured, in words."""
    operator: str
    """`>`, `>=`, `<`, `<=` or `!=` (PromQL's operators; CloudWatch's are derived)."""
    value: float
    statistic: str
    period_seconds: int
    evaluation_periods: int
    why: str
    unit: str = ""
    datapoints_to_alarm: int = 0
    """Breaching periods needed; 0 means all `evaluation_periods`."""
    per_consumer: bool = False
    """`value` is the default of each consumer group's own `max_lag_messages`."""
    cloudwatch: bool = True
    prometheus: bool = False

    @property
    def comparison(self) -> str:
        """The CloudWatch comparison operator (`!=` is alarmed through metric math)."""
        return _COMPARISONS.get(self.operator, "GreaterThanThreshold")

    @property
    def datapoints(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def sustained(self) -> str:
        """How long the condition must hold, as a Prometheus duration (`15m`)."""
        return f"{self.evaluation_periods * self.period_seconds // 60}m"

    @property
    def window(self) -> str:
        """How long the condition must hold, in words (`15 minutes`)."""
        minutes = self.evaluation_periods * self.period_seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"

    @property
    def condition(self) -> str:
        value = (f"`max_lag_messages` of the group (default {self.value:g})" if self.per_consumer
                 else f"{self.value:g}{self.unit}")
        minutes = f"{self.period_seconds / 60:g} min"
        times = (f"{self.evaluation_periods} x {minutes}"
                 if self.datapoints == self.evaluation_periods
                 else f"{self.datapoints} of {self.evaluation_periods} x {minutes}")
        return f"{self.operator} {value} ({self.statistic.lower()}) for {times}"

    @property
    def where(self) -> str:
        return " + ".join(s for s, on in (("CloudWatch", self.cloudwatch),
                                          ("Prometheus", self.prometheus)) if on)


BROKER_DISK = Threshold(
    "kafka-broker-<id>-disk", "AWS/Kafka KafkaDataLogsDiskUsed (per broker)", ">", 85.0,
    "Average", 300, 3,
    "AWS MSK best practice alarms at 85 %: storage autoscaling aims at the target utilisation "
    "(60 % by default), so 85 % means autoscaling hit its ceiling or cannot keep up, and a full "
    "disk stops the broker.", unit=" %")
BROKER_CPU = Threshold(
    "kafka-broker-<id>-cpu", "AWS/Kafka CpuUser + CpuSystem (metric math, per broker)", ">",
    60.0, "Average", 300, 3,
    "AWS guidance keeps user+system CPU under 60 % so the cluster survives losing a broker "
    "(its partitions move to the others) and rolling patches.", unit=" %")
UNDER_REPLICATED = Threshold(
    "kafka-under-replicated", "AWS/Kafka UnderReplicatedPartitions (sum of brokers)", ">", 0.0,
    "Maximum", 300, 3,
    "Any under-replicated partition has lost redundancy; 15 minutes tolerates the brief dips "
    "of a rolling update.", prometheus=True)
OFFLINE_PARTITIONS = Threshold(
    "kafka-offline-partitions", "AWS/Kafka OfflinePartitionsCount", ">", 0.0, "Maximum", 60, 1,
    "An offline partition has no leader: producers and consumers of it are down now.",
    prometheus=True)
ACTIVE_CONTROLLER = Threshold(
    "kafka-active-controller", "AWS/Kafka ActiveControllerCount (metric math)", "!=", 1.0,
    "Maximum", 60, 5,
    "Exactly one controller must be active; none means no leader elections, two means a split "
    "brain.", prometheus=True)
CONSUMER_LAG = Threshold(
    "lag-<group>-<topic>", "AWS/Kafka MaxOffsetLag (Consumer Group, Topic)", ">", 10_000.0,
    "Maximum", 300, 3,
    "Declared per consumer group: the consumer knows how far behind it may fall before its own "
    "SLO breaks. Owned (tagged) by the consuming service.", per_consumer=True, prometheus=True)
EKS_API_5XX = Threshold(
    "eks-api-5xx", "AWS/EKS apiserver_request_total_5XX / apiserver_request_total", ">", 1.0,
    "Sum", 300, 3,
    "EKS vends these free for Kubernetes >= 1.28. A healthy API server answers essentially no "
    "5xx; 1 % sustained means controllers and deploys are failing.", unit=" %")
EKS_UNSCHEDULABLE_PODS = Threshold(
    "eks-unschedulable-pods", "AWS/EKS scheduler_pending_pods_UNSCHEDULABLE", ">", 0.0,
    "Minimum", 300, 3,
    "Node provisioning normally places pods within minutes; pods unschedulable for 15 minutes "
    "mean capacity or quota is exhausted.")
EXPORTER_DOWN = Threshold(
    "KafkaBrokerExporterDown", "Prometheus `up` of the MSK JMX and node exporter jobs", "==", 0.0,
    "Minimum", 60, 5,
    "A broker exporter that stops answering blinds every Prometheus rule above; five minutes "
    "rides out a broker restart.", cloudwatch=False, prometheus=True)

THRESHOLDS: tuple[Threshold, ...] = (
    BROKER_DISK, BROKER_CPU, UNDER_REPLICATED, OFFLINE_PARTITIONS, ACTIVE_CONTROLLER,
    CONSUMER_LAG, EKS_API_5XX, EKS_UNSCHEDULABLE_PODS, EXPORTER_DOWN)

DEFAULT_MAX_LAG_MESSAGES = int(CONSUMER_LAG.value)
"""Consumer lag (messages) a group may reach before its alarm and alert fire."""


class ConsumerGroup(TypedDict):
    """A Kafka consumer group reading one topic, watched for lag."""

    service: str
    """The consuming service: it owns the lag alarm, and alerts are labelled with it."""
    topic: str
    """The topic it reads."""
    group: str
    """The consumer group id."""
    max_lag_messages: NotRequired[int]
    """Alarm and alert when the group's maximum offset lag stays above this for 15 minutes.
    Default: 10000 (`DEFAULT_MAX_LAG_MESSAGES`)."""


def max_lag(group: Mapping[str, object]) -> int:
    """The group's lag threshold: its own, else the default."""
    value = group.get("max_lag_messages", DEFAULT_MAX_LAG_MESSAGES)
    return int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class MathAlarmSpec:
    """An alarm on a CloudWatch metric-math expression over several metrics."""

    key: str
    expression: str
    metrics: Mapping[str, Metric]
    """Query id (lower-case, e.g. `m1`) to metric."""
    comparison: str
    threshold: float
    description: str
    label: str
    evaluation_periods: int = DEFAULT_EVALUATION_PERIODS
    datapoints_to_alarm: int = DEFAULT_EVALUATION_PERIODS
    treat_missing_data: MissingData = "missing"


AnySpec = AlarmSpec | MathAlarmSpec


def _metric(threshold: Threshold, namespace: str, name: str,
            dimensions: Mapping[str, pulumi.Input[str]], label: str = "") -> Metric:
    return Metric(namespace, name, dimensions, statistic=threshold.statistic,
                  period_seconds=threshold.period_seconds, label=label)


def _spec(threshold: Threshold, key: str, metric: Metric, description: str,
          missing: MissingData = "missing") -> AlarmSpec:
    return AlarmSpec(key, metric, threshold.comparison, threshold.value,  # type: ignore[arg-type]
                     description, evaluation_periods=threshold.evaluation_periods,
                     datapoints_to_alarm=threshold.datapoints, treat_missing_data=missing)


def _math(threshold: Threshold, key: str, expression: str, metrics: Mapping[str, Metric],
          description: str, label: str, value: float | None = None,
          missing: MissingData = "missing") -> MathAlarmSpec:
    return MathAlarmSpec(key, expression, metrics, threshold.comparison,
                         threshold.value if value is None else value, description, label,
                         evaluation_periods=threshold.evaluation_periods,
                         datapoints_to_alarm=threshold.datapoints, treat_missing_data=missing)


def lag_metric(cluster_name: pulumi.Input[str], group: ConsumerGroup) -> Metric:
    return _metric(CONSUMER_LAG, KAFKA_NS, "MaxOffsetLag",
                   {CLUSTER_DIM: cluster_name, "Consumer Group": group["group"],
                    "Topic": group["topic"]},
                   label=f"{group['group']} on {group['topic']}")


def kafka_alarm_specs(cluster_name: pulumi.Input[str], broker_count: int) -> list[AnySpec]:
    """Broker health alarms of a provisioned cluster; none for `broker_count` 0 (MSK Serverless
    publishes no broker metrics: alarm its consumer groups only). Pass the cluster's name as an
    Output of the cluster so every alarm depends on it."""
    specs: list[AnySpec] = []
    if broker_count < 1:
        return specs
    brokers = range(1, broker_count + 1)  # MSK numbers brokers from 1

    def broker(threshold: Threshold, metric: str, b: int) -> Metric:
        return _metric(threshold, KAFKA_NS, metric,
                       {CLUSTER_DIM: cluster_name, "Broker ID": str(b)}, label=f"broker {b}")

    for b in brokers:
        disk, cpu = BROKER_DISK, BROKER_CPU
        specs.append(_spec(
            disk, f"kafka-broker-{b}-disk", broker(disk, "KafkaDataLogsDiskUsed", b),
            f"Broker {b} data-log disk above {disk.value:g} % used: storage autoscaling is at "
            "its ceiling or behind; a full disk stops the broker."))
        specs.append(_math(
            cpu, f"kafka-broker-{b}-cpu", "user + system",
            {"user": broker(cpu, "CpuUser", b), "system": broker(cpu, "CpuSystem", b)},
            f"Broker {b} CpuUser+CpuSystem above {cpu.value:g} % (AWS guidance): the cluster "
            "could not absorb a broker failure or a rolling patch.", label=f"broker {b} CPU %"))
    urp = {f"b{b}": broker(UNDER_REPLICATED, "UnderReplicatedPartitions", b) for b in brokers}
    specs.append(_math(
        UNDER_REPLICATED, "kafka-under-replicated", f"SUM([{', '.join(urp)}])", urp,
        f"Partitions are under-replicated for {UNDER_REPLICATED.window}: redundancy is lost; "
        "check broker health, disk and network.", label="under-replicated partitions"))
    specs.append(_spec(
        OFFLINE_PARTITIONS, "kafka-offline-partitions",
        _metric(OFFLINE_PARTITIONS, KAFKA_NS, "OfflinePartitionsCount",
                {CLUSTER_DIM: cluster_name}),
        "Partitions have no leader: their producers and consumers are down."))
    controller = ACTIVE_CONTROLLER
    specs.append(_math(
        controller, "kafka-active-controller", f"IF(controller != {controller.value:g}, 1, 0)",
        {"controller": _metric(controller, KAFKA_NS, "ActiveControllerCount",
                               {CLUSTER_DIM: cluster_name})},
        f"Active controller count is not exactly {controller.value:g} for "
        f"{controller.window}: no controller stops leader elections, two mean a split brain.",
        label=f"controller count != {controller.value:g}", value=0.0, missing="breaching"))
    return specs


def consumer_lag_spec(cluster_name: pulumi.Input[str], group: ConsumerGroup) -> AlarmSpec:
    """The lag alarm of one consumer group (owned by the consuming service)."""
    limit = max_lag(group)
    spec = _spec(
        CONSUMER_LAG, f"lag-{group['group']}-{group['topic'].replace('.', '-')}",
        lag_metric(cluster_name, group),
        f"Consumer group {group['group']} is more than {limit} messages behind on "
        f"{group['topic']} for {CONSUMER_LAG.window} (its max_lag_messages): scale or fix "
        f"{group['service']}'s consumers.")
    return AlarmSpec(spec.key, spec.metric, spec.comparison, float(limit), spec.description,
                     spec.evaluation_periods, spec.datapoints_to_alarm, spec.treat_missing_data)


def eks_alarm_specs(cluster_name: pulumi.Input[str]) -> list[AnySpec]:
    """Control-plane alarms from the metrics EKS vends for free (Kubernetes >= 1.28), no
    Container Insights needed: https://docs.aws.amazon.com/eks/latest/userguide/cloudwatch.html"""
    dims = {"ClusterName": cluster_name}
    api = EKS_API_5XX
    pods = EKS_UNSCHEDULABLE_PODS
    return [
        _math(api, "eks-api-5xx", "100 * errors / total",
              {"errors": _metric(api, EKS_NS, "apiserver_request_total_5XX", dims),
               "total": _metric(api, EKS_NS, "apiserver_request_total", dims)},
              f"More than {api.value:g} % of Kubernetes API requests fail with 5xx for "
              f"{api.window}: controllers, deploys and autoscaling are failing.",
              label="API 5xx %", missing="notBreaching"),
        _spec(pods, "eks-unschedulable-pods",
              _metric(pods, EKS_NS, "scheduler_pending_pods_UNSCHEDULABLE", dims),
              f"Pods stay unschedulable for {pods.window}: node capacity, quotas or "
              "constraints are exhausted.", missing="notBreaching"),
    ]


def render_thresholds_markdown(rows: Sequence[Threshold] = THRESHOLDS) -> str:
    """The platform thresholds table of docs/alarms.md."""
    lines = ["| alarm | metric | fires when | in | why there |", "|---|---|---|---|---|"]
    lines += [f"| `{r.alarm}` | {r.metric} | {r.condition} | {r.where} | {r.why} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def render_store_defaults_markdown() -> str:
    """The store percentages' defaults line of docs/alarms.md (from `AlarmThresholds`)."""
    defaults = AlarmThresholds()
    pairs = [f"`{f.name}` {getattr(defaults, f.name)}" for f in fields(AlarmThresholds)]
    return "Defaults (`components._store.AlarmThresholds`): " + ", ".join(pairs) + ".\n"
