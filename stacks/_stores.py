"""Builds a service's stores from its catalog entry (the seam between catalog and components).

Environment-dependent choices are made here, once: protection from `environment.protected`,
backup days from `environment.backup_days`, multi-AZ from `environment.is_prod`.
"""

from __future__ import annotations

import pulumi

from components._plan import availability_zones
from components._store import DataStore
from components.dynamodb import (
    AttributeArgs,
    AttributeType,
    BillingMode,
    GlobalIndexArgs,
    KeyValueTable,
    KeyValueTableArgs,
    Projection,
)
from components.postgres import Engine, PartitionBy, PostgresShardSet, PostgresShardSetArgs
from components.timeseries import InfluxDbInstance, LiveAnalyticsDatabase
from stacks._context import ServiceContext
from stacks.catalog import KeyAttribute
from stacks.catalog import KeyValueTable as KeyValueSpec
from stacks.conventions import Names, lifecycle

__all__ = ["build_stores"]

DEPLOYED_MASTER_USERNAME = "strata_admin"
"""Create-only on RDS, Aurora and InfluxDB: the user the existing stores were created with."""
def build_stores(context: ServiceContext, parent: pulumi.Resource) -> list[DataStore]:
    stores: list[DataStore] = []
    if context.service.postgres is not None:
        stores.append(_postgres(context, parent))
    for table_name, table in context.service.keyvalue.items():
        stores.append(_keyvalue(context, parent, table_name, table))
    if context.service.timeseries is not None:
        stores.append(_timeseries(context, parent))
    return stores


def _postgres(context: ServiceContext, parent: pulumi.Resource) -> PostgresShardSet:
    spec, env = context.service.postgres, context.environment
    assert spec is not None
    names = Names(env.name)
    args: PostgresShardSetArgs = {
        "identifier_prefix": names.store(context.service_name, "postgres"),
        "vpc_id": context.network.vpc_id,
        "subnet_ids": context.network.isolated_subnet_ids,
        "kms_key_arn": context.key.arn,
        "tags": context.tags,
        "lifecycle": lifecycle(env, context.service),
        # The component admits nothing by default. Until the blueprint admits each service's
        # pod security group (`allow_from`), workloads keep reaching 5432 from the private
        # subnets as before (issue 8, item 8).
        "allowed_cidrs": context.network.private_cidrs,
        "database_user_prefix": context.service_name.replace("-", "_"),
        "shard_map_parameter_name": names.shard_map(context.service_name),
        "master_username": DEPLOYED_MASTER_USERNAME,
        "engine": Engine(spec.engine),
        "shards": spec.shards,
        "partition_by": PartitionBy(spec.partition_by),
        "database_name": spec.database_name,
        "backup_retention_days": env.backup_days,
    }
    if "engine_version" in spec.model_fields_set:
        args["engine_version"] = spec.engine_version
    if spec.partition_by == "region":
        args["regions"] = list(spec.regions)
    if spec.instance_class is not None:
        args["instance_class"] = spec.instance_class
    if spec.engine == "rds":
        args["allocated_storage_gib"] = spec.allocated_storage_gib
        args["multi_az"] = env.is_prod
    else:
        args["readers"] = spec.readers
        # Same deterministic AZ names the platform's Network was built over.
        args["availability_zones"] = availability_zones(
            env.region, len(context.network.isolated_subnet_ids))
    if spec.serverless is not None:
        args["serverless_min_acu"] = spec.serverless.min_acu
        args["serverless_max_acu"] = spec.serverless.max_acu
    return PostgresShardSet(f"{context.service_name}-postgres", args,
                            opts=pulumi.ResourceOptions(parent=parent))


def _attr(attr: KeyAttribute) -> AttributeArgs:
    return {"name": attr.name, "type": AttributeType(attr.type)}


def _keyvalue(context: ServiceContext, parent: pulumi.Resource, table_name: str,
              spec: KeyValueSpec) -> KeyValueTable:
    indexes: dict[str, GlobalIndexArgs] = {}
    for index_name, index in spec.global_indexes.items():
        gsi: GlobalIndexArgs = {"partition_key": _attr(index.partition_key),
                                "projection": Projection(index.projection)}
        if index.sort_key is not None:
            gsi["sort_key"] = _attr(index.sort_key)
        indexes[index_name] = gsi
    args: KeyValueTableArgs = {
        "table_name": f"{context.prefix}-{table_name}",
        "kms_key_arn": context.key.arn,
        "tags": context.tags,
        "lifecycle": lifecycle(context.environment, context.service),
        "partition_key": _attr(spec.partition_key),
        "global_indexes": indexes,
        "billing_mode": BillingMode.PROVISIONED if spec.billing_mode == "provisioned"
        else BillingMode.PAY_PER_REQUEST,
        "stream": spec.stream,
    }
    if spec.sort_key is not None:
        args["sort_key"] = _attr(spec.sort_key)
    if spec.ttl_attribute is not None:
        args["ttl_attribute"] = spec.ttl_attribute
    if spec.capacity is not None and spec.billing_mode == "provisioned":
        cap = spec.capacity
        args["capacity"] = {"read_min": cap.read_min, "read_max": cap.read_max,
                            "write_min": cap.write_min, "write_max": cap.write_max,
                            "target_utilization_percent": cap.target_utilization_percent}
    return KeyValueTable(f"{context.service_name}-{table_name}", args,
                         opts=pulumi.ResourceOptions(parent=parent))


def _timeseries(context: ServiceContext,
                parent: pulumi.Resource) -> InfluxDbInstance | LiveAnalyticsDatabase:
    spec, env = context.service.timeseries, context.environment
    assert spec is not None
    name, opts = f"{context.service_name}-timeseries", pulumi.ResourceOptions(parent=parent)
    if spec.engine == "influxdb":
        return InfluxDbInstance(name, {
            "instance_name": f"{context.prefix}-influx",
            "vpc_id": context.network.vpc_id,
            "subnet_ids": context.network.isolated_subnet_ids,
            "kms_key_arn": context.key.arn,
            "tags": context.tags,
            "lifecycle": lifecycle(env, context.service),
            # As for PostgreSQL: the private subnets until pod security groups are admitted.
            "allowed_cidrs": context.network.private_cidrs,
            "instance_type": spec.instance_type,
            "allocated_storage_gib": spec.allocated_storage_gib,
            "multi_az": env.is_prod,
            # Create-only: the values the deployed instances were created with.
            "username": DEPLOYED_MASTER_USERNAME,
            "organization": "strata",
        }, opts=opts)
    return LiveAnalyticsDatabase(name, {
        "database_name": context.prefix,
        "kms_key_arn": context.key.arn,
        "tags": context.tags,
        "lifecycle": lifecycle(env, context.service),
        "tables": {table: {"memory_retention_hours": t.memory_retention_hours,
                           "magnetic_retention_days": t.magnetic_retention_days}
                   for table, t in spec.tables.items()},
    }, opts=opts)
