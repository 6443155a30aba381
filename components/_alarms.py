"""Platform alarm plans (MSK brokers, consumer lag, EKS control plane) and their registration.

Store alarms come from each store's `alarm_specs()`; this module adds the shared
infrastructure's alarms, each threshold a named constant with the reason it sits where it
does. `THRESHOLDS` is the single source of `docs/alarms.md` (a test keeps them in sync).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components._store import AlarmSpec, Comparison, Metric
from components._tags import require_tags
from components.kms import EncryptionKey

__all__ = [
    "ACTIVE_CONTROLLER_COUNT",
    "BROKER_CPU_PERCENT",
    "BROKER_DISK_USED_PERCENT",
    "EKS_API_5XX_PERCENT",
    "THRESHOLDS",
    "AlarmTopic",
    "AlarmTopicArgs",
    "ConsumerLag",
    "MathAlarmSpec",
    "Threshold",
    "consumer_lag_spec",
    "eks_alarm_specs",
    "kafka_alarm_specs",
    "lag_metric",
    "metric_alarm",
    "render_thresholds_markdown",
]

KAFKA_NS = "AWS/Kafka"
EKS_NS = "AWS/EKS"
CLUSTER_DIM = "Cluster Name"
"""MSK's CloudWatch dimension names contain spaces: https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html"""

BROKER_DISK_USED_PERCENT = 85.0
BROKER_CPU_PERCENT = 60.0
UNDER_REPLICATED_PARTITIONS = 0.0
OFFLINE_PARTITIONS = 0.0
ACTIVE_CONTROLLER_COUNT = 1.0
EKS_API_5XX_PERCENT = 1.0
EKS_UNSCHEDULABLE_PODS = 0.0


@dataclass(frozen=True)
class Threshold:
    """One documented threshold: where it sits and why."""

    alarm: str
    metric: str
    condition: str
    why: str


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("kafka-broker-<id>-disk", "AWS/Kafka KafkaDataLogsDiskUsed (per broker)",
              f"> {BROKER_DISK_USED_PERCENT:g} % for 3 x 5 min",
              "AWS MSK best practice alarms at 85 %: storage autoscaling aims at the target "
              "utilisation (60 % by default), so 85 % means autoscaling hit its ceiling or "
              "cannot keep up, and a full disk stops the broker."),
    Threshold("kafka-broker-<id>-cpu", "AWS/Kafka CpuUser + CpuSystem (metric math, per broker)",
              f"> {BROKER_CPU_PERCENT:g} % for 3 x 5 min",
              "AWS guidance keeps user+system CPU under 60 % so the cluster survives losing a "
              "broker (its partitions move to the others) and rolling patches."),
    Threshold("kafka-under-replicated", "AWS/Kafka UnderReplicatedPartitions (sum of brokers)",
              f"> {UNDER_REPLICATED_PARTITIONS:g} for 3 x 5 min",
              "Any under-replicated partition has lost redundancy; 15 minutes tolerates the "
              "brief dips of a rolling update."),
    Threshold("kafka-offline-partitions", "AWS/Kafka OfflinePartitionsCount",
              f"> {OFFLINE_PARTITIONS:g} for 1 x 1 min",
              "An offline partition has no leader: producers and consumers of it are down now."),
    Threshold("kafka-active-controller", "AWS/Kafka ActiveControllerCount (metric math)",
              f"!= {ACTIVE_CONTROLLER_COUNT:g} for 5 x 1 min",
              "Exactly one controller must be active; none means no leader elections, two "
              "means a split brain."),
    Threshold("lag-<group>-<topic>", "AWS/Kafka MaxOffsetLag (Consumer Group, Topic)",
              "> consumes[].maxLagMessages (default 10000) for 3 x 5 min",
              "Declared per consumer in the catalog: the consumer knows how far behind it may "
              "fall before its own SLO breaks. Owned (tagged) by the consuming service."),
    Threshold("eks-api-5xx", "AWS/EKS apiserver_request_total_5XX / apiserver_request_total",
              f"> {EKS_API_5XX_PERCENT:g} % for 3 x 5 min",
              "EKS vends these free for Kubernetes >= 1.28. A healthy API server answers "
              "essentially no 5xx; 1 % sustained means controllers and deploys are failing."),
    Threshold("eks-unschedulable-pods", "AWS/EKS scheduler_pending_pods_UNSCHEDULABLE",
              f"> {EKS_UNSCHEDULABLE_PODS:g} (minimum) for 3 x 5 min",
              "Node provisioning normally places pods within minutes; pods unschedulable for "
              "15 minutes mean capacity or quota is exhausted."),
)


@dataclass(frozen=True)
class MathAlarmSpec:
    """An alarm on a CloudWatch metric-math expression over several metrics."""

    key: str
    expression: str
    metrics: Mapping[str, Metric]
    """Query id (lower-case, e.g. `m1`) to metric."""
    comparison: Comparison
    threshold: float
    description: str
    label: str
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"


AnySpec = AlarmSpec | MathAlarmSpec


@dataclass(frozen=True)
class ConsumerLag:
    """A consumer group's subscription, as the lag alarm and rules need it."""

    service: str
    topic: str
    group: str
    max_lag_messages: int


def lag_metric(cluster_name: pulumi.Input[str], lag: ConsumerLag) -> Metric:
    return Metric(KAFKA_NS, "MaxOffsetLag",
                  {CLUSTER_DIM: cluster_name, "Consumer Group": lag.group, "Topic": lag.topic},
                  statistic="Maximum", period_seconds=300,
                  label=f"{lag.group} on {lag.topic}")


def _broker(cluster_name: pulumi.Input[str], broker: int, metric: str,
            statistic: str = "Average", period: int = 300) -> Metric:
    return Metric(KAFKA_NS, metric, {CLUSTER_DIM: cluster_name, "Broker ID": str(broker)},
                  statistic=statistic, period_seconds=period, label=f"broker {broker}")


def kafka_alarm_specs(cluster_name: pulumi.Input[str], broker_count: int,
                      mode: str) -> list[AnySpec]:
    """Broker health alarms; none for Serverless, which publishes no broker metrics."""
    if mode == "serverless":
        return []
    brokers = range(1, broker_count + 1)  # MSK numbers brokers from 1
    specs: list[AnySpec] = []
    for b in brokers:
        specs.append(AlarmSpec(
            f"kafka-broker-{b}-disk", _broker(cluster_name, b, "KafkaDataLogsDiskUsed"),
            "GreaterThanThreshold", BROKER_DISK_USED_PERCENT,
            f"Broker {b} data-log disk above {BROKER_DISK_USED_PERCENT:g} % used: storage "
            "autoscaling is at its ceiling or behind; a full disk stops the broker."))
        specs.append(MathAlarmSpec(
            f"kafka-broker-{b}-cpu", "user + system",
            {"user": _broker(cluster_name, b, "CpuUser"),
             "system": _broker(cluster_name, b, "CpuSystem")},
            "GreaterThanThreshold", BROKER_CPU_PERCENT,
            f"Broker {b} CpuUser+CpuSystem above {BROKER_CPU_PERCENT:g} % (AWS guidance): the "
            "cluster could not absorb a broker failure or a rolling patch.",
            label=f"broker {b} CPU %"))
    urp = {f"b{b}": _broker(cluster_name, b, "UnderReplicatedPartitions", "Maximum")
           for b in brokers}
    specs.append(MathAlarmSpec(
        "kafka-under-replicated", f"SUM([{', '.join(urp)}])", urp,
        "GreaterThanThreshold", UNDER_REPLICATED_PARTITIONS,
        "Partitions are under-replicated for 15 minutes: redundancy is lost; check broker "
        "health, disk and network.", label="under-replicated partitions"))
    specs.append(AlarmSpec(
        "kafka-offline-partitions",
        Metric(KAFKA_NS, "OfflinePartitionsCount", {CLUSTER_DIM: cluster_name},
               statistic="Maximum", period_seconds=60),
        "GreaterThanThreshold", OFFLINE_PARTITIONS,
        "Partitions have no leader: their producers and consumers are down.",
        evaluation_periods=1, datapoints_to_alarm=1))
    controller = Metric(KAFKA_NS, "ActiveControllerCount", {CLUSTER_DIM: cluster_name},
                        statistic="Maximum", period_seconds=60)
    specs.append(MathAlarmSpec(
        "kafka-active-controller", f"IF(controller != {ACTIVE_CONTROLLER_COUNT:g}, 1, 0)",
        {"controller": controller}, "GreaterThanThreshold", 0.0,
        "Active controller count is not exactly 1 for 5 minutes: no controller stops leader "
        "elections, two mean a split brain.", label="controller count != 1",
        evaluation_periods=5, datapoints_to_alarm=5, treat_missing_data="breaching"))
    return specs


def consumer_lag_spec(cluster_name: pulumi.Input[str], lag: ConsumerLag) -> AlarmSpec:
    return AlarmSpec(
        f"lag-{lag.group}-{lag.topic.replace('.', '-')}", lag_metric(cluster_name, lag),
        "GreaterThanThreshold", float(lag.max_lag_messages),
        f"Consumer group {lag.group} is more than {lag.max_lag_messages} messages behind on "
        f"{lag.topic} for 15 minutes (maxLagMessages in the catalog): scale or fix "
        f"{lag.service}'s consumers.")


def eks_alarm_specs(cluster_name: pulumi.Input[str]) -> list[AnySpec]:
    """Control-plane alarms from the metrics EKS vends for free (Kubernetes >= 1.28).

    https://docs.aws.amazon.com/eks/latest/userguide/cloudwatch.html - no Container Insights
    needed, so these exist on every Strata cluster.
    """
    dims = {"ClusterName": cluster_name}
    total = Metric(EKS_NS, "apiserver_request_total", dims, statistic="Sum")
    errors = Metric(EKS_NS, "apiserver_request_total_5XX", dims, statistic="Sum")
    return [
        MathAlarmSpec(
            "eks-api-5xx", "100 * errors / total", {"errors": errors, "total": total},
            "GreaterThanThreshold", EKS_API_5XX_PERCENT,
            f"More than {EKS_API_5XX_PERCENT:g} % of Kubernetes API requests fail with 5xx for "
            "15 minutes: controllers, deploys and autoscaling are failing.",
            label="API 5xx %", treat_missing_data="notBreaching"),
        AlarmSpec(
            "eks-unschedulable-pods",
            Metric(EKS_NS, "scheduler_pending_pods_UNSCHEDULABLE", dims, statistic="Minimum"),
            "GreaterThanThreshold", EKS_UNSCHEDULABLE_PODS,
            "Pods stay unschedulable for 15 minutes: node capacity, quotas or constraints "
            "are exhausted.", treat_missing_data="notBreaching"),
    ]


def metric_alarm(resource_name: str, spec: AnySpec, *, alarm_name: str,
                 topic_arn: pulumi.Input[str], owner: str, tags: Mapping[str, str],
                 parent: pulumi.Resource) -> aws.cloudwatch.MetricAlarm:
    """A MetricAlarm notifying `topic_arn` on breach and recovery.

    Dimension values are passed through as given: when they are Outputs of the watched
    resource, the alarm's property dependencies name that resource (policy
    `strata-store-has-alarm` relies on it).
    """
    common: dict[str, Any] = {
        "name": alarm_name,
        "alarm_description": f"{spec.description} Owner: {owner}.",
        "comparison_operator": spec.comparison,
        "threshold": spec.threshold,
        "evaluation_periods": spec.evaluation_periods,
        "datapoints_to_alarm": spec.datapoints_to_alarm,
        "treat_missing_data": spec.treat_missing_data,
        "actions_enabled": True,
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "tags": dict(tags),
    }
    if isinstance(spec, AlarmSpec):
        m = spec.metric
        common.update(namespace=m.namespace, metric_name=m.name, dimensions=dict(m.dimensions),
                      statistic=m.statistic, period=m.period_seconds)
    else:
        queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
            {"id": "e1", "expression": spec.expression, "label": spec.label,
             "return_data": True}]
        queries += [_query(qid, m) for qid, m in spec.metrics.items()]
        common["metric_queries"] = queries
    return aws.cloudwatch.MetricAlarm(resource_name, **common,
                                      opts=pulumi.ResourceOptions(parent=parent))


def _query(qid: str, m: Metric) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
    return {"id": qid, "return_data": False,
            "metric": {"namespace": m.namespace, "metric_name": m.name,
                       "dimensions": dict(m.dimensions), "stat": m.statistic,
                       "period": m.period_seconds}}


def render_thresholds_markdown(rows: Sequence[Threshold] = THRESHOLDS) -> str:
    """The platform thresholds table of docs/alarms.md."""
    lines = ["| alarm | metric | fires when | why there |", "|---|---|---|---|"]
    lines += [f"| `{r.alarm}` | {r.metric} | {r.condition} | {r.why} |" for r in rows]
    return "\n".join(lines) + "\n"


class AlarmTopicArgs(TypedDict):
    topic_name: str
    key: EncryptionKey
    """Encrypts messages at rest; CloudWatch must be allowed to use it (platform key is)."""
    tags: Mapping[str, str]
    emails: NotRequired[Sequence[str]]
    """Email subscriptions. Default: none."""
    https_endpoints: NotRequired[Sequence[str]]
    """HTTPS subscriptions. Default: none."""


class AlarmTopic(pulumi.ComponentResource):
    """The SNS topic every alarm notifies: encrypted, publishable only by this account's
    CloudWatch. Its own component so it has one owner (platform) while the alarms that
    notify it carry their services' tags (policy `strata-single-owner`)."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env_tags = require_tags(args["tags"], name)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        topic = aws.sns.Topic(f"{name}-topic", name=args["topic_name"],
                              display_name=args["topic_name"],
                              kms_master_key_id=args["key"].arn, tags=env_tags, opts=child)
        aws.sns.TopicPolicy(
            f"{name}-policy", arn=topic.arn, opts=child,
            policy=pulumi.Output.all(topic.arn, account.account_id).apply(
                lambda p: _topic_policy(p[0], p[1])))
        for email in args.get("emails", []):
            slug = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
            aws.sns.TopicSubscription(f"{name}-email-{slug}", topic=topic.arn,
                                      protocol="email", endpoint=email, opts=child)
        for url in args.get("https_endpoints", []):
            # Keyed by a digest: URLs are long and may carry tokens that do not belong in URNs.
            digest = hashlib.sha256(url.encode()).hexdigest()[:10]
            aws.sns.TopicSubscription(f"{name}-https-{digest}", topic=topic.arn,
                                      protocol="https", endpoint=url,
                                      endpoint_auto_confirms=False, opts=child)
        self.arn = topic.arn
        self.register_outputs({"arn": self.arn})


def _topic_policy(topic_arn: str, account_id: str) -> str:
    """Only CloudWatch alarms of this account may publish."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudWatchAlarmsOfThisAccount", "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }]}, sort_keys=True)
