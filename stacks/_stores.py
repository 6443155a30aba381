"""A service's stores from its catalog entry: the seam between the catalog and the store components.

Strata's choices are made here, once: names from `conventions.Names`, protection from
`conventions.lifecycle`, backup days and multi-AZ from the environment tier. Everything else is
passed only when the user set it in the stack file, so each default lives in its component.
"""

from __future__ import annotations

from typing import Any

import pulumi

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
from components.network import Network
from components.postgres import Engine, PartitionBy, PostgresShardSet, PostgresShardSetArgs
from components.timeseries import (
    InfluxDbInstance,
    InfluxDbInstanceArgs,
    LiveAnalyticsDatabase,
    LiveAnalyticsDatabaseArgs,
)
from stacks.catalog import Environment, KeyAttribute, Service
from stacks.catalog import KeyValueTable as KeyValueSpec
from stacks.conventions import Names, lifecycle

__all__ = ["build_stores", "kms_needs"]

DEPLOYED_MASTER_USERNAME = "strata_admin"
"""Create-only on RDS, Aurora and InfluxDB: the user the existing stores were created with."""
DEPLOYED_INFLUX_ORGANIZATION = "strata"
"""Create-only on InfluxDB: the organisation the existing instances were created with."""


StoreClass = (type[PostgresShardSet] | type[KeyValueTable] | type[InfluxDbInstance]
              | type[LiveAnalyticsDatabase])


def store_classes(service: Service) -> list[StoreClass]:
    classes: list[StoreClass] = []
    if service.postgres is not None:
        classes.append(PostgresShardSet)
    if service.keyvalue:
        classes.append(KeyValueTable)
    if service.timeseries is not None:
        classes.append(InfluxDbInstance if service.timeseries.engine == "influxdb"
                       else LiveAnalyticsDatabase)
    return classes


def kms_needs(service: Service) -> tuple[list[str], list[str]]:
    """(caller services, service principals) the service's key must admit: what each of its
    store components declares it needs."""
    callers = {s for cls in store_classes(service) for s in cls.KMS_CALLER_SERVICES}
    principals = {p for cls in store_classes(service)
                  for p in getattr(cls, "KMS_SERVICE_PRINCIPALS", ())}
    return sorted(callers), sorted(principals)


def build_stores(service_name: str, service: Service, env: Environment, network: Network,
                 key_arn: pulumi.Input[str], tags: dict[str, str],
                 parent: pulumi.Resource) -> dict[str, DataStore]:
    """The service's stores by their label in the stack file: `postgres`, each table's name,
    `timeseries`."""
    stores: dict[str, DataStore] = {}
    opts = pulumi.ResourceOptions(parent=parent)
    common = {"kms_key_arn": key_arn, "tags": tags, "lifecycle": lifecycle(env, service)}
    names = Names(env.name)
    if service.postgres is not None:
        stores["postgres"] = PostgresShardSet(f"{service_name}-postgres", _postgres(
            service_name, service, env, network, names, common), opts=opts)
    for table_name, table in service.keyvalue.items():
        stores[table_name] = KeyValueTable(f"{service_name}-{table_name}", _keyvalue(
            names.store(service_name, table_name), table, common), opts=opts)
    ts = service.timeseries
    if ts is not None and ts.engine == "influxdb":
        influx: InfluxDbInstanceArgs = {
            **common,  # type: ignore[typeddict-item]
            "instance_name": names.store(service_name, "influx"),
            "vpc_id": network.vpc_id, "subnet_ids": network.isolated_subnet_ids,
            "multi_az": env.is_prod,
            "username": DEPLOYED_MASTER_USERNAME,
            "organization": DEPLOYED_INFLUX_ORGANIZATION,
            **ts.given("instance_type", "allocated_storage_gib"),
        }
        stores["timeseries"] = InfluxDbInstance(f"{service_name}-timeseries", influx, opts=opts)
    elif ts is not None:
        live: LiveAnalyticsDatabaseArgs = {
            **common,  # type: ignore[typeddict-item]
            "database_name": f"{env.name}-{service_name}",
            "tables": {table: {"memory_retention_hours": t.memory_retention_hours,
                               "magnetic_retention_days": t.magnetic_retention_days}
                       for table, t in ts.tables.items()},
        }
        stores["timeseries"] = LiveAnalyticsDatabase(f"{service_name}-timeseries", live,
                                                     opts=opts)
    return stores


def _postgres(service_name: str, service: Service, env: Environment, network: Network,
              names: Names, common: dict[str, Any]) -> PostgresShardSetArgs:
    spec = service.postgres
    assert spec is not None
    args: PostgresShardSetArgs = {
        **common,  # type: ignore[typeddict-item]
        "identifier_prefix": names.store(service_name, "postgres"),
        "vpc_id": network.vpc_id,
        "subnet_ids": network.isolated_subnet_ids,
        "database_user_prefix": service_name.replace("-", "_"),
        "shard_map_parameter_name": names.shard_map(service_name),
        "master_username": DEPLOYED_MASTER_USERNAME,
        "backup_retention_days": env.backup_days,
        **spec.given("engine_version", "shards", "instance_class", "database_name",
                     engine=Engine, partition_by=PartitionBy),
    }
    if spec.partition_by == "region":
        args["regions"] = list(spec.regions)
    if spec.engine == "rds":
        args["multi_az"] = env.is_prod
        args.update(spec.given("allocated_storage_gib"))
    else:
        # Writer and readers round-robin over the network's AZs: a reader never shares the
        # writer's AZ while there are others.
        args["availability_zones"] = list(network.availability_zones)
        args.update(spec.given("readers"))
    if spec.serverless is not None:
        args.update({f"serverless_{k}": v for k, v in  # type: ignore[typeddict-item]
                     spec.serverless.given("min_acu", "max_acu").items()})
    return args


def _attr(attr: KeyAttribute) -> AttributeArgs:
    return {"name": attr.name, **attr.given(type=AttributeType)}


def _keyvalue(table_name: str, spec: KeyValueSpec, common: dict[str, Any]) -> KeyValueTableArgs:
    indexes: dict[str, GlobalIndexArgs] = {}
    for index_name, index in spec.global_indexes.items():
        gsi: GlobalIndexArgs = {"partition_key": _attr(index.partition_key),
                                **index.given(projection=Projection)}
        if index.sort_key is not None:
            gsi["sort_key"] = _attr(index.sort_key)
        indexes[index_name] = gsi
    args: KeyValueTableArgs = {
        **common,  # type: ignore[typeddict-item]
        "table_name": table_name,
        "partition_key": _attr(spec.partition_key),
        "global_indexes": indexes,
        **spec.given("stream", "ttl_attribute"),
    }
    if spec.sort_key is not None:
        args["sort_key"] = _attr(spec.sort_key)
    if spec.billing_mode == "provisioned":
        args["billing_mode"] = BillingMode.PROVISIONED
        if spec.capacity is not None:
            args["capacity"] = {"read_min": spec.capacity.read_min,
                                "read_max": spec.capacity.read_max,
                                "write_min": spec.capacity.write_min,
                                "write_max": spec.capacity.write_max,
                                **spec.capacity.given("target_utilization_percent")}
    return args
