"""The stack's typed configuration: environment settings and the service catalog.

Pure data and validation (pydantic v2, no Pulumi import) so that every mistake a user can
make in `Pulumi.<stack>.yaml` is found, all at once, before a single resource is registered.
Keys are camelCase in YAML (the Pulumi convention) and snake_case in Python.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from components._plan import largest_az_count

__all__ = [
    "Catalog",
    "ClusterSpec",
    "ConsumerSpec",
    "Environment",
    "KafkaSpec",
    "KeyAttribute",
    "KeyValueTable",
    "MonitoringSpec",
    "NetworkSpec",
    "NodeGroupSpec",
    "PostgresSpec",
    "Problem",
    "ServerlessCapacity",
    "Service",
    "TableCapacity",
    "TimeseriesSpec",
    "TimeseriesTable",
    "TopicSpec",
    "WorkloadSpec",
    "semantic_problems",
]

DNS_LABEL = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"
"""Lower-case DNS label, at most 32 characters: fits RDS, MSK, EKS and Kubernetes names
once prefixed."""

DnsName = Annotated[str, Field(pattern=DNS_LABEL)]
Classification = Literal["public", "internal", "confidential", "restricted"]
Tier = Literal["dev", "staging", "prod"]


class StrictModel(BaseModel):
    """Rejects unknown keys (the error handler adds a "did you mean" hint) and reads camelCase."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


# --- environment -----------------------------------------------------------------------------


class Environment(StrictModel):
    """Who owns and pays for the stack, and how careful it must be."""

    name: DnsName
    """Environment name, used in resource names and the `environment` tag (`dev`, `prod-eu`)."""
    tier: Tier
    """`prod` turns on multi-AZ, deletion protection, longer backups and stricter validation."""
    owner: DnsName
    """Team that owns the shared platform resources (the `owner` tag on them)."""
    cost_center: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] = "eu-west-1"
    """Filled from `aws:region`; the provider needs it there anyway."""
    protect: bool | None = None
    """Protect stateful resources (Pulumi protect, deletion protection, retain).
    Default: on in prod."""
    log_retention_days: Literal[7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653] | None = None
    """CloudWatch log retention. Default: 30 days, 365 in prod."""
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] | None = None
    """Automated backup retention for databases. Default: 7 days, 35 in prod."""

    @property
    def is_prod(self) -> bool:
        return self.tier == "prod"

    @property
    def protected(self) -> bool:
        return self.is_prod if self.protect is None else self.protect

    @property
    def log_days(self) -> int:
        return self.log_retention_days or (365 if self.is_prod else 30)

    @property
    def backup_days(self) -> int:
        return self.backup_retention_days or (35 if self.is_prod else 7)


class NetworkSpec(StrictModel):
    cidr: str = "10.0.0.0/16"
    """VPC CIDR, a /16 to /24 private range."""
    az_count: Annotated[int, Field(ge=1, le=6)] = 2
    """Availability zones to spread subnets over (prod: at least 2)."""
    nat_mode: Literal["single", "per-az"] = "single"
    """`per-az` survives the loss of an AZ; `single` is cheaper."""

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a network CIDR ({exc})") from None
        if not isinstance(net, ipaddress.IPv4Network) or not net.is_private:
            raise ValueError("must be a private IPv4 range (RFC 1918)")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"prefix /{net.prefixlen} is outside /16../24")
        return value


# --- stores ------------------------------------------------------------------------------------


class ServerlessCapacity(StrictModel):
    """Aurora Serverless v2 capacity in ACUs (0 lets the cluster pause when idle)."""

    min_acu: Annotated[float, Field(ge=0, le=256)] = 0.5
    max_acu: Annotated[float, Field(ge=1, le=256)] = 4


class PostgresSpec(StrictModel):
    """A shard set of PostgreSQL databases owned by one service."""

    engine: Literal["rds", "aurora"] = "aurora"
    engine_version: Annotated[str, Field(pattern=r"^\d{2}(\.\d+)?$")] = "16.6"
    shards: Annotated[int, Field(ge=1, le=64)] = 1
    partition_by: Literal["tenant", "region"] = "tenant"
    """`tenant`: tenants hash onto shards. `region`: each shard serves listed geographies."""
    regions: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")]] = []
    """Geographies (e.g. `eu`, `us`) when partitioning by region; spread over the shards."""
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] | None = None
    """Instance class. Default: db.t4g.medium (RDS) or Serverless v2 (Aurora)."""
    serverless: ServerlessCapacity | None = None
    """Aurora only: Serverless v2 capacity. Default for Aurora when no instance class is given."""
    allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)] = 20
    """RDS only: initial storage; storage autoscaling may grow it to 4x."""
    readers: Annotated[int, Field(ge=0, le=15)] = 0
    """Aurora only: reader instances per shard (prod: at least 1 for multi-AZ)."""
    database_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"


class KeyAttribute(StrictModel):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]
    type: Literal["S", "N", "B"] = "S"


class GlobalIndex(StrictModel):
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


class TableCapacity(StrictModel):
    """Provisioned capacity bounds for DynamoDB autoscaling."""

    read_min: Annotated[int, Field(ge=1)] = 5
    read_max: Annotated[int, Field(ge=1)] = 100
    write_min: Annotated[int, Field(ge=1)] = 5
    write_max: Annotated[int, Field(ge=1)] = 100
    target_utilization_percent: Annotated[int, Field(ge=20, le=90)] = 70


class KeyValueTable(StrictModel):
    """A DynamoDB table."""

    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    global_indexes: dict[DnsName, GlobalIndex] = {}
    billing_mode: Literal["on-demand", "provisioned"] = "on-demand"
    capacity: TableCapacity | None = None
    """Required with `provisioned` billing; autoscaling keeps usage near the target."""
    ttl_attribute: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$")] | None = None
    stream: bool = False
    """Publish NEW_AND_OLD_IMAGES change records (for outbox or CDC consumers)."""


class TimeseriesTable(StrictModel):
    memory_retention_hours: Annotated[int, Field(ge=1, le=8766)] = 24
    magnetic_retention_days: Annotated[int, Field(ge=1, le=73000)] = 365


class TimeseriesSpec(StrictModel):
    """Timestream: InfluxDB (default for new accounts) or LiveAnalytics."""

    engine: Literal["influxdb", "liveanalytics"] = "influxdb"
    instance_type: Annotated[str, Field(pattern=r"^db\.influx\.[a-z0-9]+$")] = "db.influx.medium"
    """InfluxDB only."""
    allocated_storage_gib: Annotated[int, Field(ge=20, le=16384)] = 20
    """InfluxDB only."""
    tables: dict[DnsName, TimeseriesTable] = {}
    """LiveAnalytics only: tables with their retention."""


# --- events ------------------------------------------------------------------------------------

TOPIC_NAME = r"^[a-z][a-z0-9-]{0,62}$"


class TopicSpec(StrictModel):
    """A Kafka topic the service produces (and so owns). Its full name is `<service>.<topic>`."""

    partitions: Annotated[int, Field(ge=1, le=1000)] = 6
    replication_factor: Annotated[int, Field(ge=1, le=5)] | None = None
    """Default: 3 in prod (2 for a 2-AZ cluster), 2 otherwise. Changing it replaces the topic."""
    retention_hours: Annotated[int, Field(ge=1, le=87600)] = 168
    cleanup_policy: Literal["delete", "compact"] = "delete"
    configs: dict[Annotated[str, Field(pattern=r"^[a-z.]+$")], str] = {}
    """Other topic-level Kafka configs, verbatim."""
    acknowledge_replication_change: bool = False
    """Accept that a replication-factor change (against `stacks/topics.<stack>.lock.json`)
    replaces the topic and deletes its data. Remove once deployed and re-locked."""


class ConsumerSpec(StrictModel):
    """A subscription to another service's topic."""

    topic: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$")]
    """`<service>.<topic>` of the producing service."""
    group: Annotated[str, Field(pattern=r"^[a-z][a-z0-9.-]{0,62}$")] | None = None
    """Consumer group. Default: the consuming service's name."""
    parallelism: Annotated[int, Field(ge=1, le=1000)] = 1
    """Consumer instances reading in parallel; the topic needs at least this many partitions."""
    max_lag_messages: Annotated[int, Field(ge=1)] = 10_000
    """Alarm when the group's max offset lag exceeds this."""


# --- compute -----------------------------------------------------------------------------------


class WorkloadSpec(StrictModel):
    """The service's Kubernetes namespace budget (ResourceQuota and LimitRange)."""

    cpu: Annotated[str, Field(pattern=r"^\d+(m)?$")] = "4"
    memory: Annotated[str, Field(pattern=r"^\d+(Mi|Gi)$")] = "8Gi"
    pods: Annotated[int, Field(ge=1, le=1000)] = 40
    default_cpu: Annotated[str, Field(pattern=r"^\d+(m)?$")] = "250m"
    default_memory: Annotated[str, Field(pattern=r"^\d+(Mi|Gi)$")] = "256Mi"


class Service(StrictModel):
    """A microservice: who owns it, how sensitive its data is, and what it owns."""

    owner: DnsName
    classification: Classification
    description: str = ""
    postgres: PostgresSpec | None = None
    keyvalue: dict[DnsName, KeyValueTable] = {}
    """DynamoDB tables by name."""
    timeseries: TimeseriesSpec | None = None
    produces: dict[Annotated[str, Field(pattern=TOPIC_NAME)], TopicSpec] = {}
    """Topics this service owns, by short name."""
    consumes: list[ConsumerSpec] = []
    workload: WorkloadSpec = WorkloadSpec()


# --- platform ----------------------------------------------------------------------------------


class KafkaSpec(StrictModel):
    """The shared MSK cluster (services own topics on it, not the cluster)."""

    mode: Literal["provisioned", "serverless"] = "provisioned"
    kafka_version: Annotated[str, Field(pattern=r"^\d+\.\d+\.(\d+|x)(\.kraft)?$")] = "3.8.x"
    instance_type: Annotated[str, Field(pattern=r"^kafka\.[a-z0-9]+\.[a-z0-9]+$")] = (
        "kafka.m7g.large"
    )
    brokers: Annotated[int, Field(ge=1, le=30)] | None = None
    """Broker count, a multiple of the AZ count. Default: one per AZ."""
    storage_gib: Annotated[int, Field(ge=1, le=16384)] = 100
    """Initial EBS storage per broker."""
    max_storage_gib: Annotated[int, Field(ge=1, le=16384)] | None = None
    """Storage autoscaling ceiling per broker. Default: 4x `storageGib`."""
    storage_target_percent: Annotated[int, Field(ge=10, le=80)] = 60
    peak_ingress_mib_per_s: Annotated[float, Field(gt=0)] | None = None
    """Declared peak producer throughput; synth warns when the cluster is sized below it."""
    retention_hours: Annotated[int, Field(ge=1)] = 168


class NodeGroupSpec(StrictModel):
    instance_types: list[Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+$")]] = ["m7g.large"]
    ami: Literal["AL2023", "BOTTLEROCKET"] = "AL2023"
    min_size: Annotated[int, Field(ge=0, le=450)] = 2
    max_size: Annotated[int, Field(ge=1, le=450)] = 6
    desired_size: Annotated[int, Field(ge=0, le=450)] | None = None
    disk_gib: Annotated[int, Field(ge=20, le=16384)] = 50


class ClusterSpec(StrictModel):
    """The shared EKS cluster."""

    kubernetes_version: Annotated[str, Field(pattern=r"^1\.\d{2}$")] = "1.33"
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    compute: Literal["auto", "nodegroups"] = "auto"
    node_groups: dict[DnsName, NodeGroupSpec] = {}
    """Managed node groups by name (compute `nodegroups`)."""
    public_access_cidrs: list[str] = []
    """Open the API endpoint publicly to these CIDRs only. Default: private endpoint only."""
    deployer_cidrs: list[str] = []
    """Networks routed to the VPC (VPN, Transit Gateway, peering) where deploys run; they reach
    the private API endpoint on 443. One of deployerCidrs / publicAccessCidrs is required."""
    admin_role_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")] | None
    ) = None
    """IAM role given cluster-admin through an EKS access entry. Default: a
    `strata-<env>-admin` role created with the cluster, assumable by account principals."""

    @field_validator("public_access_cidrs", "deployer_cidrs")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                net = ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a CIDR ({exc})") from None
            if net.prefixlen == 0:
                raise ValueError("0.0.0.0/0 would expose the API server to the internet")
        return values


class MonitoringSpec(StrictModel):
    alarm_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = []
    alarm_https_endpoints: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = []
    grafana_auth: Literal["AWS_SSO", "SAML"] = "AWS_SSO"
    cpu_alarm_percent: Annotated[int, Field(ge=10, le=100)] = 80
    storage_alarm_free_percent: Annotated[int, Field(ge=5, le=50)] = 20


class Catalog(StrictModel):
    """Everything one stack is built from."""

    environment: Environment
    network: NetworkSpec = NetworkSpec()
    kafka: KafkaSpec = KafkaSpec()
    cluster: ClusterSpec = ClusterSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    services: dict[DnsName, Service] = Field(min_length=1)


# --- cross-field rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config: where, what, and what would be accepted."""

    path: tuple[str | int, ...]
    message: str
    allowed: str = ""
    code: str = "STRATA-E100"


def semantic_problems(catalog: Catalog) -> list[Problem]:
    """Rules that span fields; run once the shapes are valid. Returns every problem found."""
    problems: list[Problem] = []
    env, net = catalog.environment, catalog.network
    if env.is_prod:
        if net.az_count < 2:
            problems.append(Problem(("network", "azCount"), "prod must span at least 2 AZs",
                                    "2..6", "STRATA-E101"))
        if env.protect is False:
            problems.append(Problem(("environment", "protect"),
                                    "prod must protect stateful resources", "true", "STRATA-E101"))
        if catalog.cluster.public_access_cidrs:
            problems.append(Problem(("cluster", "publicAccessCidrs"),
                                    "prod keeps the EKS API endpoint private", "[]", "STRATA-E101"))
    if net.az_count > largest_az_count(net.cidr):
        problems.append(Problem(("network", "azCount"),
                                f"{net.cidr} leaves subnets below /28 for {net.az_count} AZs",
                                f"1..{largest_az_count(net.cidr)}, or a larger CIDR",
                                "STRATA-E101"))
    for name, service in catalog.services.items():
        problems += _store_problems(("services", name), service, env)
    problems += _kafka_problems(catalog)
    problems += _cluster_problems(catalog)
    return problems


def _store_problems(path: tuple[str, ...], service: Service, env: Environment) -> list[Problem]:
    problems: list[Problem] = []
    pg = service.postgres
    if pg is not None:
        at = (*path, "postgres")
        if pg.engine == "rds" and (pg.serverless is not None or pg.readers):
            problems.append(Problem((*at, "engine"), "serverless and readers need Aurora",
                                    "engine: aurora", "STRATA-E102"))
        if pg.serverless is not None and pg.instance_class is not None:
            problems.append(Problem((*at, "serverless"),
                                    "choose either instanceClass or serverless, not both",
                                    "one of instanceClass | serverless", "STRATA-E102"))
        if pg.serverless is not None and pg.serverless.min_acu > pg.serverless.max_acu:
            problems.append(Problem((*at, "serverless", "minAcu"), "minAcu exceeds maxAcu",
                                    f"<= {pg.serverless.max_acu}", "STRATA-E102"))
        if pg.partition_by == "region":
            if len(pg.regions) < pg.shards:
                problems.append(Problem((*at, "regions"),
                                        f"partitionBy region needs a geography per shard "
                                        f"({pg.shards} shards, {len(pg.regions)} regions)",
                                        f"at least {pg.shards} distinct regions", "STRATA-E102"))
            if len(set(pg.regions)) != len(pg.regions):
                problems.append(Problem((*at, "regions"), "regions repeat",
                                        "distinct values", "STRATA-E102"))
        elif pg.regions:
            problems.append(Problem((*at, "regions"), "regions only apply with partitionBy region",
                                    "partitionBy: region, or remove regions", "STRATA-E102"))
        if env.is_prod and pg.engine == "aurora" and pg.readers < 1:
            problems.append(Problem((*at, "readers"),
                                    "prod Aurora needs a reader in another AZ for failover",
                                    "1..15", "STRATA-E101"))
    for table_name, table in service.keyvalue.items():
        at = (*path, "keyvalue", table_name)
        if table.billing_mode == "provisioned" and table.capacity is None:
            problems.append(Problem((*at, "capacity"), "provisioned billing needs capacity bounds",
                                    "capacity: {readMin, readMax, writeMin, writeMax}",
                                    "STRATA-E102"))
        if table.billing_mode == "on-demand" and table.capacity is not None:
            problems.append(Problem((*at, "capacity"), "capacity only applies to provisioned",
                                    "billingMode: provisioned, or remove capacity",
                                    "STRATA-E102"))
        cap = table.capacity
        if cap and (cap.read_min > cap.read_max or cap.write_min > cap.write_max):
            problems.append(Problem((*at, "capacity"), "a minimum exceeds its maximum",
                                    "readMin <= readMax, writeMin <= writeMax", "STRATA-E102"))
    ts = service.timeseries
    if ts is not None:
        at = (*path, "timeseries")
        if ts.engine == "influxdb" and ts.tables:
            problems.append(Problem((*at, "tables"), "tables apply to engine liveanalytics",
                                    "engine: liveanalytics, or remove tables", "STRATA-E102"))
        if ts.engine == "liveanalytics" and not ts.tables:
            problems.append(Problem((*at, "tables"), "liveanalytics needs at least one table",
                                    "tables: {<name>: {memoryRetentionHours, ...}}",
                                    "STRATA-E102"))
    if not (service.postgres or service.keyvalue or service.timeseries or service.produces):
        problems.append(Problem(path, "the service owns no store and no topic",
                                "at least one of postgres, keyvalue, timeseries, produces",
                                "STRATA-E102"))
    return problems


def _kafka_problems(catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    kafka, azs = catalog.kafka, catalog.network.az_count
    if kafka.mode == "serverless" and catalog.environment.is_prod:
        problems.append(Problem(("kafka", "mode"), "MSK Serverless is offered for dev only",
                                "provisioned", "STRATA-E101"))
    if kafka.brokers is not None and kafka.brokers % azs:
        problems.append(Problem(("kafka", "brokers"),
                                f"{kafka.brokers} brokers do not spread evenly over {azs} AZs",
                                f"a multiple of {azs}", "STRATA-E103"))
    if kafka.max_storage_gib is not None and kafka.max_storage_gib < kafka.storage_gib:
        problems.append(Problem(("kafka", "maxStorageGib"), "below storageGib",
                                f">= {kafka.storage_gib}", "STRATA-E103"))
    topics = {f"{svc}.{topic}": spec for svc, s in catalog.services.items()
              for topic, spec in s.produces.items()}
    major_minor = tuple(int(part) for part in kafka.kafka_version.split(".")[:2])
    if kafka.mode == "provisioned" and topics and major_minor < (3, 6):
        # aws.msk.Topic uses the MSK topic API, which needs Kafka 3.6 or later.
        problems.append(Problem(("kafka", "kafkaVersion"),
                                f"topics as code need Kafka 3.6 or later ({kafka.kafka_version})",
                                ">= 3.6", "STRATA-E103"))
    for svc, service in catalog.services.items():
        for index, consumer in enumerate(service.consumes):
            at = ("services", svc, "consumes", index, "topic")
            owner = consumer.topic.split(".", 1)[0]
            spec = topics.get(consumer.topic)
            if owner == svc:
                problems.append(Problem(at, "a service does not consume its own topic",
                                        "another service's topic", "STRATA-E104"))
            elif spec is None:
                known = ", ".join(sorted(topics)) or "none declared"
                problems.append(Problem(at, f"no service produces {consumer.topic!r}",
                                        known, "STRATA-E104"))
            elif consumer.parallelism > spec.partitions:
                problems.append(Problem(("services", svc, "consumes", index, "parallelism"),
                                        f"{consumer.parallelism} consumers but {consumer.topic} "
                                        f"has {spec.partitions} partitions; the rest would idle",
                                        f"<= {spec.partitions}, or raise the topic's partitions",
                                        "STRATA-E104"))
        for topic, spec in service.produces.items():
            rf = spec.replication_factor
            if rf is not None and kafka.mode == "provisioned":
                brokers = kafka.brokers or azs
                if rf > brokers:
                    problems.append(Problem(("services", svc, "produces", topic,
                                             "replicationFactor"),
                                            f"replication {rf} exceeds the {brokers} brokers",
                                            f"<= {brokers}", "STRATA-E104"))
                if catalog.environment.is_prod and rf < 2:
                    problems.append(Problem(("services", svc, "produces", topic,
                                             "replicationFactor"),
                                            "prod topics need replication of at least 2",
                                            "2..5", "STRATA-E101"))
    return problems


def _cluster_problems(catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    cluster = catalog.cluster
    if cluster.compute == "nodegroups" and not cluster.node_groups:
        problems.append(Problem(("cluster", "nodeGroups"), "compute nodegroups needs a node group",
                                "nodeGroups: {<name>: {instanceTypes, minSize, maxSize}}",
                                "STRATA-E105"))
    if not cluster.public_access_cidrs and not cluster.deployer_cidrs:
        problems.append(Problem(("cluster", "deployerCidrs"),
                                "no route from the deployer to the EKS API: the program creates "
                                "Kubernetes objects through it",
                                "deployerCidrs: [<network of the deploy runners>], or "
                                "publicAccessCidrs (not in prod)", "STRATA-E105"))
    if cluster.compute == "auto" and cluster.node_groups:
        problems.append(Problem(("cluster", "nodeGroups"), "Auto Mode manages its own nodes",
                                "compute: nodegroups, or remove nodeGroups", "STRATA-E105"))
    for name, group in cluster.node_groups.items():
        desired = group.desired_size if group.desired_size is not None else group.min_size
        if not group.min_size <= desired <= group.max_size:
            problems.append(Problem(("cluster", "nodeGroups", name),
                                    "sizes must satisfy minSize <= desiredSize <= maxSize",
                                    f"{group.min_size}..{group.max_size}", "STRATA-E105"))
    return problems

