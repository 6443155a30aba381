"""Stand-in stores and builders shared by the Alarms, Observability and dashboard tests."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from components._store import AlarmSpec, AlarmThresholds, Metric
from components.alarms import Alarms
from components.observability import Observability, dashboard_row
from stacks.conventions import ownership_tags
from tests.components._platform_fixtures import key_and_network

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/platform-key-key"
WORKSPACE_ARN = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-monitoring-amp"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:test-alarms"
HOOK = "https://events.example.com/integration/0123456789abcdef0123456789abcdef"
MSK_NAME = "mock-msk"  # the mock's clusterName output (infra/_mocks.py)


class FakeStore:
    """A DataStore whose metric dimensions are Outputs of a real (mocked) table resource."""

    kind = "dynamodb"

    def __init__(self, name: str, tags: dict[str, str]) -> None:
        self.table = aws.dynamodb.Table(name, name=name, hash_key="pk",
                                        attributes=[{"name": "pk", "type": "S"}], tags=tags)
        self.pulumi_resource_name = name

    def metrics(self) -> list[Metric]:
        dims = {"TableName": self.table.name}
        return [Metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", dims, "Sum"),
                Metric("AWS/DynamoDB", "ThrottledRequests", dims, "Sum")]

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        dims = {"TableName": self.table.name}
        return [
            AlarmSpec(f"{self.pulumi_resource_name}-throttles",
                      Metric("AWS/DynamoDB", "ThrottledRequests", dims, "Sum"),
                      "GreaterThanThreshold", 0.0, "Requests are throttled."),
            AlarmSpec(f"{self.pulumi_resource_name}-errors",
                      Metric("AWS/DynamoDB", "SystemErrors", dims, "Sum"),
                      "GreaterThanThreshold", float(thresholds.cpu_percent),
                      f"System errors above {thresholds.cpu_percent}."),
        ]


# service -> number of stores; consumer groups: (service, topic, group, max lag)
SERVICES = {"orders": 2, "payments": 1, "telemetry": 0}
CONSUMERS = [("payments", "orders.order-events", "payments", 5000),
             ("telemetry", "orders.order-events", "telemetry", None),
             ("telemetry", "payments.payment-events", "telemetry", 250)]
BROKERS = 3


def service_tags(service: str) -> dict[str, str]:
    return ownership_tags(owner=f"team-{service}", service=service, environment="test",
                          classification="internal", cost_center="cc-1")


def consumer_groups() -> list[dict[str, Any]]:
    groups = []
    for service, topic, group, lag in CONSUMERS:
        entry: dict[str, Any] = {"service": service, "topic": topic, "group": group}
        if lag is not None:
            entry["max_lag_messages"] = lag
        groups.append(entry)
    return groups


def stores() -> dict[str, list[FakeStore]]:
    return {svc: [FakeStore(f"{svc}-t{i}", service_tags(svc)) for i in range(count)]
            for svc, count in SERVICES.items()}


def build_observability(*, with_kafka: bool = True, with_eks: bool = True,
                        serverless: bool = False,
                        own_key: bool = False, **extra: Any) -> Observability:
    """An Observability over a mocked network, MSK and EKS cluster, with the services' rows."""
    platform_tags = service_tags("platform")
    key, network = key_and_network(platform_tags, azs=2)
    args: dict[str, Any] = {
        "name_prefix": "test-obs", "vpc_id": network.vpc_id, "vpc_cidr": "10.0.0.0/16",
        "subnet_ids": network.private_subnet_ids, "tags": platform_tags,
        "log_retention_days": 30,
        "dashboard_rows": [dashboard_row(f"## {svc}", svc_stores)
                           for svc, svc_stores in stores().items()],
    }
    if not own_key:
        args["kms_key_arn"] = key.arn
    if with_kafka:
        msk = aws.msk.Cluster("msk", cluster_name="test-msk", kafka_version="3.8.x",
                              number_of_broker_nodes=BROKERS,
                              broker_node_group_info={"instance_type": "kafka.m7g.large",
                                                      "client_subnets": ["a", "b", "c"],
                                                      "security_groups": ["sg"]})
        args["kafka"] = {"cluster_name": msk.cluster_name,
                         "broker_count": 0 if serverless else BROKERS}
        if not serverless:
            args["kafka"]["bootstrap_brokers"] = msk.bootstrap_brokers_sasl_iam
        args["consumer_groups"] = consumer_groups()
    if with_eks:
        cluster = aws.eks.Cluster("eks", name="test-eks", role_arn="arn:role",
                                  vpc_config={"subnet_ids": network.private_subnet_ids})
        args["eks"] = {"cluster_name": cluster.name, "cluster_arn": cluster.arn,
                       "security_group_id": "sg-cluster",
                       "subnet_ids": network.private_subnet_ids}
    return Observability("monitoring", {**args, **extra})  # type: ignore[typeddict-item]


def build_alarms(**extra: Any) -> Alarms:
    """An Alarms creating its topic, with one single-metric and one expression alarm."""
    table = aws.dynamodb.Table("orders-t0", name="orders-t0", hash_key="pk",
                               attributes=[{"name": "pk", "type": "S"}])
    args: dict[str, Any] = {
        "topic_name": "test-alarms", "kms_key_arn": KEY_ARN,
        "emails": ["oncall@example.com"], "https_endpoints": [HOOK],
        "prometheus_workspace_arns": [WORKSPACE_ARN], "tags": service_tags("platform"),
        "alarms": [
            {"name": "test-orders-throttles", "description": "Throttled.",
             "comparison": "GreaterThanThreshold", "threshold": 0,
             "metric": {"namespace": "AWS/DynamoDB", "metric_name": "ThrottledRequests",
                        "dimensions": {"TableName": table.name}, "statistic": "Sum"},
             "tags": service_tags("orders")},
            {"name": "test-orders-error-rate", "description": "Errors over 1 %.",
             "comparison": "GreaterThanThreshold", "threshold": 1.0,
             "expression": "100 * errors / requests", "evaluation_periods": 5,
             "datapoints_to_alarm": 2, "treat_missing_data": "notBreaching",
             "queries": [
                 {"id": "errors", "metric": {"namespace": "AWS/DynamoDB",
                                             "metric_name": "SystemErrors",
                                             "dimensions": {"TableName": table.name}}},
                 {"id": "requests", "metric": {"namespace": "AWS/DynamoDB",
                                               "metric_name": "ConsumedReadCapacityUnits",
                                               "dimensions": {"TableName": table.name},
                                               "statistic": "Sum", "period_seconds": 60}}]},
        ],
    }
    args.update(extra)
    return Alarms("monitoring-alarms",
                  {k: v for k, v in args.items() if v is not None})  # type: ignore[arg-type]
