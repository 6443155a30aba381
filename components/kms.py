"""Customer-managed KMS keys: rotated, aliased, and usable by exactly the principals that need
them, including the AWS services that use the key on a caller's behalf.

Who calls KMS matters. DynamoDB, RDS, Secrets Manager and similar services use the key *as the
principal that called them* (the deployer creating a table, the workload reading an item), so
the key policy must let the account's principals use it through those services
(`kms:ViaService`), or the first `pulumi up` fails with AccessDenied:
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
Other services use the key as themselves and are named as service principals: CloudWatch Logs
with the `kms:EncryptionContext:aws:logs:arn` condition
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html), and
publishers to an encrypted SNS topic such as CloudWatch alarms
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
Direct use outside those services stays limited to `user_arns`.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args
from components._perms import KMS_ENCRYPT_DECRYPT, KMS_SERVICE_USE
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["ADMIN_ACTIONS", "CALLER_ACTIONS", "EncryptionKey", "EncryptionKeyArgs", "key_policy"]

ADMIN_ACTIONS = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
"""Key management without data access: administrators cannot decrypt what the key protects.
`kms:Put*` keeps the policy editable by the account, which AWS requires of a new key policy
(the lockout safety check of CreateKey)."""

CALLER_ACTIONS = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
    "kms:CreateGrant",
)
"""What a service needs when it uses the key on its caller's behalf; `CreateGrant` because
DynamoDB, RDS and EKS keep long-lived grants for background work (backups, replicas)."""

DEFAULT_ROTATION_DAYS = 365
DEFAULT_DELETION_WINDOW_DAYS = 30


class EncryptionKeyArgs(TypedDict):
    """Inputs of an EncryptionKey."""

    description: pulumi.Input[str]
    """What the key protects; shown in the KMS console."""
    alias: NotRequired[str]
    """Alias without the `alias/` prefix, e.g. `prod/orders`. Default: no alias."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the key. Default: none."""
    user_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Roles allowed to encrypt and decrypt directly (not only through a service).
    Default: none."""
    caller_services: NotRequired[Sequence[str]]
    """AWS services through which the account's principals may use the key, by endpoint prefix
    (`dynamodb`, `rds`, `secretsmanager`, ...): each becomes `kms:ViaService
    <service>.<region>.amazonaws.com` with `kms:CallerAccount` this account. Default: none."""
    log_group_names: NotRequired[Sequence[str]]
    """CloudWatch Logs log groups (names, `*` allowed, e.g. `/app/prod/*`) the key may encrypt,
    through the `logs.<region>` service principal. Default: none."""
    service_principals: NotRequired[Sequence[str]]
    """AWS service principals that use the key as themselves, e.g. `cloudwatch.amazonaws.com`
    publishing alarms to an encrypted SNS topic: allowed Decrypt and GenerateDataKey*, limited to
    this account by `aws:SourceAccount`. Default: none."""
    rotation_period_days: NotRequired[int]
    """Automatic rotation period, 90-2560 days. Default: 365."""
    deletion_window_days: NotRequired[int]
    """Waiting period before a scheduled deletion completes, 7-30 days. Default: 30."""
    lifecycle: NotRequired[LifecycleArgs]
    """Deleting a key destroys every byte it encrypted: protect it like the data.
    Default: see LifecycleArgs."""


class EncryptionKey(pulumi.ComponentResource):
    """A rotated customer-managed key with an alias and a least-privilege key policy."""

    arn: pulumi.Output[str]
    """The key ARN."""
    key_id: pulumi.Output[str]
    """The key id."""

    def __init__(self, name: str, args: EncryptionKeyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:EncryptionKey", name, None, opts)
        args = _args.validate("EncryptionKey", name, args, EncryptionKeyArgs)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke)
        policy = pulumi.Output.all(account, region, partition.partition, partition.dns_suffix,
                                   list(args.get("user_arns", []))).apply(
            lambda v: json.dumps(key_policy(
                account_id=v[0], region=v[1], partition=v[2], dns_suffix=v[3], user_arns=v[4],
                caller_services=list(args.get("caller_services", [])),
                log_group_names=list(args.get("log_group_names", [])),
                service_principals=list(args.get("service_principals", []))),
                sort_keys=True))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args["description"],
            enable_key_rotation=True,
            rotation_period_in_days=args.get("rotation_period_days", DEFAULT_ROTATION_DAYS),
            deletion_window_in_days=args.get("deletion_window_days",
                                             DEFAULT_DELETION_WINDOW_DAYS),
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            multi_region=False,
            is_enabled=True,
            policy=policy,
            tags=dict(args.get("tags", {})),
            opts=lifecycle_options(self, args.get("lifecycle")))
        if "alias" in args:
            aws.kms.Alias(f"{name}-alias", name=f"alias/{args['alias']}",
                          target_key_id=self.key.key_id, opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id})


def key_policy(*, account_id: str, region: str, partition: str = "aws",
               dns_suffix: str = "amazonaws.com", user_arns: Sequence[str] = (),
               caller_services: Sequence[str] = (), log_group_names: Sequence[str] = (),
               service_principals: Sequence[str] = ()) -> dict[str, Any]:
    """The key policy document (pure, so each statement is unit-tested)."""
    root = f"arn:{partition}:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": list(ADMIN_ACTIONS), "Resource": "*"},
        # Grants that AWS services create for their own background work (backups, replicas).
        {"Sid": "GrantsForAwsResources", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]
    if caller_services:
        # The caller's own IAM policy must still allow the action: root delegates to IAM.
        statements.append({
            "Sid": "UseThroughServices", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": list(CALLER_ACTIONS), "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:CallerAccount": account_id,
                "kms:ViaService": sorted(f"{s}.{region}.{dns_suffix}" for s in caller_services),
            }}})
    if user_arns:
        statements.append({"Sid": "KeyUsers", "Effect": "Allow",
                           "Principal": {"AWS": sorted(user_arns)},
                           "Action": list(KMS_ENCRYPT_DECRYPT), "Resource": "*"})
    if log_group_names:
        statements.append({
            "Sid": "CloudWatchLogs", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
            "Action": list(KMS_ENCRYPT_DECRYPT), "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sorted(
                f"arn:{partition}:logs:{region}:{account_id}:log-group:{group}"
                for group in log_group_names)}}})
    if service_principals:
        statements.append({"Sid": "AwsServicePrincipals", "Effect": "Allow",
                           "Principal": {"Service": sorted(service_principals)},
                           "Action": list(KMS_SERVICE_USE), "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}})
    return {"Version": "2012-10-17", "Id": "key-policy", "Statement": statements}
