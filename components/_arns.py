"""Upper bounds of ARNs not known until deployment, so grants are sized at plan time.

An IAM policy is sized by `components._perms.grant` with every unresolved ARN counted at a bound;
a bound that is too loose wastes managed-policy room (a 64-shard database then needs more
policies than a role may hold), one that is too tight lets AWS refuse the policy at apply time.
Each bound here is the ARN's fixed text plus the longest value each variable part can take.
Pure: no Pulumi import.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_CHARS",
    "KMS_KEY_ARN_MAX_CHARS",
    "PARTITION_MAX_CHARS",
    "REGION_MAX_CHARS",
    "arn_max_chars",
]

PARTITION_MAX_CHARS = len("aws-us-gov")
"""The longest partition name (`aws`, `aws-cn`, `aws-us-gov`)."""
REGION_MAX_CHARS = 20
"""Region codes are at most 14 characters today (`ap-southeast-5`); 20 leaves room for new
ones without making the bound loose."""
ACCOUNT_CHARS = 12
"""Account ids are always 12 digits."""

KMS_KEY_ARN_MAX_CHARS = len("arn::kms:::key/") + PARTITION_MAX_CHARS + REGION_MAX_CHARS \
    + ACCOUNT_CHARS + 36
"""`arn:<partition>:kms:<region>:<account>:key/<key id>`; key ids are UUIDs (36 characters)
or `mrk-` plus 32 hex digits (36 characters as well)."""


def arn_max_chars(service: str, resource_max_chars: int, *, regional: bool = True) -> int:
    """`arn:<partition>:<service>:<region>:<account>:<resource>` at its longest, for a resource
    part of at most `resource_max_chars` characters."""
    region = REGION_MAX_CHARS if regional else 0
    return (len(f"arn::{service}:::") + PARTITION_MAX_CHARS + region + ACCOUNT_CHARS
            + resource_max_chars)
