"""Stores tagged with a protected data classification get stronger protection.

The classification is read from the store's own `data-classification` tag (the tag key is
configurable); which values count as protected, the backup floor and the environments where it is
waived are configuration too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._aws import STORE_KEY_PATHS
from .._control import Control, Finding, Res, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, at_least, get, is_true, is_unknown, tags_of
from ..security.encryption import cmk_findings

__all__ = ["CONTROLS"]

_RDS = (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)


def _check_classified(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    tags = tags_of(res.props)
    classification = tags.get(cfg["classificationTag"], ABSENT)
    if is_unknown(classification):
        return [cannot_verify(f"tags.{cfg['classificationTag']}")]
    if classification not in cfg["classifications"]:
        return []
    if tags.get(cfg["environmentTag"]) in cfg["exemptEnvironments"]:
        return []
    label = f"{classification} data: "
    days = cfg["minBackupDays"]
    out: list[Finding] = []
    if res.type in STORE_KEY_PATHS:
        path, fallback = STORE_KEY_PATHS[res.type]
        sse_on = as_bool(get(res.props, "serverSideEncryption.enabled")) is True
        if res.type == _aws.DYNAMO_TABLE and not sse_on:
            out.append(fail(label + "serverSideEncryption is not enabled with a "
                            "customer-managed key"))
        else:
            out += [f if f.unknown else fail(label + f.message)
                    for f in cmk_findings(res.props, path, fallback)]
    if res.type in _RDS:
        out += judge(res.props, "storageEncrypted", is_true, False,
                     label + "storageEncrypted is {value}")
        out += judge(res.props, "backupRetentionPeriod", at_least(days), 1.0,
                     label + f"backupRetentionPeriod is {{value}}, needs at least {days:g} days")
        out += judge(res.props, "deletionProtection", is_true, False,
                     label + "deletionProtection is {value}")
        out += judge(res.props, "skipFinalSnapshot", lambda v: as_bool(v) is not True, False,
                     label + "skipFinalSnapshot is {value}")
    elif res.type == _aws.DYNAMO_TABLE:
        out += judge(res.props, "pointInTimeRecovery.enabled", is_true, False,
                     label + "pointInTimeRecovery.enabled is {value}")
        if as_bool(get(res.props, "pointInTimeRecovery.enabled")) is True:
            # When PITR is on, AWS keeps 35 days unless recoveryPeriodInDays says otherwise.
            out += judge(res.props, "pointInTimeRecovery.recoveryPeriodInDays",
                         at_least(days), 35.0,
                         label + f"{{path}} is {{value}}, needs at least {days:g} days")
        out += judge(res.props, "deletionProtectionEnabled", is_true, False,
                     label + "deletionProtectionEnabled is {value}")
    return out


CLASSIFIED_TYPES = tuple(sorted({*STORE_KEY_PATHS, *_RDS} & (_aws.DATA_STORES | {_aws.SECRET})))

CONTROLS = [
    Control(
        "strata-classified-data-protection",
        "Stores tagged with a protected data classification (confidential, restricted) use a "
        "customer-managed key, keep backups or PITR for at least the configured days and are "
        "deletion-protected with a final snapshot.",
        severity="high", enforcement="mandatory", check=_check_classified, types=CLASSIFIED_TYPES,
        family="governance",
        config={
            "classificationTag": {"type": "string", "default": "data-classification",
                                  "description": "Tag key that carries the data "
                                                 "classification."},
            "classifications": {"type": "array", "items": {"type": "string"},
                                "default": ["confidential", "restricted"],
                                "description": "Classification values this applies to."},
            "minBackupDays": {"type": "number", "minimum": 1, "default": 7,
                              "description": "Minimum RDS backup retention / DynamoDB PITR "
                                             "recovery period, in days."},
            "environmentTag": {"type": "string", "default": "environment",
                               "description": "Tag key that names the environment."},
            "exemptEnvironments": {"type": "array", "items": {"type": "string"}, "default": [],
                                   "description": "Environment tag values where the control "
                                                  "is waived (e.g. [\"dev\"] for throw-away "
                                                  "data)."},
        },
        remediation="Encrypt the store with a customer-managed key, keep backups or PITR for at "
                    "least the configured days and turn deletion protection on with a final "
                    "snapshot; or lower the classification tag if the data allows it.",
        tags=("resilience", "governance")),
]
