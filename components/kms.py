"""Customer-managed KMS keys: rotated yearly, aliased, usable only by the account's
administrators (for management) and the roles and AWS services named at creation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components._perms import KMS_DECRYPT, KMS_ENCRYPT_DECRYPT, statement
from components._tags import require_tags, stateful_options

__all__ = ["EncryptionKey", "EncryptionKeyArgs"]

ADMIN_ACTIONS = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
"""Key management without data access: administrators cannot decrypt service data."""


class EncryptionKeyArgs(TypedDict):
    description: pulumi.Input[str]
    """What the key protects; shown in the KMS console."""
    alias: str
    """Alias without the `alias/` prefix, e.g. `strata/prod/orders`."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    user_role_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Roles allowed to encrypt and decrypt directly. Default: none."""
    service_principals: NotRequired[Sequence[str]]
    """AWS services (e.g. `logs.eu-west-1.amazonaws.com`) that encrypt on the account's
    behalf, limited to this account by `aws:SourceAccount`. Default: none."""
    protect: NotRequired[bool]
    """Protect and retain the key (deleting a key destroys every byte it encrypted).
    Default: off."""
    deletion_window_days: NotRequired[int]
    """Waiting period before a scheduled deletion completes. Default: 30 days (the maximum)."""


class EncryptionKey(pulumi.ComponentResource):
    """A rotated customer-managed key with an alias and a least-privilege key policy."""

    key: aws.kms.Key
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:EncryptionKey", name, None, opts)
        tags = require_tags(args["tags"], name)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = pulumi.Output.all(
            account.account_id, list(args.get("user_role_arns", []))
        ).apply(lambda parts: _key_policy(parts[0], parts[1],
                                          list(args.get("service_principals", []))))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args["description"],
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.get("deletion_window_days", 30),
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            multi_region=False,
            policy=policy,
            tags=tags,
            opts=stateful_options(self, args.get("protect", False)),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args['alias']}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id})

    def grant_decrypt_statement(self) -> dict[str, Any]:
        """Statement letting a role read data encrypted with this key."""
        return statement(KMS_DECRYPT, [self.arn])

    def grant_encrypt_decrypt_statement(self) -> dict[str, Any]:
        """Statement letting a role read and write data encrypted with this key."""
        return statement(KMS_ENCRYPT_DECRYPT, [self.arn])


def _key_policy(account_id: str, user_role_arns: list[str],
                service_principals: list[str]) -> str:
    root = f"arn:aws:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": list(ADMIN_ACTIONS), "Resource": "*"},
        # AWS services (RDS, DynamoDB, MSK...) need a grant created on the deployer's behalf.
        {"Sid": "GrantsForAwsResources", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]
    if user_role_arns:
        statements.append({"Sid": "KeyUsers", "Effect": "Allow",
                           "Principal": {"AWS": sorted(user_role_arns)},
                           "Action": list(KMS_ENCRYPT_DECRYPT), "Resource": "*"})
    if service_principals:
        statements.append({"Sid": "AwsServices", "Effect": "Allow",
                           "Principal": {"Service": sorted(service_principals)},
                           "Action": list(KMS_ENCRYPT_DECRYPT), "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}})
    return json.dumps({"Version": "2012-10-17", "Id": "strata-key-policy",
                       "Statement": statements}, sort_keys=True)
