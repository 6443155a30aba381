"""Backups, point-in-time recovery, deletion protection and final snapshots; stricter for
confidential and restricted data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policies import _aws
from policies._control import Control, Finding, Res, StackView, cannot_verify, fail, judge
from policies._values import ABSENT, as_bool, get, is_unknown, tags_of
from policies.encryption import _KEY_PATHS, _key_findings

__all__ = ["CONTROLS"]

_RDS = (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)


def _is_true(v: Any) -> bool:
    return as_bool(v) is True


def _at_least(days: float) -> Any:
    return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= days


def _check_rds_backups(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    days = cfg["minRetentionDays"]
    return judge(res.props, "backupRetentionPeriod", _at_least(days), 1.0,
                 f"backupRetentionPeriod is {{value}}: fewer than {days:g} days of automated "
                 "backups")


def _check_rds_deletion(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "deletionProtection", _is_true, False,
                 "deletionProtection is {value}: the database can be deleted by one API call")


def _check_final_snapshot(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "skipFinalSnapshot", lambda v: as_bool(v) is not True, False,
                 "skipFinalSnapshot is {value}: deleting the database loses its data")


def _check_multi_az(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "multiAz", _is_true, False,
                 "multiAz is {value}: an AZ outage takes the database down")


def _check_pitr(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "pointInTimeRecovery.enabled", _is_true, False,
                 "pointInTimeRecovery.enabled is {value}: the table cannot be restored to a "
                 "point in time")


def _check_dynamo_deletion(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "deletionProtectionEnabled", _is_true, False,
                 "deletionProtectionEnabled is {value}")


def _check_classified(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    tags = tags_of(res.props)
    classification = tags.get("data-classification", ABSENT)
    if is_unknown(classification):
        return [cannot_verify("tags.data-classification")]
    if classification not in cfg["classifications"]:
        return []
    environment = tags.get("environment")
    if environment in cfg["exemptEnvironments"]:
        return []
    label = f"{classification} data: "
    days = cfg["minBackupDays"]
    out: list[Finding] = []
    if res.type in _KEY_PATHS:
        path, fallback = _KEY_PATHS[res.type]
        sse_on = as_bool(get(res.props, "serverSideEncryption.enabled")) is True
        if res.type == _aws.DYNAMO_TABLE and not sse_on:
            out.append(fail(label + "serverSideEncryption is not enabled with a "
                            "customer-managed key"))
        else:
            out += [f if f.unknown else fail(label + f.message)
                    for f in _key_findings(res.props, path, fallback)]
    if res.type in _RDS:
        out += judge(res.props, "storageEncrypted", _is_true, False,
                     label + "storageEncrypted is {value}")
        out += judge(res.props, "backupRetentionPeriod", _at_least(days), 1.0,
                     label + f"backupRetentionPeriod is {{value}}, needs at least {days:g} days")
        out += judge(res.props, "deletionProtection", _is_true, False,
                     label + "deletionProtection is {value}")
        out += judge(res.props, "skipFinalSnapshot", lambda v: as_bool(v) is not True, False,
                     label + "skipFinalSnapshot is {value}")
    elif res.type == _aws.DYNAMO_TABLE:
        out += judge(res.props, "pointInTimeRecovery.enabled", _is_true, False,
                     label + "pointInTimeRecovery.enabled is {value}")
        if as_bool(get(res.props, "pointInTimeRecovery.enabled")) is True:
            # When PITR is on, AWS keeps 35 days unless recoveryPeriodInDays says otherwise.
            out += judge(res.props, "pointInTimeRecovery.recoveryPeriodInDays",
                         _at_least(days), 35.0,
                         label + f"{{path}} is {{value}}, needs at least {days:g} days")
        out += judge(res.props, "deletionProtectionEnabled", _is_true, False,
                     label + "deletionProtectionEnabled is {value}")
    return out


CLASSIFIED_TYPES = tuple(sorted({*_KEY_PATHS, *_RDS} & (_aws.DATA_STORES | {_aws.SECRET})))


def _check_s3_versioning(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    versionings = stack.of_type("aws:s3/bucketVersioning:BucketVersioning")
    for bucket in stack.of_type(_aws.S3_BUCKET):
        statuses = [get(bucket.props, "versioning.enabled")]
        statuses += [get(v.props, "versioningConfiguration.status") for v in versionings
                     if bucket.urn in v.property_dependencies.get("bucket", [])]
        if any(s is True or s == "Enabled" for s in statuses):
            continue
        if any(is_unknown(s) for s in statuses):
            yield cannot_verify("versioningConfiguration.status", bucket.urn)
        else:
            yield fail("versioning is not Enabled: overwritten or deleted objects are lost",
                       bucket.urn)


CONTROLS = [
    Control(
        "strata-rds-backup-retention",
        "RDS instances and clusters keep automated backups for at least the configured days.",
        severity="medium", enforcement="mandatory", check=_check_rds_backups, types=_RDS,
        fsbp="RDS.11",
        config={"minRetentionDays": {"type": "number", "minimum": 1, "default": 7,
                                     "description": "Minimum backupRetentionPeriod in days."}},
        remediation="Set backupRetentionPeriod to at least the configured days (Strata: 7 in "
                    "dev, 35 in prod).",
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
        severity="medium", enforcement="advisory", check=_check_rds_deletion, types=_RDS,
        fsbp="RDS.7, RDS.8",
        remediation="Set deletionProtection=True (Strata turns it on for stateful resources "
                    "in prod through components/_tags.py).",
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
        severity="low", enforcement="advisory", check=_check_multi_az,
        types=(_aws.RDS_INSTANCE,), fsbp="RDS.5",
        remediation="Set multiAz=True (Strata does in prod).",
        tags=("resilience",)),
    Control(
        "strata-dynamodb-deletion-protection",
        "DynamoDB tables have deletion protection on.",
        severity="medium", enforcement="advisory", check=_check_dynamo_deletion,
        types=(_aws.DYNAMO_TABLE,), fsbp="DynamoDB.6",
        remediation="Set deletionProtectionEnabled=True.",
        tags=("resilience",)),
    Control(
        "strata-classified-data-protection",
        "Stores tagged with a protected data-classification (confidential, restricted) use a "
        "customer-managed key, keep backups or PITR for at least the configured days and are "
        "deletion-protected with a final snapshot.",
        severity="high", enforcement="mandatory", check=_check_classified, types=CLASSIFIED_TYPES,
        config={
            "classifications": {"type": "array", "items": {"type": "string"},
                                "default": ["confidential", "restricted"],
                                "description": "data-classification values this applies to."},
            "minBackupDays": {"type": "number", "minimum": 1, "default": 7,
                              "description": "Minimum RDS backup retention / DynamoDB PITR "
                                             "recovery period, in days."},
            "exemptEnvironments": {"type": "array", "items": {"type": "string"}, "default": [],
                                   "description": "environment tag values where the control "
                                                  "is waived (e.g. [\"dev\"] for throw-away "
                                                  "data)."},
        },
        remediation="Pass the service key, set backups/PITR to the configured days and "
                    "deletion protection on (StoreArgs.protect), or lower the classification "
                    "if the data allows it.",
        tags=("resilience", "governance")),
    Control(
        "strata-s3-versioning",
        "S3 buckets have versioning enabled, so overwritten or deleted objects can be "
        "recovered.",
        severity="low", enforcement="advisory", check=_check_s3_versioning, scope="stack",
        fsbp="S3.14",
        remediation="Add BucketVersioning with versioningConfiguration.status \"Enabled\".",
        tags=("resilience",)),
]
