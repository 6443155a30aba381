from __future__ import annotations

import re

import promql_parser
import pytest
import yaml

from components._alarms import ConsumerLag
from components._prometheus_rules import (
    broker_hosts,
    eks_scrape_configuration,
    msk_scrape_configuration,
    rules_yaml,
)

CONSUMERS = [ConsumerLag("payments", "orders.order-events", "payments", 5000),
             ConsumerLag("analytics", "payments.payment-events", "analytics", 10000)]
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


@pytest.mark.skipif(promql_parser is None, reason="promql-parser (dev extra) not installed")
def test_parser_rejects_broken_promql():
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(x[5m])")


def test_one_lag_alert_per_declared_consumer_with_its_threshold():
    alerts = [r for g in _rules()["groups"] for r in g["rules"]
              if r.get("alert") == "KafkaConsumerLagHigh"]
    assert len(alerts) == len(CONSUMERS)
    for consumer in CONSUMERS:
        (alert,) = [a for a in alerts if a["labels"]["consumer_group"] == consumer.group]
        assert alert["expr"].endswith(f"> {consumer.max_lag_messages}")
        assert f'topic="{consumer.topic}"' in alert["expr"]
        assert alert["labels"]["service"] == consumer.service


def test_broker_health_alerts_and_recording_rules_exist():
    rules = [r for g in _rules()["groups"] for r in g["rules"]]
    alerts = {r["alert"] for r in rules if "alert" in r}
    assert {"KafkaUnderReplicatedPartitions", "KafkaOfflinePartitions",
            "KafkaActiveControllerCount"} <= alerts
    records = {r["record"] for r in rules if "record" in r}
    assert {"strata:kafka_topic_bytes_in:rate5m", "strata:kafka_consumer_group_lag:max"} <= \
        records


def test_no_consumers_means_no_lag_group():
    assert [g["name"] for g in yaml.safe_load(rules_yaml([]))["groups"]] == \
        ["strata-kafka-recording", "strata-kafka-brokers"]


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
