"""Which resource types hold state that a replacement or deletion would destroy.

One table, shared by the URN pins (`infra/pins.py`) and `strata diff`. A type belongs here when
deleting the resource loses data that no later `pulumi up` can recreate: stored records, key
material (everything encrypted under a key becomes unreadable), audit logs, or the objects
services deployed into a cluster or namespace.
"""

from __future__ import annotations

__all__ = ["STATEFUL_TYPES", "is_stateful"]

STATEFUL_TYPES: dict[str, str] = {
    "aws:rds/instance:Instance": "database storage and automated backups",
    "aws:rds/cluster:Cluster": "Aurora cluster volume and automated backups",
    "aws:dynamodb/table:Table": "items, streams and point-in-time recovery",
    "aws:msk/cluster:Cluster": "every topic's data on the brokers",
    "aws:msk/serverlessCluster:ServerlessCluster": "every topic's data",
    "aws:msk/topic:Topic": "the topic's records and consumer offsets",
    "aws:kms/key:Key": "key material: data encrypted under it becomes unreadable",
    "aws:cloudwatch/logGroup:LogGroup": "retained logs (flow logs, audit and broker logs)",
    "aws:s3/bucket:Bucket": "stored objects and their versions",
    "aws:secretsmanager/secret:Secret": "secret values and their version history",
    "aws:timestreamwrite/database:Database": "time-series tables",
    "aws:timestreamwrite/table:Table": "time-series records",
    "aws:timestreaminfluxdb/dbInstance:DbInstance": "InfluxDB storage",
    "aws:eks/cluster:Cluster": "every Kubernetes object (etcd)",
    "aws:amp/workspace:Workspace": "stored metrics",
    "aws:grafana/workspace:Workspace": "dashboards, users and alert state",
    "kubernetes:core/v1:Namespace": "every object a service deployed into it",
}
"""Type token -> what is lost when the resource is deleted or replaced."""


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES
