"""Platform alarm plans: every threshold, period and window comes from the one table."""

from __future__ import annotations

import pytest

from components._alarms import (
    ACTIVE_CONTROLLER,
    BROKER_CPU,
    BROKER_DISK,
    CONSUMER_LAG,
    DEFAULT_MAX_LAG_MESSAGES,
    EKS_API_5XX,
    EKS_UNSCHEDULABLE_PODS,
    OFFLINE_PARTITIONS,
    THRESHOLDS,
    UNDER_REPLICATED,
    MathAlarmSpec,
)
from components.alarms import consumer_lag_alarm_spec, eks_alarm_specs, kafka_alarm_specs

BROKERS = 3


def _by_key(specs):
    return {s.key: s for s in specs}


def _metrics(spec):
    return list(spec.metrics.values()) if isinstance(spec, MathAlarmSpec) else [spec.metric]


def _assert_follows(spec, threshold):
    assert (spec.evaluation_periods, spec.datapoints_to_alarm) == (
        threshold.evaluation_periods, threshold.datapoints), spec.key
    for metric in _metrics(spec):
        assert (metric.statistic, metric.period_seconds) == (
            threshold.statistic, threshold.period_seconds), spec.key


def test_broker_alarms_use_the_table():
    specs = _by_key(kafka_alarm_specs("c", BROKERS))
    assert len(specs) == 2 * BROKERS + 3
    for b in range(1, BROKERS + 1):
        disk, cpu = specs[f"kafka-broker-{b}-disk"], specs[f"kafka-broker-{b}-cpu"]
        assert (disk.threshold, disk.comparison) == (BROKER_DISK.value, "GreaterThanThreshold")
        assert disk.metric.dimensions == {"Cluster Name": "c", "Broker ID": str(b)}
        assert cpu.threshold == BROKER_CPU.value and cpu.expression == "user + system"
        _assert_follows(disk, BROKER_DISK)
        _assert_follows(cpu, BROKER_CPU)
    urp = specs["kafka-under-replicated"]
    assert urp.expression == "SUM([b1, b2, b3])" and urp.threshold == UNDER_REPLICATED.value
    _assert_follows(urp, UNDER_REPLICATED)
    _assert_follows(specs["kafka-offline-partitions"], OFFLINE_PARTITIONS)
    controller = specs["kafka-active-controller"]
    assert controller.expression == "IF(controller != 1, 1, 0)"
    assert (controller.threshold, controller.treat_missing_data) == (0.0, "breaching")
    _assert_follows(controller, ACTIVE_CONTROLLER)


def test_serverless_has_no_broker_alarms():
    assert kafka_alarm_specs("c", 0) == []


def test_consumer_lag_uses_the_groups_threshold_or_the_default():
    own = consumer_lag_alarm_spec("c", {"service": "s", "topic": "o.e", "group": "g",
                                        "max_lag_messages": 42})
    assert (own.key, own.threshold) == ("lag-g-o-e", 42.0)
    assert own.metric.dimensions == {"Cluster Name": "c", "Consumer Group": "g", "Topic": "o.e"}
    assert "15 minutes" in own.description
    _assert_follows(own, CONSUMER_LAG)
    default = consumer_lag_alarm_spec("c", {"service": "s", "topic": "o.e", "group": "g"})
    assert default.threshold == DEFAULT_MAX_LAG_MESSAGES == CONSUMER_LAG.value


def test_eks_alarms_use_the_table():
    specs = _by_key(eks_alarm_specs("cl"))
    assert specs["eks-api-5xx"].threshold == EKS_API_5XX.value
    _assert_follows(specs["eks-api-5xx"], EKS_API_5XX)
    _assert_follows(specs["eks-unschedulable-pods"], EKS_UNSCHEDULABLE_PODS)
    assert all(s.treat_missing_data == "notBreaching" for s in specs.values())


@pytest.mark.parametrize("threshold", THRESHOLDS, ids=lambda t: t.alarm)
def test_every_threshold_explains_itself_and_has_a_consistent_window(threshold):
    assert len(threshold.why) > 40
    assert threshold.operator in {">", ">=", "<", "<=", "!=", "=="}
    assert 1 <= threshold.datapoints <= threshold.evaluation_periods
    minutes = threshold.evaluation_periods * threshold.period_seconds // 60
    assert threshold.sustained == f"{minutes}m"
    assert threshold.window.startswith(f"{minutes} minute")
