"""IAM action lists per AWS service, as named constants with the reason for each action.

Grants (`grant_read`, `grant_write`, ...) combine these with exact resource ARNs; nothing
here is ever paired with `*`. Policies in `policies/iam.py` treat wildcard actions on data
services as violations, so keep these explicit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

__all__ = [
    "ARN_CHARS",
    "DYNAMODB_READ",
    "DYNAMODB_READ_STREAM",
    "DYNAMODB_WRITE",
    "KAFKA_CLUSTER_CONNECT",
    "KAFKA_CONSUME_GROUP",
    "KAFKA_CONSUME_TOPIC",
    "KAFKA_CREATE_TOPIC",
    "KAFKA_PRODUCE_CLUSTER",
    "KAFKA_PRODUCE_TOPIC",
    "KMS_DECRYPT",
    "KMS_ENCRYPT_DECRYPT",
    "KMS_SERVICE_USE",
    "RDS_CONNECT",
    "SECRET_READ",
    "SSM_READ",
    "TIMESTREAM_DESCRIBE_ENDPOINTS",
    "TIMESTREAM_READ",
    "TIMESTREAM_WRITE",
    "Grant",
    "grant",
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
)
DYNAMODB_READ_STREAM = (
    # Authorised on the stream ARN (`table/<name>/stream/<label>`), never the table's.
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

KMS_SERVICE_USE = (
    "kms:Decrypt",               # read what a publisher encrypted (e.g. SNS for its subscribers)
    "kms:GenerateDataKey*",      # encrypt what the service writes
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
)
KAFKA_PRODUCE_CLUSTER = (
    # Idempotent producers (the client default since Kafka 3.0.1) need this, and AWS authorises
    # it on the cluster ARN, not the topic's: granted on a topic ARN, every produce is refused.
    "kafka-cluster:WriteDataIdempotently",
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


ARN_CHARS = 256
"""Upper bound of an ARN not known until deployment, for sizing policies at plan time. The
longest ARNs Strata grants (Kafka group and topic ARNs: cluster name, UUID, topic) stay below
it; a component with a tighter bound passes its own to `grant`."""


@dataclass(frozen=True)
class Grant:
    """Policy statements serving one purpose (read a table, consume a topic) and an upper bound
    of their size once every ARN is known, so that policies can be sized at plan time, when
    resources are counted, not at apply time, when AWS would refuse an oversized policy."""

    statements: tuple[dict[str, Any], ...]
    max_chars: int
    """Compact-JSON length with every unresolved value counted at its bound."""


def grant(statements: Sequence[dict[str, Any]], output_chars: int = ARN_CHARS) -> Grant:
    """A Grant whose size bound counts each Output in `statements` as `output_chars` chars."""
    def bound(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            return "x" * output_chars
        if isinstance(value, dict):
            return {k: bound(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [bound(v) for v in value]
        return value

    text = json.dumps([bound(s) for s in statements], separators=(",", ":"))
    return Grant(tuple(statements), len(text))


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
