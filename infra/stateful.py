"""Which resource types hold state that a replacement or deletion would destroy, and which of
their properties force a replacement when they change.

One table, shared by the URN pins (`infra/pins.py`) and `strata diff`. A type belongs in
`STATEFUL_TYPES` when deleting the resource loses data that no later `pulumi up` can recreate:
stored records, key material (everything encrypted under a key becomes unreadable), audit logs,
or the objects services deployed into a cluster or namespace.

`REPLACE_ON_CHANGE` lists, per stateful type, the input properties whose change makes
`pulumi up` delete the resource and create a new one. pulumi-aws bridges the Terraform AWS
provider, so the authority is that provider's schema: `ForceNew: true` (SDKv2 resources) or a
`RequiresReplace` plan modifier (framework resources). Each entry names the schema file it was
read from and, where AWS documents the same property as create-only ("Update requires:
Replacement", the registry schema's `createOnlyProperties`), that CloudFormation property too;
`tests/infra/test_stateful.py` checks both the pulumi-aws property names and the CloudFormation
pointers. Only what was read in those sources is listed; conditional replacements (an RDS
cluster's `storageType` outside Aurora, an MSK `kafkaVersion` downgrade, an AMP alias being
unset, an EKS cluster's `encryptionConfig` being removed) are left out rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REPLACE_ON_CHANGE", "STATEFUL_TYPES", "ForcesReplacement", "ReplaceRules",
           "is_stateful"]

STATEFUL_TYPES: dict[str, str] = {
    "aws:rds/instance:Instance": "database storage and automated backups",
    "aws:rds/cluster:Cluster": "Aurora cluster volume and automated backups",
    "aws:dynamodb/table:Table": "items, streams and point-in-time recovery",
    "aws:msk/cluster:Cluster": "every topic's data on the brokers",
    "aws:msk/serverlessCluster:ServerlessCluster": "every topic's data",
    "aws:msk/topic:Topic": "the topic's records and consumer offsets",
    "aws:kms/key:Key": "key material: data encrypted under it becomes unreadable",
    "aws:cloudwatch/logGroup:LogGroup": "retained logs (flow logs, audit and broker logs)",
    "aws:s3/bucket:Bucket": "stored objects and their versions",
    "aws:secretsmanager/secret:Secret": "secret values and their version history",
    "aws:timestreamwrite/database:Database": "time-series tables",
    "aws:timestreamwrite/table:Table": "time-series records",
    "aws:timestreaminfluxdb/dbInstance:DbInstance": "InfluxDB storage",
    "aws:eks/cluster:Cluster": "every Kubernetes object (etcd)",
    "aws:amp/workspace:Workspace": "stored metrics",
    "aws:grafana/workspace:Workspace": "dashboards, users and alert state",
    "kubernetes:core/v1:Namespace": "every object a service deployed into it",
}
"""Type token -> what is lost when the resource is deleted or replaced."""


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


@dataclass(frozen=True)
class ForcesReplacement:
    """One input property whose change replaces the resource."""

    path: str
    """camelCase input path as the manifest holds it; dots step into nested objects."""
    cfn: str | None = None
    """The CloudFormation property documented as create-only too, as a JSON pointer into the
    resource's registry schema (`/properties/ClusterName`); None where CloudFormation allows an
    update or has no such resource."""


@dataclass(frozen=True)
class ReplaceRules:
    source: str
    """Where the properties were read: repository and file of the provider's schema."""
    cfn_type: str | None
    """The CloudFormation resource type the `cfn` pointers refer to."""
    properties: tuple[ForcesReplacement, ...]


def _rules(source: str, cfn_type: str | None,
           *properties: tuple[str, str | None]) -> ReplaceRules:
    return ReplaceRules(source, cfn_type,
                        tuple(ForcesReplacement(path, cfn) for path, cfn in properties))


_TF = "hashicorp/terraform-provider-aws internal/service/"

REPLACE_ON_CHANGE: dict[str, ReplaceRules] = {
    "aws:rds/cluster:Cluster": _rules(
        _TF + "rds/cluster.go (ForceNew)", "AWS::RDS::DBCluster",
        ("availabilityZones", None),
        ("clusterIdentifier", "/properties/DBClusterIdentifier"),
        ("clusterIdentifierPrefix", None),
        ("clusterScalabilityType", "/properties/ClusterScalabilityType"),
        ("databaseName", "/properties/DatabaseName"),
        ("dbSubnetGroupName", "/properties/DBSubnetGroupName"),
        ("dbSystemId", "/properties/DBSystemId"),
        ("engine", None),
        ("engineMode", "/properties/EngineMode"),
        ("kmsKeyId", "/properties/KmsKeyId"),
        ("masterUsername", None),
        ("restoreToPointInTime", None),
        ("s3Import", None),
        ("snapshotIdentifier", "/properties/SnapshotIdentifier"),
        ("sourceRegion", "/properties/SourceRegion"),
        ("storageEncrypted", "/properties/StorageEncrypted"),
    ),
    "aws:rds/instance:Instance": _rules(
        _TF + "rds/instance.go (ForceNew)", "AWS::RDS::DBInstance",
        ("availabilityZone", None),
        ("characterSetName", "/properties/CharacterSetName"),
        ("customIamInstanceProfile", "/properties/CustomIAMInstanceProfile"),
        ("dbName", "/properties/DBName"),
        ("engine", None),
        ("identifier", "/properties/DBInstanceIdentifier"),
        ("identifierPrefix", None),
        ("kmsKeyId", "/properties/KmsKeyId"),
        ("ncharCharacterSetName", "/properties/NcharCharacterSetName"),
        ("restoreToPointInTime", None),
        ("snapshotIdentifier", None),
        ("storageEncrypted", "/properties/StorageEncrypted"),
        ("timezone", "/properties/Timezone"),
        ("username", "/properties/MasterUsername"),
    ),
    "aws:dynamodb/table:Table": _rules(
        # CloudFormation's registry schema lets KeySchema change; the provider replaces.
        _TF + "dynamodb/table.go (ForceNew)", "AWS::DynamoDB::Table",
        ("hashKey", None),
        ("localSecondaryIndexes", None),
        ("name", "/properties/TableName"),
        ("rangeKey", None),
        ("restoreDateTime", None),
        ("restoreSourceName", None),
        ("restoreToLatestTime", None),
    ),
    "aws:msk/cluster:Cluster": _rules(
        # The broker_node_group_info block is ForceNew only for its element count; instance
        # type and storage inside it update in place.
        _TF + "kafka/cluster.go (ForceNew)", "AWS::MSK::Cluster",
        ("brokerNodeGroupInfo.azDistribution",
         "/properties/BrokerNodeGroupInfo/BrokerAZDistribution"),
        ("brokerNodeGroupInfo.clientSubnets", "/properties/BrokerNodeGroupInfo/ClientSubnets"),
        ("brokerNodeGroupInfo.securityGroups", "/properties/BrokerNodeGroupInfo/SecurityGroups"),
        ("clusterName", "/properties/ClusterName"),
        ("encryptionInfo.encryptionAtRestKmsKeyArn",
         "/properties/EncryptionInfo/EncryptionAtRest"),
        ("encryptionInfo.encryptionInTransit.inCluster",
         "/properties/EncryptionInfo/EncryptionInTransit/InCluster"),
    ),
    "aws:msk/serverlessCluster:ServerlessCluster": _rules(
        _TF + "kafka/serverless_cluster.go (ForceNew)", "AWS::MSK::ServerlessCluster",
        ("clientAuthentication", "/properties/ClientAuthentication"),
        ("clusterName", "/properties/ClusterName"),
        ("vpcConfigs", "/properties/VpcConfigs"),
    ),
    "aws:msk/topic:Topic": _rules(
        _TF + "kafka/topic.go (RequiresReplace)", None,
        ("clusterArn", None),
        ("name", None),
        ("replicationFactor", None),
    ),
    "aws:kms/key:Key": _rules(
        _TF + "kms/key.go (ForceNew)", None,
        ("customKeyStoreId", None),
        ("customerMasterKeySpec", None),
        ("keyUsage", None),
        ("multiRegion", None),
        ("xksKeyId", None),
    ),
    "aws:cloudwatch/logGroup:LogGroup": _rules(
        # kmsKeyId is not here: the provider associates a new key in place (AssociateKmsKey).
        _TF + "logs/group.go (ForceNew)", "AWS::Logs::LogGroup",
        ("logGroupClass", None),
        ("name", "/properties/LogGroupName"),
        ("namePrefix", None),
    ),
    "aws:s3/bucket:Bucket": _rules(
        _TF + "s3/bucket.go (ForceNew)", "AWS::S3::Bucket",
        ("bucket", "/properties/BucketName"),
        ("bucketPrefix", "/properties/BucketNamePrefix"),
    ),
    "aws:secretsmanager/secret:Secret": _rules(
        _TF + "secretsmanager/secret.go (ForceNew)", "AWS::SecretsManager::Secret",
        ("name", "/properties/Name"),
        ("namePrefix", None),
    ),
    "aws:timestreamwrite/database:Database": _rules(
        _TF + "timestreamwrite/database.go (ForceNew)", "AWS::Timestream::Database",
        ("databaseName", "/properties/DatabaseName"),
    ),
    "aws:timestreamwrite/table:Table": _rules(
        _TF + "timestreamwrite/table.go (ForceNew)", "AWS::Timestream::Table",
        ("databaseName", "/properties/DatabaseName"),
        ("tableName", "/properties/TableName"),
    ),
    "aws:timestreaminfluxdb/dbInstance:DbInstance": _rules(
        _TF + "timestreaminfluxdb/db_instance.go (RequiresReplace)",
        "AWS::Timestream::InfluxDBInstance",
        ("bucket", "/properties/Bucket"),
        ("name", "/properties/Name"),
        ("networkType", "/properties/NetworkType"),
        ("organization", "/properties/Organization"),
        ("password", "/properties/Password"),
        ("publiclyAccessible", "/properties/PubliclyAccessible"),
        ("username", "/properties/Username"),
        ("vpcSecurityGroupIds", "/properties/VpcSecurityGroupIds"),
        ("vpcSubnetIds", "/properties/VpcSubnetIds"),
    ),
    "aws:eks/cluster:Cluster": _rules(
        # vpcConfig.subnetIds is updatable in the current schema (UpdateClusterConfig).
        _TF + "eks/cluster.go (ForceNew)", "AWS::EKS::Cluster",
        ("accessConfig.bootstrapClusterCreatorAdminPermissions",
         "/properties/AccessConfig/BootstrapClusterCreatorAdminPermissions"),
        ("bootstrapSelfManagedAddons", "/properties/BootstrapSelfManagedAddons"),
        ("kubernetesNetworkConfig.ipFamily", "/properties/KubernetesNetworkConfig/IpFamily"),
        ("kubernetesNetworkConfig.serviceIpv4Cidr",
         "/properties/KubernetesNetworkConfig/ServiceIpv4Cidr"),
        ("name", "/properties/Name"),
        ("outpostConfig.controlPlaneInstanceType", "/properties/OutpostConfig"),
        ("roleArn", "/properties/RoleArn"),
    ),
    "aws:amp/workspace:Workspace": _rules(
        _TF + "amp/workspace.go (ForceNew)", "AWS::APS::Workspace",
        ("kmsKeyArn", "/properties/KmsKeyArn"),
    ),
    "kubernetes:core/v1:Namespace": _rules(
        "pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (metadataForceNewProperties)",
        None,
        ("metadata.name", None),
    ),
}
"""Stateful type -> the properties whose change replaces it, with their sources."""
