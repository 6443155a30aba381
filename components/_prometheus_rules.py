"""Pure builders for Amazon Managed Prometheus: scrape configurations and the rules file.

Metric names are those MSK open monitoring exposes (JMX exporter on broker port 11001, node
exporter on 11002): https://docs.aws.amazon.com/msk/latest/developerguide/open-monitoring.html
and the AMP managed collector's scrape configuration format:
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html
No Pulumi import: Monitoring resolves Outputs first and passes plain values in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from components._alarms import ACTIVE_CONTROLLER_COUNT, ConsumerLag

__all__ = [
    "JMX_EXPORTER_PORT",
    "NODE_EXPORTER_PORT",
    "broker_hosts",
    "eks_scrape_configuration",
    "msk_scrape_configuration",
    "rules_document",
    "rules_yaml",
]

JMX_EXPORTER_PORT = 11001
NODE_EXPORTER_PORT = 11002
SCRAPE_INTERVAL = "30s"

# Recording rule names follow the Prometheus `level:metric:operations` convention.
TOPIC_BYTES_IN = "strata:kafka_topic_bytes_in:rate5m"
TOPIC_MESSAGES_IN = "strata:kafka_topic_messages_in:rate5m"
GROUP_LAG_MAX = "strata:kafka_consumer_group_lag:max"
URP_SUM = "strata:kafka_under_replicated_partitions:sum"
BROKER_CPU = "strata:kafka_broker_cpu:percent"

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


def _broker_alerts() -> list[dict[str, Any]]:
    controller = 'kafka_controller_KafkaController_Value{name="ActiveControllerCount"}'
    offline = 'kafka_controller_KafkaController_Value{name="OfflinePartitionsCount"}'
    def alert(name: str, expr: str, for_: str, severity: str, summary: str,
              description: str) -> dict[str, Any]:
        return {"alert": name, "expr": expr, "for": for_,
                "labels": {"severity": severity, "service": "platform"},
                "annotations": {"summary": summary, "description": description}}
    return [
        alert("KafkaUnderReplicatedPartitions", f"{URP_SUM} > 0", "15m", "warning",
              "Kafka partitions are under-replicated",
              "{{ $value }} partitions have lost a replica for 15 minutes."),
        alert("KafkaOfflinePartitions", f"sum({offline}) > 0", "1m", "critical",
              "Kafka partitions are offline",
              "{{ $value }} partitions have no leader: their clients are down."),
        alert("KafkaActiveControllerCount",
              f"sum({controller}) != {ACTIVE_CONTROLLER_COUNT:g}", "5m", "critical",
              "Kafka does not have exactly one active controller",
              "Active controllers: {{ $value }} (expected 1)."),
        alert("KafkaBrokerExporterDown", 'up{job=~"msk-jmx|msk-node"} == 0', "5m", "warning",
              "A Kafka broker exporter is not answering",
              "{{ $labels.instance }} ({{ $labels.job }}) has not been scraped for 5 minutes."),
    ]


def _lag_alerts(consumers: Sequence[ConsumerLag]) -> list[dict[str, Any]]:
    return [{
        "alert": "KafkaConsumerLagHigh",
        "expr": f'{GROUP_LAG_MAX}{{groupId="{c.group}",topic="{c.topic}"}} > {c.max_lag_messages}',
        "for": "15m",
        "labels": {"severity": "warning", "service": c.service, "consumer_group": c.group,
                   "topic": c.topic},
        "annotations": {
            "summary": f"{c.group} lags on {c.topic}",
            "description": f"Max offset lag {{{{ $value }}}} exceeds {c.max_lag_messages} "
                           f"(maxLagMessages of {c.service}) for 15 minutes."},
    } for c in sorted(consumers, key=lambda c: (c.service, c.group, c.topic))]


def rules_document(consumers: Sequence[ConsumerLag]) -> dict[str, Any]:
    """The Prometheus rules file as a dict: recording rules, broker and lag alerts."""
    groups: list[dict[str, Any]] = [
        {"name": "strata-kafka-recording", "interval": "1m", "rules": _recording_rules()},
        {"name": "strata-kafka-brokers", "rules": _broker_alerts()},
    ]
    lag = _lag_alerts(consumers)
    if lag:
        groups.append({"name": "strata-kafka-consumer-lag", "rules": lag})
    return {"groups": groups}


def rules_yaml(consumers: Sequence[ConsumerLag]) -> str:
    return yaml.safe_dump(rules_document(consumers), sort_keys=False, width=120)
