"""A private S3 bucket encrypted with the owner's key, versioned, TLS-only, owner-enforced.

Used by stores for their side data (InfluxDB logs, Timestream rejected records). Every
companion takes the bucket's `id` output, so policies link it to the bucket it configures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components._tags import stateful_options
from components.kms import EncryptionKey

__all__ = ["encrypted_bucket"]

_BUCKET_PREFIX_MAX = 37
"""S3 refuses a `bucket_prefix` longer than 37 characters."""


def encrypted_bucket(parent: pulumi.Resource, name: str, physical_prefix: str,
                     key: EncryptionKey, tags: Mapping[str, str], protect: bool,
                     writer_service: str | None = None) -> aws.s3.Bucket:
    """The bucket plus its encryption, public access block, versioning, ownership and policy.

    `writer_service`, when given, is an AWS service principal allowed to PutObject, limited
    to this account by `aws:SourceAccount` (S3 bucket names are global).
    """
    child = pulumi.ResourceOptions(parent=parent)
    prefix = f"{physical_prefix}-"[:_BUCKET_PREFIX_MAX].lower()
    bucket = aws.s3.Bucket(name, bucket_prefix=prefix, force_destroy=False, tags=dict(tags),
                           opts=stateful_options(parent, protect))
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id, rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn),
                # One data key per bucket instead of per object: fewer KMS calls, same key.
                bucket_key_enabled=True)],
        opts=child)
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        opts=child)
    aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"), opts=child)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child)
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    aws.s3.BucketPolicy(
        f"{name}-policy", bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, account.account_id).apply(
            lambda v: _policy(v[0], v[1], writer_service)),
        # S3 rejects a policy PUT racing the public access block.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_block]))
    return bucket


def _policy(arn: str, account_id: str, writer_service: str | None) -> str:
    statements: list[dict[str, Any]] = [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]
    if writer_service:
        statements.append({
            "Sid": "ServiceDelivery", "Effect": "Allow",
            "Principal": {"Service": writer_service}, "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
