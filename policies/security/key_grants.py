"""Customer-managed keys admit the principals that use them: a key policy that encrypts data but
lets the using service in no further fails at `pulumi up`, not at review.

Two ways AWS services use a key, each documented by AWS:

- As the caller. DynamoDB, RDS (storage, Performance Insights), Secrets Manager (secrets, also
  the RDS-managed master user secret), Amazon Managed Service for Prometheus and Managed
  Grafana call KMS on behalf of the principal that uses the store, so the key policy must let
  the account's principals use the key through that service: an Allow of kms:Encrypt,
  kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and kms:CreateGrant to the
  account (its root, or "*" with kms:CallerAccount) conditioned on kms:ViaService
  `<service>.<region>.amazonaws.com` (or unconditioned).
- As a service principal. CloudWatch Logs encrypts a log group with `logs.<region>.amazonaws
  .com`; CloudWatch alarms publish to an encrypted SNS topic as `cloudwatch.amazonaws.com`.

The key is found through the using property's property dependencies, so no ARN needs to be
resolved. `key_admission_gaps(stack)` lists every gap for tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from .. import _aws
from .._control import Control, Finding, Node, StackView, cannot_verify, fail
from .._values import ABSENT, Statement, as_list, get, is_unknown, statements

__all__ = ["CONTROLS", "Gap", "KeyUse", "key_admission_gaps"]

GRAFANA = "aws:grafana/workspace:Workspace"
AMP = "aws:amp/workspace:Workspace"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"

_CALLER = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
           "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant")
_LOGS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
         "kms:GenerateDataKey", "kms:DescribeKey")
_ALARMS = ("kms:Decrypt", "kms:GenerateDataKey")
_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")


@dataclass(frozen=True)
class KeyUse:
    """A property through which a resource type uses a customer-managed key."""

    type: str
    path: str
    via: str
    """Service endpoint prefix for kms:ViaService (caller use) or the service principal."""
    caller: bool
    doc: str


_DDB = "https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html"
_RDS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html"
_SM = ("https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
       "security-encryption.html")
_AMP = ("https://docs.aws.amazon.com/prometheus/latest/userguide/"
        "encryption-at-rest-Amazon-Service-Prometheus.html")
_GRAFANA = "https://docs.aws.amazon.com/grafana/latest/userguide/encryption-at-rest.html"
_LOGS_DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
_ALARMS_DOC = "https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns"

KEY_USES = (
    KeyUse(_aws.DYNAMO_TABLE, "serverSideEncryption.kmsKeyArn", "dynamodb", True, _DDB),
    *(KeyUse(t, "kmsKeyId", "rds", True, _RDS) for t in (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)),
    *(KeyUse(t, "performanceInsightsKmsKeyId", "rds", True, _RDS)
      for t in (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER, "aws:rds/clusterInstance:ClusterInstance")),
    # RDS stores the managed master password in Secrets Manager, which encrypts it.
    *(KeyUse(t, "masterUserSecretKmsKeyId", "secretsmanager", True, _SM)
      for t in (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)),
    KeyUse(_aws.SECRET, "kmsKeyId", "secretsmanager", True, _SM),
    KeyUse(AMP, "kmsKeyArn", "aps", True, _AMP),
    KeyUse(GRAFANA, "kmsKeyId", "grafana", True, _GRAFANA),
    KeyUse(LOG_GROUP, "kmsKeyId", "logs", False, _LOGS_DOC),
    KeyUse(_aws.SNS_TOPIC, "kmsMasterKeyId", "cloudwatch", False, _ALARMS_DOC),
)
_ALARM_ACTIONS = ("alarmActions", "okActions", "insufficientDataActions")


@dataclass(frozen=True)
class Gap:
    """One key that does not admit one using service; `users` are the resources affected."""

    key: str
    use: KeyUse
    users: tuple[str, ...]
    missing: tuple[str, ...]
    unknown: bool = False

    @property
    def message(self) -> str:
        who = (f"the account's principals through {self.use.via}" if self.use.caller
               else f"the {self.use.via} service principal")
        if self.unknown:
            return f"cannot verify that the key policy admits {who}"
        names = [u.rsplit("::", 1)[-1] for u in self.users]
        users = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
        return (f"key policy does not let {who} use the key, which {users} use(s) through "
                f"{self.use.path}: no qualifying Allow for {', '.join(self.missing)} "
                f"(see {self.use.doc})")


def _arn_parts(arn: Any) -> tuple[str, str]:
    """(region, account) of a key ARN, or wildcards when it is not known."""
    parts = str(arn).split(":") if isinstance(arn, str) and not is_unknown(arn) else []
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[3] or "*", parts[4] or "*"
    return "*", "*"


def _values(condition: Mapping[str, Any], key: str) -> list[str] | None:
    """Values of a condition key in any operator (None when the key is not used)."""
    found: list[str] | None = None
    for block in condition.values():
        if isinstance(block, dict):
            for name, value in block.items():
                if str(name).lower() == key.lower():
                    found = (found or []) + [str(v) for v in as_list(value)]
    return found


def _any_match(patterns: list[str], value: str) -> bool:
    return any(fnmatchcase(value.lower(), p.lower()) or fnmatchcase(p.lower(), value.lower())
               for p in patterns)


def _admits_account(s: Statement, account: str) -> bool:
    raw = s.raw.get("Principal")
    aws = as_list(raw.get("AWS")) if isinstance(raw, dict) else as_list(raw)
    roots = {f"arn:aws:iam::{account}:root", account}
    if any(str(p) in roots or (account == "*" and str(p).endswith(":root")) for p in aws):
        return True
    callers = _values(s.condition, "kms:CallerAccount") if isinstance(s.condition, dict) else None
    return "*" in (str(p) for p in aws) and callers is not None and _any_match(callers, account)


def _caller_conditions_ok(s: Statement, use: KeyUse, region: str, account: str,
                          action: str) -> bool:
    condition = s.condition if isinstance(s.condition, dict) else {}
    allowed = {"kms:viaservice", "kms:calleraccount"}
    if action in _GRANT_ACTIONS:
        allowed.add("kms:grantisforawsresource")
    keys = {str(k).lower() for block in condition.values() if isinstance(block, dict)
            for k in block}
    if not keys <= allowed:
        return False
    via = _values(condition, "kms:ViaService")
    callers = _values(condition, "kms:CallerAccount")
    endpoint = f"{use.via}.{region}.amazonaws.com"
    return (via is None or _any_match(via, endpoint)) and (
        callers is None or _any_match(callers, account))


def _service_conditions_ok(s: Statement, use: KeyUse, account: str) -> bool:
    condition = s.condition if isinstance(s.condition, dict) else {}
    allowed = {"aws:sourceaccount", "aws:sourcearn"}
    if use.via == "logs":
        allowed.add("kms:encryptioncontext:aws:logs:arn")
    keys = {str(k).lower() for block in condition.values() if isinstance(block, dict)
            for k in block}
    source = _values(condition, "aws:SourceAccount")
    return keys <= allowed and (source is None or _any_match(source, account))


def _admits_service(s: Statement, use: KeyUse, region: str) -> bool:
    raw = s.raw.get("Principal")
    services = [str(p) for p in as_list(raw.get("Service"))] if isinstance(raw, dict) else []
    wanted = f"logs.{region}.amazonaws.com" if use.via == "logs" else "cloudwatch.amazonaws.com"
    return _any_match(services, wanted)


def _missing(policy_statements: list[Statement], use: KeyUse, region: str,
             account: str) -> tuple[str, ...]:
    needed = _CALLER if use.caller else (_LOGS if use.via == "logs" else _ALARMS)
    missing = []
    for action in needed:
        ok = False
        for s in policy_statements:
            if not s.allows or not any(r == "*" or r.startswith("arn:aws:kms:")
                                       for r in s.resources):
                continue
            if not any(fnmatchcase(action.lower(), a.lower()) for a in s.actions):
                continue
            if use.caller:
                ok = _admits_account(s, account) and _caller_conditions_ok(
                    s, use, region, account, action)
            else:
                ok = _admits_service(s, use, region) and _service_conditions_ok(s, use, account)
            if ok:
                break
        if not ok:
            missing.append(action)
    return tuple(missing)


def _key_documents(stack: StackView, key: Node) -> list[Any]:
    docs = [key.props.get("policy", ABSENT)]
    docs += [p.props.get("policy", ABSENT) for p in stack.dependents(key.urn, "keyId",
                                                                      KEY_POLICY)]
    return [d for d in docs if d not in (ABSENT, None, "")]


def _users(stack: StackView) -> Iterable[tuple[Node, KeyUse]]:
    alarm_topics = {u for alarm in stack.of_type(_aws.METRIC_ALARM) for prop in _ALARM_ACTIONS
                    for u in alarm.property_dependencies.get(prop, [])}
    for use in KEY_USES:
        for user in stack.of_type(use.type):
            if use.type == _aws.SNS_TOPIC and user.urn not in alarm_topics:
                continue  # only topics that CloudWatch alarms publish to
            yield user, use


def key_admission_gaps(stack: StackView) -> list[Gap]:
    """Every key whose policy does not admit a service that uses it, with the users."""
    found: dict[tuple[str, KeyUse, tuple[str, ...], bool], list[str]] = {}
    for key_urn, user_urn, use, missing, unknown in _pairs(stack):
        found.setdefault((key_urn, use, missing, unknown), []).append(user_urn)
    return [Gap(key, use, tuple(users), missing, unknown)
            for (key, use, missing, unknown), users in found.items()]


def _pairs(stack: StackView) -> Iterable[tuple[str, str, KeyUse, tuple[str, ...], bool]]:
    for user, use in _users(stack):
        reference = get(user.props, use.path)
        if reference is ABSENT:
            continue
        top = use.path.split(".", 1)[0]
        keys = [n for n in stack.deps_of(user, top) if n.type == _aws.KMS_KEY]
        region, account = _arn_parts(reference)
        for key in keys:
            documents = _key_documents(stack, key)
            if not documents:
                continue  # no key policy: strata-kms-key-explicit-policy's finding
            parsed = [statements(d) for d in documents]
            if any(p is None for p in parsed):
                yield key.urn, user.urn, use, (), True
                continue
            flat = [s for p in parsed for s in (p or [])]
            missing = _missing(flat, use, region, account)
            if missing:
                yield key.urn, user.urn, use, missing, False


def _check_admission(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for gap in key_admission_gaps(stack):
        if gap.unknown:
            yield cannot_verify("key policy", gap.key, gap.message)
        else:
            yield fail(gap.message, gap.key)


CONTROLS = [
    Control(
        "strata-kms-key-admits-its-users",
        "A customer-managed key lets in what uses it: the account's principals through "
        "kms:ViaService for DynamoDB, RDS, Secrets Manager, Managed Prometheus and Managed "
        "Grafana; logs.<region>.amazonaws.com for encrypted log groups; "
        "cloudwatch.amazonaws.com for SNS topics that alarms publish to. Otherwise creating "
        "or using the resource fails with AccessDenied from KMS.",
        severity="high", enforcement="mandatory", check=_check_admission, scope="stack",
        remediation="Add to the key policy, per using service, an Allow of kms:Encrypt, "
                    "kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and "
                    "kms:CreateGrant to the account root with kms:ViaService "
                    "<service>.<region>.amazonaws.com and kms:CallerAccount; for log groups an "
                    "Allow to logs.<region>.amazonaws.com (condition "
                    "kms:EncryptionContext:aws:logs:arn); for alarm topics an Allow of "
                    "kms:Decrypt and kms:GenerateDataKey* to cloudwatch.amazonaws.com.",
        tags=("encryption", "deployability")),
]
