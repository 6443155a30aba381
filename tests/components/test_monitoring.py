from __future__ import annotations

import json

import pytest

from components import _alarms
from tests.components._monitoring_fixtures import BROKERS, CONSUMERS, SERVICES, build

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KAFKA_PER_BROKER = 2  # disk, cpu
KAFKA_CLUSTER = 3  # under-replicated, offline partitions, active controller
EKS = len(_alarms.eks_alarm_specs("c"))
STORE_SPECS = 2  # FakeStore.alarm_specs returns two per store
MSK_NAME = "mock-msk"  # the mock's clusterName output (infra/_mocks.py)


@pytest.fixture(scope="module")
def registered():
    from tests.conftest import run_mocked
    return run_mocked(build)


def _alarms_by_name(registered):
    return {a["inputs"]["name"]: a for a in registered.of_type(ALARM)}


def test_every_store_spec_consumer_broker_and_cluster_check_has_an_alarm(registered):
    expected = (sum(SERVICES.values()) * STORE_SPECS + len(CONSUMERS)
                + BROKERS * KAFKA_PER_BROKER + KAFKA_CLUSTER + EKS)
    names = _alarms_by_name(registered)
    assert len(registered.of_type(ALARM)) == len(names) == expected
    for service, count in SERVICES.items():
        for i in range(count):
            assert f"test-{service}-{service}-t{i}-throttles" in names
    for service, topic, group, _ in CONSUMERS:
        assert f"test-{service}-lag-{group}-{topic.replace('.', '-')}" in names


def test_every_alarm_notifies_the_alarm_topic_on_breach_and_recovery(registered):
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:topic/test-alarms"
    topic = registered.one("aws:sns/topic:Topic")
    assert topic["inputs"]["name"] == "strata-test-alarms"
    for alarm in registered.of_type(ALARM):
        assert alarm["inputs"]["alarmActions"] == [topic_arn.replace("test-alarms",
                                                                     "strata-test-alarms")]
        assert alarm["inputs"]["okActions"] == alarm["inputs"]["alarmActions"]
        assert topic["urn"] in alarm["propertyDependencies"]["alarmActions"]


def test_alarm_topic_is_encrypted_with_the_platform_key(registered):
    topic = registered.one("aws:sns/topic:Topic")
    key = registered.one("aws:kms/key:Key")
    assert topic["inputs"]["kmsMasterKeyId"].endswith(":key/platform-key-key")
    assert key["urn"] in topic["propertyDependencies"]["kmsMasterKeyId"]


def test_topic_policy_lets_only_this_accounts_cloudwatch_publish(registered):
    policy = json.loads(registered.one("aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_subscriptions_follow_config(registered):
    subs = {s["inputs"]["protocol"]: s["inputs"]["endpoint"]
            for s in registered.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert subs == {"email": "oncall@example.com", "https": "https://hooks.example.com/strata"}


def test_store_alarms_carry_owner_tags_description_and_store_dependency(registered):
    names = _alarms_by_name(registered)
    alarm = names["test-orders-orders-t1-errors"]
    assert alarm["inputs"]["tags"]["service"] == "orders"
    assert alarm["inputs"]["tags"]["owner"] == "team-orders"
    assert alarm["inputs"]["alarmDescription"].endswith("Owner: orders (team-orders).")
    # thresholds come from the service's AlarmThresholds (cpu_percent=75 in the fixture)
    assert alarm["inputs"]["threshold"] == 75.0
    table = registered.named("orders-t1")
    assert table["urn"] in alarm["propertyDependencies"]["dimensions"]


def test_consumer_lag_alarm_uses_declared_threshold_and_msk_dimensions(registered):
    names = _alarms_by_name(registered)
    msk = registered.one("aws:msk/cluster:Cluster")
    for service, topic, group, max_lag in CONSUMERS:
        alarm = names[f"test-{service}-lag-{group}-{topic.replace('.', '-')}"]
        inputs = alarm["inputs"]
        assert (inputs["namespace"], inputs["metricName"]) == ("AWS/Kafka", "MaxOffsetLag")
        assert inputs["dimensions"] == {"Cluster Name": MSK_NAME, "Consumer Group": group,
                                        "Topic": topic}
        assert inputs["threshold"] == float(max_lag)
        assert inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert inputs["tags"]["service"] == service  # the consumer owns its lag
        assert msk["urn"] in alarm["propertyDependencies"]["dimensions"]


def test_broker_alarms_use_documented_thresholds(registered):
    names = _alarms_by_name(registered)
    for b in range(1, BROKERS + 1):
        disk = names[f"test-platform-kafka-broker-{b}-disk"]["inputs"]
        assert disk["metricName"] == "KafkaDataLogsDiskUsed"
        assert disk["dimensions"] == {"Cluster Name": MSK_NAME, "Broker ID": str(b)}
        assert disk["threshold"] == _alarms.BROKER_DISK_USED_PERCENT == 85.0
        cpu = names[f"test-platform-kafka-broker-{b}-cpu"]["inputs"]
        assert cpu["threshold"] == _alarms.BROKER_CPU_PERCENT == 60.0
        queries = {q["id"]: q for q in cpu["metricQueries"]}
        assert queries["e1"]["expression"] == "user + system"
        assert queries["e1"]["returnData"] is True
        assert {queries[i]["metric"]["metricName"] for i in ("user", "system")} == \
            {"CpuUser", "CpuSystem"}
    urp = names["test-platform-kafka-under-replicated"]["inputs"]
    assert urp["threshold"] == 0.0
    assert len(urp["metricQueries"]) == BROKERS + 1
    controller = names["test-platform-kafka-active-controller"]["inputs"]
    assert controller["metricQueries"][0]["expression"] == "IF(controller != 1, 1, 0)"


def test_serverless_kafka_gets_lag_alarms_but_no_broker_alarms(mocked):
    registered = mocked(lambda: build(mode="serverless", eks=False))
    names = set(_alarms_by_name(registered))
    assert not [n for n in names if "kafka-" in n]
    assert len([n for n in names if "-lag-" in n]) == len(CONSUMERS)
    assert not registered.of_type("aws:amp/scraper:Scraper")


def test_eks_alarms_and_scraper_only_with_a_cluster(mocked):
    registered = mocked(lambda: build(eks=False))
    assert not [a for a in registered.of_type(ALARM) if "-eks-" in a["inputs"]["name"]]
    (scraper,) = registered.of_type("aws:amp/scraper:Scraper")
    assert "vpc" in scraper["inputs"]["source"]


def test_eks_scraper_targets_cluster_and_workspace(registered):
    scrapers = {s["name"]: s["inputs"] for s in registered.of_type("aws:amp/scraper:Scraper")}
    eks = scrapers["monitoring-eks-scraper"]
    assert eks["source"]["eks"]["clusterArn"].endswith(":cluster/test-eks")
    assert eks["source"]["eks"]["securityGroupIds"] == ["sg-cluster"]
    assert len(eks["source"]["eks"]["subnetIds"]) == 2
    assert eks["destination"]["amp"]["workspaceArn"].endswith("workspace/monitoring-amp")
    msk = scrapers["monitoring-msk-scraper"]
    assert "11001" in msk["scrapeConfiguration"] and "11002" in msk["scrapeConfiguration"]


def test_msk_exporter_ports_open_only_to_the_scraper(registered):
    rules = [r["inputs"] for r in
             registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r["inputs"]["securityGroupId"] == "sg-brokers"]
    assert rules == [{**rules[0], "fromPort": 11001.0, "toPort": 11002.0}]
    assert "cidrIpv4" not in rules[0] and rules[0]["referencedSecurityGroupId"]


def test_prometheus_workspace_and_logs_are_encrypted_and_retained(registered):
    workspace = registered.one("aws:amp/workspace:Workspace")["inputs"]
    assert workspace["kmsKeyArn"].endswith(":key/platform-key-key")
    assert workspace["loggingConfiguration"]["logGroupArn"].endswith(
        "loggroup//strata/test/prometheus:*")
    logs = registered.named("monitoring-amp-logs")["inputs"]
    assert logs["kmsKeyId"].endswith(":key/platform-key-key")
    assert logs["retentionInDays"] == 30.0
    rules = registered.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace")["inputs"]
    assert "KafkaConsumerLagHigh" in rules["data"]


def test_grafana_is_private_authenticated_and_least_privilege(registered):
    grafana = registered.one("aws:grafana/workspace:Workspace")["inputs"]
    assert grafana["accountAccessType"] == "CURRENT_ACCOUNT"
    assert grafana["authenticationProviders"] == ["AWS_SSO"]
    assert grafana["permissionType"] == "SERVICE_MANAGED"
    assert grafana["dataSources"] == ["PROMETHEUS", "CLOUDWATCH"]
    assert grafana["networkAccessControl"]["prefixListIds"] == []
    assert grafana["networkAccessControl"]["vpceIds"] == ["monitoring-grafana-endpoint-id"]
    assert len(grafana["vpcConfiguration"]["subnetIds"]) == 2
    assert not registered.of_type("aws:grafana/workspaceApiKey:WorkspaceApiKey")
    sg_rules = [r["inputs"] for r in
                registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r["name"].startswith("monitoring-grafana")]
    assert [r["cidrIpv4"] for r in sg_rules] == ["10.0.0.0/16"]
    role = registered.named("monitoring-grafana-role")["inputs"]
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "grafana.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    policy = json.loads(registered.named("monitoring-grafana-read")["inputs"]["policy"])
    aps = policy["Statement"][0]
    assert set(aps["Action"]) == {"aps:QueryMetrics", "aps:GetLabels", "aps:GetSeries",
                                  "aps:GetMetricMetadata"}
    assert aps["Resource"].endswith("workspace/monitoring-amp")


def test_every_taggable_child_carries_platform_tags(registered):
    for record in registered.records:
        if record["custom"] and record["parent"].endswith("monitoring") and \
                "tags" in record["inputs"]:
            assert record["inputs"]["tags"]["environment"] == "test", record["name"]


def test_consumers_without_kafka_are_rejected(mocked):
    consumers = [{"service": "a", "topic": "b.c", "group": "a", "max_lag_messages": 1}]
    with pytest.raises(ValueError, match="consumers need `kafka`"):
        mocked(lambda: build(kafka=False, eks=False, extra={"consumers": consumers}))
