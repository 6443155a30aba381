"""Every resource control: a passing case, a failing case with its message, the provider-default
(absent) case and the unknown-during-preview case, as engine-shaped inputs through
pulumi_policy's own Analyze."""

from __future__ import annotations

from typing import Any

import pytest

from policies._catalog import all_controls
from tests.policies._cases import (
    KEY,
    TAGS,
    Case,
    case_id,
    check_absent,
    check_bad,
    check_good,
    check_unknown,
)
from tests.policies.harness import UNKNOWN, analyze
from tests.policies.test_controls_hardening import HARDENING_CASES


def _lt(**ebs: Any) -> dict[str, Any]:
    return {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": ebs}]}


CASES = [
    Case("strata-data-store-cmk-encryption", "aws:rds/instance:Instance",
         {"kmsKeyId": KEY}, {"kmsKeyId": "alias/aws/rds"}, "AWS-managed key 'alias/aws/rds'",
         {}, False, {"kmsKeyId": UNKNOWN}),
    Case("strata-data-store-cmk-encryption", "aws:dynamodb/table:Table",
         {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}},
         {"serverSideEncryption": {"enabled": False}}, "serverSideEncryption.enabled is False",
         {}, False, {"serverSideEncryption": {"enabled": True, "kmsKeyArn": UNKNOWN}}),
    Case("strata-data-store-cmk-encryption", "aws:msk/cluster:Cluster",
         {"encryptionInfo": {"encryptionAtRestKmsKeyArn": KEY}},
         {"encryptionInfo": {"encryptionAtRestKmsKeyArn": ""}}, "encrypted with aws/kafka",
         {}, False, {"encryptionInfo": UNKNOWN}),
    Case("strata-data-store-cmk-encryption", "aws:ssm/parameter:Parameter",
         {"type": "SecureString", "keyId": KEY}, {"type": "SecureString"}, "aws/ssm",
         {"type": "String"}, True, {"type": "SecureString", "keyId": UNKNOWN}),
    Case("strata-rds-storage-encrypted", "aws:rds/cluster:Cluster",
         {"storageEncrypted": True}, {"storageEncrypted": False}, "storageEncrypted is False",
         {}, False, {"storageEncrypted": UNKNOWN}),
    Case("strata-sns-topic-cmk", "aws:sns/topic:Topic", {"kmsMasterKeyId": KEY},
         {"kmsMasterKeyId": "alias/aws/sns"}, "AWS-managed", {}, False,
         {"kmsMasterKeyId": UNKNOWN}),
    Case("strata-log-group-cmk", "aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": KEY},
         {"kmsKeyId": ""}, "kmsKeyId is absent", {}, False, {"kmsKeyId": UNKNOWN}),
    Case("strata-eks-secrets-encryption", "aws:eks/cluster:Cluster",
         {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}}},
         {"encryptionConfig": {"resources": ["other"], "provider": {"keyArn": KEY}}},
         "does not cover \"secrets\"", {}, False, {"encryptionConfig": UNKNOWN}),
    Case("strata-launch-template-ebs-encryption", "aws:ec2/launchTemplate:LaunchTemplate",
         _lt(encrypted="true"), _lt(encrypted="false"),
         "blockDeviceMappings[0].ebs.encrypted is 'false'", _lt(), False,
         _lt(encrypted=UNKNOWN)),
    Case("strata-msk-tls-in-transit", "aws:msk/cluster:Cluster",
         {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}},
         {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}},
         "clientBroker is 'TLS_PLAINTEXT'", {}, True,
         {"encryptionInfo": {"encryptionInTransit": {"clientBroker": UNKNOWN}}}),
    Case("strata-rds-force-ssl", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
         {"family": "aurora-postgresql16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
         {"family": "aurora-postgresql16", "parameters": [{"name": "rds.force_ssl", "value": "0"}]},
         "rds.force_ssl is '0'", {"family": "aurora-postgresql16"}, False,
         {"family": "aurora-postgresql16", "parameters": UNKNOWN}),
    Case("strata-rds-no-public-access", "aws:rds/instance:Instance",
         {"publiclyAccessible": False}, {"publiclyAccessible": True}, "publiclyAccessible is True",
         {}, True, {"publiclyAccessible": UNKNOWN}),
    Case("strata-timestream-influxdb-private", "aws:timestreaminfluxdb/dbInstance:DbInstance",
         {"publiclyAccessible": False}, {"publiclyAccessible": True}, "publiclyAccessible is True",
         {}, True, {"publiclyAccessible": UNKNOWN}),
    Case("strata-msk-no-public-access", "aws:msk/cluster:Cluster",
         {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "DISABLED"}}}},
         {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {
             "type": "SERVICE_PROVIDED_EIPS"}}}}, "'SERVICE_PROVIDED_EIPS'", {}, True,
         {"brokerNodeGroupInfo": {"connectivityInfo": UNKNOWN}}),
    Case("strata-eks-private-endpoint", "aws:eks/cluster:Cluster",
         {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
         {"vpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": True}},
         "endpointPublicAccess is True", {}, False, {"vpcConfig": UNKNOWN}),
    Case("strata-no-open-ingress", "aws:ec2/securityGroup:SecurityGroup",
         {"ingress": [{"fromPort": 5432, "toPort": 5432, "protocol": "tcp",
                       "cidrBlocks": ["10.0.0.0/16"]}]},
         {"ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp",
                       "cidrBlocks": ["0.0.0.0/0"]}]}, "allows 0.0.0.0/0 on ports 22-22",
         {}, True, {"ingress": [{"cidrBlocks": UNKNOWN}]}),
    Case("strata-no-open-ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
         {"cidrIpv4": "10.0.0.0/16"}, {"cidrIpv6": "::/0"}, "allows ::/0", {}, True,
         {"cidrIpv4": UNKNOWN}),
    Case("strata-ec2-security-group-text",
         "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
         {"description": "from workloads of orders (pods)"},
         {"description": "the service's own workloads"},
         "description \"the service's own workloads\": EC2 accepts", {}, True,
         {"description": UNKNOWN}),
    Case("strata-ec2-security-group-text", "aws:ec2/securityGroup:SecurityGroup",
         {"name": "orders-db", "description": "PostgreSQL [orders]",
          "ingress": [{"description": "from pods"}]},
         {"description": "Datenbank für Bestellungen"}, "EC2 accepts", {}, True,
         {"ingress": UNKNOWN}),
    Case("strata-default-sg-no-rules", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
         {"ingress": [], "egress": []}, {"egress": [{"protocol": "-1", "fromPort": 0,
                                                    "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
         "egress has 1 rule(s)", {}, True, {"ingress": UNKNOWN}),
    Case("strata-subnet-no-public-ip", "aws:ec2/subnet:Subnet",
         {"mapPublicIpOnLaunch": True, "tags": {"tier": "public"}},
         {"mapPublicIpOnLaunch": True, "tags": {"tier": "private"}},
         "mapPublicIpOnLaunch is True on a subnet not tagged tier=public", {}, True,
         {"mapPublicIpOnLaunch": UNKNOWN}),
    Case("strata-launch-template-no-public-ip", "aws:ec2/launchTemplate:LaunchTemplate",
         {"networkInterfaces": [{"associatePublicIpAddress": "false"}]},
         {"networkInterfaces": [{"associatePublicIpAddress": "true"}]},
         "associatePublicIpAddress is 'true'", {}, True,
         {"networkInterfaces": [{"associatePublicIpAddress": UNKNOWN}]}),
    Case("strata-launch-template-imdsv2", "aws:ec2/launchTemplate:LaunchTemplate",
         {"metadataOptions": {"httpTokens": "required"}},
         {"metadataOptions": {"httpTokens": "optional"}}, "httpTokens is 'optional'", {}, False,
         {"metadataOptions": {"httpTokens": UNKNOWN}}),
    Case("strata-iam-no-wildcard-data-actions", "aws:iam/rolePolicy:RolePolicy",
         {"policy": '{"Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", '
                    '"Resource": "arn:t"}}'},
         {"policy": '{"Statement": [{"Effect": "Allow", "Action": ["dynamodb:*"], '
                    '"Resource": "arn:t"}]}'}, "Allow dynamodb:* is a wildcard", {}, True,
         {"policy": UNKNOWN}),
    Case("strata-iam-no-kms-decrypt-all-keys", "aws:iam/rolePolicy:RolePolicy",
         {"policy": '{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", '
                    '"Resource": "arn:k"}]}'},
         {"policy": '{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", '
                    '"Resource": "*"}]}'}, "KMS decryption on every key of the account (*)",
         {}, True, {"policy": UNKNOWN}),
    Case("strata-no-public-resource-policies", "aws:s3/bucketPolicy:BucketPolicy",
         {"policy": '{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}'},
         {"policy": '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, '
                    '"Action": "s3:GetObject"}]}'},
         "Principal \"*\" with no condition on the caller", {}, True, {"policy": UNKNOWN}),
    Case("strata-iam-no-admin-policies", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
         {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
         {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
         "attaches AdministratorAccess", {}, True, {"policyArn": UNKNOWN}),
    Case("strata-kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": True},
         {"enableKeyRotation": False}, "enableKeyRotation is False", {}, False,
         {"enableKeyRotation": UNKNOWN}),
    Case("strata-rds-managed-master-password", "aws:rds/instance:Instance",
         {"manageMasterUserPassword": True}, {"password": "[secret]"}, "password is set",
         {}, False, {"manageMasterUserPassword": UNKNOWN}),
    Case("strata-rds-backup-retention", "aws:rds/instance:Instance",
         {"backupRetentionPeriod": 7}, {"backupRetentionPeriod": 0},
         "backupRetentionPeriod is 0", {}, False, {"backupRetentionPeriod": UNKNOWN}),
    Case("strata-dynamodb-pitr", "aws:dynamodb/table:Table",
         {"pointInTimeRecovery": {"enabled": True}}, {"pointInTimeRecovery": {"enabled": False}},
         "pointInTimeRecovery.enabled is False", {}, False, {"pointInTimeRecovery": UNKNOWN}),
    Case("strata-rds-deletion-protection", "aws:rds/cluster:Cluster",
         {"deletionProtection": True}, {"deletionProtection": False},
         "deletionProtection is False", {}, False, {"deletionProtection": UNKNOWN}),
    Case("strata-rds-final-snapshot", "aws:rds/instance:Instance",
         {"skipFinalSnapshot": False}, {"skipFinalSnapshot": True}, "skipFinalSnapshot is True",
         {}, True, {"skipFinalSnapshot": UNKNOWN}),
    Case("strata-rds-multi-az", "aws:rds/instance:Instance", {"multiAz": True},
         {"multiAz": False}, "multiAz is False", {}, False, {"multiAz": UNKNOWN}),
    Case("strata-dynamodb-deletion-protection", "aws:dynamodb/table:Table",
         {"deletionProtectionEnabled": True}, {"deletionProtectionEnabled": False},
         "deletionProtectionEnabled is False", {}, False, {"deletionProtectionEnabled": UNKNOWN}),
    Case("strata-classified-data-protection", "aws:dynamodb/table:Table",
         {"tags": {"data-classification": "restricted"}, "deletionProtectionEnabled": True,
          "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY},
          "pointInTimeRecovery": {"enabled": True, "recoveryPeriodInDays": 14}},
         {"tags": {"data-classification": "restricted"}, "deletionProtectionEnabled": True,
          "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY},
          "pointInTimeRecovery": {"enabled": True, "recoveryPeriodInDays": 3}},
         "restricted data: pointInTimeRecovery.recoveryPeriodInDays is 3, needs at least 7",
         {"tags": {"data-classification": "confidential"}}, False,
         {"tags": {"data-classification": UNKNOWN}}),
    Case("strata-required-tags", "aws:rds/instance:Instance", {"tags": TAGS},
         {"tags": {**TAGS, "data-classification": "secret"}},
         "tag data-classification='secret' is not one of public, internal, confidential, "
         "restricted", {}, False, {"tags": UNKNOWN}),
    Case("strata-namespace-pod-security-restricted", "kubernetes:core/v1:Namespace",
         {"metadata": {"name": "orders", "labels": {
             "pod-security.kubernetes.io/enforce": "restricted"}}},
         {"metadata": {"name": "orders", "labels": {
             "pod-security.kubernetes.io/enforce": "baseline"}}}, "is 'baseline'",
         {"metadata": {"name": "orders"}}, False,
         {"metadata": {"name": "orders", "labels": UNKNOWN}}),
    Case("strata-log-group-retention", "aws:cloudwatch/logGroup:LogGroup",
         {"retentionInDays": 400}, {"retentionInDays": 30}, "retentionInDays is 30, below 365",
         {}, True, {"retentionInDays": UNKNOWN}),
    Case("strata-rds-log-exports", "aws:rds/instance:Instance",
         {"engine": "postgres", "enabledCloudwatchLogsExports": ["postgresql"]},
         {"engine": "postgres", "enabledCloudwatchLogsExports": ["upgrade"]},
         "does not include \"postgresql\"", {"engine": "postgres"}, False,
         {"engine": "postgres", "enabledCloudwatchLogsExports": UNKNOWN}),
    Case("strata-msk-broker-logging", "aws:msk/cluster:Cluster",
         {"loggingInfo": {"brokerLogs": {"s3": {"enabled": True}}}},
         {"loggingInfo": {"brokerLogs": {"s3": {"enabled": False}}}}, "enables no sink",
         {}, False, {"loggingInfo": UNKNOWN}),
    Case("strata-msk-enhanced-monitoring", "aws:msk/cluster:Cluster",
         {"enhancedMonitoring": "PER_BROKER"}, {"enhancedMonitoring": "DEFAULT"},
         "enhancedMonitoring is 'DEFAULT'", {}, False, {"enhancedMonitoring": UNKNOWN}),
    Case("strata-eks-control-plane-logging", "aws:eks/cluster:Cluster",
         {"enabledClusterLogTypes": ["api", "audit", "authenticator"]},
         {"enabledClusterLogTypes": ["api"]}, "lacks audit, authenticator", {}, False,
         {"enabledClusterLogTypes": UNKNOWN}),
]

RESOURCE_CONTROLS = {c.name for c in all_controls() if c.scope == "resource"}


def test_every_resource_control_has_cases() -> None:
    assert {c.policy for c in CASES + HARDENING_CASES} >= RESOURCE_CONTROLS


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_accepts_compliant_inputs(case: Case) -> None:
    check_good(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rejects_noncompliant_inputs(case: Case) -> None:
    check_bad(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_absent_property_means_provider_default(case: Case) -> None:
    check_absent(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_unknown_is_cannot_verify(case: Case) -> None:
    check_unknown(case)


def test_engine_form_with_explicit_default_matches_offline_form() -> None:
    offline = analyze("strata-kms-key-rotation", "aws:kms/key:Key", {})
    engine = analyze("strata-kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": False})
    assert offline.violations == ["enableKeyRotation is absent (provider default False): key "
                                  "material is never rotated"]
    assert engine.violations == ["enableKeyRotation is False: key material is never rotated"]


def test_other_types_are_not_judged() -> None:
    assert analyze("strata-rds-no-public-access", "aws:s3/bucket:Bucket",
                   {"publiclyAccessible": True}).passed


def test_tags_skip_types_that_take_none() -> None:
    assert analyze("strata-required-tags", "aws:iam/rolePolicy:RolePolicy", {}).passed
    assert analyze("strata-required-tags", "aws:s3/bucketPublicAccessBlock:"
                   "BucketPublicAccessBlock", {}).passed
    assert analyze("strata-required-tags", "aws:ssm/parameter:Parameter", {}).violations


def test_classification_config_exempts_environment() -> None:
    inputs = {"tags": {"data-classification": "restricted", "environment": "dev"}}
    assert analyze("strata-classified-data-protection", "aws:rds/instance:Instance",
                   inputs).violations
    assert analyze("strata-classified-data-protection", "aws:rds/instance:Instance", inputs,
                   config={"exemptEnvironments": ["dev"]}).passed
