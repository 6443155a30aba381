"""Sharded PostgreSQL (RDS or Aurora): encrypted with the owner's key, private, TLS-only,
IAM-authenticated, backed up, monitored, with its shard map published for clients to route by.

Each shard is an RDS instance or an Aurora cluster (writer plus readers spread over AZs) in the
given (isolated) subnets. Nothing may connect until admitted: `allow_from(name, group)` or
`allowed_security_group_ids` admit a security group on 5432, `allowed_cidrs` a network. The
master password is managed by Secrets Manager under the key; clients connect with IAM database
authentication as `<prefix>_ro` / `<prefix>_rw`, which the read / write grants allow on every
shard. The shard map (SSM parameters) says which shard serves which tenant or region.
"""

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args, _postgres_alarms, _postgres_plan
from components._args import ComponentArgsError
from components._ingress import StoreIngress
from components._perms import Grant
from components._postgres_grants import connect_grants, shard_map_grant
from components._postgres_map import publish_shard_map
from components._postgres_shards import (
    Shard,
    ShardSettings,
    aurora_shard,
    rds_shard,
    shard_identifier,
)
from components._store import (
    AlarmSpec,
    AlarmThresholds,
    GrantsAsPolicies,
    Metric,
    check_names,
    store_key,
)
from components.lifecycle import LifecycleArgs, lifecycle_options
from components.sharding import region_assignment

__all__ = [
    "DEFAULT_ENGINE_VERSION",
    "REPLACE_ON_CHANGE",
    "Engine",
    "PartitionBy",
    "PostgresShardSet",
    "PostgresShardSetArgs",
    "physical_names",
]

PORT = 5432
DEFAULT_ENGINE_VERSION = "16"
"""A major version: AWS picks and upgrades the minor (see `engine_version`)."""
DEFAULT_SHARDS = 1
DEFAULT_RDS_INSTANCE_CLASS = "db.t4g.medium"
SERVERLESS_INSTANCE_CLASS = "db.serverless"
DEFAULT_SERVERLESS_MIN_ACU = 0.5
DEFAULT_SERVERLESS_MAX_ACU = 4.0
DEFAULT_ALLOCATED_STORAGE_GIB = 20
MAX_STORAGE_FACTOR = 4
DEFAULT_READERS = 0
DEFAULT_DATABASE_NAME = "app"
DEFAULT_DATABASE_USER_PREFIX = "app"
DEFAULT_MASTER_USERNAME = "dbadmin"
"""Not `postgres`, the engine's default (FSBP RDS.24 / RDS.25)."""
DEFAULT_BACKUP_RETENTION_DAYS = 7
DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
DEFAULT_MONITORING_INTERVAL_SECONDS = 60
MONITORING_INTERVALS_SECONDS = (1, 5, 10, 15, 30, 60)
"""Enhanced monitoring intervals RDS accepts besides 0 (off, which FSBP RDS.6 fails)."""
TLS_PARAMETERS = {
    "rds.force_ssl": "1",                   # refuse non-TLS connections (Aurora defaults to 0)
    "ssl_min_protocol_version": "TLSv1.2",  # no TLS 1.0/1.1 even for old clients
}
_MONITORING_POLICY = "policy/service-role/AmazonRDSEnhancedMonitoringRole"

REPLACE_ON_CHANGE = ("identifier_prefix", "engine", "kms_key_arn", "master_username",
                     "database_name")
"""Inputs whose change replaces every shard (a new, empty database): the identifiers, engine,
storage key, master user and initial database are create-only on RDS instances and Aurora
clusters (terraform-provider-aws rds/instance.go and rds/cluster.go, ForceNew)."""


class Engine(StrEnum):
    """How each shard runs."""

    RDS = "rds"
    """One RDS for PostgreSQL instance per shard."""
    AURORA = "aurora"
    """One Aurora PostgreSQL cluster per shard (writer plus readers)."""


class PartitionBy(StrEnum):
    """What the shard map routes by."""

    TENANT = "tenant"
    """Tenants hash onto shards (jump consistent hash, `components.sharding`)."""
    REGION = "region"
    """Each shard serves the geographies `region_assignment` gives it."""


DEFAULT_ENGINE = Engine.AURORA
DEFAULT_PARTITION_BY = PartitionBy.TENANT


class PostgresShardSetArgs(TypedDict):
    """Inputs of a PostgresShardSet."""

    identifier_prefix: str
    """Prefix of every physical name: shards `<prefix>-<i>`, Aurora instances
    `<prefix>-<i>-writer` / `-reader-<n>`, the subnet and security group `<prefix>`, the
    parameter group `<prefix>-<family>`. Lower-case letters, digits and single hyphens."""
    vpc_id: pulumi.Input[str]
    """VPC of the security group."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the shards (isolated ones: no route to the internet), in at least two AZs."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key for storage, snapshots, the master secret and Performance Insights.
    Default: an own EncryptionKey `<name>-key` (callers through `rds` and `secretsmanager`)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Protection of the shards and the groups they need. Default: see LifecycleArgs."""
    allowed_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted on 5432 (as `allow_from`, keyed by position).
    Default: none."""
    allowed_cidrs: NotRequired[Sequence[str]]
    """IPv4 networks admitted on 5432, for clients without a security group. Default: none."""
    database_user_prefix: NotRequired[str]
    """IAM database users are `<prefix>_ro` and `<prefix>_rw`. Default: `app`."""
    shard_map_parameter_name: NotRequired[str]
    """SSM parameter holding the shard map (pages, when needed, are `<name>-page-<n>`).
    Default: `/<identifier_prefix>/shard-map`."""
    engine: NotRequired[Engine]
    """Default: `aurora`."""
    engine_version: NotRequired[str]
    """PostgreSQL major version, e.g. `16`. Minor versions are refused: automatic minor upgrades
    are on (FSBP RDS.13), and a pinned minor breaks the next update once AWS has upgraded it.
    Default: `16`."""
    shards: NotRequired[int]
    """Number of shards. Default: 1."""
    partition_by: NotRequired[PartitionBy]
    """Default: `tenant`."""
    regions: NotRequired[Sequence[str]]
    """Geographies spread over the shards with `partition_by: region`. Default: none."""
    instance_class: NotRequired[str]
    """Instance class of every writer and reader. Default: `db.t4g.medium` for RDS,
    Serverless v2 (`db.serverless`) for Aurora."""
    serverless_min_acu: NotRequired[float]
    """Aurora Serverless v2 minimum ACUs (0 pauses an idle cluster). Default: 0.5."""
    serverless_max_acu: NotRequired[float]
    """Aurora Serverless v2 maximum ACUs. Default: 4."""
    allocated_storage_gib: NotRequired[int]
    """RDS only: initial gp3 storage per shard. Default: 20 GiB."""
    max_allocated_storage_gib: NotRequired[int]
    """RDS only: storage autoscaling ceiling. Default: 4x `allocated_storage_gib`."""
    readers: NotRequired[int]
    """Aurora only: reader instances per shard, spread over the AZs. Default: 0."""
    availability_zones: NotRequired[Sequence[str]]
    """Aurora only: AZs of the writer and readers, round-robin, writer first.
    Default: Aurora chooses, which may put a reader in the writer's AZ."""
    multi_az: NotRequired[bool]
    """RDS only: a synchronous standby in another AZ. Default: off."""
    database_name: NotRequired[str]
    """Initial database in every shard. Default: `app`."""
    master_username: NotRequired[str]
    """Master user (its password is managed by Secrets Manager). Changing it replaces every
    shard. Default: `dbadmin`."""
    backup_retention_days: NotRequired[int]
    """Automated backup retention, 1-35 days. Default: 7."""
    performance_insights_retention_days: NotRequired[int]
    """Performance Insights retention (7 is the free tier; else a multiple of 31). Default: 7."""
    monitoring_interval_seconds: NotRequired[int]
    """Enhanced monitoring interval: 1, 5, 10, 15, 30 or 60. Default: 60."""
    monitoring_role_arn: NotRequired[pulumi.Input[str]]
    """Role RDS assumes to publish enhanced monitoring. Default: an own role
    `<identifier_prefix>-monitoring` with AWS's AmazonRDSEnhancedMonitoringRole policy."""


class PostgresShardSet(GrantsAsPolicies, pulumi.ComponentResource):
    """N PostgreSQL shards with a published shard map; access only through IAM auth grants."""

    KMS_CALLER_SERVICES = ("rds", "secretsmanager")
    """Services that use the key as their caller: RDS (storage, snapshots, Performance
    Insights) and Secrets Manager (the managed master secret)."""
    kind = "postgres"
    ports = (PORT,)

    security_group_id: pulumi.Output[str]
    """The shards' security group (admits only what `allow_from` and the allowed lists name)."""
    shard_map_parameter_name: pulumi.Output[str]
    """Name of the SSM parameter holding the shard map."""
    writer_endpoints: pulumi.Output[list[str]]
    """Writer endpoint of each shard, in shard order."""
    kms_key_arn: pulumi.Output[str]
    """The key protecting the shards."""

    def __init__(self, name: str, args: PostgresShardSetArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:PostgresShardSet", name, None, opts)
        args = _args.validate("PostgresShardSet", name, args, PostgresShardSetArgs)
        self._name, self._args = name, args
        self._engine: Engine = args.get("engine", DEFAULT_ENGINE)
        self._tags = dict(args.get("tags", {}))
        lifecycle: LifecycleArgs = args.get("lifecycle", {})
        prefix = args["identifier_prefix"]
        shards = args.get("shards", DEFAULT_SHARDS)
        version = args.get("engine_version", DEFAULT_ENGINE_VERSION)
        self._user_prefix = args.get("database_user_prefix", DEFAULT_DATABASE_USER_PREFIX)
        self._family = _postgres_plan.parameter_family(self._engine.value, version)
        self._instance_class = args.get("instance_class", DEFAULT_RDS_INSTANCE_CLASS
                                        if self._engine is Engine.RDS
                                        else SERVERLESS_INSTANCE_CLASS)
        self._map_name = args.get("shard_map_parameter_name", f"/{prefix}/shard-map")
        _validate(name, args, self._engine, shards, version, self._user_prefix)
        check_names("PostgresShardSet", name, physical_names(
            prefix, shards=shards, engine=self._engine, engine_version=version,
            readers=args.get("readers", DEFAULT_READERS),
            shard_map_parameter_name=self._map_name,
            monitoring_role="monitoring_role_arn" not in args))
        serverless = (self._engine is Engine.AURORA
                      and self._instance_class == SERVERLESS_INSTANCE_CLASS)
        max_acu = float(args.get("serverless_max_acu", DEFAULT_SERVERLESS_MAX_ACU))
        storage = args.get("allocated_storage_gib", DEFAULT_ALLOCATED_STORAGE_GIB)
        self._sizing = _postgres_plan.sizing(self._engine.value, self._instance_class,
                                             max_acu if serverless else None, storage)
        self._key_arn = store_key(self, name, args, description=f"PostgreSQL {prefix}",
                                  caller_services=self.KMS_CALLER_SERVICES)
        keep = lifecycle_options(self, lifecycle)

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", name=prefix, subnet_ids=list(args["subnet_ids"]),
            description=f"Isolated subnets of {name}", tags=self._tags, opts=keep)
        self._ingress = StoreIngress(
            self, name, group_name=prefix, vpc_id=args["vpc_id"], port=PORT,
            description=f"PostgreSQL {name}: 5432 from admitted security groups only",
            tags=self._tags, lifecycle=lifecycle,
            allowed_security_group_ids=list(args.get("allowed_security_group_ids", [])),
            allowed_cidrs=list(args.get("allowed_cidrs", [])))
        parameter_group = self._parameter_group(name, prefix, keep)
        role_arn, role_ready = self._monitoring_role(name, prefix)
        settings = ShardSettings(
            name=name, identifier_prefix=prefix, engine_version=version,
            instance_class=self._instance_class, port=PORT,
            database_name=args.get("database_name", DEFAULT_DATABASE_NAME),
            master_username=args.get("master_username", DEFAULT_MASTER_USERNAME),
            kms_key_arn=self._key_arn, subnet_group=subnet_group,
            security_group_id=self._ingress.group_id,
            parameter_group_name=parameter_group.name, tags=self._tags, lifecycle=lifecycle,
            backup_retention_days=args.get("backup_retention_days",
                                           DEFAULT_BACKUP_RETENTION_DAYS),
            performance_insights_retention_days=args.get(
                "performance_insights_retention_days",
                DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS),
            monitoring_interval_seconds=args.get("monitoring_interval_seconds",
                                                 DEFAULT_MONITORING_INTERVAL_SECONDS),
            monitoring_role_arn=role_arn, depends_on=role_ready,
            allocated_storage_gib=storage,
            max_allocated_storage_gib=args.get("max_allocated_storage_gib",
                                               storage * MAX_STORAGE_FACTOR),
            multi_az=args.get("multi_az", False),
            readers=args.get("readers", DEFAULT_READERS) if self._engine is Engine.AURORA else 0,
            availability_zones=list(args.get("availability_zones", [])),
            serverless_acu=(float(args.get("serverless_min_acu", DEFAULT_SERVERLESS_MIN_ACU)),
                            max_acu) if serverless else None)
        by_region = (region_assignment(list(args.get("regions", [])), shards)
                     if self._partition_by is PartitionBy.REGION else {})
        build = rds_shard if self._engine is Engine.RDS else aurora_shard
        self._shards: list[Shard] = []
        for index in range(shards):
            shard = build(self, settings, index)
            shard.regions = by_region.get(index, [])
            self._shards.append(shard)
        self._map_parameters = publish_shard_map(
            self, name, self._map_name, self._map_header(), self._shards,
            [shard_identifier(prefix, index) for index in range(shards)],
            by_region=self._partition_by is PartitionBy.REGION, port=PORT, tags=self._tags)

        self.security_group_id = self._ingress.group_id
        self.shard_map_parameter_name = self._map_parameters[0].name
        self.writer_endpoints = pulumi.Output.all(*[s.endpoint for s in self._shards])
        self.kms_key_arn = pulumi.Output.from_input(self._key_arn)
        self.register_outputs({"securityGroupId": self.security_group_id,
                               "shardMapParameterName": self.shard_map_parameter_name,
                               "writerEndpoints": self.writer_endpoints,
                               "kmsKeyArn": self.kms_key_arn})

    @property
    def _partition_by(self) -> PartitionBy:
        by: PartitionBy = self._args.get("partition_by", DEFAULT_PARTITION_BY)
        return by

    def _parameter_group(self, name: str, prefix: str,
                         keep: pulumi.ResourceOptions) -> aws.rds.ParameterGroup | \
            aws.rds.ClusterParameterGroup:
        params = [{"name": k, "value": v, "apply_method": "immediate"}
                  for k, v in TLS_PARAMETERS.items()]
        if self._engine is Engine.RDS:
            return aws.rds.ParameterGroup(
                f"{name}-params", name=f"{prefix}-{self._family}", family=self._family,
                description=f"TLS-only PostgreSQL for {name}",
                parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in params],
                tags=self._tags, opts=keep)
        return aws.rds.ClusterParameterGroup(
            f"{name}-params", name=f"{prefix}-{self._family}", family=self._family,
            description=f"TLS-only Aurora PostgreSQL for {name}",
            parameters=[aws.rds.ClusterParameterGroupParameterArgs(**p) for p in params],
            tags=self._tags, opts=keep)

    def _monitoring_role(self, name: str, prefix: str
                         ) -> tuple[pulumi.Input[str], list[pulumi.Resource]]:
        """The caller's role, else an own role for enhanced monitoring (FSBP RDS.6) that only RDS
        may assume, for this account's instances of this set (confused-deputy conditions:
        https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
        RDS checks the role when it creates an instance, so shards wait for the attachment."""
        if "monitoring_role_arn" in self._args:
            given: pulumi.Input[str] = self._args["monitoring_role_arn"]
            return given, []
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        trust = pulumi.Output.all(partition, region, account).apply(
            lambda v: _monitoring_trust(v[0], v[1], v[2], prefix))
        role = aws.iam.Role(
            f"{name}-monitoring", name=f"{prefix}-monitoring",
            description=f"RDS enhanced monitoring of {prefix}", assume_role_policy=trust,
            tags=self._tags, opts=pulumi.ResourceOptions(parent=self))
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring", role=role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:{_MONITORING_POLICY}"),
            opts=pulumi.ResourceOptions(parent=self))
        return role.arn, [attachment]

    def _map_header(self) -> dict[str, Any]:
        partitioning: dict[str, Any] = {"by": self._partition_by.value,
                                        "shards": self._args.get("shards", DEFAULT_SHARDS)}
        if self._partition_by is PartitionBy.TENANT:
            partitioning["algorithm"] = _postgres_plan.TENANT_ALGORITHM
        return {"engine": self._engine.value, "partitioning": partitioning,
                "database": self._args.get("database_name", DEFAULT_DATABASE_NAME)}

    # --- access ----------------------------------------------------------------------------------

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> aws.vpc.SecurityGroupIngressRule:
        """Admit clients in `security_group_id` on 5432 (rule `<store>-allow-<name>`)."""
        return self._ingress.allow_from(name, security_group_id, description)

    def read_grants(self) -> list[Grant]:
        """Connect to every shard as `<prefix>_ro`, read the shard map, decrypt with the key:
        as many Grants as needed for each to fit one managed policy (64 shards need two)."""
        return self._grants("ro")

    def write_grants(self) -> list[Grant]:
        """As `read_grants`, as `<prefix>_rw`."""
        return self._grants("rw")

    def _grants(self, access: str) -> list[Grant]:
        user = _postgres_plan.db_user(self._user_prefix, access)
        return [*connect_grants(self, user, [s.resource_id for s in self._shards],
                                sid=f"ConnectAs{access.upper()}"),
                shard_map_grant([p.arn for p in self._map_parameters], self._map_name,
                                self._key_arn)]


    # --- monitoring ------------------------------------------------------------------------------

    def metrics(self) -> list[Metric]:
        """Per shard: CPU, freeable memory, free storage (RDS) or local storage (Aurora),
        connections, read/write latency, and Aurora replica lag where readers exist."""
        return [m for s in self._shards for m in _postgres_alarms.shard_metrics(
            self._engine.value, s.index, s.dimensions, s.reader_dimensions)]

    def alarm_specs(self, thresholds: AlarmThresholds | None = None) -> list[AlarmSpec]:
        specs: list[AlarmSpec] = []
        for shard in self._shards:
            specs += _postgres_alarms.shard_alarms(
                self._engine.value, self._instance_class, shard.index, shard.dimensions,
                shard.reader_dimensions, self._sizing, thresholds or AlarmThresholds())
        return specs

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        by = self._partition_by
        return {
            "kind": self.kind,
            "name": self._name,
            "engine": "aurora-postgresql" if self._engine is Engine.AURORA else "postgres",
            "engineVersion": self._args.get("engine_version", DEFAULT_ENGINE_VERSION),
            "shards": len(self._shards),
            "partitioning": by.value,
            "partitionAlgorithm": _postgres_plan.TENANT_ALGORITHM
            if by is PartitionBy.TENANT else "region-round-robin",
            "key": self._key_arn,
            "shardMapParameter": self._map_name,
        }


def physical_names(identifier_prefix: str, *, shards: int = DEFAULT_SHARDS,
                   engine: Engine | str = DEFAULT_ENGINE,
                   engine_version: str = DEFAULT_ENGINE_VERSION, readers: int = DEFAULT_READERS,
                   shard_map_parameter_name: str | None = None,
                   monitoring_role: bool = True) -> list[tuple[str, str]]:
    """Every physical name a shard set with these arguments creates, as (kind, name) for
    `components._names.name_problem`. Pure: the blueprint checks a catalog with it."""
    engine = Engine(engine)
    family = _postgres_plan.parameter_family(engine.value, engine_version)
    names = [("rds-group", identifier_prefix), ("rds-group", f"{identifier_prefix}-{family}"),
             ("security-group", identifier_prefix),
             ("ssm-parameter", shard_map_parameter_name or f"/{identifier_prefix}/shard-map")]
    if monitoring_role:
        names.append(("iam-role", f"{identifier_prefix}-monitoring"))
    for index in range(shards):
        shard = f"{identifier_prefix}-{index}"
        names.append(("rds-identifier", shard))
        if engine is Engine.AURORA:
            names += [("rds-identifier", f"{shard}-{role}") for role in
                      ["writer", *(f"reader-{r}" for r in range(1, readers + 1))]]
    return names


def _monitoring_trust(partition: str, region: str, account: str, prefix: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "RdsEnhancedMonitoring", "Effect": "Allow",
        "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "StringLike": {"aws:SourceArn": f"arn:{partition}:rds:{region}:{account}:db:"
                                            f"{prefix}-*"}}}]}, sort_keys=True)


def _validate(name: str, args: PostgresShardSetArgs, engine: Engine, shards: int,
              version: str, user_prefix: str) -> None:
    """Combinations of valid values that AWS or the shard map cannot serve."""
    problems = [p for p in (_postgres_plan.engine_version_problem(version),
                            _postgres_plan.db_user_problem(user_prefix)) if p]
    if shards < 1:
        problems.append(f"shards must be at least 1 (received {shards})")
    if len(args["subnet_ids"]) < 2:
        problems.append("subnet_ids: RDS subnet groups need subnets in at least two AZs")
    interval = args.get("monitoring_interval_seconds", DEFAULT_MONITORING_INTERVAL_SECONDS)
    if interval not in MONITORING_INTERVALS_SECONDS:
        problems.append(f"monitoring_interval_seconds must be one of "
                        f"{', '.join(map(str, MONITORING_INTERVALS_SECONDS))} (received "
                        f"{interval}; 0 turns enhanced monitoring off, FSBP RDS.6)")
    aurora_only = [k for k in ("readers", "availability_zones", "serverless_min_acu",
                               "serverless_max_acu") if k in args]
    rds_only = [k for k in ("allocated_storage_gib", "max_allocated_storage_gib", "multi_az")
                if k in args]
    if engine is Engine.RDS and aurora_only:
        problems.append(f"{', '.join(aurora_only)}: Aurora only (engine is rds)")
    if engine is Engine.AURORA and rds_only:
        problems.append(f"{', '.join(rds_only)}: RDS only (engine is aurora)")
    by = args.get("partition_by", DEFAULT_PARTITION_BY)
    regions = list(args.get("regions", []))
    if by is PartitionBy.REGION and len(regions) < shards:
        problems.append(f"partition_by region needs at least one region per shard "
                        f"({shards} shards, {len(regions)} regions)")
    if by is PartitionBy.TENANT and regions:
        problems.append("regions: only with partition_by region")
    if problems:
        raise ComponentArgsError(f"PostgresShardSet {name!r}: " + "; ".join(problems))
