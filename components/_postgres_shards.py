"""The resources of one PostgreSQL shard: an RDS instance, or an Aurora cluster with its writer
and readers. Private to `components.postgres`, which decides every value in `ShardSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.lifecycle import (
    LifecycleArgs,
    deletion_protection,
    final_snapshot,
    lifecycle_options,
    protected,
)

__all__ = ["AURORA_LOG_EXPORTS", "RDS_LOG_EXPORTS", "Shard", "ShardSettings", "aurora_shard",
           "rds_shard"]

RDS_LOG_EXPORTS = ["postgresql", "upgrade"]
AURORA_LOG_EXPORTS = ["postgresql"]
"""Aurora PostgreSQL exports only `postgresql` (`upgrade` is an RDS-only log type)."""
SERVERLESS = "db.serverless"


@dataclass(frozen=True)
class ShardSettings:
    """Everything the shards of one set share."""

    name: str
    """The component's name: Pulumi names are `<name>-shard-<i>[-<role>]`."""
    identifier_prefix: str
    engine_version: str
    instance_class: str
    port: int
    database_name: str
    master_username: str
    kms_key_arn: pulumi.Input[str]
    subnet_group: aws.rds.SubnetGroup
    security_group_id: pulumi.Input[str]
    parameter_group_name: pulumi.Input[str]
    tags: Mapping[str, str]
    lifecycle: LifecycleArgs
    backup_retention_days: int
    performance_insights_retention_days: int
    monitoring_interval_seconds: int
    monitoring_role_arn: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource]
    """What RDS checks when it creates a shard (the monitoring role's policy attachment)."""
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 80
    multi_az: bool = False
    readers: int = 0
    availability_zones: Sequence[str] = ()
    serverless_acu: tuple[float, float] | None = None


@dataclass
class Shard:
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


def shard_identifier(prefix: str, index: int) -> str:
    return f"{prefix}-{index}"


def _data_protection(s: ShardSettings, identifier: str) -> dict[str, Any]:
    snapshot = final_snapshot(s.lifecycle)
    return {
        "deletion_protection": deletion_protection(s.lifecycle),
        "skip_final_snapshot": not snapshot,
        "final_snapshot_identifier": f"{identifier}-final" if snapshot else None,
        "delete_automated_backups": not protected(s.lifecycle),
        "copy_tags_to_snapshot": True,               # FSBP RDS.16 / RDS.17
        "backup_retention_period": s.backup_retention_days,
        "storage_encrypted": True,
        "kms_key_id": s.kms_key_arn,
        "manage_master_user_password": True,         # the password lives in Secrets Manager
        "master_user_secret_kms_key_id": s.kms_key_arn,
        "iam_database_authentication_enabled": True,  # FSBP RDS.10 / RDS.12
        "apply_immediately": False,
        "network_type": "IPV4",
        "vpc_security_group_ids": [s.security_group_id],
        "db_subnet_group_name": s.subnet_group.name,
        "port": s.port,
    }


def _monitoring(s: ShardSettings) -> dict[str, Any]:
    """FSBP RDS.6 (enhanced monitoring) and RDS.13 (automatic minor upgrades), with Performance
    Insights under the owner's key: the same on every database instance of the set."""
    return {
        "auto_minor_version_upgrade": True,
        "monitoring_interval": s.monitoring_interval_seconds,
        "monitoring_role_arn": s.monitoring_role_arn,
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": s.kms_key_arn,
        "performance_insights_retention_period": s.performance_insights_retention_days,
        "publicly_accessible": False,
    }


def rds_shard(parent: pulumi.Resource, s: ShardSettings, index: int) -> Shard:
    identifier = shard_identifier(s.identifier_prefix, index)
    instance = aws.rds.Instance(
        f"{s.name}-shard-{index}",
        identifier=identifier, engine="postgres", engine_version=s.engine_version,
        instance_class=s.instance_class, db_name=s.database_name,
        allocated_storage=s.allocated_storage_gib,
        max_allocated_storage=s.max_allocated_storage_gib,
        storage_type="gp3", multi_az=s.multi_az,
        parameter_group_name=s.parameter_group_name,
        enabled_cloudwatch_logs_exports=RDS_LOG_EXPORTS,
        username=s.master_username,
        tags=dict(s.tags), opts=lifecycle_options(parent, s.lifecycle,
                                                  depends_on=list(s.depends_on)),
        **_data_protection(s, identifier), **_monitoring(s))
    return Shard(index, instance.resource_id, instance.address, instance.port,
                 instance.master_user_secrets.apply(_secret_arn),
                 {"DBInstanceIdentifier": instance.identifier})


def aurora_shard(parent: pulumi.Resource, s: ShardSettings, index: int) -> Shard:
    identifier = shard_identifier(s.identifier_prefix, index)
    cluster = aws.rds.Cluster(
        f"{s.name}-shard-{index}",
        cluster_identifier=identifier, engine="aurora-postgresql", engine_mode="provisioned",
        engine_version=s.engine_version, database_name=s.database_name,
        master_username=s.master_username, db_cluster_parameter_group_name=s.parameter_group_name,
        serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
            min_capacity=s.serverless_acu[0], max_capacity=s.serverless_acu[1],
        ) if s.serverless_acu else None,
        enabled_cloudwatch_logs_exports=AURORA_LOG_EXPORTS,
        tags=dict(s.tags), opts=lifecycle_options(parent, s.lifecycle),
        **_data_protection(s, identifier))
    # Writer first, then readers; each keyed by its role and ordinal, never list position of
    # something reorderable. Readers take promotion tier 1 so failover picks one.
    roles = [("writer", 0)] + [(f"reader-{r}", 1) for r in range(1, s.readers + 1)]
    azs = list(s.availability_zones)
    for position, (role, tier) in enumerate(roles):
        aws.rds.ClusterInstance(
            f"{s.name}-shard-{index}-{role}",
            identifier=f"{identifier}-{role}", cluster_identifier=cluster.id,
            # No engine_version: an instance follows its cluster's version; upgrades are made
            # on the cluster (pulumi_aws rds/cluster_instance.py `engine_version`).
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            instance_class=s.instance_class, db_subnet_group_name=s.subnet_group.name,
            availability_zone=azs[position % len(azs)] if azs else None,
            promotion_tier=tier, copy_tags_to_snapshot=True, apply_immediately=False,
            tags=dict(s.tags), opts=lifecycle_options(parent, s.lifecycle,
                                                      depends_on=list(s.depends_on)),
            **_monitoring(s))
    # Cluster-level metrics with the Role dimension: the writer's (or readers') series,
    # whichever instance currently holds the role, so alarms survive failovers.
    dims: dict[str, pulumi.Input[str]] = {"DBClusterIdentifier": cluster.cluster_identifier}
    return Shard(index, cluster.cluster_resource_id, cluster.endpoint, cluster.port,
                 cluster.master_user_secrets.apply(_secret_arn),
                 {**dims, "Role": "WRITER"},
                 {**dims, "Role": "READER"} if s.readers else None)


def _secret_arn(secrets: Any) -> str:
    """ARN of the managed master secret (a reference, not the secret)."""
    if not secrets:
        return ""
    first = secrets[0]
    if isinstance(first, Mapping):
        return str(first.get("secret_arn") or first.get("secretArn") or "")
    return str(getattr(first, "secret_arn", "") or "")
