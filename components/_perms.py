"""IAM action lists per AWS service, as named constants with the reason for each action.

Grants (`grant_read`, `grant_write`, ...) combine these with exact resource ARNs; nothing
here is ever paired with `*`. Policies in `policies/iam.py` treat wildcard actions on data
services as violations, so keep these explicit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi

__all__ = [
    "DYNAMODB_READ",
    "DYNAMODB_WRITE",
    "KAFKA_CLUSTER_CONNECT",
    "KAFKA_CONSUME_GROUP",
    "KAFKA_CONSUME_TOPIC",
    "KAFKA_CREATE_TOPIC",
    "KAFKA_PRODUCE_TOPIC",
    "KMS_DECRYPT",
    "KMS_ENCRYPT_DECRYPT",
    "RDS_CONNECT",
    "SECRET_READ",
    "SSM_READ",
    "TIMESTREAM_DESCRIBE_ENDPOINTS",
    "TIMESTREAM_READ",
    "TIMESTREAM_WRITE",
    "policy_document",
    "statement",
]

DYNAMODB_READ = (
    "dynamodb:GetItem",          # point reads
    "dynamodb:BatchGetItem",     # batched point reads
    "dynamodb:Query",            # key-condition reads, including GSIs (index ARNs granted too)
    "dynamodb:Scan",             # exports and backfills
    "dynamodb:ConditionCheckItem",  # TransactWriteItems condition checks read only
    "dynamodb:DescribeTable",    # SDKs describe before use
    "dynamodb:DescribeStream",   # stream consumers locate shards
    "dynamodb:GetRecords",       # read change records
    "dynamodb:GetShardIterator",  # position in a stream shard
)
DYNAMODB_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DescribeTable",    # SDKs describe before use
)

KMS_DECRYPT = (
    "kms:Decrypt",               # read data encrypted with the owner's key
    "kms:DescribeKey",           # SDKs check key state before use
)
KMS_ENCRYPT_DECRYPT = (
    *KMS_DECRYPT,
    "kms:Encrypt",
    "kms:ReEncrypt*",            # key rotation re-wraps data keys; scoped to the key ARN
    "kms:GenerateDataKey*",      # envelope encryption of writes
)

RDS_CONNECT = (
    "rds-db:connect",            # IAM database authentication, per database user
)
SECRET_READ = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
)
SSM_READ = (
    "ssm:GetParameter",          # the published shard map
    "ssm:GetParameters",
)

TIMESTREAM_DESCRIBE_ENDPOINTS = (
    "timestream:DescribeEndpoints",  # endpoint discovery; AWS only accepts Resource "*" for it
)
TIMESTREAM_READ = (
    "timestream:Select",
    "timestream:DescribeTable",
    "timestream:ListMeasures",
)
TIMESTREAM_WRITE = (
    "timestream:WriteRecords",
    "timestream:DescribeTable",
)

KAFKA_CLUSTER_CONNECT = (
    "kafka-cluster:Connect",           # open an IAM-authenticated session
    "kafka-cluster:DescribeCluster",   # client metadata bootstrap
)
KAFKA_PRODUCE_TOPIC = (
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:WriteData",
    "kafka-cluster:WriteDataIdempotently",  # idempotent producers (the Kafka default since 3.0)
)
KAFKA_CONSUME_TOPIC = (
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:ReadData",
)
KAFKA_CONSUME_GROUP = (
    "kafka-cluster:AlterGroup",        # join the group and commit offsets
    "kafka-cluster:DescribeGroup",
)
KAFKA_CREATE_TOPIC = (
    # MSK Serverless only: the MSK topic API (aws.msk.Topic) does not serve serverless
    # clusters, so the owning service creates its own topics; scoped to its topic ARNs.
    "kafka-cluster:CreateTopic",
)


def statement(actions: Sequence[str], resources: Sequence[Any], sid: str = "") -> dict[str, Any]:
    """One Allow statement; `resources` may hold Outputs (resolved by `policy_document`)."""
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": sorted(set(actions)),
                            "Resource": list(resources)}
    if sid:
        stmt["Sid"] = sid
    return stmt


def policy_document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    """Resolve the Outputs inside `statements` into one IAM policy JSON document."""
    return pulumi.Output.from_input(
        {"Version": "2012-10-17", "Statement": list(statements)}
    ).apply(lambda doc: json.dumps(doc, sort_keys=True))
