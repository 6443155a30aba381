"""The orders team's data stores, on infrastructure the team already has.

Uses Strata's component library the way any Pulumi Python project can: plain IDs and ARNs in
(the team's VPC, subnets, KMS key, MSK cluster, app security group and IAM role), the team's own
tags, and a lifecycle that protects the data. Nothing here reads Strata's service catalog.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import (
    BillingMode,
    CleanupPolicy,
    Engine,
    KeyValueTable,
    LifecycleArgs,
    PartitionBy,
    PostgresShardSet,
    Topic,
)

config = pulumi.Config()
vpc_id = config.require("vpcId")
data_subnet_ids: list[str] = config.require_object("dataSubnetIds")
kms_key_arn = config.require("kmsKeyArn")
app_security_group_id = config.require("appSecurityGroupId")
msk_cluster_arn = config.require("mskClusterArn")
app_role_name = config.require("appRoleName")

tags = {"team": "orders", "cost-centre": "4711", "stack": pulumi.get_stack()}
lifecycle: LifecycleArgs = (
    {"protect": True, "retain_on_delete": True} if config.get_bool("protectData") else {})

# The API's role exists already (its trust policy is managed with the workload); an IAM role's
# id is its name, so the name serves as the Pulumi name as well.
app_role = aws.iam.Role.get(app_role_name, app_role_name)

orders_db = PostgresShardSet("orders-db", {
    "identifier_prefix": f"orders-{pulumi.get_stack()}",
    "vpc_id": vpc_id,
    "subnet_ids": data_subnet_ids,
    "kms_key_arn": kms_key_arn,
    "engine": Engine.AURORA,
    "shards": 2,
    "partition_by": PartitionBy.TENANT,
    "database_name": "orders",
    "tags": tags,
    "lifecycle": lifecycle,
})
# Only the API's pods reach PostgreSQL, on 5432; the rule belongs to the shard set.
orders_db.allow_from("orders-api", app_security_group_id, "orders API pods")
orders_db.grant_write(app_role)

idempotency = KeyValueTable("idempotency", {
    "table_name": f"orders-{pulumi.get_stack()}-idempotency",
    "partition_key": {"name": "request_id"},
    "billing_mode": BillingMode.PAY_PER_REQUEST,
    "ttl_attribute": "expires_at",
    "kms_key_arn": kms_key_arn,
    "tags": tags,
    "lifecycle": lifecycle,
})
idempotency.grant_write(app_role)

order_events = Topic("order-events", {
    "cluster_arn": msk_cluster_arn,
    "topic_name": "orders.events.v1",
    "partitions": 12,
    "replication_factor": 3,
    "retention_hours": 72,
    "cleanup_policy": CleanupPolicy.DELETE,
    "lifecycle": lifecycle,
})
order_events.grant_produce(app_role)

pulumi.export("shardMapParameter", orders_db.shard_map_parameter_name)
pulumi.export("databaseSecurityGroupId", orders_db.security_group_id)
pulumi.export("idempotencyTableArn", idempotency.arn)
pulumi.export("orderEventsTopicArn", order_events.arn)
