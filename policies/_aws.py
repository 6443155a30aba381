"""Resource-type facts the controls share: which types hold data, keys, topics, and take tags."""

from __future__ import annotations

__all__ = [
    "ALARMED_STORES",
    "DATA_STORES",
    "KEYS",
    "OWNED",
    "STORE_KEY_PATHS",
    "TAGGABLE",
    "TOPICS",
    "UNTAGGABLE",
    "takes_tags",
]

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DYNAMO_TABLE = "aws:dynamodb/table:Table"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
MSK_SERVERLESS = "aws:msk/serverlessCluster:ServerlessCluster"
MSK_TOPIC = "aws:msk/topic:Topic"
TS_DATABASE = "aws:timestreamwrite/database:Database"
TS_TABLE = "aws:timestreamwrite/table:Table"
INFLUX = "aws:timestreaminfluxdb/dbInstance:DbInstance"
S3_BUCKET = "aws:s3/bucket:Bucket"
KMS_KEY = "aws:kms/key:Key"
SNS_TOPIC = "aws:sns/topic:Topic"
SECRET = "aws:secretsmanager/secret:Secret"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

DATA_STORES = frozenset({RDS_INSTANCE, RDS_CLUSTER, DYNAMO_TABLE, MSK_CLUSTER, MSK_SERVERLESS,
                         TS_DATABASE, TS_TABLE, INFLUX, S3_BUCKET})
"""Resources that hold data at rest."""

ALARMED_STORES = frozenset({RDS_INSTANCE, RDS_CLUSTER, DYNAMO_TABLE, MSK_CLUSTER, MSK_SERVERLESS,
                            TS_TABLE, INFLUX})
"""Stores that serve traffic and so need at least one CloudWatch alarm."""

KEYS = frozenset({KMS_KEY})
TOPICS = frozenset({MSK_TOPIC, SNS_TOPIC})
OWNED = DATA_STORES | KEYS | TOPICS | frozenset({SECRET})
"""What belongs to exactly one service: a grant on it to another service's role is sharing."""

# Verified against the installed pulumi-aws by tests/policies/test_tagging.py, which reads each
# resource class's `_internal_init` signature: a type takes tags iff it has a `tags` input.
TAGGABLE = frozenset({
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/eip:Eip", "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/flowLog:FlowLog",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role", KMS_KEY, "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    RDS_INSTANCE, RDS_CLUSTER, "aws:rds/clusterInstance:ClusterInstance",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ssm/parameter:Parameter",
    DYNAMO_TABLE, "aws:appautoscaling/target:Target", INFLUX, SECRET, S3_BUCKET, TS_DATABASE,
    TS_TABLE, MSK_CLUSTER, MSK_SERVERLESS, "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation", SNS_TOPIC, METRIC_ALARM,
    "aws:amp/workspace:Workspace", "aws:amp/scraper:Scraper",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "aws:grafana/workspace:Workspace",
})

UNTAGGABLE = frozenset({
    "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias", "aws:appautoscaling/policy:Policy",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:msk/configuration:Configuration",
    MSK_TOPIC, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:sns/topicSubscription:TopicSubscription", "aws:sns/topicPolicy:TopicPolicy",
    "aws:cloudwatch/dashboard:Dashboard",
})


def takes_tags(resource_type: str, props: dict[str, object]) -> bool:
    """True for AWS types known to take tags; an unlisted type is judged only if it sets tags."""
    if resource_type in TAGGABLE:
        return True
    if resource_type in UNTAGGABLE or not resource_type.startswith("aws:"):
        return False
    return "tags" in props


STORE_KEY_PATHS: dict[str, tuple[str, str]] = {
    RDS_INSTANCE: ("kmsKeyId", "aws/rds"),
    RDS_CLUSTER: ("kmsKeyId", "aws/rds"),
    DYNAMO_TABLE: ("serverSideEncryption.kmsKeyArn", "an AWS-owned key"),
    MSK_CLUSTER: ("encryptionInfo.encryptionAtRestKmsKeyArn", "aws/kafka"),
    TS_DATABASE: ("kmsKeyId", "aws/timestream"),
    SECRET: ("kmsKeyId", "aws/secretsmanager"),
    "aws:amp/workspace:Workspace": ("kmsKeyArn", "an AWS-owned key"),
    "aws:ssm/parameter:Parameter": ("keyId", "aws/ssm"),
}
"""Which input holds each store's key, and what encrypts the data when it is left out."""
