"""KMS keys: rotated, enabled, and governed by a key policy the stack writes down."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, StackView, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, is_true, is_unknown, not_true

__all__ = ["CONTROLS"]

KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


def _check_key_rotation(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    spec = res.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    usage = res.props.get("keyUsage", "ENCRYPT_DECRYPT")
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return []  # AWS rotates only symmetric encryption keys
    return judge(res.props, "enableKeyRotation", is_true, False,
                 "enableKeyRotation is {value}: key material is never rotated")


def _check_enabled(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "isEnabled", lambda v: as_bool(v) is not False, True,
                 "isEnabled is {value}: every store encrypted with the key stops working "
                 "until it is enabled again")


def _check_explicit_policy(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    key_policies = stack.of_type(KEY_POLICY)
    for key in stack.of_type(_aws.KMS_KEY):
        policy = key.props.get("policy", ABSENT)
        if is_unknown(policy):
            continue  # declared, only its content is unknown: the policy controls judge it
        if policy not in (ABSENT, None, ""):
            continue
        if stack.dependents(key.urn, "keyId", KEY_POLICY):
            continue
        if any(is_unknown(p.props.get("keyId")) for p in key_policies):
            yield cannot_verify("aws:kms/keyPolicy:KeyPolicy keyId", key.urn)
            continue
        yield fail("no key policy (policy input or aws:kms/keyPolicy:KeyPolicy): KMS applies "
                   "its default policy, which lets every IAM policy in the account use and "
                   "administer the key", key.urn)


def _check_bypass_lockout(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "bypassPolicyLockoutSafetyCheck", not_true, False,
                 "bypassPolicyLockoutSafetyCheck is {value}: a policy that locks everyone out "
                 "of the key is accepted")


CONTROLS = [
    Control(
        "strata-kms-key-rotation",
        "Symmetric customer-managed KMS keys rotate their key material.",
        severity="medium", enforcement="mandatory", check=_check_key_rotation,
        types=(_aws.KMS_KEY,), fsbp="KMS.4",
        remediation="Set enableKeyRotation=True (rotationPeriodInDays optional, default 365).",
        tags=("encryption",)),
    Control(
        "strata-kms-key-enabled",
        "Customer-managed KMS keys are enabled: a disabled key makes every store, log group and "
        "secret encrypted with it unreadable.",
        severity="medium", enforcement="mandatory", check=_check_enabled,
        types=(_aws.KMS_KEY,),
        remediation="Leave isEnabled unset or True; retire a key by scheduling its deletion "
                    "after its data is re-encrypted.",
        tags=("encryption",)),
    Control(
        "strata-kms-key-explicit-policy",
        "Every customer-managed KMS key has a key policy written in the stack (its policy input "
        "or an aws:kms/keyPolicy:KeyPolicy), so who may use and administer it is reviewed with "
        "the code instead of falling back to KMS's default policy.",
        severity="medium", enforcement="mandatory", check=_check_explicit_policy,
        scope="stack",
        remediation="Set the key's policy: administrators, the principals that use the key, and "
                    "the AWS services that encrypt with it, each in its own statement.",
        tags=("encryption", "iam")),
    Control(
        "strata-kms-key-no-lockout-bypass",
        "Key policies go through KMS's lockout safety check.",
        severity="medium", enforcement="mandatory", check=_check_bypass_lockout,
        types=(_aws.KMS_KEY, KEY_POLICY),
        remediation="Leave bypassPolicyLockoutSafetyCheck unset or False.",
        tags=("encryption", "iam")),
]
