"""The controls added for issue 12 (IAM, RDS, MSK, EKS, EC2, KMS, S3, AMP, Grafana, Timestream):
compliant, failing, absent and unknown inputs through pulumi_policy's own Analyze."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies._cases import (
    KEY,
    Case,
    case_id,
    check_absent,
    check_bad,
    check_good,
    check_unknown,
)
from tests.policies.harness import UNKNOWN, analyze

CLUSTER_ARN = "arn:aws:kafka:eu-west-1:123:cluster/events/0a1b-2"
TOPIC_ARN = "arn:aws:kafka:eu-west-1:123:topic/events/0a1b-2/orders.created"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123:table/orders"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: Any, resources: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policy": _doc(*statements)}


def _lt_metadata(**options: Any) -> dict[str, Any]:
    return {"metadataOptions": {"httpTokens": "required", **options}}


HARDENING_CASES = [
    Case("strata-iam-no-full-admin", "aws:iam/policy:Policy",
         _policy(_allow("s3:GetObject", "arn:aws:s3:::logs/*")),
         _policy(_allow("*", "*")), "allows Action \"*\" on Resource \"*\"", {}, True,
         {"policy": UNKNOWN}),
    Case("strata-iam-no-full-admin", "aws:iam/role:Role",
         {"inlinePolicies": [_policy(_allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q"))]},
         {"inlinePolicies": [_policy(_allow(["*"], ["*"]))]},
         "inlinePolicies[0].policy: allows Action \"*\"", {}, True,
         {"inlinePolicies": [{"policy": UNKNOWN}]}),
    Case("strata-iam-no-service-wildcards", "aws:iam/groupPolicy:GroupPolicy",
         _policy(_allow(["ec2:DescribeInstances"], "*")),
         _policy(_allow(["ec2:*", "ec2:DescribeVpcs"], "*")), "allows ec2:*: every action", {},
         True, {"policy": UNKNOWN}),
    Case("strata-iam-no-wildcard-data-actions", "aws:iam/policy:Policy",
         _policy(_allow("dynamodb:GetItem", TABLE_ARN)),
         _policy(_allow("dynamodb:*", TABLE_ARN)), "Allow dynamodb:* is a wildcard", {}, True,
         {"policy": UNKNOWN}),
    Case("strata-iam-no-wildcard-resource-data-actions", "aws:iam/userPolicy:UserPolicy",
         _policy(_allow("timestream:DescribeEndpoints", "*"),
                 _allow("dynamodb:GetItem", TABLE_ARN)),
         _policy(_allow(["dynamodb:GetItem", "dynamodb:ListTables"], "*")),
         "allows dynamodb:GetItem on Resource \"*\"", {}, True, {"policy": UNKNOWN}),
    Case("strata-iam-no-kms-decrypt-all-keys", "aws:iam/policy:Policy",
         _policy(_allow("kms:Decrypt", KEY)),
         _policy(_allow("kms:Decrypt*", "arn:aws:kms:*:*:key/*")),
         "allows KMS decryption on every key of the account", {}, True, {"policy": UNKNOWN}),
    Case("strata-iam-documents-valid", "aws:iam/rolePolicy:RolePolicy",
         _policy(_allow(["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
                        CLUSTER_ARN),
                 _allow(["kafka-cluster:WriteData", "kafka-cluster:DescribeTopic"], TOPIC_ARN)),
         _policy(_allow(["kafka-cluster:WriteData", "kafka-cluster:WriteDataIdempotently"],
                        TOPIC_ARN, Sid="Produce")),
         "policy: Statement[0] (Sid Produce): kafka-cluster:WriteDataIdempotently is authorized "
         "on arn:${Partition}:kafka:${Region}:${Account}:cluster/${ClusterName}/${ClusterUuid}",
         {}, True, {"policy": UNKNOWN}),
    Case("strata-iam-documents-valid", "aws:kms/key:Key",
         _policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:root"},
                  "Action": "kms:*", "Resource": "*"}),
         _policy({"Effect": "Allow", "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                  "Action": "kms:Decrypt", "Resource": "*",
                  "Condition": {"StringEquals": {"kms:EncryptionContextt": "x"}}}),
         "unknown condition key 'kms:EncryptionContextt'", {}, True,
         {"policy": '{"Statement": [{"Resource": "' + UNKNOWN + '"}]}'}),
    Case("strata-no-public-resource-policies", "aws:sns/topicPolicy:TopicPolicy",
         _policy({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                  "Resource": "arn:aws:sns:eu-west-1:123:alarms",
                  "Condition": {"StringEquals": {"aws:SourceAccount": "123"}}}),
         _policy({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                  "Resource": "arn:aws:sns:eu-west-1:123:alarms",
                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
         "allows Principal \"*\" with no condition on the caller", {}, True,
         {"policy": UNKNOWN}),
    Case("strata-kms-key-enabled", "aws:kms/key:Key", {"isEnabled": True},
         {"isEnabled": False}, "isEnabled is False", {}, True, {"isEnabled": UNKNOWN}),
    Case("strata-kms-key-no-lockout-bypass", "aws:kms/key:Key",
         {"bypassPolicyLockoutSafetyCheck": False}, {"bypassPolicyLockoutSafetyCheck": True},
         "bypassPolicyLockoutSafetyCheck is True", {}, True,
         {"bypassPolicyLockoutSafetyCheck": UNKNOWN}),
    Case("strata-rds-enhanced-monitoring", "aws:rds/clusterInstance:ClusterInstance",
         {"monitoringInterval": 60}, {"monitoringInterval": 0}, "monitoringInterval is 0", {},
         False, {"monitoringInterval": UNKNOWN}),
    Case("strata-rds-iam-authentication", "aws:rds/cluster:Cluster",
         {"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": True},
         {"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": False},
         "iamDatabaseAuthenticationEnabled is False", {"engine": "aurora-postgresql"}, False,
         {"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": UNKNOWN}),
    Case("strata-rds-auto-minor-upgrades", "aws:rds/instance:Instance",
         {"autoMinorVersionUpgrade": True}, {"autoMinorVersionUpgrade": False},
         "autoMinorVersionUpgrade is False", {}, True, {"autoMinorVersionUpgrade": UNKNOWN}),
    Case("strata-rds-copy-tags-to-snapshots", "aws:rds/cluster:Cluster",
         {"copyTagsToSnapshot": True}, {"copyTagsToSnapshot": False},
         "copyTagsToSnapshot is False", {}, False, {"copyTagsToSnapshot": UNKNOWN}),
    Case("strata-rds-no-default-port", "aws:rds/instance:Instance",
         {"engine": "postgres", "port": 6432}, {"engine": "postgres", "port": 5432},
         "port is 5432: the engine's default port", {"engine": "postgres"}, False,
         {"engine": "postgres", "port": UNKNOWN}),
    Case("strata-rds-custom-admin-username", "aws:rds/cluster:Cluster",
         {"masterUsername": "orders_admin"}, {"masterUsername": "postgres"},
         "masterUsername is 'postgres'", {}, True, {"masterUsername": UNKNOWN}),
    Case("strata-msk-no-unauthenticated-access", "aws:msk/cluster:Cluster",
         {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False}},
         {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": True}},
         "clientAuthentication.unauthenticated is True", {}, False,
         {"clientAuthentication": UNKNOWN}),
    Case("strata-msk-no-unclean-leader-election", "aws:msk/configuration:Configuration",
         {"serverProperties": "unclean.leader.election.enable=false\n"},
         {"serverProperties": "min.insync.replicas=2\nunclean.leader.election.enable = true\n"},
         "sets unclean.leader.election.enable=true", {}, True, {"serverProperties": UNKNOWN}),
    Case("strata-msk-no-auto-create-topics", "aws:msk/configuration:Configuration",
         {"serverProperties": "auto.create.topics.enable=false"},
         {"serverProperties": "auto.create.topics.enable=TRUE"},
         "sets auto.create.topics.enable=TRUE", {}, True, {"serverProperties": UNKNOWN}),
    Case("strata-eks-supported-version", "aws:eks/cluster:Cluster", {"version": "1.34"},
         {"version": "1.29"}, "version 1.29 is older than 1.33", {}, True,
         {"version": UNKNOWN}),
    Case("strata-eks-node-group-no-open-ssh", "aws:eks/nodeGroup:NodeGroup",
         {"remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}},
         {"remoteAccess": {"ec2SshKey": "ops"}}, "EKS opens SSH (port 22", {}, True,
         {"remoteAccess": UNKNOWN}),
    Case("strata-eks-cluster-admin-scope",
         "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
         {"principalArn": "arn:aws:iam::1:role/dev", "accessScope": {"type": "namespace"},
          "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"},
         {"principalArn": "arn:aws:iam::1:role/dev", "accessScope": {"type": "cluster"},
          "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
         "associates AmazonEKSClusterAdminPolicy at cluster scope with "
         "arn:aws:iam::1:role/dev", {}, True, {"policyArn": UNKNOWN}),
    Case("strata-eks-cluster-admin-scope", "aws:eks/accessEntry:AccessEntry",
         {"kubernetesGroups": ["orders-readers"]}, {"kubernetesGroups": ["system:masters"]},
         "kubernetesGroups includes system:masters", {}, True, {"kubernetesGroups": UNKNOWN}),
    Case("strata-imds-hop-limit", "aws:ec2/launchTemplate:LaunchTemplate",
         _lt_metadata(httpPutResponseHopLimit=1), _lt_metadata(httpPutResponseHopLimit=3),
         "httpPutResponseHopLimit is 3, above 1", {}, True,
         _lt_metadata(httpPutResponseHopLimit=UNKNOWN)),
    Case("strata-launch-template-imdsv2", "aws:ec2/instance:Instance",
         {"metadataOptions": {"httpTokens": "required"}},
         {"metadataOptions": {"httpTokens": "optional"}}, "httpTokens is 'optional'", {}, False,
         {"metadataOptions": UNKNOWN}),
    Case("strata-no-unrestricted-egress", "aws:ec2/securityGroup:SecurityGroup",
         {"egress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443,
                      "cidrBlocks": ["0.0.0.0/0"]}]},
         {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0,
                      "cidrBlocks": ["0.0.0.0/0"]}]},
         "egress[0].allows all traffic to 0.0.0.0/0", {}, True, {"egress": UNKNOWN}),
    Case("strata-no-unrestricted-egress",
         "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
         {"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/16"},
         {"ipProtocol": "-1", "cidrIpv6": "::/0"}, "allows all traffic to ::/0", {}, True,
         {"ipProtocol": "-1", "cidrIpv4": UNKNOWN}),
    Case("strata-grafana-network-access-control", "aws:grafana/workspace:Workspace",
         {"networkAccessControl": {"vpceIds": ["vpce-1"]}},
         {"networkAccessControl": {"vpceIds": [], "prefixListIds": []}},
         "networkAccessControl names no VPC endpoint or prefix list", {}, False,
         {"networkAccessControl": UNKNOWN}),
    Case("strata-s3-no-public-acls", "aws:s3/bucket:Bucket", {"acl": "private"},
         {"acl": "public-read"}, "acl is 'public-read'", {}, True, {"acl": UNKNOWN}),
    Case("strata-s3-no-public-acls", "aws:s3/bucketAcl:BucketAcl",
         {"accessControlPolicy": {"grants": [{"grantee": {"type": "CanonicalUser",
                                                          "id": "abc"},
                                              "permission": "FULL_CONTROL"}]}},
         {"accessControlPolicy": {"grants": [{"grantee": {
             "type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "permission": "READ"}]}}, "an ACL grant gives AllUsers access", {}, True,
         {"accessControlPolicy": {"grants": [{"grantee": {"uri": UNKNOWN}}]}}),
    Case("strata-amp-workspace-logging", "aws:amp/workspace:Workspace",
         {"loggingConfiguration": {"logGroupArn": "arn:aws:logs:eu-west-1:1:log-group:amp:*"}},
         {"loggingConfiguration": {"logGroupArn": ""}},
         "loggingConfiguration.logGroupArn is absent", {}, False,
         {"loggingConfiguration": UNKNOWN}),
    Case("strata-timestream-rejected-data-cmk", "aws:timestreamwrite/table:Table",
         {"magneticStoreWriteProperties": {"magneticStoreRejectedDataLocation": {
             "s3Configuration": {"encryptionOption": "SSE_KMS", "kmsKeyId": KEY}}}},
         {"magneticStoreWriteProperties": {"magneticStoreRejectedDataLocation": {
             "s3Configuration": {"bucketName": "rejected"}}}},
         "encryptionOption is absent (provider default 'SSE_S3')", {}, True,
         {"magneticStoreWriteProperties": UNKNOWN}),
    Case("strata-rds-no-public-access", "aws:rds/cluster:Cluster",
         {"dbClusterInstanceClass": "db.r6gd.large", "dbSubnetGroupName": "private"},
         {"publiclyAccessible": True}, "publiclyAccessible is True",
         {"dbClusterInstanceClass": "db.r6gd.large"}, False,
         {"publiclyAccessible": UNKNOWN}),
]


@pytest.mark.parametrize("case", HARDENING_CASES, ids=case_id)
def test_accepts_compliant_inputs(case: Case) -> None:
    check_good(case)


@pytest.mark.parametrize("case", HARDENING_CASES, ids=case_id)
def test_rejects_noncompliant_inputs(case: Case) -> None:
    check_bad(case)


@pytest.mark.parametrize("case", HARDENING_CASES, ids=case_id)
def test_absent_property_means_provider_default(case: Case) -> None:
    check_absent(case)


@pytest.mark.parametrize("case", HARDENING_CASES, ids=case_id)
def test_unknown_is_cannot_verify(case: Case) -> None:
    check_unknown(case)


def test_iam_auth_is_not_demanded_of_engines_without_it() -> None:
    assert analyze("strata-rds-iam-authentication", "aws:rds/instance:Instance",
                   {"engine": "sqlserver-se"}).passed


def test_aurora_cluster_without_publicly_accessible_is_private() -> None:
    verdict = analyze("strata-rds-no-public-access", "aws:rds/cluster:Cluster",
                      {"engine": "aurora-postgresql"})
    assert verdict.passed, verdict
    verdict = analyze("strata-rds-no-public-access", "aws:rds/cluster:Cluster",
                      {"dbClusterInstanceClass": "db.r6gd.large"})
    assert verdict.violations == ["publiclyAccessible is absent (provider default True): the "
                                  "database gets a public DNS name and IP"]


def test_cluster_admin_allowed_for_configured_principals() -> None:
    inputs = HARDENING_CASES[22].bad
    assert analyze("strata-eks-cluster-admin-scope",
                   "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", inputs,
                   config={"clusterAdminPrincipals": ["arn:aws:iam::*:role/dev"]}).passed


def test_restricted_public_eks_endpoint_only_when_configured() -> None:
    inputs = {"vpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": True,
                            "publicAccessCidrs": ["203.0.113.0/24"]}}
    assert analyze("strata-eks-private-endpoint", "aws:eks/cluster:Cluster", inputs).violations
    assert analyze("strata-eks-private-endpoint", "aws:eks/cluster:Cluster", inputs,
                   config={"allowRestrictedPublicEndpoint": True}).passed
    inputs["vpcConfig"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    assert analyze("strata-eks-private-endpoint", "aws:eks/cluster:Cluster", inputs,
                   config={"allowRestrictedPublicEndpoint": True}).violations


def test_hop_limit_two_is_accepted_when_configured() -> None:
    inputs = _lt_metadata(httpPutResponseHopLimit=2)
    assert analyze("strata-imds-hop-limit", "aws:ec2/launchTemplate:LaunchTemplate",
                   inputs).violations
    assert analyze("strata-imds-hop-limit", "aws:ec2/launchTemplate:LaunchTemplate", inputs,
                   config={"maxHopLimit": 2}).passed
