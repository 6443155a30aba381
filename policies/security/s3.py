"""S3 buckets: private, encrypted with a customer-managed key, TLS only, versioned, logged.

Since pulumi-aws v7 most bucket settings live in companion resources (BucketPublicAccessBlock,
BucketServerSideEncryptionConfiguration, BucketPolicy, BucketVersioning, BucketLogging,
BucketAcl, BucketOwnershipControls) whose `bucket` input depends on the bucket; these controls
therefore judge the whole stack, finding each bucket's companions through that dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Node, Res, StackView, cannot_verify, fail
from .._values import ABSENT, as_bool, as_list, get, is_unknown, statements
from .encryption import is_aws_managed_key

__all__ = ["CONTROLS"]

SSE_CONFIG = ("aws:s3/bucketServerSideEncryptionConfiguration:"
              "BucketServerSideEncryptionConfiguration")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"

_PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
# The two predefined groups that make an ACL grant public (S3 User Guide, "Amazon S3
# predefined groups").
_PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def _companions(stack: StackView, bucket: Node, kind: str) -> list[Node]:
    return stack.dependents(bucket.urn, "bucket", kind)


def _check_s3_kms(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for bucket in stack.of_type(_aws.S3_BUCKET):
        # S3 delivers server access logs only to buckets encrypted with SSE-S3, never SSE-KMS
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
        # a bucket that only receives access logs is held to AES256 instead.
        log_target = bool(stack.dependents(bucket.urn, "targetBucket", LOGGING))
        rules = as_list(get(bucket.props, "serverSideEncryptionConfiguration.rule", default=[]))
        for sse in _companions(stack, bucket, SSE_CONFIG):
            rules += as_list(get(sse.props, "rules", default=[]))
        if not rules:
            yield fail("no server-side encryption configuration: objects are encrypted with "
                       "SSE-S3, not a customer-managed KMS key", bucket.urn)
            continue
        for rule in rules:
            algorithm = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
            key = get(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
            if is_unknown(algorithm) or is_unknown(key):
                yield cannot_verify("rules.applyServerSideEncryptionByDefault", bucket.urn)
            elif log_target and algorithm == "AES256":
                continue
            elif algorithm not in ("aws:kms", "aws:kms:dsse"):
                yield fail(f"sseAlgorithm is {algorithm!r}, not aws:kms", bucket.urn)
            elif key is ABSENT or (isinstance(key, str) and is_aws_managed_key(key)):
                yield fail("kmsMasterKeyId is absent or AWS-managed: objects use aws/s3",
                           bucket.urn)


def _denies_insecure_transport(doc: Any) -> bool | None:
    stmts = statements(doc)
    if stmts is None:
        return None
    for s in stmts:
        cond = s.condition if isinstance(s.condition, dict) else {}
        secure = get(cond, "Bool.aws:SecureTransport")
        if s.effect == "Deny" and as_bool(secure) is False:
            return True
    return False


def _check_s3_tls(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for bucket in stack.of_type(_aws.S3_BUCKET):
        docs = [bucket.props.get("policy")] + [
            p.props.get("policy") for p in _companions(stack, bucket, BUCKET_POLICY)]
        verdicts = [_denies_insecure_transport(d) for d in docs if d not in (None, ABSENT)]
        if any(v is True for v in verdicts):
            continue
        if any(v is None for v in verdicts):
            yield cannot_verify("bucket policy", bucket.urn)
        else:
            yield fail("no bucket policy denies requests with aws:SecureTransport false",
                       bucket.urn)


def _check_s3_public_access(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in stack.of_type(_aws.S3_BUCKET):
        mine = _companions(stack, bucket, PUBLIC_ACCESS_BLOCK)
        if not mine:
            yield fail("no BucketPublicAccessBlock for this bucket", bucket.urn)
            continue
        for block in mine:
            for flag in flags:
                value = get(block.props, flag)
                if is_unknown(value):
                    yield cannot_verify(flag, bucket.urn)
                elif as_bool(value) is not True:
                    shown = "absent (provider default False)" if value is ABSENT else repr(value)
                    yield fail(f"public access block {flag} is {shown}", bucket.urn)


def _check_s3_ownership(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for bucket in stack.of_type(_aws.S3_BUCKET):
        owners = [get(c.props, "rule.objectOwnership")
                  for c in _companions(stack, bucket, OWNERSHIP)]
        if any(is_unknown(o) for o in owners):
            yield cannot_verify("rule.objectOwnership", bucket.urn)
        elif "BucketOwnerEnforced" not in owners:
            yield fail("no BucketOwnershipControls with objectOwnership BucketOwnerEnforced: "
                       "ACLs stay enabled", bucket.urn)


def _check_s3_versioning(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for bucket in stack.of_type(_aws.S3_BUCKET):
        statuses = [get(bucket.props, "versioning.enabled")]
        statuses += [get(v.props, "versioningConfiguration.status")
                     for v in _companions(stack, bucket, VERSIONING)]
        if any(s is True or s == "Enabled" for s in statuses):
            continue
        if any(is_unknown(s) for s in statuses):
            yield cannot_verify("versioningConfiguration.status", bucket.urn)
        else:
            yield fail("versioning is not Enabled: overwritten or deleted objects are lost",
                       bucket.urn)


def _check_s3_logging(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for bucket in stack.of_type(_aws.S3_BUCKET):
        targets = [get(bucket.props, "logging.targetBucket")]
        targets += [get(log.props, "targetBucket")
                    for log in _companions(stack, bucket, LOGGING)]
        if any(t not in (ABSENT, None, "") and not is_unknown(t) for t in targets):
            continue
        # A bucket that receives other buckets' access logs is not itself logged (that would
        # log its own log deliveries); it counts as the logging infrastructure.
        if stack.dependents(bucket.urn, "targetBucket", LOGGING):
            continue
        if any(is_unknown(t) for t in targets):
            yield cannot_verify("logging.targetBucket", bucket.urn)
        else:
            yield fail("no server access logging (BucketLogging with a targetBucket): requests "
                       "to the bucket leave no record", bucket.urn)


def _public_grants(grants: Any) -> list[str] | None:
    if is_unknown(grants):
        return None
    found = []
    for grant in as_list(grants):
        uri = get(grant, "grantee.uri", default=get(grant, "uri"))
        if is_unknown(uri):
            return None
        if uri in _PUBLIC_GROUPS:
            found.append(str(uri).rsplit("/", 1)[-1])
    return found


def _check_public_acl(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    acl = res.props.get("acl", ABSENT)
    grants = (res.props.get("grants") if res.type == _aws.S3_BUCKET
              else get(res.props, "accessControlPolicy.grants"))
    if is_unknown(acl):
        return [cannot_verify("acl")]
    out = []
    if acl in _PUBLIC_CANNED_ACLS:
        out.append(fail(f"acl is {acl!r}: the bucket's objects are readable by "
                        f"{'any AWS account' if acl == 'authenticated-read' else 'anyone'}"))
    public = _public_grants(grants)
    if public is None:
        out.append(cannot_verify("grants"))
    elif public:
        out.append(fail(f"an ACL grant gives {', '.join(sorted(set(public)))} access"))
    return out


CONTROLS = [
    Control(
        "strata-s3-bucket-kms-encryption",
        "S3 buckets default-encrypt objects with a customer-managed KMS key.",
        severity="high", enforcement="mandatory", check=_check_s3_kms, scope="stack",
        fsbp="S3.17",
        remediation="Add a BucketServerSideEncryptionConfiguration with sseAlgorithm \"aws:kms\" "
                    "and a customer-managed kmsMasterKeyId (bucketKeyEnabled=True).",
        tags=("encryption",)),
    Control(
        "strata-s3-bucket-tls-only",
        "S3 bucket policies deny requests that do not use TLS.",
        severity="medium", enforcement="mandatory", check=_check_s3_tls, scope="stack",
        fsbp="S3.5",
        remediation="Add a BucketPolicy statement: Effect Deny, Principal *, Action s3:*, "
                    "Condition Bool aws:SecureTransport false.",
        tags=("encryption", "tls")),
    Control(
        "strata-s3-block-public-access",
        "Every S3 bucket has a public access block with all four settings on.",
        severity="critical", enforcement="mandatory", check=_check_s3_public_access,
        scope="stack", fsbp="S3.8",
        remediation="Add a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, "
                    "ignorePublicAcls and restrictPublicBuckets all True.",
        tags=("network",)),
    Control(
        "strata-s3-acls-disabled",
        "S3 buckets disable ACLs (BucketOwnerEnforced), so access is governed by policy only.",
        severity="medium", enforcement="mandatory", check=_check_s3_ownership, scope="stack",
        fsbp="S3.12",
        remediation="Add BucketOwnershipControls with rule.objectOwnership "
                    "\"BucketOwnerEnforced\".",
        tags=("network",)),
    Control(
        "strata-s3-no-public-acls",
        "S3 bucket ACLs grant nothing to everyone (AllUsers) or to every AWS account "
        "(AuthenticatedUsers), by canned ACL or by grant.",
        severity="critical", enforcement="mandatory", check=_check_public_acl,
        types=(_aws.S3_BUCKET, BUCKET_ACL), fsbp="S3.2, S3.3",
        remediation="Remove the public canned ACL (acl \"private\") and the grants to the "
                    "AllUsers/AuthenticatedUsers groups; share through a bucket policy naming "
                    "the principals.",
        tags=("network",)),
    Control(
        "strata-s3-versioning",
        "S3 buckets have versioning enabled, so overwritten or deleted objects can be "
        "recovered.",
        severity="low", enforcement="advisory", check=_check_s3_versioning, scope="stack",
        fsbp="S3.14",
        remediation="Add BucketVersioning with versioningConfiguration.status \"Enabled\".",
        tags=("resilience",)),
    Control(
        "strata-s3-access-logging",
        "S3 buckets log server access to another bucket (buckets that receive access logs "
        "are the logging infrastructure and are not judged).",
        severity="medium", enforcement="mandatory", check=_check_s3_logging, scope="stack",
        fsbp="S3.9",
        remediation="Add an aws.s3.BucketLogging with the bucket and a targetBucket dedicated "
                    "to access logs.",
        tags=("logging",)),
]
