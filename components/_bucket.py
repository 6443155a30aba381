"""A private S3 bucket encrypted with the owner's key, versioned, TLS-only, ACLs disabled, and
its server access logs kept in a dedicated bucket.

Used by stores for their side data (InfluxDB engine logs, Timestream rejected records). Every
companion takes the bucket's `id` output, so policies link it to the bucket it configures.

Server access logs (FSBP S3.9) go to a second bucket that is encrypted with SSE-S3, not the
owner's key: S3 cannot deliver server access logs to a bucket whose default encryption is
SSE-KMS ("Default server-side encryption with AWS KMS keys (SSE-KMS) is not supported",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html). The
log bucket does not log itself: AWS advises against it and FSBP S3.9 says to suppress the
finding for the target bucket (https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-9).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["ACCESS_LOG_RETENTION_DAYS", "BUCKET_PREFIX_MAX", "access_log_prefix",
           "bucket_prefix", "encrypted_bucket"]

BUCKET_PREFIX_MAX = 37
"""S3 refuses a `bucket_prefix` longer than 37 characters (63 minus the 26 it appends)."""
ACCESS_LOG_RETENTION_DAYS = 365
"""Server access logs are kept a year, then expire; superseded versions after 30 days."""
_NONCURRENT_DAYS = 30
_LOG_SERVICE = "logging.s3.amazonaws.com"


def bucket_prefix(physical_prefix: str) -> str:
    """The `bucket_prefix` of a bucket named after `physical_prefix` (deterministic: changing
    it would replace the bucket)."""
    return f"{physical_prefix}-"[:BUCKET_PREFIX_MAX].lower()


def access_log_prefix(physical_prefix: str) -> str:
    """The `bucket_prefix` of the bucket holding the server access logs of `physical_prefix`."""
    return bucket_prefix(f"{physical_prefix[:BUCKET_PREFIX_MAX - len('-access-logs-')]}"
                         "-access-logs")


def encrypted_bucket(parent: pulumi.Resource, name: str, physical_prefix: str, *,
                     kms_key_arn: pulumi.Input[str], tags: Mapping[str, str],
                     lifecycle: LifecycleArgs | None, writer_service: str | None = None,
                     access_logs: bool = True) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
    """The bucket plus its encryption, public access block, versioning, ownership and policy;
    with `access_logs`, a dedicated access-log bucket `<name>-access-logs` and the logging
    configuration pointing at it. Returns the bucket and what a writer must wait for (its
    encryption and policy), so a service never writes before it may, or unencrypted.

    `writer_service`, when given, is an AWS service principal allowed to PutObject, limited
    to this account by `aws:SourceAccount` (S3 bucket names are global).
    """
    bucket = aws.s3.Bucket(name, bucket_prefix=bucket_prefix(physical_prefix),
                           force_destroy=False, tags=dict(tags),
                           opts=lifecycle_options(parent, lifecycle))
    encryption = _encryption(parent, name, bucket, {
        "sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}, bucket_key=True)
    account = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    policy = _guard(parent, name, bucket, pulumi.Output.all(bucket.arn, account).apply(
        lambda v: _policy(v[0], [_writer(v[0], v[1], writer_service)] if writer_service else [])))
    if access_logs:
        target, target_policy = _access_log_bucket(parent, f"{name}-access-logs",
                                                   physical_prefix, bucket, account, tags,
                                                   lifecycle)
        aws.s3.BucketLogging(
            f"{name}-logging", bucket=bucket.id, target_bucket=target.id,
            target_prefix=f"{name}/",
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime")),
            # Delivery starts right away: the log service must already be allowed to write.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[target_policy]))
    return bucket, [encryption, policy]


def _access_log_bucket(parent: pulumi.Resource, name: str, physical_prefix: str,
                       source: aws.s3.Bucket, account: pulumi.Output[str],
                       tags: Mapping[str, str], lifecycle: LifecycleArgs | None
                       ) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """The target of `source`'s server access logs: SSE-S3 (see the module docstring), written
    only by the S3 logging service on behalf of `source` in this account."""
    bucket = aws.s3.Bucket(name, bucket_prefix=access_log_prefix(physical_prefix),
                           force_destroy=False, tags=dict(tags),
                           opts=lifecycle_options(parent, lifecycle))
    _encryption(parent, name, bucket, {"sse_algorithm": "AES256"}, bucket_key=False)
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-expiry", bucket=bucket.id, rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs", status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                days=ACCESS_LOG_RETENTION_DAYS),
            noncurrent_version_expiration=aws.s3.
            BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=_NONCURRENT_DAYS))],
        opts=pulumi.ResourceOptions(parent=parent))
    policy = _guard(parent, name, bucket, pulumi.Output.all(bucket.arn, source.arn, account).apply(
        lambda v: _policy(v[0], [_log_delivery(v[0], v[1], v[2])])))
    return bucket, policy


def _encryption(parent: pulumi.Resource, name: str, bucket: aws.s3.Bucket,
                default: dict[str, Any], bucket_key: bool
                ) -> aws.s3.BucketServerSideEncryptionConfiguration:
    return aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id, rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    **default),
                # One data key per bucket instead of per object: fewer KMS calls, same key.
                bucket_key_enabled=bucket_key or None)],
        opts=pulumi.ResourceOptions(parent=parent))


def _guard(parent: pulumi.Resource, name: str, bucket: aws.s3.Bucket,
           policy: pulumi.Input[str]) -> aws.s3.BucketPolicy:
    """Public access block, versioning, ACLs disabled (FSBP S3.8, S3.14, S3.12), the policy."""
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        opts=pulumi.ResourceOptions(parent=parent))
    aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"), opts=pulumi.ResourceOptions(parent=parent))
    # BucketOwnerEnforced disables ACLs altogether: no ACL, public or not, grants anything.
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=pulumi.ResourceOptions(parent=parent))
    return aws.s3.BucketPolicy(
        f"{name}-policy", bucket=bucket.id, policy=policy,
        # S3 rejects a policy PUT racing the public access block.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_block]))


def _writer(arn: str, account_id: str, service: str) -> dict[str, Any]:
    return {"Sid": "ServiceDelivery", "Effect": "Allow", "Principal": {"Service": service},
            "Action": "s3:PutObject", "Resource": f"{arn}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}


def _log_delivery(arn: str, source_arn: str, account_id: str) -> dict[str, Any]:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
    #grant-log-delivery-permissions-bucket-policy"""
    return {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": _LOG_SERVICE},
            "Action": "s3:PutObject", "Resource": f"{arn}/*",
            "Condition": {"ArnLike": {"aws:SourceArn": source_arn},
                          "StringEquals": {"aws:SourceAccount": account_id}}}


def _policy(arn: str, allows: list[dict[str, Any]]) -> str:
    statements: list[dict[str, Any]] = [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }, *allows]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
