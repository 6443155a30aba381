"""Grants of a PostgreSQL shard set, sized so that each fits one IAM managed policy.

`rds-db:connect` names one ARN per shard and database user; at 64 shards that is more than one
managed policy holds (6,144 characters), so the ARNs are split over as many Grants as needed,
each sized from the ARN's upper bound (`_postgres_plan.connect_arn_max_chars`) rather than the
generic 256-character one. `components.iam.attach_grants` then packs them into policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components._arns import KMS_KEY_ARN_MAX_CHARS, arn_max_chars
from components._perms import KMS_DECRYPT, RDS_CONNECT, SSM_READ, Grant, grant, statement
from components._postgres_plan import connect_arn_max_chars
from components.iam import MANAGED_POLICY_MAX_CHARS

__all__ = ["GRANT_MAX_CHARS", "connect_grants", "shard_map_grant"]

GRANT_MAX_CHARS = MANAGED_POLICY_MAX_CHARS - len('{"Version":"2012-10-17","Statement":[]}') - 1
"""The most one Grant may take for `components.iam.pack_grants` to fit it in a policy: the
document's wrapper and one separating comma are the rest."""


def connect_grants(parent: pulumi.Resource, user: str, resource_ids: Sequence[pulumi.Output[str]],
                   sid: str) -> list[Grant]:
    """`rds-db:connect` as `user` on each shard, in as few Grants as fit a managed policy."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    partition = aws.get_partition_output(opts=invoke).partition
    region = aws.get_region_output(opts=invoke).region
    account = aws.get_caller_identity_output(opts=invoke).account_id
    arns = [pulumi.Output.all(partition, region, account, resource_id).apply(
        lambda v: f"arn:{v[0]}:rds-db:{v[1]}:{v[2]}:dbuser:{v[3]}/{user}")
        for resource_id in resource_ids]
    bound = connect_arn_max_chars(user)
    grants: list[Grant] = []
    chunk: list[Any] = []
    for arn in arns:
        candidate = grant([statement(RDS_CONNECT, [*chunk, arn], sid=sid)], output_chars=bound)
        if chunk and candidate.max_chars > GRANT_MAX_CHARS:
            grants.append(grant([statement(RDS_CONNECT, chunk, sid=sid)], output_chars=bound))
            chunk = []
        chunk.append(arn)
    if chunk:
        grants.append(grant([statement(RDS_CONNECT, chunk, sid=sid)], output_chars=bound))
    return grants


def shard_map_grant(parameter_arns: Sequence[pulumi.Output[str]], parameter_name: str,
                    key_arn: pulumi.Input[str]) -> Grant:
    """Read the shard map's parameters; decrypt with the set's key."""
    page_name = f"{parameter_name}-page-{len(parameter_arns)}"
    bound = max(arn_max_chars("ssm", len("parameter/") + len(page_name)), KMS_KEY_ARN_MAX_CHARS)
    return grant([statement(SSM_READ, list(parameter_arns), sid="ReadShardMap"),
                  statement(KMS_DECRYPT, [key_arn], sid="Key")], output_chars=bound)
