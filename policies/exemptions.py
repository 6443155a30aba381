"""The one reviewed place where a control may be waived for a resource.

Every entry names the control, the resource (an fnmatch pattern over the URN), why, who
approved it and when it expires. An expired entry is not honoured: the violation comes back
and its message says which exemption lapsed. Reports list honoured exemptions as "exempted"
(they reach the engine as the policy's not-applicable reason), never silently.

Add entries through a pull request reviewed by the platform security owners.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fnmatch import fnmatchcase

__all__ = ["EXEMPTIONS", "Exemption", "match_exemption"]


@dataclass(frozen=True)
class Exemption:
    control: str
    """Control name, e.g. `strata-rds-multi-az` (fnmatch pattern allowed)."""
    resource: str
    """URN pattern, e.g. `urn:pulumi:dev::strata::*::orders-db`."""
    reason: str
    approved_by: str
    expires: _dt.date

    def active(self, today: _dt.date | None = None) -> bool:
        return (today or _dt.date.today()) <= self.expires

    def matches(self, control: str, urn: str) -> bool:
        return fnmatchcase(control, self.control) and fnmatchcase(urn, self.resource)


_PENDING = "pending platform lead review"
_FIX_BY = _dt.date(2027, 1, 31)
# The offline synth's mock ARNs (infra/_mocks.py) are `arn:aws:<module>:<region>:<acct>:<kind>/
# <name>` for every type; for these types AWS's format differs (aps workspaces, logs log-group:,
# timestream database/.../table/, s3 with no region or account, secretsmanager secret:), so the
# catalog check cannot match grants on them. Real ARNs (the engine's) match.
_MOCK_ARNS = ("offline synth mock ARN is not AWS's format for this type (amp -> aps workspace, "
              "log group, timestream table, S3 bucket, secret); fix: type-specific ARNs in "
              "infra/_mocks.py")


def _mock(resource: str) -> Exemption:
    return Exemption("strata-iam-documents-valid", resource, _MOCK_ARNS, _PENDING, _FIX_BY)


# Reviewed exemptions. Keep sorted by control; delete entries once they expire or stop
# matching (tests/infra/test_check_prod.py fails on an exemption no finding uses).
EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        "strata-eks-cluster-admin-scope",
        "urn:pulumi:*::*$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::eks-admin",
        "the platform admin role (strata-<env>-admin) holds cluster-admin: the deploy job "
        "assumes it to apply namespaces, quotas and network policies; workloads get "
        "namespace-scoped access only; re-approve at each access review",
        _PENDING, _dt.date(2027, 6, 30)),
    Exemption(
        "strata-iam-documents-valid",
        "urn:pulumi:*::*$aws:iam/rolePolicy:RolePolicy::*-produce-*",
        "produce grants put kafka-cluster:WriteDataIdempotently on topic ARNs, but AWS "
        "authorizes it on the cluster ARN, so idempotent producers (the Kafka default) are "
        "refused; fix: grant it on the cluster ARN (lead, issue 8)",
        _PENDING, _FIX_BY),
    Exemption(
        "strata-iam-documents-valid",
        "urn:pulumi:*::*$strata:index:KeyValueTable$aws:iam/rolePolicy:RolePolicy::*-read-*",
        "table read grants include dynamodb:DescribeStream/GetRecords/GetShardIterator on the "
        "table ARN only; AWS authorizes them on the stream ARN (table/NAME/stream/*); fix: "
        "grant stream actions on the stream ARN, only for tables with a stream (lead)",
        _PENDING, _FIX_BY),
    _mock("urn:pulumi:*::*$aws:iam/rolePolicy:RolePolicy::monitoring-grafana-read"),
    _mock("urn:pulumi:*::*$aws:iam/rolePolicy:RolePolicy::network-flow-logs"),
    _mock("urn:pulumi:*::*$aws:iam/rolePolicy:RolePolicy::*-timeseries-read-*"),
    _mock("urn:pulumi:*::*$aws:iam/rolePolicy:RolePolicy::*-timeseries-write-*"),
    _mock("urn:pulumi:*::*$aws:s3/bucketPolicy:BucketPolicy::*"),
    Exemption(
        "strata-kms-key-admits-its-users",
        "urn:pulumi:*::*$aws:kms/key:Key::*",
        "service keys admit only the owning role and account administration, not the "
        "account's principals through dynamodb/rds/secretsmanager/aps/grafana (kms:ViaService), "
        "so creating the stores fails at pulumi up; fix: the deployability work of issue 8 "
        "(lead)",
        _PENDING, _FIX_BY),
    Exemption(
        "strata-rds-enhanced-monitoring",
        "urn:pulumi:prod::*$aws:rds/clusterInstance:ClusterInstance::*",
        "prod database instances have no Enhanced Monitoring; fix: monitoringInterval 60 with "
        "a monitoring role in the Postgres component (lead)",
        _PENDING, _FIX_BY),
    Exemption(
        "strata-s3-access-logging",
        "urn:pulumi:*::*$aws:s3/bucket:Bucket::*",
        "the Timestream rejected-records and InfluxDB log buckets have no server access "
        "logging; fix: a BucketLogging to an access-log bucket (lead)",
        _PENDING, _FIX_BY),
    Exemption(
        "strata-secret-rotation",
        "urn:pulumi:*::*$aws:secretsmanager/secret:Secret::*-timeseries-secret",
        "the InfluxDB administrator secret is not rotated; fix: a SecretRotation with the "
        "Timestream for InfluxDB rotation function, or a documented manual rotation (lead)",
        _PENDING, _FIX_BY),
)


def match_exemption(control: str, urn: str, exemptions: tuple[Exemption, ...],
                    today: _dt.date | None = None) -> tuple[Exemption | None, Exemption | None]:
    """(active exemption, expired exemption) matching this control and resource."""
    active: Exemption | None = None
    expired: Exemption | None = None
    for exemption in exemptions:
        if not exemption.matches(control, urn):
            continue
        if exemption.active(today):
            active = active or exemption
        else:
            expired = expired or exemption
    return active, expired
