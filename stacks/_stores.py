"""Builds a service's stores from its catalog entry (the seam between catalog and components).

Environment-dependent choices are made here, once: protection from `environment.protected`,
backup days from `environment.backup_days`, multi-AZ from `environment.is_prod`.
"""

from __future__ import annotations

import pulumi

from components._plan import availability_zones
from components._store import DataStore
from components.dynamodb import AttributeArgs, GlobalIndexArgs, KeyValueTable, KeyValueTableArgs
from components.postgres import PostgresShardSet, PostgresShardSetArgs
from components.timeseries import InfluxDbInstance, LiveAnalyticsDatabase
from stacks._context import ServiceContext
from stacks.catalog import KeyAttribute
from stacks.catalog import KeyValueTable as KeyValueSpec

__all__ = ["build_stores"]


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
    args: PostgresShardSetArgs = {
        "service": context.service_name,
        "environment": env.name,
        "key": context.key,
        "network": context.network,
        "tags": context.tags,
        "engine": spec.engine,
        "engine_version": spec.engine_version,
        "shards": spec.shards,
        "partition_by": spec.partition_by,
        "regions": list(spec.regions),
        "allocated_storage_gib": spec.allocated_storage_gib,
        "readers": spec.readers,
        # Same deterministic AZ names the platform's Network was built over.
        "availability_zones": availability_zones(env.region,
                                                 len(context.network.isolated_subnet_ids)),
        "multi_az": env.is_prod,
        "database_name": spec.database_name,
        "backup_retention_days": env.backup_days,
        "protect": context.protect,
    }
    if spec.instance_class is not None:
        args["instance_class"] = spec.instance_class
    if spec.serverless is not None:
        args["serverless_min_acu"] = spec.serverless.min_acu
        args["serverless_max_acu"] = spec.serverless.max_acu
    return PostgresShardSet(f"{context.service_name}-postgres", args,
                            opts=pulumi.ResourceOptions(parent=parent))


def _attr(attr: KeyAttribute) -> AttributeArgs:
    return {"name": attr.name, "type": attr.type}


def _keyvalue(context: ServiceContext, parent: pulumi.Resource, table_name: str,
              spec: KeyValueSpec) -> KeyValueTable:
    indexes: dict[str, GlobalIndexArgs] = {}
    for index_name, index in spec.global_indexes.items():
        gsi: GlobalIndexArgs = {"partition_key": _attr(index.partition_key),
                                "projection": index.projection}
        if index.sort_key is not None:
            gsi["sort_key"] = _attr(index.sort_key)
        indexes[index_name] = gsi
    args: KeyValueTableArgs = {
        "table_name": f"{context.prefix}-{table_name}",
        "key": context.key,
        "tags": context.tags,
        "partition_key": _attr(spec.partition_key),
        "global_indexes": indexes,
        "billing_mode": "PROVISIONED" if spec.billing_mode == "provisioned" else "PAY_PER_REQUEST",
        "stream": spec.stream,
        "protect": context.protect,
    }
    if spec.sort_key is not None:
        args["sort_key"] = _attr(spec.sort_key)
    if spec.ttl_attribute is not None:
        args["ttl_attribute"] = spec.ttl_attribute
    if spec.capacity is not None:
        cap = spec.capacity
        args["capacity"] = {"read_min": cap.read_min, "read_max": cap.read_max,
                            "write_min": cap.write_min, "write_max": cap.write_max,
                            "target_utilization_percent": cap.target_utilization_percent}
    return KeyValueTable(f"{context.service_name}-{table_name}", args,
                         opts=pulumi.ResourceOptions(parent=parent))


def _timeseries(context: ServiceContext,
                parent: pulumi.Resource) -> InfluxDbInstance | LiveAnalyticsDatabase:
    spec = context.service.timeseries
    assert spec is not None
    name, opts = f"{context.service_name}-timeseries", pulumi.ResourceOptions(parent=parent)
    if spec.engine == "influxdb":
        return InfluxDbInstance(name, {
            "instance_name": f"{context.prefix}-influx",
            "key": context.key,
            "network": context.network,
            "tags": context.tags,
            "instance_type": spec.instance_type,
            "allocated_storage_gib": spec.allocated_storage_gib,
            "multi_az": context.environment.is_prod,
            "protect": context.protect,
        }, opts=opts)
    return LiveAnalyticsDatabase(name, {
        "database_name": context.prefix,
        "key": context.key,
        "tags": context.tags,
        "tables": {table: {"memory_retention_hours": t.memory_retention_hours,
                           "magnetic_retention_days": t.magnetic_retention_days}
                   for table, t in spec.tables.items()},
        "protect": context.protect,
    }, opts=opts)
