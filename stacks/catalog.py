"""The stack's typed configuration: environment settings and the service catalog.

Data and shape validation (pydantic v2) so that every mistake a user can make in
`Pulumi.<stack>.yaml` is found, all at once, before a single resource is registered. A field's
default is the component's own constant, shown here for validation and documentation; wiring
passes only what the user set (`StrictModel.given`).
Keys are camelCase in YAML (the Pulumi convention) and snake_case in Python. Types are strict
(`shards: true` or `shards: "3"` is not a number), numbers finite, and every pattern has its rule
in words (`PATTERN_WORDS`) for the error message. Rules that span fields live in
`stacks/_rules.py`, physical names in `stacks/_physical.py`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components._alarms import DEFAULT_MAX_LAG_MESSAGES
from components._store import AlarmThresholds
from components.dynamodb import (
    DEFAULT_ATTRIBUTE_TYPE,
    DEFAULT_PROJECTION,
    DEFAULT_TARGET_UTILIZATION_PERCENT,
)
from components.eks import DEFAULT_NODE_AMI, DEFAULT_NODE_DISK_GIB, DEFAULT_UPGRADE_POLICY
from components.kafka import (
    DEFAULT_CLEANUP_POLICY,
    DEFAULT_KAFKA_VERSION,
    DEFAULT_RETENTION_HOURS,
    DEFAULT_STORAGE_TARGET_PERCENT,
)
from components.kafka import DEFAULT_INSTANCE_TYPE as DEFAULT_BROKER_TYPE
from components.kafka import DEFAULT_STORAGE_GIB as DEFAULT_BROKER_STORAGE_GIB
from components.network import DEFAULT_NAT_MODE
from components.observability import DEFAULT_GRAFANA_AUTH
from components.postgres import (
    DEFAULT_ALLOCATED_STORAGE_GIB,
    DEFAULT_DATABASE_NAME,
    DEFAULT_ENGINE,
    DEFAULT_ENGINE_VERSION,
    DEFAULT_PARTITION_BY,
    DEFAULT_READERS,
    DEFAULT_SERVERLESS_MAX_ACU,
    DEFAULT_SERVERLESS_MIN_ACU,
    DEFAULT_SHARDS,
)
from components.timeseries import DEFAULT_INFLUX_INSTANCE_TYPE, DEFAULT_INFLUX_STORAGE_GIB
from stacks._patterns import (
    ATTRIBUTE_NAME,
    AZ_NAME,
    COST_CENTER,
    CPU,
    DATABASE_NAME,
    DNS_LABEL,
    EMAIL,
    FILLED_FROM_KEY,
    FULL_TOPIC,
    GEOGRAPHY,
    GROUP_NAME,
    INT32_MAX,
    INT64_MAX,
    K8S_VERSION,
    KAFKA_VERSION,
    MEMORY,
    PATTERN_WORDS,
    PG_MAJOR,
    REGION,
    RFC1918,
    ROLE_ARN,
    SECRET_PLACEHOLDER_KEY,
    TOPIC_CONFIG,
    TOPIC_NAME,
)
from stacks._problems import Problem, format_path

__all__ = [
    "FILLED_FROM_KEY",
    "PATTERN_WORDS",
    "REGION",
    "RFC1918",
    "SECRET_PLACEHOLDER_KEY",
    "Catalog",
    "ClusterSpec",
    "ConsumerSpec",
    "Environment",
    "GlobalIndex",
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
    "format_path",
    "shape_of",
    "user_fields",
]


DnsName = Annotated[str, Field(pattern=DNS_LABEL)]
Classification = Literal["public", "internal", "confidential", "restricted"]
Tier = Literal["dev", "staging", "prod"]
RetentionHours = Annotated[int, Field(ge=1, le=87_600)]
"""Kafka stores `retention.ms` as a 64-bit long; Strata bounds it at 10 years (87,600 hours),
far inside it, so sizing and alarms stay meaningful."""


MAX_TABLES = 10
MAX_GLOBAL_INDEXES = 5
MAX_TOPICS = 10
MAX_SUBSCRIPTIONS = 10
"""What one service may own and read. Its role holds every grant on them as managed policies,
and IAM attaches at most 10 of 6,144 characters each to a role
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): with 64 shards,
an InfluxDB instance and these maxima the grants still fit (tests/stacks/test_iam_limits.py)."""


class StrictModel(BaseModel):
    """Unknown keys refused (the error handler adds a "did you mean" hint), camelCase keys only,
    strict types (no bool-as-int, no numeric strings), finite numbers."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, validate_by_name=False,
                              validate_by_alias=True, frozen=True, strict=True,
                              allow_inf_nan=False, use_attribute_docstrings=True)

    def given(self, *fields: str, **converted: Callable[[Any], Any]) -> Any:
        """The fields the user set in the stack file, by name (`converted` ones passed through
        their converter, e.g. a component's enum). Wiring passes only these to a component,
        so an unset field takes the component's default: every default is defined once, in
        its component, and the catalog's field defaults merely show it. Typed `Any` because it
        is spread into a component's arguments, whose TypedDict checks the keys at run time."""
        chosen = {field: getattr(self, field) for field in fields
                  if field in self.model_fields_set}
        chosen.update({field: convert(getattr(self, field))
                       for field, convert in converted.items()
                       if field in self.model_fields_set})
        return chosen


# --- environment -----------------------------------------------------------------------------


class Environment(StrictModel):
    """Who owns and pays for the stack, and how careful it must be."""

    name: DnsName
    """Environment name, used in resource names and the `environment` tag (`dev`, `prod-eu`)."""
    tier: Tier
    """`prod` turns on multi-AZ, deletion protection, longer backups and stricter validation."""
    owner: DnsName
    """Team that owns the shared platform resources (the `owner` tag on them)."""
    cost_center: Annotated[str, Field(pattern=COST_CENTER)]
    region: Annotated[str, Field(pattern=REGION,
                                 json_schema_extra={FILLED_FROM_KEY: "aws:region"})] = "eu-west-1"
    """Filled from `aws:region` by the config loader, which requires that key; not a key of
    `strata:environment`."""
    protect: bool | None = None
    """Protect stateful resources (Pulumi protect, deletion protection, retain).
    Default: on in prod."""
    log_retention_days: Literal[7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653] | None = None
    """CloudWatch log retention. Default: 30 days, 365 in prod."""
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] | None = None
    """Automated backup retention for databases (RDS allows 1-35). Default: 7 days, 35 in
    prod."""

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
    """VPC CIDR: a /16 to /24 inside an RFC 1918 range."""
    az_count: Annotated[int, Field(ge=2, le=6)] = 2
    """Availability zones to spread subnets over. EKS, RDS subnet groups and Grafana need two;
    provisioned MSK takes two or three."""
    availability_zones: Annotated[list[Annotated[str, Field(pattern=AZ_NAME)]],
                                  Field(min_length=2, max_length=6)] | None = None
    """The AZs by name, in subnet order; `azCount` follows their number when not given.
    Default: the first `azCount` AZs the region offers (the provider's
    `aws.get_availability_zones`)."""
    nat_mode: Literal["single", "per-az"] = DEFAULT_NAT_MODE.value
    """`per-az` survives the loss of an AZ; `single` is cheaper (not in prod)."""
    acknowledge_replacement: bool = False
    """Accept that a change of region, CIDR or AZs against the deployed-state lock replaces the
    subnets and everything in them (MSK, InfluxDB, RDS subnet groups). Remove once deployed
    and re-locked (`strata lock STACK`)."""

    @model_validator(mode="before")
    @classmethod
    def _count_named_zones(cls, data: Any) -> Any:
        """Named AZs decide the count unless `azCount` is given too (then both must agree)."""
        if isinstance(data, dict) and "azCount" not in data:
            zones = data.get("availabilityZones")
            if isinstance(zones, list) and 2 <= len(zones) <= 6:
                return {**data, "azCount": len(zones)}
        return data

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a network CIDR ({exc})") from None
        if not isinstance(net, ipaddress.IPv4Network) or \
                not any(net.subnet_of(block) for block in RFC1918):
            raise ValueError("must be a private IPv4 range (RFC 1918: inside 10.0.0.0/8, "
                             "172.16.0.0/12 or 192.168.0.0/16)")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"prefix /{net.prefixlen} is outside /16../24")
        return value


# --- stores ------------------------------------------------------------------------------------


class ServerlessCapacity(StrictModel):
    """Aurora Serverless v2 capacity in ACUs, in steps of 0.5 (0 lets the cluster pause)."""

    min_acu: Annotated[float, Field(ge=0, le=256, multiple_of=0.5)] = \
        DEFAULT_SERVERLESS_MIN_ACU
    max_acu: Annotated[float, Field(ge=1, le=256, multiple_of=0.5)] = \
        DEFAULT_SERVERLESS_MAX_ACU


class PostgresSpec(StrictModel):
    """A shard set of PostgreSQL databases owned by one service."""

    engine: Literal["rds", "aurora"] = DEFAULT_ENGINE.value
    engine_version: Annotated[str, Field(pattern=PG_MAJOR)] = DEFAULT_ENGINE_VERSION
    """Major version; AWS applies minor versions."""
    shards: Annotated[int, Field(ge=1, le=64)] = DEFAULT_SHARDS
    partition_by: Literal["tenant", "region"] = DEFAULT_PARTITION_BY.value
    """`tenant`: tenants hash onto shards. `region`: each shard serves listed geographies."""
    regions: list[Annotated[str, Field(pattern=GEOGRAPHY)]] = []
    """Geographies (e.g. `eu`, `us`) when partitioning by region; spread over the shards."""
    instance_class: str | None = None
    """Instance class, one RDS offers for the engine. Default: db.t4g.medium (RDS) or
    Serverless v2 (Aurora)."""
    serverless: ServerlessCapacity | None = None
    """Aurora only: Serverless v2 capacity. Default for Aurora when no instance class is given."""
    allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)] = \
        DEFAULT_ALLOCATED_STORAGE_GIB
    """RDS only: initial storage; storage autoscaling may grow it to 4x."""
    readers: Annotated[int, Field(ge=0, le=15)] = DEFAULT_READERS
    """Aurora only: reader instances per shard (prod: at least 1 for multi-AZ)."""
    database_name: Annotated[str, Field(pattern=DATABASE_NAME)] = DEFAULT_DATABASE_NAME


class KeyAttribute(StrictModel):
    name: Annotated[str, Field(pattern=ATTRIBUTE_NAME)]
    type: Literal["S", "N", "B"] = DEFAULT_ATTRIBUTE_TYPE.value


class GlobalIndex(StrictModel):
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = DEFAULT_PROJECTION.value


class TableCapacity(StrictModel):
    """Provisioned capacity bounds for DynamoDB autoscaling (Application Auto Scaling takes
    32-bit capacities)."""

    read_min: Annotated[int, Field(ge=1, le=INT32_MAX)] = 5
    read_max: Annotated[int, Field(ge=1, le=INT32_MAX)] = 100
    write_min: Annotated[int, Field(ge=1, le=INT32_MAX)] = 5
    write_max: Annotated[int, Field(ge=1, le=INT32_MAX)] = 100
    target_utilization_percent: Annotated[int, Field(ge=20, le=90)] = \
        DEFAULT_TARGET_UTILIZATION_PERCENT


class KeyValueTable(StrictModel):
    """A DynamoDB table."""

    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    global_indexes: Annotated[dict[DnsName, GlobalIndex],
                              Field(max_length=MAX_GLOBAL_INDEXES)] = {}
    """At most 5: with the other limits below, every grant of a service fits IAM's 10 managed
    policies per role (tests/stacks/test_iam_limits.py)."""
    billing_mode: Literal["on-demand", "provisioned"] = "on-demand"
    capacity: TableCapacity | None = None
    """Required with `provisioned` billing; autoscaling keeps usage near the target."""
    ttl_attribute: Annotated[str, Field(pattern=ATTRIBUTE_NAME)] | None = None
    stream: bool = False
    """Publish NEW_AND_OLD_IMAGES change records (for outbox or CDC consumers)."""


class TimeseriesTable(StrictModel):
    memory_retention_hours: Annotated[int, Field(ge=1, le=8766)] = 24
    """Timestream memory store: 1 hour to 8,766 hours (one year)."""
    magnetic_retention_days: Annotated[int, Field(ge=1, le=73000)] = 365
    """Timestream magnetic store: 1 to 73,000 days (200 years)."""


class TimeseriesSpec(StrictModel):
    """Timestream: InfluxDB (default for new accounts) or LiveAnalytics (existing accounts)."""

    engine: Literal["influxdb", "liveanalytics"] = "influxdb"
    instance_type: str = DEFAULT_INFLUX_INSTANCE_TYPE
    """InfluxDB only: an instance type the timestream-influxdb API offers."""
    allocated_storage_gib: Annotated[int, Field(ge=20, le=16384)] = \
        DEFAULT_INFLUX_STORAGE_GIB
    """InfluxDB only."""
    tables: dict[DnsName, TimeseriesTable] = {}
    """LiveAnalytics only: tables with their retention."""


# --- events ------------------------------------------------------------------------------------


class TopicSpec(StrictModel):
    """A Kafka topic the service produces (and so owns). Its full name is `<service>.<topic>`."""

    partitions: Annotated[int, Field(ge=1, le=1000)] = 6
    replication_factor: Annotated[int, Field(ge=1, le=5)] | None = None
    """Default: 3 in prod (2 for a 2-AZ cluster), 2 otherwise. Changing it replaces the topic."""
    retention_hours: RetentionHours = DEFAULT_RETENTION_HOURS
    cleanup_policy: Literal["delete", "compact"] = DEFAULT_CLEANUP_POLICY.value
    configs: dict[Annotated[str, Field(pattern=TOPIC_CONFIG)], str] = {}
    """Other topic-level Kafka configs, verbatim (not `retention.ms` or `cleanup.policy`: those
    are `retentionHours` and `cleanupPolicy`)."""
    acknowledge_replication_change: bool = False
    """Accept that a replication-factor change (against `locks/deployed.<stack>.json`)
    replaces the topic and deletes its data. Remove once deployed and re-locked."""


class ConsumerSpec(StrictModel):
    """A subscription to another service's topic."""

    topic: Annotated[str, Field(pattern=FULL_TOPIC)]
    """`<service>.<topic>` of the producing service."""
    group: Annotated[str, Field(pattern=GROUP_NAME)] | None = None
    """Consumer group, this service's alone. Default: the consuming service's name."""
    parallelism: Annotated[int, Field(ge=1, le=1000)] = 1
    """Consumer instances reading in parallel; the topic needs at least this many partitions."""
    max_lag_messages: Annotated[int, Field(ge=1, le=INT64_MAX)] = DEFAULT_MAX_LAG_MESSAGES
    """Alarm when the group's max offset lag exceeds this (Kafka offsets are 64-bit)."""


# --- compute -----------------------------------------------------------------------------------


class WorkloadSpec(StrictModel):
    """The service's Kubernetes namespace budget (ResourceQuota and LimitRange)."""

    cpu: Annotated[str, Field(pattern=CPU)] = "4"
    memory: Annotated[str, Field(pattern=MEMORY)] = "8Gi"
    pods: Annotated[int, Field(ge=1, le=1000)] = 40
    default_cpu: Annotated[str, Field(pattern=CPU)] = "250m"
    default_memory: Annotated[str, Field(pattern=MEMORY)] = "256Mi"


class Service(StrictModel):
    """A microservice: who owns it, how sensitive its data is, and what it owns."""

    owner: DnsName
    classification: Classification
    description: Annotated[str, Field(max_length=1024)] = ""
    postgres: PostgresSpec | None = None
    keyvalue: Annotated[dict[DnsName, KeyValueTable], Field(max_length=MAX_TABLES)] = {}
    """DynamoDB tables by name, at most 10 (see `MAX_TABLES`)."""
    timeseries: TimeseriesSpec | None = None
    produces: Annotated[dict[Annotated[str, Field(pattern=TOPIC_NAME)], TopicSpec],
                        Field(max_length=MAX_TOPICS)] = {}
    """Topics this service owns, by short name; at most 10."""
    consumes: Annotated[list[ConsumerSpec], Field(max_length=MAX_SUBSCRIPTIONS)] = []
    """Subscriptions to other services' topics; at most 10."""
    workload: WorkloadSpec = WorkloadSpec()


# --- platform ----------------------------------------------------------------------------------


class KafkaSpec(StrictModel):
    """The shared MSK cluster (services own topics on it, not the cluster)."""

    mode: Literal["provisioned", "serverless"] = "provisioned"
    kafka_version: Annotated[str, Field(pattern=KAFKA_VERSION)] = DEFAULT_KAFKA_VERSION
    instance_type: str = DEFAULT_BROKER_TYPE
    """A Standard broker size MSK offers (not kafka.t3.* in prod)."""
    brokers: Annotated[int, Field(ge=1, le=30)] | None = None
    """Broker count, a multiple of the AZ count. Default: one per AZ."""
    storage_gib: Annotated[int, Field(ge=1, le=16384)] = DEFAULT_BROKER_STORAGE_GIB
    """Initial EBS storage per broker."""
    max_storage_gib: Annotated[int, Field(ge=1, le=16384)] | None = None
    """Storage autoscaling ceiling per broker. Default: 4x `storageGib`."""
    storage_target_percent: Annotated[int, Field(ge=10, le=80)] = \
        DEFAULT_STORAGE_TARGET_PERCENT
    peak_ingress_mib_per_s: Annotated[float, Field(gt=0, le=100_000)] | None = None
    """Declared peak producer throughput; synth warns when the cluster is sized below it. The
    bound is far above any MSK cluster (30 brokers) and keeps the sizing arithmetic finite."""
    retention_hours: RetentionHours = DEFAULT_RETENTION_HOURS
    """Typical topic retention, for storage sizing."""


class NodeGroupSpec(StrictModel):
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)] = ["m7g.large"]
    """EC2 instance types (one architecture per group)."""
    ami: Literal["AL2023", "BOTTLEROCKET"] = DEFAULT_NODE_AMI.value
    min_size: Annotated[int, Field(ge=0, le=450)] = 2
    max_size: Annotated[int, Field(ge=1, le=450)] = 6
    desired_size: Annotated[int, Field(ge=0, le=450)] | None = None
    disk_gib: Annotated[int, Field(ge=20, le=16384)] = DEFAULT_NODE_DISK_GIB


class ClusterSpec(StrictModel):
    """The shared EKS cluster."""

    kubernetes_version: Annotated[str, Field(pattern=K8S_VERSION)] = "1.33"
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = DEFAULT_UPGRADE_POLICY
    compute: Literal["auto", "nodegroups"] = "auto"
    node_groups: dict[DnsName, NodeGroupSpec] = {}
    """Managed node groups by name (compute `nodegroups`)."""
    public_access_cidrs: list[str] = []
    """Open the API endpoint publicly to these CIDRs only (not in prod). Default: private
    endpoint only."""
    deployer_cidrs: list[str] = []
    """Networks routed to the VPC (VPN, Transit Gateway, peering) where deploys run; they reach
    the private API endpoint on 443. One of deployerCidrs / publicAccessCidrs is required."""
    admin_role_arn: Annotated[str, Field(pattern=ROLE_ARN)] | None = None
    """IAM role given cluster-admin through an EKS access entry. Default: a
    `strata-<env>-admin` role created with the cluster, assumable by account principals."""


HttpsEndpoint = Annotated[SecretStr, Field(json_schema_extra={
    SECRET_PLACEHOLDER_KEY: "https://placeholder.invalid/strata-synth/{path}"})]
Email = Annotated[str, Field(pattern=EMAIL, json_schema_extra={
    SECRET_PLACEHOLDER_KEY: "{path}@placeholder.invalid"})]


class MonitoringSpec(StrictModel):
    alarm_emails: list[Email] = []
    """E-mail subscriptions of the alarm topic (each confirms by mail)."""
    alarm_https_endpoints: list[HttpsEndpoint] = []
    """HTTPS subscriptions (an incident tool's URL with its integration key): secret values
    (pydantic `SecretStr`), kept secret in state. Write them as `secure:` values."""
    grafana_auth: Literal["AWS_SSO", "SAML"] = DEFAULT_GRAFANA_AUTH.value
    cpu_alarm_percent: Annotated[int, Field(ge=10, le=100)] = AlarmThresholds.cpu_percent
    storage_alarm_free_percent: Annotated[int, Field(ge=5, le=50)] = \
        AlarmThresholds.storage_free_percent

    @field_validator("alarm_https_endpoints")
    @classmethod
    def _https(cls, values: list[SecretStr]) -> list[SecretStr]:
        for index, value in enumerate(values):
            text = value.get_secret_value()
            if not text.startswith("https://") or len(text) <= len("https://") or \
                    any(c.isspace() for c in text):
                # Never echo the value: it carries an integration key.
                raise ValueError(f"item {index} is not an https:// URL without spaces")
        return values


class Catalog(StrictModel):
    """Everything one stack is built from."""

    environment: Environment
    network: NetworkSpec = NetworkSpec()
    kafka: KafkaSpec = KafkaSpec()
    cluster: ClusterSpec = ClusterSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    services: Annotated[dict[DnsName, Service], Field(min_length=1)]


# --- shapes, for messages ---------------------------------------------------------------------


def user_fields(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """(name, FieldInfo) of the keys a user writes (not those the loader fills)."""
    return [(name, field) for name, field in model.model_fields.items()
            if not (isinstance(field.json_schema_extra, dict)
                    and FILLED_FROM_KEY in field.json_schema_extra)]


def shape_of(model: type[BaseModel]) -> str:
    """`{name, type?}`: the keys a model takes (optional ones with `?`), for messages that
    name the expected shape."""
    keys = [f"{field.alias or name}{'' if field.is_required() else '?'}"
            for name, field in user_fields(model)]
    return "{" + ", ".join(keys) + "}"

