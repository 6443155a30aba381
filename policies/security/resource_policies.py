"""Resource policies are not public: no Allow to every principal unless a condition pins the
caller down to an account, organization, network or source resource."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._control import Control, Finding, Res, cannot_verify, fail
from .._values import Statement, as_list, statements
from .iam_documents import documents_of

__all__ = ["CONTROLS", "is_public_statement"]

_RESOURCE_POLICY_TYPES = ("aws:iam/role:Role", "aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy",
                          "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy",
                          "aws:secretsmanager/secret:Secret",
                          "aws:secretsmanager/secretPolicy:SecretPolicy", "aws:sns/topic:Topic",
                          "aws:sns/topicPolicy:TopicPolicy", "aws:sqs/queue:Queue",
                          "aws:sqs/queuePolicy:QueuePolicy",
                          "aws:amp/resourcePolicy:ResourcePolicy")

# Condition keys that bind *who* may call (an account, organization, network path or source
# resource). Conditions on how the call is made (aws:SecureTransport) or key presence (Null)
# leave the statement public. Lower case: condition keys are case-insensitive.
_RESTRICTING_KEYS = frozenset(k.lower() for k in (
    "aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths", "aws:userid", "aws:username", "aws:SourceVpc", "aws:SourceVpce",
    "aws:SourceIp", "aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths", "kms:CallerAccount",
))
_NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NotIpAddress",
            "Null")


def _restricts(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        base = str(operator).split(":", 1)[-1].removesuffix("IfExists")
        if base in _NEGATED or not isinstance(block, dict):
            continue
        for key, value in block.items():
            values = [str(v) for v in as_list(value)]
            if (str(key).lower() in _RESTRICTING_KEYS and values
                    and not any(v == "*" or v.strip("*?") == "" for v in values)):
                return True
    return False


def is_public_statement(statement: Statement) -> bool:
    """An Allow to every principal (`*`, `{"AWS": "*"}`) with no condition pinning the caller."""
    return statement.allows and "*" in statement.principals and not _restricts(
        statement.condition)


def _check_public_policies(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for path, document, kind in documents_of(res.type, res.props):
        if kind == "identity":
            continue
        parsed = statements(document)
        if parsed is None:
            yield cannot_verify(path, what="policy document")
            continue
        for s in parsed:
            if is_public_statement(s):
                yield fail(f"{path}: allows Principal \"*\" with no condition on the caller's "
                           "account, organization, network or source: anyone can use it")


CONTROLS = [
    Control(
        "strata-no-public-resource-policies",
        "Resource and trust policies never allow Principal \"*\" unless a condition pins the "
        "caller to an account, organization, VPC, IP range or source resource.",
        severity="critical", enforcement="mandatory", check=_check_public_policies,
        types=_RESOURCE_POLICY_TYPES, fsbp="S3.2, SNS.4, KMS.5",
        remediation="Name the principals (account, role or service) or add a Condition on the "
                    "caller (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, "
                    "aws:SourceVpce).",
        tags=("iam",)),
]
