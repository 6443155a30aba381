"""Sharded PostgreSQL (RDS or Aurora) encrypted with the owner's key, private, TLS-only, IAM-auth,
backed up, with its shard map published for services to route by.

Each shard is an RDS instance or an Aurora cluster (writer plus readers spread over AZs) in the
isolated subnets, reachable on 5432 only from the private (workload) subnets. The master
password is managed by Secrets Manager under the owner's key; applications connect with IAM
database authentication as `<service>_ro` / `<service>_rw`, which `grant_read` / `grant_write`
allow per shard. The shard map (SSM parameter) says which shard serves which tenant or region.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _postgres_alarms
from components._grant import attach_grant
from components._perms import RDS_CONNECT, SSM_READ, statement
from components._postgres_plan import (
    TENANT_ALGORITHM,
    db_user,
    parameter_family,
    sizing,
)
from components._store import AlarmSpec, AlarmThresholds, Metric
from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey
from components.network import Network
from components.sharding import region_assignment

__all__ = ["PostgresShardSet", "PostgresShardSetArgs"]

PORT = 5432
MASTER_USERNAME = "strata_admin"
RDS_LOG_EXPORTS = ["postgresql", "upgrade"]
# Aurora PostgreSQL exports only `postgresql` here (`upgrade` is an RDS-only log type).
AURORA_LOG_EXPORTS = ["postgresql"]
TLS_PARAMETERS = {
    "rds.force_ssl": "1",                   # refuse non-TLS connections (Aurora defaults to 0)
    "ssl_min_protocol_version": "TLSv1.2",  # no TLS 1.0/1.1 even for old clients
}


class PostgresShardSetArgs(TypedDict):
    service: str
    """Owning service: names the IAM database users (`<service>_ro`, `<service>_rw`) and the
    shard-map parameter path."""
    environment: str
    """Environment name, in physical identifiers (`<environment>-<service>-pg-<i>`) and the
    shard-map path `/strata/<environment>/<service>/postgres/shard-map`."""
    key: EncryptionKey
    """The owner's key: storage, snapshots, master secret and Performance Insights."""
    network: Network
    """Shards go in its isolated subnets, reachable from its private subnets only."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    engine: NotRequired[Literal["rds", "aurora"]]
    """`rds` (one instance per shard) or `aurora` (a cluster per shard). Default: `aurora`."""
    engine_version: NotRequired[str]
    """PostgreSQL version, e.g. `16.6`; its major version picks the parameter family.
    Default: `16.6`."""
    shards: NotRequired[int]
    """Number of shards. Default: 1."""
    partition_by: NotRequired[Literal["tenant", "region"]]
    """`tenant`: tenants hash onto shards (jump consistent hash); `region`: each shard serves
    the geographies `region_assignment` gives it. Default: `tenant`."""
    regions: NotRequired[Sequence[str]]
    """Geographies spread over the shards with `partition_by: region`. Default: none."""
    instance_class: NotRequired[str]
    """Instance class of every writer and reader. Default: `db.t4g.medium` for RDS, Serverless v2
    (`db.serverless`) for Aurora."""
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
    """Aurora only: AZs to place the writer and readers in round-robin (writer first).
    Default: Aurora chooses, which may put a reader in the writer's AZ."""
    multi_az: NotRequired[bool]
    """RDS only: a synchronous standby in another AZ. Default: off (turn on in prod)."""
    database_name: NotRequired[str]
    """Initial database in every shard. Default: `app`."""
    backup_retention_days: NotRequired[int]
    """Automated backup retention. Default: 7 days (Strata passes 35 in prod)."""
    performance_insights_retention_days: NotRequired[int]
    """Performance Insights retention (7 is the free tier; else a multiple of 31). Default: 7."""
    protect: NotRequired[bool]
    """Pulumi protect + retain on delete, deletion protection and a final snapshot.
    Default: off."""


@dataclass
class _Shard:
    index: int
    resource_id: pulumi.Output[str]
    """RDS `resource_id` / Aurora `cluster_resource_id`: the IAM auth ARN names it."""
    endpoint: pulumi.Output[str]
    port: pulumi.Output[Any]
    secret_arn: pulumi.Output[str]
    dimensions: dict[str, pulumi.Input[str]]
    """Writer metric dimensions, built from the store resource's own outputs."""
    reader_dimensions: dict[str, pulumi.Input[str]] | None = None
    regions: list[str] = field(default_factory=list)


class PostgresShardSet(pulumi.ComponentResource):
    """N PostgreSQL shards with a published shard map; access only through IAM auth grants."""

    kind = "postgres"
    ports: tuple[int, ...] = (PORT,)
    shard_map_parameter: aws.ssm.Parameter
    shard_map_name: str
    security_group_id: pulumi.Output[str]
    writer_endpoints: list[pulumi.Output[str]]

    def __init__(self, name: str, args: PostgresShardSetArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:PostgresShardSet", name, None, opts)
        self._store_name, self._args = name, args
        tags = require_tags(args["tags"], name)
        self._engine: Literal["rds", "aurora"] = args.get("engine", "aurora")
        self._key: EncryptionKey = args["key"]
        self._service, env = args["service"], args["environment"]
        self._protected = args.get("protect", False)
        shards = args.get("shards", 1)
        if shards < 1:
            raise ValueError(f"{name}: shards must be at least 1")
        version = args.get("engine_version", "16.6")
        self._family = parameter_family(self._engine, version)
        self._instance_class = args.get(
            "instance_class", "db.t4g.medium" if self._engine == "rds" else "db.serverless")
        serverless = self._engine == "aurora" and self._instance_class == "db.serverless"
        self._sizing = sizing(self._engine, self._instance_class,
                              args.get("serverless_max_acu", 4) if serverless else None,
                              args.get("allocated_storage_gib", 20))
        self._readers = args.get("readers", 0) if self._engine == "aurora" else 0
        child = pulumi.ResourceOptions(parent=self)
        network = args["network"]

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", name=f"{env}-{name}", subnet_ids=network.isolated_subnet_ids,
            description=f"Isolated subnets of {name}", tags=tags, opts=child)
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", name=f"{env}-{name}", vpc_id=network.vpc_id,
            description=f"PostgreSQL {name}: 5432 from the private subnets only",
            # No inline rules: the ingress rules below are separate resources, and the provider
            # removes AWS's default allow-all egress on create, so the group has no egress.
            tags=with_name(tags, f"{env}-{name}"), opts=child)
        for cidr in network.private_cidrs:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-{cidr.replace('/', '-')}", security_group_id=sg.id,
                ip_protocol="tcp", from_port=PORT, to_port=PORT, cidr_ipv4=cidr,
                description="PostgreSQL from workload subnet", tags=tags, opts=child)
        self.security_group_id = sg.id
        params = [{"name": k, "value": v, "apply_method": "immediate"}
                  for k, v in TLS_PARAMETERS.items()]
        if self._engine == "rds":
            group: aws.rds.ParameterGroup | aws.rds.ClusterParameterGroup = aws.rds.ParameterGroup(
                f"{name}-params", name=f"{env}-{name}-{self._family}", family=self._family,
                description=f"TLS-only PostgreSQL for {name}",
                parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in params],
                tags=tags, opts=child)
        else:
            group = aws.rds.ClusterParameterGroup(
                f"{name}-params", name=f"{env}-{name}-{self._family}", family=self._family,
                description=f"TLS-only Aurora PostgreSQL for {name}",
                parameters=[aws.rds.ClusterParameterGroupParameterArgs(**p) for p in params],
                tags=tags, opts=child)

        by_region = (region_assignment(list(args.get("regions", [])), shards)
                     if args.get("partition_by", "tenant") == "region" else {})
        build = self._rds_shard if self._engine == "rds" else self._aurora_shard
        self._shards: list[_Shard] = []
        for index in range(shards):
            shard = build(index, f"{env}-{name}-{index}", version, subnet_group, sg, group, tags)
            shard.regions = by_region.get(index, [])
            self._shards.append(shard)
        self.writer_endpoints = [s.endpoint for s in self._shards]

        self.shard_map_name = f"/strata/{env}/{self._service}/postgres/shard-map"
        self.shard_map_parameter = aws.ssm.Parameter(
            f"{name}-shard-map", name=self.shard_map_name, type="String", tier="Standard",
            description=f"Shard map of {name}: which shard serves which tenant or region",
            # `insecure_value`: the map holds endpoints and secret ARNs (references), no secret;
            # `value` would be marked secret and hide it from reviews and policy checks.
            insecure_value=self._shard_map(), tags=tags, opts=child)
        self.register_outputs({"shardMapParameter": self.shard_map_parameter.name,
                               "writerEndpoints": self.writer_endpoints})

    # --- shards ----------------------------------------------------------------------------------

    def _stateful_args(self, identifier: str) -> dict[str, Any]:
        protect = self._protected
        return {
            "deletion_protection": protect,
            "skip_final_snapshot": not protect,
            "final_snapshot_identifier": f"{identifier}-final" if protect else None,
            "copy_tags_to_snapshot": True,
            "backup_retention_period": self._args.get("backup_retention_days", 7),
            "storage_encrypted": True,
            "kms_key_id": self._key.arn,
            "manage_master_user_password": True,
            "master_user_secret_kms_key_id": self._key.arn,
            "iam_database_authentication_enabled": True,
            "auto_minor_version_upgrade": True,
            "apply_immediately": False,
        }

    def _rds_shard(self, index: int, identifier: str, version: str,
                   subnets: aws.rds.SubnetGroup, sg: aws.ec2.SecurityGroup,
                   group: Any, tags: dict[str, str]) -> _Shard:
        allocated = self._args.get("allocated_storage_gib", 20)
        instance = aws.rds.Instance(
            f"{self._store_name}-shard-{index}",
            identifier=identifier, engine="postgres", engine_version=version,
            instance_class=self._instance_class, db_name=self._args.get("database_name", "app"),
            username=MASTER_USERNAME, port=PORT,
            allocated_storage=allocated,
            max_allocated_storage=self._args.get("max_allocated_storage_gib", allocated * 4),
            storage_type="gp3", multi_az=self._args.get("multi_az", False),
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[sg.id],
            parameter_group_name=group.name, publicly_accessible=False, network_type="IPV4",
            performance_insights_enabled=True, performance_insights_kms_key_id=self._key.arn,
            performance_insights_retention_period=self._args.get(
                "performance_insights_retention_days", 7),
            enabled_cloudwatch_logs_exports=RDS_LOG_EXPORTS,
            delete_automated_backups=not self._protected,
            tags=tags, opts=stateful_options(self, self._protected),
            **self._stateful_args(identifier))
        return _Shard(index, instance.resource_id, instance.address, instance.port,
                      instance.master_user_secrets.apply(_secret_arn),
                      {"DBInstanceIdentifier": instance.identifier})

    def _aurora_shard(self, index: int, identifier: str, version: str,
                      subnets: aws.rds.SubnetGroup, sg: aws.ec2.SecurityGroup,
                      group: Any, tags: dict[str, str]) -> _Shard:
        serverless = self._instance_class == "db.serverless"
        cluster = aws.rds.Cluster(
            f"{self._store_name}-shard-{index}",
            cluster_identifier=identifier, engine="aurora-postgresql", engine_mode="provisioned",
            engine_version=version, database_name=self._args.get("database_name", "app"),
            master_username=MASTER_USERNAME, port=PORT,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[sg.id],
            db_cluster_parameter_group_name=group.name, network_type="IPV4",
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=self._args.get("serverless_min_acu", 0.5),
                max_capacity=self._args.get("serverless_max_acu", 4),
            ) if serverless else None,
            enabled_cloudwatch_logs_exports=AURORA_LOG_EXPORTS,
            delete_automated_backups=not self._protected,
            tags=tags, opts=stateful_options(self, self._protected),
            **self._stateful_args(identifier))
        azs = list(self._args.get("availability_zones", []))
        # Writer first, then readers; each keyed by its role and ordinal, never list position
        # of something reorderable. Readers take promotion tier 1 so failover picks one.
        roles = [("writer", 0)] + [(f"reader-{r}", 1) for r in range(1, self._readers + 1)]
        for position, (role, tier) in enumerate(roles):
            aws.rds.ClusterInstance(
                f"{self._store_name}-shard-{index}-{role}",
                identifier=f"{identifier}-{role}", cluster_identifier=cluster.id,
                engine=aws.rds.EngineType.AURORA_POSTGRESQL, engine_version=version,
                instance_class=self._instance_class, db_subnet_group_name=subnets.name,
                availability_zone=azs[position % len(azs)] if azs else None,
                promotion_tier=tier, publicly_accessible=False, auto_minor_version_upgrade=True,
                copy_tags_to_snapshot=True, performance_insights_enabled=True,
                performance_insights_kms_key_id=self._key.arn,
                performance_insights_retention_period=self._args.get(
                    "performance_insights_retention_days", 7),
                apply_immediately=False, tags=tags,
                opts=pulumi.ResourceOptions(parent=self))
        # Cluster-level metrics with the Role dimension: the writer's (or readers') series,
        # whichever instance currently holds the role, so alarms survive failovers.
        dims: dict[str, pulumi.Input[str]] = {"DBClusterIdentifier": cluster.cluster_identifier}
        return _Shard(index, cluster.cluster_resource_id, cluster.endpoint, cluster.port,
                      cluster.master_user_secrets.apply(_secret_arn),
                      {**dims, "Role": "WRITER"},
                      {**dims, "Role": "READER"} if self._readers else None)

    def _shard_map(self) -> pulumi.Output[str]:
        by = self._args.get("partition_by", "tenant")
        partitioning: dict[str, Any] = {"by": by, "shards": len(self._shards)}
        if by == "tenant":
            partitioning["algorithm"] = TENANT_ALGORITHM

        def entry(shard: _Shard, values: list[Any]) -> dict[str, Any]:
            endpoint, port, secret_arn = values
            found: dict[str, Any] = {"index": shard.index, "writerEndpoint": endpoint,
                                     "port": int(port or PORT), "secretArn": secret_arn}
            if by == "region":
                found["regions"] = shard.regions
            return found

        entries = [pulumi.Output.all(s.endpoint, s.port, s.secret_arn).apply(
            functools.partial(entry, s)) for s in self._shards]
        return pulumi.Output.all(*entries).apply(lambda shards: json.dumps(
            {"version": 1, "engine": self._engine,
             "database": self._args.get("database_name", "app"),
             "partitioning": partitioning, "shards": list(shards)},
            sort_keys=True, separators=(",", ":")))

    # --- DataStore -------------------------------------------------------------------------------

    def _grant(self, role: aws.iam.Role, access: Literal["ro", "rw"]) -> aws.iam.RolePolicy:
        user = db_user(self._service, access)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        users = [pulumi.Output.all(region, account, s.resource_id).apply(
            lambda v: f"arn:aws:rds-db:{v[0]}:{v[1]}:dbuser:{v[2]}/{user}")
            for s in self._shards]
        verb = "read" if access == "ro" else "write"
        return attach_grant(self, f"{self._store_name}-{verb}-{role.pulumi_resource_name}", role, [
            statement(RDS_CONNECT, users, sid=f"ConnectAs{access.upper()}"),
            statement(SSM_READ, [self.shard_map_parameter.arn], sid="ReadShardMap"),
            self._key.decrypt_statement(),
        ])

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Connect to every shard as `<service>_ro`, read the shard map, decrypt with the key."""
        return self._grant(role, "ro")

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Connect to every shard as `<service>_rw`, read the shard map, decrypt with the key."""
        return self._grant(role, "rw")

    def metrics(self) -> list[Metric]:
        """Per shard: CPU, freeable memory, free storage (RDS) or local storage (Aurora),
        connections, read/write latency, and Aurora replica lag where readers exist."""
        return [m for s in self._shards for m in _postgres_alarms.shard_metrics(
            self._engine, s.index, s.dimensions, s.reader_dimensions)]

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        specs: list[AlarmSpec] = []
        for shard in self._shards:
            specs += _postgres_alarms.shard_alarms(
                self._engine, self._instance_class, shard.index, shard.dimensions,
                shard.reader_dimensions, self._sizing, thresholds)
        return specs

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        by = self._args.get("partition_by", "tenant")
        return {
            "kind": self.kind,
            "name": self._store_name,
            "engine": "aurora-postgresql" if self._engine == "aurora" else "postgres",
            "engineVersion": self._args.get("engine_version", "16.6"),
            "shards": len(self._shards),
            "partitioning": by,
            "partitionAlgorithm": TENANT_ALGORITHM if by == "tenant" else "region-round-robin",
            "key": self._key.arn,
            "shardMapParameter": self.shard_map_name,
        }


def _secret_arn(secrets: Any) -> str:
    """ARN of the managed master secret (a reference, not the secret)."""
    if not secrets:
        return ""
    first = secrets[0]
    if isinstance(first, Mapping):
        return str(first.get("secret_arn") or first.get("secretArn") or "")
    return str(getattr(first, "secret_arn", "") or "")
