"""Backups, point-in-time recovery, deletion protection and final snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, judge
from .._values import as_bool, at_least, is_true

__all__ = ["CONTROLS"]

_RDS = (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)


def _check_rds_backups(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    days = cfg["minRetentionDays"]
    return judge(res.props, "backupRetentionPeriod", at_least(days), 1.0,
                 f"backupRetentionPeriod is {{value}}: fewer than {days:g} days of automated "
                 "backups")


def _check_rds_deletion(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "deletionProtection", is_true, False,
                 "deletionProtection is {value}: the database can be deleted by one API call")


def _check_final_snapshot(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "skipFinalSnapshot", lambda v: as_bool(v) is not True, False,
                 "skipFinalSnapshot is {value}: deleting the database loses its data")


def _check_multi_az(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "multiAz", is_true, False,
                 "multiAz is {value}: an AZ outage takes the database down")


def _check_pitr(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "pointInTimeRecovery.enabled", is_true, False,
                 "pointInTimeRecovery.enabled is {value}: the table cannot be restored to a "
                 "point in time")


def _check_dynamo_deletion(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "deletionProtectionEnabled", is_true, False,
                 "deletionProtectionEnabled is {value}")


CONTROLS = [
    Control(
        "strata-rds-backup-retention",
        "RDS instances and clusters keep automated backups for at least the configured days.",
        severity="medium", enforcement="mandatory", check=_check_rds_backups, types=_RDS,
        fsbp="RDS.11",
        config={"minRetentionDays": {"type": "number", "minimum": 1, "default": 7,
                                     "description": "Minimum backupRetentionPeriod in days."}},
        remediation="Set backupRetentionPeriod to at least the configured days.",
        tags=("resilience",)),
    Control(
        "strata-dynamodb-pitr",
        "DynamoDB tables have point-in-time recovery enabled.",
        severity="high", enforcement="mandatory", check=_check_pitr,
        types=(_aws.DYNAMO_TABLE,), fsbp="DynamoDB.2",
        remediation="Set pointInTimeRecovery={enabled: True}.",
        tags=("resilience",)),
    Control(
        "strata-rds-deletion-protection",
        "RDS instances and clusters have deletion protection on.",
        severity="low", enforcement="advisory", check=_check_rds_deletion, types=_RDS,
        fsbp="RDS.7, RDS.8",
        remediation="Set deletionProtection=True.",
        tags=("resilience",)),
    Control(
        "strata-rds-final-snapshot",
        "Deleting an RDS instance or cluster takes a final snapshot.",
        severity="medium", enforcement="advisory", check=_check_final_snapshot, types=_RDS,
        remediation="Set skipFinalSnapshot=False and a finalSnapshotIdentifier.",
        tags=("resilience",)),
    Control(
        "strata-rds-multi-az",
        "RDS instances run Multi-AZ, so an Availability Zone outage fails over instead of "
        "taking the database down.",
        severity="medium", enforcement="advisory", check=_check_multi_az,
        types=(_aws.RDS_INSTANCE,), fsbp="RDS.5",
        remediation="Set multiAz=True.",
        tags=("resilience",)),
    Control(
        "strata-dynamodb-deletion-protection",
        "DynamoDB tables have deletion protection on.",
        severity="medium", enforcement="advisory", check=_check_dynamo_deletion,
        types=(_aws.DYNAMO_TABLE,), fsbp="DynamoDB.6",
        remediation="Set deletionProtectionEnabled=True.",
        tags=("resilience",)),
]
