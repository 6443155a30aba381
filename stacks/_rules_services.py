"""Rules over each service: its stores, the topics it produces and the topics it consumes.

Part of `stacks/_rules.semantic_problems`; each rule returns `Problem`s with the key path.
"""

from __future__ import annotations

from collections import defaultdict

from stacks._events import replication_factor
from stacks._instance_types import (
    AURORA_POSTGRES_CLASSES,
    RDS_POSTGRES_CLASSES,
    influxdb_instance_types,
    instance_type_problem,
)
from stacks.catalog import Catalog, Environment, KeyValueTable, Problem, Service

__all__ = ["MODELLED_TOPIC_CONFIGS", "service_problems"]

MODELLED_TOPIC_CONFIGS = {"retention.ms": "retentionHours", "cleanup.policy": "cleanupPolicy"}
"""Topic configs the catalog models as fields: a `configs` entry would silently override the
field (the Topic component applies `configs` last)."""

_RDS_CLASSES_SOURCE = ("docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
                       "Concepts.DBInstanceClass.Support.html")
_AURORA_CLASSES_SOURCE = ("docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
                          "Concepts.DBInstanceClass.SupportAurora.html")


def service_problems(catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    for name, service in catalog.services.items():
        problems += _store_problems(("services", name), service, catalog.environment)
    problems += _topic_problems(catalog)
    problems += _consumer_problems(catalog)
    problems += _group_problems(catalog)
    return problems


def _store_problems(path: tuple[str, ...], service: Service, env: Environment) -> list[Problem]:
    problems: list[Problem] = []

    def refuse(at: tuple[str | int, ...], message: str, allowed: str,
               code: str = "STRATA-E102") -> None:
        problems.append(Problem(at, message, allowed, code))

    pg = service.postgres
    if pg is not None:
        at = (*path, "postgres")
        if pg.engine == "rds" and (pg.serverless is not None or pg.readers):
            refuse((*at, "engine"), "serverless and readers need Aurora", "engine: aurora")
        if pg.serverless is not None and pg.instance_class is not None:
            refuse((*at, "serverless"), "choose either instanceClass or serverless, not both",
                   "one of instanceClass | serverless")
        if pg.serverless is not None and pg.serverless.min_acu > pg.serverless.max_acu:
            refuse((*at, "serverless", "minAcu"), "minAcu exceeds maxAcu",
                   f"<= {pg.serverless.max_acu}")
        if pg.instance_class == "db.serverless":
            refuse((*at, "instanceClass"), "Serverless v2 is the `serverless` setting here",
                   "serverless: {minAcu, maxAcu} (engine aurora)")
        elif pg.instance_class is not None:
            offered, what, source = (
                (RDS_POSTGRES_CLASSES, "an RDS for PostgreSQL", _RDS_CLASSES_SOURCE)
                if pg.engine == "rds" else
                (AURORA_POSTGRES_CLASSES, "an Aurora PostgreSQL", _AURORA_CLASSES_SOURCE))
            unknown = instance_type_problem(pg.instance_class, offered,
                                            f"{what} instance class", source)
            if unknown:
                refuse((*at, "instanceClass"), *unknown, code="STRATA-E108")
        if pg.partition_by == "region":
            if len(pg.regions) < pg.shards:
                refuse((*at, "regions"), f"partitionBy region needs a geography per shard "
                       f"({pg.shards} shards, {len(pg.regions)} regions)",
                       f"at least {pg.shards} distinct regions")
            if len(set(pg.regions)) != len(pg.regions):
                refuse((*at, "regions"), "regions repeat", "distinct values")
        elif pg.regions:
            refuse((*at, "regions"), "regions only apply with partitionBy region",
                   "partitionBy: region, or remove regions")
        if env.is_prod and pg.engine == "aurora" and pg.readers < 1:
            refuse((*at, "readers"), "prod Aurora needs a reader in another AZ for failover",
                   "1..15", "STRATA-E101")
    for table_name, table in service.keyvalue.items():
        problems += _table_problems((*path, "keyvalue", table_name), table)
    ts = service.timeseries
    if ts is not None:
        at = (*path, "timeseries")
        if ts.engine == "influxdb":
            unknown = instance_type_problem(ts.instance_type, influxdb_instance_types(),
                                            "a Timestream for InfluxDB instance type",
                                            "botocore's timestream-influxdb model "
                                            "(DbInstanceType)")
            if unknown:
                refuse((*at, "instanceType"), *unknown, code="STRATA-E108")
            if ts.tables:
                refuse((*at, "tables"), "tables apply to engine liveanalytics",
                       "engine: liveanalytics, or remove tables")
        elif not ts.tables:
            refuse((*at, "tables"), "liveanalytics needs at least one table",
                   "tables: {<name>: {memoryRetentionHours, magneticRetentionDays}}")
    if not (service.postgres or service.keyvalue or service.timeseries or service.produces):
        refuse(path, "the service owns no store and no topic",
               "at least one of postgres, keyvalue, timeseries, produces")
    return problems


def _table_problems(at: tuple[str, ...], table: KeyValueTable) -> list[Problem]:
    problems: list[Problem] = []
    if table.billing_mode == "provisioned" and table.capacity is None:
        problems.append(Problem((*at, "capacity"), "provisioned billing needs capacity bounds",
                                "capacity: {readMin, readMax, writeMin, writeMax}",
                                "STRATA-E102"))
    if table.billing_mode == "on-demand" and table.capacity is not None:
        problems.append(Problem((*at, "capacity"), "capacity only applies to provisioned",
                                "billingMode: provisioned, or remove capacity", "STRATA-E102"))
    cap = table.capacity
    if cap and (cap.read_min > cap.read_max or cap.write_min > cap.write_max):
        problems.append(Problem((*at, "capacity"), "a minimum exceeds its maximum",
                                "readMin <= readMax, writeMin <= writeMax", "STRATA-E102"))
    keys = [((*at, "partitionKey"), table.partition_key)]
    if table.sort_key is not None:
        keys.append(((*at, "sortKey"), table.sort_key))
        if table.sort_key.name == table.partition_key.name:
            problems.append(Problem((*at, "sortKey"), "the sort key repeats the partition key "
                                    f"{table.partition_key.name!r} (DynamoDB refuses it)",
                                    "another attribute", "STRATA-E102"))
    for index_name, index in table.global_indexes.items():
        keys.append(((*at, "globalIndexes", index_name, "partitionKey"), index.partition_key))
        if index.sort_key is not None:
            keys.append(((*at, "globalIndexes", index_name, "sortKey"), index.sort_key))
    declared: dict[str, tuple[tuple[str, ...], str]] = {}
    for where, attr in keys:
        first = declared.setdefault(attr.name, (where, attr.type))
        if first[1] != attr.type:
            problems.append(Problem((*where, "type"), f"attribute {attr.name!r} is {attr.type} "
                                    f"here but {first[1]} at {'.'.join(map(str, first[0]))}: "
                                    "a table defines each attribute once", first[1],
                                    "STRATA-E102"))
    return problems


def _topic_problems(catalog: Catalog) -> list[Problem]:
    """Configs that contradict modelled fields (every environment) and in-sync replicas that
    cannot work (every environment) or lose acknowledged writes (prod)."""
    problems: list[Problem] = []
    kafka = catalog.kafka
    for svc, service in catalog.services.items():
        for topic, spec in service.produces.items():
            at = ("services", svc, "produces", topic)
            rf = replication_factor(catalog, spec)
            if spec.replication_factor is not None and kafka.mode == "provisioned":
                brokers = kafka.brokers or catalog.network.az_count
                if rf > brokers:
                    problems.append(Problem((*at, "replicationFactor"),
                                            f"replication {rf} exceeds the {brokers} brokers",
                                            f"<= {brokers}", "STRATA-E104"))
                if catalog.environment.is_prod and rf < 2:
                    problems.append(Problem((*at, "replicationFactor"),
                                            "prod topics need replication of at least 2", "2..5",
                                            "STRATA-E101"))
            for key, field in MODELLED_TOPIC_CONFIGS.items():
                if key in spec.configs:
                    problems.append(Problem((*at, "configs", key),
                                            f"{key} is the topic's {field} field; in configs it "
                                            f"would silently override {field}",
                                            f"{field}: ..., and remove configs.{key}",
                                            "STRATA-E104"))
            insync = spec.configs.get("min.insync.replicas")
            if insync is None:
                continue
            where = (*at, "configs", "min.insync.replicas")
            if not insync.isdigit() or not 1 <= int(insync) <= rf:
                problems.append(Problem(where, f"{insync!r} is not a whole number from 1 to the "
                                        f"topic's replication ({rf}): producers with acks=all "
                                        "would be refused", f"1..{rf}", "STRATA-E104"))
            elif catalog.environment.is_prod and int(insync) < 2:
                problems.append(Problem(where, "min.insync.replicas 1 in prod acknowledges a "
                                        "write held by one broker: losing it loses the write",
                                        f"2..{max(2, rf)}", "STRATA-E101"))
    return problems


def _consumer_problems(catalog: Catalog) -> list[Problem]:
    topics = {f"{svc}.{topic}": spec for svc, s in catalog.services.items()
              for topic, spec in s.produces.items()}
    problems: list[Problem] = []
    for svc, service in catalog.services.items():
        seen: dict[str, int] = {}
        for index, consumer in enumerate(service.consumes):
            at = ("services", svc, "consumes", index, "topic")
            owner = consumer.topic.split(".", 1)[0]
            spec = topics.get(consumer.topic)
            if consumer.topic in seen:
                problems.append(Problem(at, f"{consumer.topic} is already consumed at "
                                        f"consumes[{seen[consumer.topic]}]: one entry per topic",
                                        "merge the two entries (raise parallelism instead)",
                                        "STRATA-E104"))
                continue
            seen[consumer.topic] = index
            if owner == svc:
                problems.append(Problem(at, "a service does not consume its own topic",
                                        "another service's topic", "STRATA-E104"))
            elif spec is None:
                known = ", ".join(sorted(topics)) or "none declared"
                problems.append(Problem(at, f"no service produces {consumer.topic!r}", known,
                                        "STRATA-E104"))
            elif consumer.parallelism > spec.partitions:
                problems.append(Problem(("services", svc, "consumes", index, "parallelism"),
                                        f"{consumer.parallelism} consumers but {consumer.topic} "
                                        f"has {spec.partitions} partitions; the rest would idle",
                                        f"<= {spec.partitions}, or raise the topic's partitions",
                                        "STRATA-E104"))
    return problems


def _group_problems(catalog: Catalog) -> list[Problem]:
    """A consumer group belongs to one service: sharing it lets one service commit (and so
    skip) another's offsets, and the consume grant names the group. A service's default group
    is its own name, so no other service may use that name as a group."""
    users: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for svc, service in catalog.services.items():
        for index, consumer in enumerate(service.consumes):
            users[consumer.group or svc].append((svc, index))
    problems: list[Problem] = []
    for group, uses in users.items():
        owners = {svc for svc, _ in uses}
        for svc, index in uses:
            at = ("services", svc, "consumes", index, "group")
            explicit = catalog.services[svc].consumes[index].group is not None
            shown = f"group {group!r}" + ("" if explicit else " (the default: the service's name)")
            own = f"a group only {svc} uses, e.g. {svc}-<purpose>"
            if group in catalog.services and group != svc:
                problems.append(Problem(at, f"{shown} is service {group}'s name, which is its "
                                        "default consumer group", own, "STRATA-E104"))
            elif len(owners) > 1:
                others = [f"strata:services.{o}.consumes[{i}]" for o, i in uses if o != svc]
                problems.append(Problem(at, f"{shown} is also used by {', '.join(others)}: "
                                        "each service needs its own groups", own,
                                        "STRATA-E104"))
    return problems
