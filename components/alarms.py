"""CloudWatch alarms that reach someone: each alarm notifies one SNS topic on breach and on
recovery; the topic is encrypted, only this account's CloudWatch alarms (and the Prometheus
workspaces it is told about) may publish to it, and HTTPS endpoints stay secret.

An `Alarms` either creates its topic (`topic_name`) with its subscriptions, or notifies an
existing one (`topic_arn`), so alarms of different owners can live in components of their own
while sharing one topic. Stores describe their alarms (`alarm_specs()`, `AlarmSpec`); platform
alarm plans (`kafka_alarm_specs`, `eks_alarm_specs`, `consumer_lag_alarm_spec`) come from the one
threshold table `THRESHOLDS` (docs/alarms.md). CloudWatch alarms are keyed by name: an alarm that
moves between components must keep its URN or carry an alias (`add(..., aliases=...)`), or the
new resource writes the alarm and the old one's deletion then removes it.
"""

import enum
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args
from components._alarm_checks import EXPRESSION_ID, alarm_problems, topic_problems
from components._alarms import (
    DEFAULT_EVALUATION_PERIODS,
    DEFAULT_PERIOD_SECONDS,
    DEFAULT_STATISTIC,
    THRESHOLDS,
    AnySpec,
    ConsumerGroup,
    MathAlarmSpec,
    eks_alarm_specs,
    kafka_alarm_specs,
)
from components._alarms import consumer_lag_spec as consumer_lag_alarm_spec
from components._store import AlarmSpec, Metric
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = [
    "DEFAULT_EVALUATION_PERIODS",
    "DEFAULT_PERIOD_SECONDS",
    "DEFAULT_STATISTIC",
    "KMS_SERVICE_PRINCIPALS",
    "PROMETHEUS_SERVICE_PRINCIPAL",
    "THRESHOLDS",
    "AlarmArgs",
    "AlarmSpec",
    "Alarms",
    "AlarmsArgs",
    "AnySpec",
    "ComparisonOperator",
    "ConsumerGroup",
    "MathAlarmSpec",
    "Metric",
    "MetricArgs",
    "MetricQueryArgs",
    "MissingData",
    "alarm_args",
    "consumer_lag_alarm_spec",
    "eks_alarm_specs",
    "kafka_alarm_specs",
    "metric_args",
    "physical_names",
    "topic_policy",
]

KMS_SERVICE_PRINCIPALS = ("cloudwatch.amazonaws.com",)
"""Publishers that use the topic's key as themselves: CloudWatch alarms
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
A given `kms_key_arn` must admit them (and `PROMETHEUS_SERVICE_PRINCIPAL` with workspaces)."""
PROMETHEUS_SERVICE_PRINCIPAL = "aps.amazonaws.com"
"""The alert manager of Amazon Managed Service for Prometheus, publishing as itself."""


class ComparisonOperator(enum.StrEnum):
    """How the statistic is compared with the threshold."""

    GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
    GREATER_THAN_OR_EQUAL_TO_THRESHOLD = "GreaterThanOrEqualToThreshold"
    LESS_THAN_THRESHOLD = "LessThanThreshold"
    LESS_THAN_OR_EQUAL_TO_THRESHOLD = "LessThanOrEqualToThreshold"


class MissingData(enum.StrEnum):
    """How periods without data count."""

    MISSING = "missing"
    NOT_BREACHING = "notBreaching"
    BREACHING = "breaching"
    IGNORE = "ignore"


class MetricArgs(TypedDict):
    """One CloudWatch metric series."""

    namespace: str
    """E.g. `AWS/RDS`."""
    metric_name: str
    """E.g. `CPUUtilization`."""
    dimensions: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Dimension values; pass Outputs of the watched resource so the alarm depends on it.
    Default: none."""
    statistic: NotRequired[str]
    """`SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum`. Default: `Average`."""
    period_seconds: NotRequired[int]
    """10, 20, 30 or a multiple of 60. Default: 300."""
    label: NotRequired[str]
    """Legend label on dashboards. Default: none."""


class MetricQueryArgs(TypedDict):
    """A metric named for use in an alarm's `expression`."""

    id: str
    """Lower-case identifier used in the expression, e.g. `m1` (not `e1`, the expression's)."""
    metric: MetricArgs
    """The metric."""


class AlarmArgs(TypedDict):
    """One metric alarm: a single metric, or an expression over `queries`."""

    name: str
    """Physical alarm name, unique in the account and region."""
    description: str
    """What breached means and what to do."""
    comparison: ComparisonOperator
    """How the value is compared with `threshold`."""
    threshold: float
    """The threshold, in the metric's unit."""
    metric: NotRequired[MetricArgs]
    """The metric alarmed on. Give exactly one of `metric` and `expression`."""
    expression: NotRequired[str]
    """A metric-math expression over `queries`, e.g. `user + system`."""
    queries: NotRequired[Sequence[MetricQueryArgs]]
    """The metrics `expression` refers to. Default: none."""
    label: NotRequired[str]
    """Label of the expression. Default: the alarm name."""
    evaluation_periods: NotRequired[int]
    """Periods looked at. Default: 3."""
    datapoints_to_alarm: NotRequired[int]
    """Breaching periods (of `evaluation_periods`) that fire the alarm. Default: all of them."""
    treat_missing_data: NotRequired[MissingData]
    """Default: `missing`."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of this alarm (its owner's). Default: the component's `tags`."""


class AlarmsArgs(TypedDict):
    """Inputs of an Alarms."""

    topic_name: NotRequired[str]
    """Create this SNS topic for the alarms. Give exactly one of `topic_name` and `topic_arn`."""
    topic_arn: NotRequired[pulumi.Input[str]]
    """Notify this existing topic instead (e.g. another Alarms' `topic_arn`); nothing but the
    alarms is created."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key encrypting the new topic; it must admit `KMS_SERVICE_PRINCIPALS` (and
    `PROMETHEUS_SERVICE_PRINCIPAL` with `prometheus_workspace_arns`). Default: a key of its own
    that does."""
    emails: NotRequired[Sequence[str]]
    """E-mail subscriptions of the new topic (each confirms by mail). Default: none."""
    https_endpoints: NotRequired[Sequence[str]]
    """HTTPS subscriptions of the new topic, e.g. an incident tool's URL with its integration
    key: kept secret in state and never in resource names. Default: none."""
    prometheus_workspace_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Prometheus workspaces whose alert manager may publish to the new topic. Default: none."""
    alarms: NotRequired[Sequence[AlarmArgs]]
    """The alarms. Default: none (add more with `add`)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource (alarms may carry their own). Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """The new topic holds confirmed subscriptions: protect it (and its own key) like data.
    Default: see LifecycleArgs."""


def physical_names(topic_name: str | None = None,
                   alarm_names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The physical names an Alarms creates."""
    names = [("sns-topic", topic_name)] if topic_name else []
    return names + [("alarm", name) for name in alarm_names]


def metric_args(metric: Metric) -> MetricArgs:
    """A store's `Metric` as plain arguments."""
    out: MetricArgs = {"namespace": metric.namespace, "metric_name": metric.name,
                       "dimensions": dict(metric.dimensions), "statistic": metric.statistic,
                       "period_seconds": metric.period_seconds}
    if metric.label:
        out["label"] = metric.label
    return out


def alarm_args(spec: AnySpec, name: str, *, description: str | None = None,
               tags: Mapping[str, str] | None = None) -> AlarmArgs:
    """An `AlarmSpec` or `MathAlarmSpec` (from a store's `alarm_specs()` or the platform
    plans) as plain arguments, named `name`."""
    alarm: AlarmArgs = {
        "name": name, "description": description or spec.description,
        "comparison": ComparisonOperator(spec.comparison), "threshold": float(spec.threshold),
        "evaluation_periods": spec.evaluation_periods,
        "datapoints_to_alarm": spec.datapoints_to_alarm,
        "treat_missing_data": MissingData(spec.treat_missing_data)}
    if isinstance(spec, MathAlarmSpec):
        alarm["expression"] = spec.expression
        alarm["label"] = spec.label
        alarm["queries"] = [{"id": qid, "metric": metric_args(m)}
                            for qid, m in spec.metrics.items()]
    else:
        alarm["metric"] = metric_args(spec.metric)
    if tags is not None:
        alarm["tags"] = dict(tags)
    return alarm


class Alarms(pulumi.ComponentResource):
    """Metric alarms notifying one encrypted SNS topic, created here or given."""

    topic_arn: pulumi.Output[str]
    """The topic the alarms notify; for a topic created here it resolves once the topic policy
    exists too, so publishers wired to it wait for their permission."""

    def __init__(self, name: str, args: AlarmsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Alarms", name, None, opts)
        args = _args.validate("Alarms", name, args, AlarmsArgs)
        self._name = name
        self._tags = dict(args.get("tags", {}))
        self._names: set[str] = set()
        alarms = list(args.get("alarms", []))
        problems = topic_problems(args) + [
            p for alarm in alarms for p in alarm_problems(alarm)]
        seen = [a["name"] for a in alarms]
        problems += [f"alarms: {n!r} is named twice" for n in sorted(set(seen))
                     if seen.count(n) > 1]
        if problems:
            raise _args.ComponentArgsError(f"Alarms {name!r}: " + "; ".join(problems))
        if "topic_arn" in args:
            self.topic_arn = pulumi.Output.from_input(args["topic_arn"])
        else:
            self.topic_arn = self._topic(name, args)
        for alarm in alarms:
            self._register(alarm, ())
        self.register_outputs({"topicArn": self.topic_arn})

    def add(self, spec: AnySpec, *, alarm_name: str, description: str | None = None,
            tags: Mapping[str, str] | None = None,
            aliases: Sequence[pulumi.Alias] = ()) -> aws.cloudwatch.MetricAlarm:
        """Alarm on a store's or platform plan's spec, named `alarm_name`. `aliases` name the
        alarm resource's earlier addresses, so moving it here updates it in place."""
        return self.add_alarm(alarm_args(spec, alarm_name, description=description, tags=tags),
                              aliases=aliases)

    def add_alarm(self, alarm: AlarmArgs,
                  aliases: Sequence[pulumi.Alias] = ()) -> aws.cloudwatch.MetricAlarm:
        """One more alarm from plain arguments (checked like the constructor's)."""
        alarm = _args.validate("Alarms.add_alarm", self._name, alarm, AlarmArgs)
        problems = alarm_problems(alarm)
        if problems:
            raise _args.ComponentArgsError(f"Alarms {self._name!r}: " + "; ".join(problems))
        return self._register(alarm, aliases)

    def _register(self, alarm: AlarmArgs,
                  aliases: Sequence[pulumi.Alias]) -> aws.cloudwatch.MetricAlarm:
        if alarm["name"] in self._names:
            raise _args.ComponentArgsError(
                f"Alarms {self._name!r}: two alarms named {alarm['name']!r}")
        self._names.add(alarm["name"])
        periods = alarm.get("evaluation_periods", DEFAULT_EVALUATION_PERIODS)
        inputs: dict[str, Any] = {
            "name": alarm["name"],
            "alarm_description": alarm["description"],
            "comparison_operator": str(alarm["comparison"]),
            "threshold": float(alarm["threshold"]),
            "evaluation_periods": periods,
            "datapoints_to_alarm": alarm.get("datapoints_to_alarm", periods),
            "treat_missing_data": str(alarm.get("treat_missing_data", MissingData.MISSING)),
            "actions_enabled": True,
            "alarm_actions": [self.topic_arn],
            "ok_actions": [self.topic_arn],
            "tags": dict(alarm.get("tags", self._tags)),
        }
        if "metric" in alarm:
            m = alarm["metric"]
            inputs.update(namespace=m["namespace"], metric_name=m["metric_name"],
                          dimensions=dict(m.get("dimensions", {})),
                          statistic=m.get("statistic", DEFAULT_STATISTIC),
                          period=m.get("period_seconds", DEFAULT_PERIOD_SECONDS))
        else:
            inputs["metric_queries"] = [
                {"id": EXPRESSION_ID, "expression": alarm["expression"],
                 "label": alarm.get("label", alarm["name"]), "return_data": True},
                *[_query(q) for q in alarm.get("queries", [])]]
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{alarm['name']}", **inputs,
            opts=pulumi.ResourceOptions(parent=self, aliases=list(aliases)))

    def _topic(self, name: str, args: AlarmsArgs) -> pulumi.Output[str]:
        lifecycle = args.get("lifecycle")
        workspaces = list(args.get("prometheus_workspace_arns", []))
        child = pulumi.ResourceOptions(parent=self)
        key_arn = args.get("kms_key_arn")
        if key_arn is None:
            principals = [*KMS_SERVICE_PRINCIPALS,
                          *([PROMETHEUS_SERVICE_PRINCIPAL] if workspaces else [])]
            key_args: EncryptionKeyArgs = {
                "description": f"Alarm topic {args['topic_name']}: notifications at rest",
                "tags": self._tags, "service_principals": principals}
            if lifecycle is not None:
                key_args["lifecycle"] = lifecycle
            key_arn = EncryptionKey(f"{name}-key", key_args, opts=child).arn
        topic = aws.sns.Topic(f"{name}-topic", name=args["topic_name"],
                              display_name=args["topic_name"], kms_master_key_id=key_arn,
                              tags=self._tags, opts=lifecycle_options(self, lifecycle))
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        policy = aws.sns.TopicPolicy(
            f"{name}-policy", arn=topic.arn, opts=child,
            policy=pulumi.Output.all(topic.arn, account, region, partition, workspaces).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1], v[2], v[3], v[4]),
                                     sort_keys=True)))
        for email in args.get("emails", []):
            slug = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
            aws.sns.TopicSubscription(f"{name}-email-{slug}", topic=topic.arn, protocol="email",
                                      endpoint=email, opts=child)
        for url in args.get("https_endpoints", []):
            aws.sns.TopicSubscription(
                f"{name}-https-{_digest(url)}", topic=topic.arn, protocol="https",
                # The URL carries the integration key: secret in state and in the engine's
                # view; the provider keeps the matching output secret too.
                endpoint=pulumi.Output.secret(url), endpoint_auto_confirms=False, opts=child)
        return pulumi.Output.all(topic.arn, policy.id).apply(lambda v: str(v[0]))


def topic_policy(topic_arn: str, account_id: str, region: str, partition: str = "aws",
                 workspace_arns: Sequence[str] = ()) -> dict[str, Any]:
    """Who may publish: this account's CloudWatch alarms, the given Prometheus workspaces'
    alert managers, each limited by source account and ARN against the confused deputy; and
    never over plain HTTP."""
    statements: list[dict[str, Any]] = [
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
        {"Sid": "CloudWatchAlarmsOfThisAccount", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
         "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                       "ArnLike": {"aws:SourceArn":
                                   f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"}}},
    ]
    if workspace_arns:
        # The statement AMP documents, with its confused-deputy conditions:
        # https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-AMPpermission.html
        statements.append({
            "Sid": "PrometheusAlertManager", "Effect": "Allow",
            "Principal": {"Service": PROMETHEUS_SERVICE_PRINCIPAL},
            "Action": ["sns:GetTopicAttributes", "sns:Publish"], "Resource": topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": sorted(workspace_arns)},
                          "StringEquals": {"aws:SourceAccount": account_id}}})
    statements.append({
        "Sid": "DenyPublishWithoutTls", "Effect": "Deny", "Principal": "*",
        "Action": "sns:Publish", "Resource": topic_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    return {"Version": "2012-10-17", "Statement": statements}


def _digest(url: str) -> str:
    """Subscriptions are keyed by a digest: URLs are long and carry tokens that do not belong
    in URNs."""
    return hashlib.sha256(url.encode()).hexdigest()[:10]


def _query(query: MetricQueryArgs) -> dict[str, Any]:
    m = query["metric"]
    return {"id": query["id"], "return_data": False,
            "metric": {"namespace": m["namespace"], "metric_name": m["metric_name"],
                       "dimensions": dict(m.get("dimensions", {})),
                       "stat": m.get("statistic", DEFAULT_STATISTIC),
                       "period": m.get("period_seconds", DEFAULT_PERIOD_SECONDS)}}
