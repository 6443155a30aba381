"""Pure builders for Amazon Managed Prometheus: scrape configurations and the rules file.

Metric names are those MSK open monitoring exposes (JMX exporter on broker port 11001, node
exporter on 11002): https://docs.aws.amazon.com/msk/latest/developerguide/open-monitoring.html
and the AMP managed collector's scrape configuration format:
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html
Alert manager configuration (AMP supports only SNS receivers, and needs a SigV4 region):
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-config.html
No Pulumi import: Observability resolves Outputs first and passes plain values in. Alert
thresholds come from `components._alarms` (one table with the CloudWatch alarms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

from components._alarms import (
    ACTIVE_CONTROLLER,
    CONSUMER_LAG,
    EXPORTER_DOWN,
    OFFLINE_PARTITIONS,
    UNDER_REPLICATED,
    Threshold,
    max_lag,
)

if TYPE_CHECKING:
    from components._alarms import ConsumerGroup

__all__ = [
    "JMX_EXPORTER_PORT",
    "NODE_EXPORTER_PORT",
    "alert_manager_definition",
    "broker_hosts",
    "eks_scrape_configuration",
    "msk_scrape_configuration",
    "rules_document",
    "rules_yaml",
]

JMX_EXPORTER_PORT = 11001
NODE_EXPORTER_PORT = 11002
SCRAPE_INTERVAL = "30s"

RULE_NAMESPACE = "kafka"
"""Name of the rule group namespace in the workspace."""

# Recording rule names follow the Prometheus `level:metric:operations` convention.
TOPIC_BYTES_IN = "topic:kafka_server_bytes_in:rate5m"
TOPIC_MESSAGES_IN = "topic:kafka_server_messages_in:rate5m"
GROUP_LAG_MAX = "group_topic:kafka_consumer_lag:max"
URP_SUM = "cluster:kafka_under_replicated_partitions:sum"
BROKER_CPU = "instance:kafka_broker_cpu:percent"

LAG_METRIC = 'kafka_consumer_group_ConsumerLagMetrics_Value{name="OffsetLag"}'
"""Per-partition offset lag of each consumer group, as MSK open monitoring labels it."""


def broker_hosts(bootstrap_brokers: str) -> list[str]:
    """`b-1.x:9098,b-2.x:9098` -> `["b-1.x", "b-2.x"]` (sorted, unique)."""
    hosts = {entry.strip().rsplit(":", 1)[0] for entry in bootstrap_brokers.split(",")
             if entry.strip()}
    return sorted(hosts)


def msk_scrape_configuration(hosts: Sequence[str], cluster_name: str) -> str:
    """Scrape the brokers' JMX and node exporters (the scraper must reach 11001-11002)."""
    def job(name: str, port: int) -> dict[str, Any]:
        return {
            "job_name": name,
            "dns_sd_configs": [{"names": list(hosts), "type": "A", "port": port}],
            "relabel_configs": [{"target_label": "cluster", "replacement": cluster_name}],
        }
    config = {"global": {"scrape_interval": SCRAPE_INTERVAL,
                         "external_labels": {"source": "msk"}},
              "scrape_configs": [job("msk-jmx", JMX_EXPORTER_PORT),
                                 job("msk-node", NODE_EXPORTER_PORT)]}
    return yaml.safe_dump(config, sort_keys=False)


def eks_scrape_configuration(cluster_name: str) -> str:
    """API server, kubelet cAdvisor through the API proxy, and pods annotated for scraping."""
    token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL,
                   "external_labels": {"cluster": cluster_name}},
        "scrape_configs": [
            {"job_name": "kubernetes-apiservers", "scheme": "https",
             "bearer_token_file": token,
             "kubernetes_sd_configs": [{"role": "endpoints"}],
             "relabel_configs": [{
                 "source_labels": ["__meta_kubernetes_namespace",
                                   "__meta_kubernetes_service_name",
                                   "__meta_kubernetes_endpoint_port_name"],
                 "action": "keep", "regex": "default;kubernetes;https"}]},
            {"job_name": "kubernetes-nodes-cadvisor", "scheme": "https",
             "bearer_token_file": token,
             "kubernetes_sd_configs": [{"role": "node"}],
             "relabel_configs": [
                 {"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"},
                 {"target_label": "__address__", "replacement": "kubernetes.default.svc:443"},
                 {"source_labels": ["__meta_kubernetes_node_name"], "regex": "(.+)",
                  "target_label": "__metrics_path__",
                  "replacement": "/api/v1/nodes/$1/proxy/metrics/cadvisor"}]},
            {"job_name": "kubernetes-pods",
             "kubernetes_sd_configs": [{"role": "pod"}],
             "relabel_configs": [
                 {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                  "action": "keep", "regex": "true"},
                 {"source_labels": ["__meta_kubernetes_namespace"],
                  "target_label": "namespace"},
                 {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def _recording_rules() -> list[dict[str, Any]]:
    bytes_in = 'kafka_server_BrokerTopicMetrics_Count{name="BytesInPerSec",topic!=""}'
    msgs_in = 'kafka_server_BrokerTopicMetrics_Count{name="MessagesInPerSec",topic!=""}'
    return [
        {"record": TOPIC_BYTES_IN, "expr": f"sum by (topic) (rate({bytes_in}[5m]))"},
        {"record": TOPIC_MESSAGES_IN, "expr": f"sum by (topic) (rate({msgs_in}[5m]))"},
        {"record": GROUP_LAG_MAX, "expr": f"max by (groupId, topic) ({LAG_METRIC})"},
        {"record": URP_SUM,
         "expr": 'sum(kafka_server_ReplicaManager_Value{name="UnderReplicatedPartitions"})'},
        {"record": BROKER_CPU,
         "expr": '100 * (1 - avg by (instance) '
                 '(rate(node_cpu_seconds_total{job="msk-node",mode="idle"}[5m])))'},
    ]


def _alert(name: str, expr: str, threshold: Threshold, severity: str, summary: str,
           description: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """An alerting rule firing once `expr` holds for the threshold's whole evaluation window."""
    return {"alert": name, "expr": expr, "for": threshold.sustained,
            "labels": {"severity": severity, **(labels or {"service": "platform"})},
            "annotations": {"summary": summary, "description": description}}


def _broker_alerts() -> list[dict[str, Any]]:
    controller = 'kafka_controller_KafkaController_Value{name="ActiveControllerCount"}'
    offline = 'kafka_controller_KafkaController_Value{name="OfflinePartitionsCount"}'
    urp, off, ctl, down = UNDER_REPLICATED, OFFLINE_PARTITIONS, ACTIVE_CONTROLLER, EXPORTER_DOWN
    return [
        _alert("KafkaUnderReplicatedPartitions", f"{URP_SUM} {urp.operator} {urp.value:g}", urp,
               "warning", "Kafka partitions are under-replicated",
               f"{{{{ $value }}}} partitions have lost a replica for {urp.window}."),
        _alert("KafkaOfflinePartitions", f"sum({offline}) {off.operator} {off.value:g}", off,
               "critical", "Kafka partitions are offline",
               "{{ $value }} partitions have no leader: their clients are down."),
        _alert("KafkaActiveControllerCount",
               f"sum({controller}) {ctl.operator} {ctl.value:g}", ctl, "critical",
               f"Kafka does not have exactly {ctl.value:g} active controller",
               f"Active controllers: {{{{ $value }}}} (expected {ctl.value:g})."),
        _alert(down.alarm, f'up{{job=~"msk-jmx|msk-node"}} {down.operator} {down.value:g}', down,
               "warning", "A Kafka broker exporter is not answering",
               f"{{{{ $labels.instance }}}} ({{{{ $labels.job }}}}) has not been scraped for "
               f"{down.window}."),
    ]


def _lag_alerts(groups: Sequence[ConsumerGroup]) -> list[dict[str, Any]]:
    lag = CONSUMER_LAG
    return [_alert(
        "KafkaConsumerLagHigh",
        f'{GROUP_LAG_MAX}{{groupId="{g["group"]}",topic="{g["topic"]}"}} {lag.operator} '
        f"{max_lag(g)}", lag, "warning", f"{g['group']} lags on {g['topic']}",
        f"Max offset lag {{{{ $value }}}} exceeds {max_lag(g)} (max_lag_messages of "
        f"{g['service']}) for {lag.window}.",
        labels={"service": g["service"], "consumer_group": g["group"], "topic": g["topic"]})
        for g in sorted(groups, key=lambda g: (g["service"], g["group"], g["topic"]))]


def rules_document(groups: Sequence[ConsumerGroup]) -> dict[str, Any]:
    """The Prometheus rules file as a dict: recording rules, broker and lag alerts."""
    rule_groups: list[dict[str, Any]] = [
        {"name": "kafka-recording", "interval": "1m", "rules": _recording_rules()},
        {"name": "kafka-brokers", "rules": _broker_alerts()},
    ]
    lag = _lag_alerts(groups)
    if lag:
        rule_groups.append({"name": "kafka-consumer-lag", "rules": lag})
    return {"groups": rule_groups}


def rules_yaml(groups: Sequence[ConsumerGroup]) -> str:
    return yaml.safe_dump(rules_document(groups), sort_keys=False, width=120)


ALERT_RECEIVER = "alarm-topic"


def alert_manager_definition(topic_arn: str) -> str:
    """The workspace's alert manager definition: every alert to one SNS topic.

    AMP accepts only SNS receivers in the same account; `sigv4.region` is required, and
    `api_url` / `http_config` are refused (the receiver-config page above). The region is the
    topic's own, read from its ARN. A short subject keeps SNS's 100-character subject limit
    (AMP truncates longer ones:
    https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-validation-truncation.html).
    """
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        raise ValueError(f"not an SNS topic ARN: {topic_arn!r}")
    config = {
        "route": {"receiver": ALERT_RECEIVER, "group_by": ["alertname", "service"],
                  "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": [{"name": ALERT_RECEIVER, "sns_configs": [{
            "topic_arn": topic_arn, "sigv4": {"region": parts[3]},
            "subject": "Prometheus {{ .Status }}: {{ .CommonLabels.alertname }}"}]}],
    }
    return yaml.safe_dump({"alertmanager_config": yaml.safe_dump(config, sort_keys=False)},
                          sort_keys=False, width=1000)
