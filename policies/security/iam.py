"""Least privilege: no wildcard actions on data, no public resource policies, rotated keys,
no plaintext master passwords."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, cannot_verify, fail, judge
from .._values import as_bool, get, is_unknown, statements

__all__ = ["CONTROLS"]

_DATA_SERVICES = ["dynamodb", "rds", "rds-db", "rds-data", "kafka", "kafka-cluster", "kms", "s3",
                  "timestream", "timestream-influxdb", "secretsmanager", "sns", "ssm", "sqs"]

_POLICY_DOCS: dict[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    _aws.KMS_KEY: "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    _aws.SECRET: "policy",
    _aws.S3_BUCKET: "policy",
    _aws.SNS_TOPIC: "policy",
}


def _wildcard(action: str, services: list[str]) -> bool:
    if action == "*":
        return True
    service, _, verb = action.partition(":")
    return service.lower() in services and verb == "*"


def _role_policy_docs(res: Res) -> list[tuple[str, Any]]:
    if res.type == "aws:iam/role:Role":
        inline = res.props.get("inlinePolicies") or []
        return [(f"inlinePolicies[{i}].policy", get(p, "policy")) for i, p in enumerate(inline)]
    return [("policy", res.props.get("policy"))]


def _check_wildcards(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    services = [s.lower() for s in cfg["dataServices"]]
    for path, doc in _role_policy_docs(res):
        stmts = statements(doc)
        if stmts is None:
            yield cannot_verify(path, what="policy document")
            continue
        for s in stmts:
            if not s.allows:
                continue
            if s.not_actions:
                yield fail(f"{path}: an Allow statement uses NotAction, which grants every "
                           "other action")
            bad = [a for a in s.actions if _wildcard(a, services)]
            if bad:
                yield fail(f"{path}: Allow {', '.join(bad)} is a wildcard over a data service")


def _check_kms_decrypt_all(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    decrypt = {"kms:decrypt", "kms:reencryptfrom", "kms:*", "*", "kms:reencrypt*"}
    for path, doc in _role_policy_docs(res):
        stmts = statements(doc)
        if stmts is None:
            yield cannot_verify(path, what="policy document")
            continue
        for s in stmts:
            if s.allows and "*" in s.resources and decrypt & {a.lower() for a in s.actions}:
                yield fail(f"{path}: allows KMS decryption on Resource \"*\" (every key in the "
                           "account)")


def _check_public_policies(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    path = _POLICY_DOCS[res.type]
    stmts = statements(res.props.get(path))
    if stmts is None:
        return [cannot_verify(path, what="policy document")]
    out: list[Finding] = []
    for s in stmts:
        if s.allows and "*" in s.principals and not s.condition:
            out.append(fail(f"{path}: allows Principal \"*\" without a Condition: anyone "
                            "can use it"))
    return out


def _check_admin_attachments(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    arn = res.props.get("policyArn")
    if is_unknown(arn):
        return [cannot_verify("policyArn")]
    name = str(arn or "").rsplit("/", 1)[-1]
    if name in cfg["forbiddenPolicies"]:
        return [fail(f"attaches {name}: far broader than any Strata role needs")]
    return []


def _check_key_rotation(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    spec = res.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    usage = res.props.get("keyUsage", "ENCRYPT_DECRYPT")
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return []  # AWS rotates only symmetric encryption keys
    return judge(res.props, "enableKeyRotation", lambda v: as_bool(v) is True, False,
                 "enableKeyRotation is {value}: key material is never rotated")


def _check_master_password(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    field = "password" if res.type == _aws.RDS_INSTANCE else "masterPassword"
    out: list[Finding] = []
    if res.props.get(field) is not None or res.props.get(field + "Wo") is not None:
        out.append(fail(f"{field} is set: the master password lives in program state; use "
                        "manageMasterUserPassword"))
    derived = any(res.props.get(k) for k in ("replicateSourceDb", "snapshotIdentifier",
                                              "replicationSourceIdentifier",
                                              "globalClusterIdentifier"))
    if res.type == _aws.RDS_CLUSTER and res.props.get("clusterMembers") is None and derived:
        return out
    if not derived and not out:
        out += judge(res.props, "manageMasterUserPassword", lambda v: as_bool(v) is True, False,
                     "manageMasterUserPassword is {value}: the master password is not managed "
                     "and rotated by Secrets Manager")
    return out


_ROLE_DOCS = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role")

CONTROLS = [
    Control(
        "strata-iam-no-wildcard-data-actions",
        "Role policies grant named actions on data services, never `*` or `service:*`.",
        severity="high", enforcement="mandatory", check=_check_wildcards, types=_ROLE_DOCS,
        fsbp="IAM.21",
        config={"dataServices": {"type": "array", "items": {"type": "string"},
                                 "default": _DATA_SERVICES,
                                 "description": "IAM service prefixes treated as data services."}},
        remediation="List the actions the role needs (e.g. dynamodb:GetItem, "
                    "dynamodb:Query) instead of `*` or `service:*`; allow, never NotAction.",
        tags=("iam",)),
    Control(
        "strata-iam-no-kms-decrypt-all-keys",
        "Role policies do not allow KMS decryption on all keys.",
        severity="high", enforcement="mandatory", check=_check_kms_decrypt_all, types=_ROLE_DOCS,
        fsbp="KMS.2",
        remediation="Scope kms:Decrypt to the ARNs of the keys the principal needs.",
        tags=("iam", "encryption")),
    Control(
        "strata-no-public-resource-policies",
        "Resource and trust policies never allow Principal \"*\" without a condition.",
        severity="critical", enforcement="mandatory", check=_check_public_policies,
        types=tuple(sorted(_POLICY_DOCS)), fsbp="S3.2, SNS.4, KMS.5",
        remediation="Name the principals (account, role or service) or add a restrictive "
                    "Condition (aws:SourceArn, aws:PrincipalOrgID).",
        tags=("iam",)),
    Control(
        "strata-iam-no-admin-policies",
        "Roles do not get administrator-class AWS managed policies.",
        severity="critical", enforcement="mandatory", check=_check_admin_attachments,
        types=("aws:iam/rolePolicyAttachment:RolePolicyAttachment",), fsbp="IAM.1",
        config={"forbiddenPolicies": {"type": "array", "items": {"type": "string"},
                                      "default": ["AdministratorAccess", "PowerUserAccess",
                                                  "IAMFullAccess"],
                                      "description": "Managed policy names that may not be "
                                                     "attached."}},
        remediation="Attach only the specific managed policies the role needs, or an "
                    "inline policy listing its actions on its resources.",
        tags=("iam",)),
    Control(
        "strata-kms-key-rotation",
        "Symmetric customer-managed KMS keys rotate their key material.",
        severity="medium", enforcement="mandatory", check=_check_key_rotation,
        types=(_aws.KMS_KEY,), fsbp="KMS.4",
        remediation="Set enableKeyRotation=True (rotationPeriodInDays optional, default 365).",
        tags=("encryption",)),
    Control(
        "strata-rds-managed-master-password",
        "RDS master passwords are generated and rotated by Secrets Manager, never set in the "
        "program.",
        severity="high", enforcement="mandatory", check=_check_master_password,
        types=(_aws.RDS_INSTANCE, _aws.RDS_CLUSTER),
        remediation="Remove password/masterPassword and set manageMasterUserPassword=True with "
                    "masterUserSecretKmsKeyId.",
        tags=("iam", "secrets")),
]
