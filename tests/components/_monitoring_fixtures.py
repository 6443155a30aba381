"""Stand-in stores and a monitoring setup shared by the monitoring tests."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components._store import AlarmSpec, AlarmThresholds, Metric
from components._tags import ownership_tags
from components.monitoring import Monitoring
from tests.components._platform_fixtures import key_and_network


class FakeStore:
    """A DataStore whose metric dimensions are Outputs of a real (mocked) table resource."""

    kind = "dynamodb"

    def __init__(self, name: str, tags: dict[str, str]) -> None:
        self.table = aws.dynamodb.Table(name, name=name, hash_key="pk",
                                        attributes=[{"name": "pk", "type": "S"}], tags=tags)
        self.label = name

    def metrics(self) -> list[Metric]:
        dims = {"TableName": self.table.name}
        return [Metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", dims, "Sum"),
                Metric("AWS/DynamoDB", "ThrottledRequests", dims, "Sum")]

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        dims = {"TableName": self.table.name}
        return [
            AlarmSpec(f"{self.label}-throttles",
                      Metric("AWS/DynamoDB", "ThrottledRequests", dims, "Sum"),
                      "GreaterThanThreshold", 0.0, "Requests are throttled."),
            AlarmSpec(f"{self.label}-errors",
                      Metric("AWS/DynamoDB", "SystemErrors", dims, "Sum"),
                      "GreaterThanThreshold", float(thresholds.cpu_percent),
                      f"System errors above {thresholds.cpu_percent}."),
        ]

    def grant_read(self, role: Any) -> Any: ...
    def grant_write(self, role: Any) -> Any: ...
    def catalog_entry(self) -> dict[str, Any]:
        return {"kind": self.kind}


# service -> number of stores; consumers: (service, topic, group, max lag)
SERVICES = {"orders": 2, "payments": 1, "telemetry": 0}
CONSUMERS = [("payments", "orders.order-events", "payments", 5000),
             ("telemetry", "orders.order-events", "telemetry", 10000),
             ("telemetry", "payments.payment-events", "telemetry", 250)]
BROKERS = 3


def service_tags(service: str) -> dict[str, str]:
    return ownership_tags(owner=f"team-{service}", service=service, environment="test",
                          classification="internal", cost_center="cc-1")


def build(*, kafka: bool = True, eks: bool = True, mode: str = "provisioned",
          extra: dict[str, Any] | None = None) -> Monitoring:
    platform_tags = service_tags("platform")
    key, network = key_and_network(platform_tags, azs=2)
    services = [{"name": svc, "tags": service_tags(svc),
                 "thresholds": AlarmThresholds(cpu_percent=75),
                 "stores": [FakeStore(f"{svc}-t{i}", service_tags(svc)) for i in range(count)]}
                for svc, count in SERVICES.items()]
    args: dict[str, Any] = {
        "environment": "test", "key": key, "tags": platform_tags, "network": network,
        "log_retention_days": 30, "services": services,
        "alarm_emails": ["oncall@example.com"],
        "alarm_https_endpoints": ["https://hooks.example.com/strata"],
    }
    if kafka:
        msk = aws.msk.Cluster("msk", cluster_name="test-msk", kafka_version="3.8.x",
                              number_of_broker_nodes=BROKERS,
                              broker_node_group_info={"instance_type": "kafka.m7g.large",
                                                      "client_subnets": ["a", "b", "c"],
                                                      "security_groups": ["sg"]})
        args["kafka"] = {"cluster_name": msk.cluster_name, "mode": mode,
                         "broker_count": BROKERS,
                         "bootstrap_brokers": msk.bootstrap_brokers_sasl_iam,
                         "security_group_id": "sg-brokers"}
        args["consumers"] = [{"service": s, "topic": t, "group": g, "max_lag_messages": m}
                             for s, t, g, m in CONSUMERS]
    if eks:
        cluster = aws.eks.Cluster("eks", name="test-eks", role_arn="arn:role",
                                  vpc_config={"subnet_ids": network.private_subnet_ids})
        args["eks"] = {"cluster_name": cluster.name, "cluster_arn": cluster.arn,
                       "security_group_id": "sg-cluster",
                       "subnet_ids": network.private_subnet_ids}
    return Monitoring("monitoring", {**args, **(extra or {})},  # type: ignore[typeddict-item]
                      opts=pulumi.ResourceOptions())
