"""Secrets are generated and rotated by AWS, never written into the program."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, StackView, cannot_verify, fail, judge
from .._values import ABSENT, get, is_true, is_unknown

__all__ = ["CONTROLS"]

SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


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
        out += judge(res.props, "manageMasterUserPassword", is_true, False,
                     "manageMasterUserPassword is {value}: the master password is not managed "
                     "and rotated by Secrets Manager")
    return out


def _rotation_days(rotation: Any) -> Any:
    """Days between rotations, ABSENT for a schedule expression, None when none is set."""
    days = get(rotation.props, "rotationRules.automaticallyAfterDays")
    if days is not ABSENT:
        return days
    if get(rotation.props, "rotationRules.scheduleExpression") is not ABSENT:
        return ABSENT
    return None


def _check_rotation(stack: StackView, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    rotations = stack.of_type(SECRET_ROTATION)
    maximum = cfg["maxRotationDays"]
    for secret in stack.of_type(_aws.SECRET):
        mine = stack.dependents(secret.urn, "secretId", SECRET_ROTATION)
        if not mine:
            if any(is_unknown(r.props.get("secretId")) for r in rotations):
                yield cannot_verify("SecretRotation secretId", secret.urn)
                continue
            yield fail("no aws:secretsmanager/secretRotation:SecretRotation takes this secret "
                       "as secretId: the secret is never rotated", secret.urn)
            continue
        for rotation in mine:
            days = _rotation_days(rotation)
            if is_unknown(days):
                yield cannot_verify("rotationRules.automaticallyAfterDays", secret.urn)
            elif days is None:
                yield fail("the SecretRotation sets no rotationRules", secret.urn)
            elif days is not ABSENT and days > maximum:
                yield fail(f"rotated every {days:g} days, more than {maximum:g}", secret.urn)


CONTROLS = [
    Control(
        "strata-rds-managed-master-password",
        "RDS master passwords are generated and rotated by Secrets Manager, never set in the "
        "program.",
        severity="high", enforcement="mandatory", check=_check_master_password,
        types=(_aws.RDS_INSTANCE, _aws.RDS_CLUSTER),
        remediation="Remove password/masterPassword and set manageMasterUserPassword=True with "
                    "masterUserSecretKmsKeyId.",
        tags=("iam", "secrets")),
    Control(
        "strata-secret-rotation",
        "Secrets Manager secrets rotate automatically, at least every configured number of "
        "days.",
        severity="medium", enforcement="mandatory", check=_check_rotation, scope="stack",
        fsbp="SecretsManager.1",
        config={"maxRotationDays": {"type": "number", "minimum": 1, "default": 90,
                                    "description": "Longest allowed rotation interval "
                                                   "(automaticallyAfterDays)."}},
        remediation="Add an aws.secretsmanager.SecretRotation for the secret with a rotation "
                    "function (rotationLambdaArn) and rotationRules.automaticallyAfterDays.",
        tags=("secrets",)),
]
