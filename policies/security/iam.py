"""Least privilege in identity policies: no administrator grants, no wildcard actions or
resources on data, no decryption with every key.

Judged on every identity policy a stack declares: role, group and user inline policies, a role's
`inlinePolicies`, and standalone managed policies (which grant nothing until attached, and then
to everyone they are attached to).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from .._control import Control, Finding, Res, cannot_verify, fail
from .._iam_catalog import find_actions
from .._values import Statement, is_unknown, statements
from .iam_documents import documents_of

__all__ = ["CONTROLS", "IDENTITY_POLICY_TYPES"]

DATA_SERVICES = ["dynamodb", "rds", "rds-db", "rds-data", "kafka", "kafka-cluster", "kms", "s3",
                 "timestream", "timestream-influxdb", "secretsmanager", "sns", "ssm", "sqs"]

IDENTITY_POLICY_TYPES = ("aws:iam/groupPolicy:GroupPolicy", "aws:iam/policy:Policy",
                         "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
                         "aws:iam/userPolicy:UserPolicy")
_ATTACHMENT_TYPES = ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
                     "aws:iam/policyAttachment:PolicyAttachment",
                     "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                     "aws:iam/userPolicyAttachment:UserPolicyAttachment")
# Actions that decrypt with a key (FSBP KMS.1/KMS.2 name these two).
_DECRYPT = ("kms:decrypt", "kms:reencryptfrom")


def _allow_statements(res: Res) -> Iterator[tuple[str, list[Statement] | None]]:
    """(path, Allow statements) per identity document; None when it is unknown."""
    for path, document, kind in documents_of(res.type, res.props):
        if kind != "identity":
            continue
        parsed = statements(document)
        yield path, None if parsed is None else [s for s in parsed if s.allows]


StatementJudge = Callable[[Statement, Mapping[str, Any]], Iterable[str]]


def _per_allow(judge: StatementJudge) -> Callable[[Res, Mapping[str, Any]], Iterator[Finding]]:
    """A control check from a judge of one Allow statement: each problem it names fails the
    document it is in; a document unknown during preview cannot be verified."""
    def check(res: Res, cfg: Mapping[str, Any]) -> Iterator[Finding]:
        for path, allows in _allow_statements(res):
            if allows is None:
                yield cannot_verify(path, what="policy document")
                continue
            for s in allows:
                yield from (fail(f"{path}: {problem}") for problem in judge(s, cfg))
    return check


def _matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), pattern.lower())


@_per_allow
def _check_full_admin(s: Statement, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if "*" in s.resources and any(a in ("*", "*:*") for a in s.actions):
        yield "allows Action \"*\" on Resource \"*\": full administrator access"


@_per_allow
def _check_service_wildcards(s: Statement, _cfg: Mapping[str, Any]) -> Iterator[str]:
    bad = sorted({a for a in s.actions if a.endswith(":*") and a != "*:*"})
    if bad:
        yield f"allows {', '.join(bad)}: every action of the service, including ones added later"


def _wildcard(action: str, services: list[str]) -> bool:
    if action == "*":
        return True
    service, _, verb = action.partition(":")
    return service.lower() in services and verb == "*"


@_per_allow
def _check_data_wildcards(s: Statement, cfg: Mapping[str, Any]) -> Iterator[str]:
    services = [name.lower() for name in cfg["dataServices"]]
    if s.not_actions:
        yield "an Allow statement uses NotAction, which grants every other action"
    bad = [a for a in s.actions if _wildcard(a, services)]
    if bad:
        yield f"Allow {', '.join(bad)} is a wildcard over a data service"


def _scoped_data_actions(actions: Iterable[str], services: list[str]) -> list[str]:
    """Data-service actions that AWS authorizes per resource (so "*" is never necessary)."""
    out = []
    for action in actions:
        if action == "*" or action.partition(":")[0].lower() not in services:
            continue
        found = find_actions(action)
        if found and any(a.resource_formats for a in found):
            out.append(action)
    return out


@_per_allow
def _check_data_wildcard_resources(s: Statement, cfg: Mapping[str, Any]) -> Iterator[str]:
    if "*" not in s.resources:
        return
    bad = _scoped_data_actions(s.actions, [name.lower() for name in cfg["dataServices"]])
    if bad:
        yield (f"allows {', '.join(sorted(bad))} on Resource \"*\": every table, key, topic or "
               "secret of the account, not the ones needed")


def _every_key(resource: str) -> bool:
    """"*", or a KMS ARN whose key part is a wildcard (`arn:aws:kms:*:*:key/*`)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return (len(parts) == 6 and fnmatchcase("kms", parts[2].lower())
            and parts[5] in ("*", "key/*"))


@_per_allow
def _check_kms_decrypt_all(s: Statement, _cfg: Mapping[str, Any]) -> Iterator[str]:
    every_key = any(_every_key(r) for r in s.resources)
    if every_key and any(_matches(a, d) for a in s.actions for d in _DECRYPT):
        yield f"allows KMS decryption on every key of the account ({', '.join(s.resources)})"


def _check_admin_attachments(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    arn = res.props.get("policyArn")
    if is_unknown(arn):
        return [cannot_verify("policyArn")]
    name = str(arn or "").rsplit("/", 1)[-1]
    if name in cfg["forbiddenPolicies"]:
        return [fail(f"attaches {name}: administrator-class access, far broader than a "
                     "workload needs")]
    return []


_DATA_SERVICES_CONFIG = {"dataServices": {
    "type": "array", "items": {"type": "string"}, "default": DATA_SERVICES,
    "description": "IAM service prefixes treated as data services."}}

CONTROLS = [
    Control(
        "strata-iam-no-full-admin",
        "Identity policies (inline, role, group, user and standalone managed policies) never "
        "allow Action \"*\" on Resource \"*\".",
        severity="high", enforcement="mandatory", check=_check_full_admin,
        types=IDENTITY_POLICY_TYPES, fsbp="IAM.1",
        remediation="Replace the statement with the actions the principal needs on the "
                    "resources it needs; break-glass administrator access belongs to a "
                    "separate, audited role.",
        tags=("iam",)),
    Control(
        "strata-iam-no-service-wildcards",
        "Identity policies do not allow every action of a service (`service:*`): new actions "
        "AWS adds are granted without review.",
        severity="low", enforcement="advisory", check=_check_service_wildcards,
        types=IDENTITY_POLICY_TYPES, fsbp="IAM.21",
        remediation="List the service's actions the principal calls instead of `service:*`.",
        tags=("iam",)),
    Control(
        "strata-iam-no-wildcard-data-actions",
        "Identity policies grant named actions on data services, never `*` or `service:*`, "
        "and never NotAction.",
        severity="high", enforcement="mandatory", check=_check_data_wildcards,
        types=IDENTITY_POLICY_TYPES, fsbp="IAM.21", config=_DATA_SERVICES_CONFIG,
        remediation="List the actions the role needs (e.g. dynamodb:GetItem, "
                    "dynamodb:Query) instead of `*` or `service:*`; allow, never NotAction.",
        tags=("iam",)),
    Control(
        "strata-iam-no-wildcard-resource-data-actions",
        "Identity policies put data-service actions that AWS authorizes per resource on named "
        "resources, never on Resource \"*\" (actions that only work with \"*\", such as "
        "timestream:DescribeEndpoints, are allowed).",
        severity="high", enforcement="mandatory", check=_check_data_wildcard_resources,
        types=IDENTITY_POLICY_TYPES, config=_DATA_SERVICES_CONFIG,
        remediation="Name the ARNs of the tables, keys, topics, secrets or buckets the principal "
                    "uses in the statement's Resource.",
        tags=("iam",)),
    Control(
        "strata-iam-no-kms-decrypt-all-keys",
        "Identity policies do not allow KMS decryption (kms:Decrypt, kms:ReEncryptFrom) on "
        "every key of the account.",
        severity="medium", enforcement="mandatory", check=_check_kms_decrypt_all,
        types=IDENTITY_POLICY_TYPES, fsbp="KMS.1, KMS.2",
        remediation="Scope kms:Decrypt to the ARNs of the keys the principal needs.",
        tags=("iam", "encryption")),
    Control(
        "strata-iam-no-admin-policies",
        "Roles, users and groups do not get administrator-class AWS managed policies.",
        severity="critical", enforcement="mandatory", check=_check_admin_attachments,
        types=_ATTACHMENT_TYPES, fsbp="IAM.1",
        config={"forbiddenPolicies": {"type": "array", "items": {"type": "string"},
                                      "default": ["AdministratorAccess", "PowerUserAccess",
                                                  "IAMFullAccess"],
                                      "description": "Managed policy names that may not be "
                                                     "attached."}},
        remediation="Attach only the specific managed policies the role needs, or an "
                    "inline policy listing its actions on its resources.",
        tags=("iam",)),
]
