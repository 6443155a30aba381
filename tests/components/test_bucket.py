"""The stores' side-data bucket: private, KMS-encrypted, TLS-only, ACLs disabled, and its server
access logs (FSBP S3.9) in a dedicated SSE-S3 bucket, since S3 cannot deliver them to SSE-KMS."""

from __future__ import annotations

import json

import pulumi
import pytest

from components._bucket import (
    ACCESS_LOG_RETENTION_DAYS,
    BUCKET_PREFIX_MAX,
    access_log_prefix,
    bucket_prefix,
    encrypted_bucket,
)

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d"
PROTECTED = {"protect": True, "retain_on_delete": True}


class _Owner(pulumi.ComponentResource):
    def __init__(self, **kwargs):
        super().__init__("test:index:Owner", "owner", None, None)
        self.bucket, self.ready = encrypted_bucket(self, "store-logs", "test-store-logs",
                                                   kms_key_arn=KEY_ARN, tags={"team": "a"},
                                                   **kwargs)


def _companion(registered, bucket, type_):
    found = [r for r in registered.of_type(type_)
             if bucket["urn"] in r["propertyDependencies"].get("bucket", [])]
    assert len(found) == 1, type_
    return found[0]


def _buckets(registered):
    return {b["name"]: b for b in registered.of_type("aws:s3/bucket:Bucket")}


def _policy(registered, bucket):
    document = json.loads(_companion(registered, bucket, "aws:s3/bucketPolicy:BucketPolicy")
                          ["inputs"]["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def _assert_guarded(registered, bucket):
    block = _companion(registered, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block["inputs"][f] is True for f in ("blockPublicAcls", "blockPublicPolicy",
                                                    "ignorePublicAcls", "restrictPublicBuckets"))
    assert _companion(registered, bucket, "aws:s3/bucketVersioning:BucketVersioning")[
        "inputs"]["versioningConfiguration"]["status"] == "Enabled"
    # ACLs disabled: no ACL, public or not, grants anything (FSBP S3.12).
    assert _companion(registered, bucket, "aws:s3/bucketOwnershipControls:"
                      "BucketOwnershipControls")["inputs"]["rule"]["objectOwnership"] == \
        "BucketOwnerEnforced"
    assert "acl" not in bucket["inputs"] and "grants" not in bucket["inputs"]
    deny = _policy(registered, bucket)["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    policy = _companion(registered, bucket, "aws:s3/bucketPolicy:BucketPolicy")
    assert block["urn"] in policy["dependencies"]  # S3 rejects a policy racing the block


def test_data_bucket_uses_the_key_and_logs_access_to_an_sse_s3_bucket(mocked):
    registered = mocked(lambda: _Owner(lifecycle=PROTECTED, writer_service="svc.amazonaws.com"))
    buckets = _buckets(registered)
    data, logs = buckets["store-logs"], buckets["store-logs-access-logs"]
    assert data["inputs"]["bucketPrefix"] == "test-store-logs-"
    assert data["inputs"]["forceDestroy"] is False
    assert all(b["protect"] and b["retainOnDelete"] for b in (data, logs))
    sse = _companion(registered, data, "aws:s3/bucketServerSideEncryptionConfiguration:"
                     "BucketServerSideEncryptionConfiguration")["inputs"]["rules"]
    assert sse == [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}, "bucketKeyEnabled": True}]
    # S3 cannot deliver server access logs to an SSE-KMS bucket: the target uses SSE-S3.
    log_sse = _companion(registered, logs, "aws:s3/bucketServerSideEncryptionConfiguration:"
                         "BucketServerSideEncryptionConfiguration")["inputs"]["rules"]
    assert log_sse == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    for bucket in (data, logs):
        _assert_guarded(registered, bucket)
    logging = _companion(registered, data, "aws:s3/bucketLogging:BucketLogging")
    assert logs["urn"] in logging["propertyDependencies"]["targetBucket"]
    assert logging["inputs"]["targetPrefix"] == "store-logs/"
    # Delivery is allowed before logging starts.
    assert _companion(registered, logs, "aws:s3/bucketPolicy:BucketPolicy")["urn"] in \
        logging["dependencies"]
    # The log bucket does not log itself (AWS advises against it; FSBP S3.9 exempts it).
    assert not [r for r in registered.of_type("aws:s3/bucketLogging:BucketLogging")
                if logs["urn"] in r["propertyDependencies"].get("bucket", [])]


def test_only_the_s3_logging_service_writes_access_logs_for_this_bucket(mocked):
    registered = mocked(lambda: _Owner(lifecycle=None))
    buckets = _buckets(registered)
    delivery = _policy(registered, buckets["store-logs-access-logs"])["S3ServerAccessLogs"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::test-store-logs-mock"},
        "StringEquals": {"aws:SourceAccount": "123456789012"}}
    expiry = _companion(registered, buckets["store-logs-access-logs"],
                        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = expiry["inputs"]["rules"]
    assert rule["expiration"] == {"days": ACCESS_LOG_RETENTION_DAYS}
    assert set(_policy(registered, buckets["store-logs"])) == {"DenyInsecureTransport"}


def test_a_writer_service_is_limited_to_this_account(mocked):
    registered = mocked(lambda: _Owner(lifecycle=None, writer_service="svc.amazonaws.com"))
    allow = _policy(registered, _buckets(registered)["store-logs"])["ServiceDelivery"]
    assert allow["Principal"] == {"Service": "svc.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_without_access_logs_there_is_one_bucket(mocked):
    registered = mocked(lambda: _Owner(lifecycle=None, access_logs=False))
    assert set(_buckets(registered)) == {"store-logs"}
    assert not registered.of_type("aws:s3/bucketLogging:BucketLogging")


@pytest.mark.parametrize("prefix", ["a", "dev-telemetry-influx-logs",
                                    "a-very-long-physical-prefix-for-a-bucket-name"])
def test_bucket_prefixes_stay_within_s3s_limit(prefix):
    assert len(bucket_prefix(prefix)) <= BUCKET_PREFIX_MAX
    assert len(access_log_prefix(prefix)) <= BUCKET_PREFIX_MAX
    assert access_log_prefix(prefix).endswith("-access-logs-")
    assert bucket_prefix("Dev-Influx") == "dev-influx-"
