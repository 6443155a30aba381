from __future__ import annotations

import re

import promql_parser
import pytest
import yaml

from components._alarms import (
    ACTIVE_CONTROLLER,
    CONSUMER_LAG,
    DEFAULT_MAX_LAG_MESSAGES,
    EXPORTER_DOWN,
    OFFLINE_PARTITIONS,
    THRESHOLDS,
    UNDER_REPLICATED,
)
from components._prometheus_rules import (
    alert_manager_definition,
    broker_hosts,
    eks_scrape_configuration,
    msk_scrape_configuration,
    rules_yaml,
)

CONSUMERS = [{"service": "payments", "topic": "orders.order-events", "group": "payments",
              "max_lag_messages": 5000},
             {"service": "analytics", "topic": "payments.payment-events", "group": "analytics"}]
DURATION = re.compile(r"^\d+[smhdwy]$")
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

def _rules():
    return yaml.safe_load(rules_yaml(CONSUMERS))


def test_rules_file_has_the_prometheus_structure():
    doc = _rules()
    assert set(doc) == {"groups"}
    names = [g["name"] for g in doc["groups"]]
    assert len(names) == len(set(names))
    for group in doc["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"}
        assert group["rules"]
        for rule in group["rules"]:
            assert ("record" in rule) != ("alert" in rule), rule
            allowed = {"record", "expr", "labels"} if "record" in rule else \
                {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
            assert set(rule) <= allowed, rule
            assert isinstance(rule["expr"], str) and rule["expr"]
            if "record" in rule:
                assert METRIC_NAME.match(rule["record"])
            else:
                assert DURATION.match(rule["for"])
                assert all(LABEL_NAME.match(k) for k in rule["labels"])
                assert {"summary", "description"} <= set(rule["annotations"])


def test_every_expression_parses_as_promql():
    for group in _rules()["groups"]:
        for rule in group["rules"]:
            promql_parser.parse(rule["expr"])


def test_parser_rejects_broken_promql():
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(x[5m])")


def test_one_lag_alert_per_declared_consumer_with_its_threshold():
    alerts = [r for g in _rules()["groups"] for r in g["rules"]
              if r.get("alert") == "KafkaConsumerLagHigh"]
    assert len(alerts) == len(CONSUMERS)
    for consumer in CONSUMERS:
        (alert,) = [a for a in alerts if a["labels"]["consumer_group"] == consumer["group"]]
        limit = consumer.get("max_lag_messages", DEFAULT_MAX_LAG_MESSAGES)
        assert alert["expr"].endswith(f"> {limit}")
        assert f'topic="{consumer["topic"]}"' in alert["expr"]
        assert alert["labels"]["service"] == consumer["service"]
        assert alert["for"] == CONSUMER_LAG.sustained == "15m"


def test_broker_health_alerts_and_recording_rules_exist():
    rules = [r for g in _rules()["groups"] for r in g["rules"]]
    alerts = {r["alert"] for r in rules if "alert" in r}
    assert {"KafkaUnderReplicatedPartitions", "KafkaOfflinePartitions",
            "KafkaActiveControllerCount"} <= alerts
    records = {r["record"] for r in rules if "record" in r}
    assert {"topic:kafka_server_bytes_in:rate5m", "group_topic:kafka_consumer_lag:max"} <= records
    assert not [r for r in records if r.startswith("strata")]  # nothing says strata in the library


def test_no_consumers_means_no_lag_group():
    assert [g["name"] for g in yaml.safe_load(rules_yaml([]))["groups"]] == \
        ["kafka-recording", "kafka-brokers"]


def test_msk_scrape_targets_both_exporters_on_every_broker():
    hosts = broker_hosts("b-2.x.kafka:9098,b-1.x.kafka:9098, b-1.x.kafka:9098")
    assert hosts == ["b-1.x.kafka", "b-2.x.kafka"]
    config = yaml.safe_load(msk_scrape_configuration(hosts, "strata-prod"))
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs["msk-jmx"]["dns_sd_configs"] == [{"names": hosts, "type": "A", "port": 11001}]
    assert jobs["msk-node"]["dns_sd_configs"][0]["port"] == 11002


def test_eks_scrape_configuration_is_kubernetes_service_discovery():
    config = yaml.safe_load(eks_scrape_configuration("strata-prod"))
    assert config["global"]["external_labels"] == {"cluster": "strata-prod"}
    for job in config["scrape_configs"]:
        assert job["kubernetes_sd_configs"], job["job_name"]


def test_alert_thresholds_and_durations_come_from_the_one_table():
    by_name = {r["alert"]: r for g in _rules()["groups"] for r in g["rules"] if "alert" in r}
    for name, threshold in [("KafkaUnderReplicatedPartitions", UNDER_REPLICATED),
                            ("KafkaOfflinePartitions", OFFLINE_PARTITIONS),
                            ("KafkaActiveControllerCount", ACTIVE_CONTROLLER),
                            ("KafkaBrokerExporterDown", EXPORTER_DOWN)]:
        assert by_name[name]["for"] == threshold.sustained
        assert by_name[name]["expr"].endswith(f"{threshold.operator} {threshold.value:g}")
    assert {t.alarm for t in THRESHOLDS if t.prometheus} >= {"KafkaBrokerExporterDown"}


def _alertmanager(topic_arn):
    outer = yaml.safe_load(alert_manager_definition(topic_arn))
    assert set(outer) == {"alertmanager_config"}
    return yaml.safe_load(outer["alertmanager_config"])


def test_alert_manager_routes_everything_to_the_topic_with_a_sigv4_region():
    arn = "arn:aws:sns:ca-central-1:123456789012:strata-prod-alarms"
    config = _alertmanager(arn)
    assert set(config) == {"route", "receivers"}
    names = {r["name"] for r in config["receivers"]}
    assert config["route"]["receiver"] in names
    (receiver,) = config["receivers"]
    assert set(receiver) == {"name", "sns_configs"}  # SNS is AMP's only receiver type
    (sns,) = receiver["sns_configs"]
    assert sns["topic_arn"] == arn
    assert sns["sigv4"] == {"region": "ca-central-1"}
    assert not {"api_url", "http_config"} & set(sns)  # refused by AMP
    assert len(sns["subject"]) < 100


@pytest.mark.parametrize("arn", ["arn:aws:sqs:eu-west-1:1:q", "strata-prod-alarms",
                                 "arn:aws:sns:eu-west-1:1"])
def test_alert_manager_refuses_anything_but_a_topic_arn(arn):
    with pytest.raises(ValueError, match="not an SNS topic ARN"):
        alert_manager_definition(arn)
