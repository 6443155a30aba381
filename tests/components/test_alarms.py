"""Alarms: one encrypted topic only CloudWatch (and named AMP workspaces) may publish to, secret
HTTPS endpoints, alarms from plain arguments or store specs, arguments checked first."""

from __future__ import annotations

import json

import pulumi
import pytest

from components._args import ComponentArgsError
from components._store import AlarmSpec, Metric
from components.alarms import Alarms, alarm_args, physical_names, topic_policy
from infra._mocks import MASK
from tests.components._monitoring_fixtures import (
    HOOK,
    KEY_ARN,
    WORKSPACE_ARN,
    build_alarms,
    service_tags,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
MOCK_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:test-alarms"


@pytest.fixture(scope="module")
def registered():
    from tests.conftest import run_mocked
    return run_mocked(build_alarms)


def _policy(registered):
    return json.loads(registered.one("aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])


def test_topic_is_encrypted_with_the_given_key_and_no_key_is_created(registered):
    topic = registered.one(TOPIC)
    assert topic["name"] == "monitoring-alarms-topic"
    assert topic["inputs"]["name"] == "test-alarms"
    assert topic["inputs"]["kmsMasterKeyId"] == KEY_ARN
    assert registered.of_type("aws:kms/key:Key") == []


def test_only_this_accounts_cloudwatch_alarms_and_the_named_workspace_may_publish(registered):
    by_sid = {s["Sid"]: s for s in _policy(registered)["Statement"]}
    cloudwatch = by_sid["CloudWatchAlarmsOfThisAccount"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == "sns:Publish"
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"}}
    amp = by_sid["PrometheusAlertManager"]
    assert amp["Principal"] == {"Service": "aps.amazonaws.com"}
    assert amp["Action"] == ["sns:GetTopicAttributes", "sns:Publish"]
    assert amp["Condition"] == {"ArnEquals": {"aws:SourceArn": [WORKSPACE_ARN]},
                                "StringEquals": {"aws:SourceAccount": "123456789012"}}
    deny = by_sid["DenyPublishWithoutTls"]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert {s["Resource"] for s in by_sid.values()} == {MOCK_TOPIC_ARN}


def test_no_prometheus_statement_without_workspaces():
    sids = [s["Sid"] for s in topic_policy(MOCK_TOPIC_ARN, "1", "eu-west-1")["Statement"]]
    assert sids == ["CloudWatchAlarmsOfThisAccount", "DenyPublishWithoutTls"]


def test_https_endpoint_is_secret_and_never_in_a_name(registered):
    subs = {s["inputs"]["protocol"]: s for s in
            registered.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert subs["email"]["inputs"]["endpoint"] == "oncall@example.com"
    assert subs["https"]["inputs"]["endpoint"] == MASK
    assert subs["https"]["inputs"]["endpointAutoConfirms"] is False
    assert subs["https"]["name"].startswith("monitoring-alarms-https-")
    token = HOOK.rsplit("/", 1)[1]
    everything = json.dumps(registered.records)
    assert token not in everything


def test_every_alarm_notifies_the_topic_once_its_policy_exists(registered):
    topic = registered.one(TOPIC)["urn"]
    policy = registered.one("aws:sns/topicPolicy:TopicPolicy")["urn"]
    alarms = registered.of_type(ALARM)
    assert len(alarms) == 2
    for alarm in alarms:
        assert alarm["inputs"]["alarmActions"] == [MOCK_TOPIC_ARN]
        assert alarm["inputs"]["okActions"] == [MOCK_TOPIC_ARN]
        assert alarm["inputs"]["actionsEnabled"] is True
        assert {topic, policy} <= set(alarm["propertyDependencies"]["alarmActions"])


def test_single_metric_alarm_takes_defaults_and_its_own_tags(registered):
    alarm = registered.named("monitoring-alarms-test-orders-throttles")
    inputs = alarm["inputs"]
    assert (inputs["namespace"], inputs["metricName"], inputs["statistic"], inputs["period"]) == (
        "AWS/DynamoDB", "ThrottledRequests", "Sum", 300.0)
    assert (inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (3.0, 3.0)
    assert inputs["treatMissingData"] == "missing"
    assert inputs["tags"]["service"] == "orders"
    table = registered.named("orders-t0")["urn"]
    assert table in alarm["propertyDependencies"]["dimensions"]


def test_expression_alarm_returns_only_the_expression(registered):
    alarm = registered.named("monitoring-alarms-test-orders-error-rate")
    inputs = alarm["inputs"]
    queries = {q["id"]: q for q in inputs["metricQueries"]}
    assert queries["e1"] == {"id": "e1", "expression": "100 * errors / requests",
                             "label": "test-orders-error-rate", "returnData": True}
    assert queries["requests"]["metric"]["period"] == 60.0
    assert queries["errors"]["metric"]["stat"] == "Average"
    assert not queries["errors"]["returnData"]
    assert (inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (5.0, 2.0)
    assert inputs["treatMissingData"] == "notBreaching"
    assert inputs["tags"]["service"] == "platform"  # the component's tags
    assert "namespace" not in inputs


def test_own_key_admits_cloudwatch_and_amp_and_follows_the_lifecycle(mocked):
    registered = mocked(lambda: build_alarms(kms_key_arn=None,
                                             lifecycle={"protect": True,
                                                        "retain_on_delete": True}))
    key = registered.one("aws:kms/key:Key")
    statement = next(s for s in json.loads(key["inputs"]["policy"])["Statement"]
                     if s["Sid"] == "AwsServicePrincipals")
    assert statement["Principal"] == {"Service": ["aps.amazonaws.com",
                                                  "cloudwatch.amazonaws.com"]}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    topic = registered.one(TOPIC)
    assert key["urn"] in topic["propertyDependencies"]["kmsMasterKeyId"]
    for resource in (topic, key):
        assert resource["protect"] and resource["retainOnDelete"], resource["name"]
    assert not registered.one("aws:sns/topicPolicy:TopicPolicy")["protect"]


def test_own_key_without_workspaces_admits_cloudwatch_only(mocked):
    registered = mocked(lambda: build_alarms(kms_key_arn=None, prometheus_workspace_arns=None))
    policy = json.loads(registered.one("aws:kms/key:Key")["inputs"]["policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == "AwsServicePrincipals")
    assert statement["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}


def test_existing_topic_mode_creates_only_alarms(mocked):
    def build():
        alarms = Alarms("orders-alarms", {"topic_arn": MOCK_TOPIC_ARN,
                                           "tags": service_tags("orders")})
        spec = AlarmSpec("t0-cpu", Metric("AWS/RDS", "CPUUtilization", {"Db": "db"}),
                         "GreaterThanThreshold", 80.0, "CPU high.")
        alarms.add(spec, alarm_name="test-orders-t0-cpu", description="CPU high. Owner: x.",
                   aliases=[pulumi.Alias(name="monitoring-orders-t0-cpu")])

    registered = mocked(build)
    assert registered.of_type(TOPIC) == []
    assert registered.of_type("aws:sns/topicPolicy:TopicPolicy") == []
    (alarm,) = registered.of_type(ALARM)
    assert alarm["name"] == "orders-alarms-test-orders-t0-cpu"
    assert alarm["inputs"]["alarmActions"] == [MOCK_TOPIC_ARN]
    assert alarm["inputs"]["alarmDescription"] == "CPU high. Owner: x."
    assert alarm["inputs"]["tags"]["service"] == "orders"
    assert [a["spec"]["name"] for a in alarm["aliases"]] == ["monitoring-orders-t0-cpu"]


def test_store_spec_converts_to_plain_alarm_arguments():
    spec = AlarmSpec("k", Metric("NS", "M", {"D": "v"}, "Maximum", 60, "lbl"),
                     "LessThanThreshold", 5, "Low.", evaluation_periods=2,
                     datapoints_to_alarm=1, treat_missing_data="breaching")
    assert alarm_args(spec, "env-svc-k", tags={"service": "svc"}) == {
        "name": "env-svc-k", "description": "Low.", "comparison": "LessThanThreshold",
        "threshold": 5.0, "evaluation_periods": 2, "datapoints_to_alarm": 1,
        "treat_missing_data": "breaching", "tags": {"service": "svc"},
        "metric": {"namespace": "NS", "metric_name": "M", "dimensions": {"D": "v"},
                   "statistic": "Maximum", "period_seconds": 60, "label": "lbl"}}


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"topic_nmae": "x"}, "did you mean 'topic_name'"),
    ({"emails": "oncall@example.com"}, "'emails' expects list of str"),
    ({"topic_name": None, "topic_arn": None}, "exactly one of topic_name"),
    ({"topic_name": "bad name"}, "sns-topic name 'bad name'"),
    ({"emails": ["a@example.com", "a@example.com"]}, "listed twice"),
    ({"https_endpoints": ["http://insecure.example.com/x"]}, "not an https:// URL"),
    ({"alarms": [{"name": "a", "description": "d", "comparison": "Above", "threshold": 1,
                  "metric": {"namespace": "N", "metric_name": "M"}}]},
     "'alarms\\[0\\].comparison' expects GreaterThanThreshold"),
    ({"alarms": [{"name": "a", "description": "d", "comparison": "GreaterThanThreshold",
                  "threshold": 1}]}, "exactly one of metric and expression"),
    ({"alarms": [{"name": "a", "description": "d", "comparison": "GreaterThanThreshold",
                  "threshold": 1, "expression": "m1", "queries": [
                      {"id": "e1", "metric": {"namespace": "N", "metric_name": "M"}}]}]},
     "query id 'e1'"),
    ({"alarms": [{"name": "a", "description": "d", "comparison": "GreaterThanThreshold",
                  "threshold": 1, "evaluation_periods": 2, "datapoints_to_alarm": 3,
                  "metric": {"namespace": "N", "metric_name": "M", "period_seconds": 45}}]},
     "datapoints_to_alarm"),
    ({"alarms": [{"name": "a", "description": "d", "comparison": "GreaterThanThreshold",
                  "threshold": 1, "metric": {"namespace": "N", "metric_name": "M",
                                             "period_seconds": 45, "statistic": "p99"}}]},
     "period_seconds 45"),
])
def test_bad_arguments_are_refused_before_anything_is_registered(mocked, extra, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: build_alarms(**extra))


def test_existing_topic_refuses_topic_settings(mocked):
    with pytest.raises(ComponentArgsError, match="emails configure a topic created here"):
        mocked(lambda: Alarms("a", {"topic_arn": MOCK_TOPIC_ARN, "emails": ["x@example.com"]}))


def test_an_alarm_name_is_used_once(mocked):
    spec = AlarmSpec("k", Metric("NS", "M", {}), "GreaterThanThreshold", 1.0, "d")

    def build():
        alarms = Alarms("a", {"topic_arn": MOCK_TOPIC_ARN})
        alarms.add(spec, alarm_name="same")
        alarms.add(spec, alarm_name="same")
    with pytest.raises(ComponentArgsError, match="two alarms named 'same'"):
        mocked(build)


def test_physical_names_cover_topic_and_alarms():
    assert physical_names("t", ["a", "b"]) == [("sns-topic", "t"), ("alarm", "a"),
                                                ("alarm", "b")]
    assert physical_names(alarm_names=["a"]) == [("alarm", "a")]


def test_provider_host_infers_the_schema():
    from pulumi.provider.experimental.analyzer import Analyzer

    result = Analyzer("strata").analyze([Alarms])
    alarms = result["component_definitions"]["Alarms"]
    assert {"topicName", "topicArn", "kmsKeyArn", "emails", "httpsEndpoints",
            "prometheusWorkspaceArns", "alarms", "tags", "lifecycle"} == set(alarms.inputs)
    assert set(alarms.outputs) == {"topicArn"}
    assert {"ComparisonOperator", "MissingData", "AlarmArgs", "MetricArgs",
            "MetricQueryArgs"} <= set(result["type_definitions"])


def test_prods_configured_endpoint_appears_nowhere_in_its_manifest():
    import yaml

    from tests.conftest import ROOT, synthesized

    config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    (url,) = config["strata:monitoring"]["alarmHttpsEndpoints"]
    manifest = json.dumps(synthesized("prod"))
    assert url not in manifest
    assert "pagerduty" not in manifest  # not even its host
