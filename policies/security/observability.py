"""Logging and monitoring: retained logs; database, broker, control-plane and Prometheus
workspace logs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, as_list, get, is_unknown

__all__ = ["CONTROLS"]


def _check_retention(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    days = cfg["minRetentionDays"]
    # 0 or absent means "never expire", which satisfies CloudWatch.16.
    return judge(res.props, "retentionInDays", lambda v: not v or v >= days, 0,
                 f"retentionInDays is {{value}}, below {days:g} days")


def _check_rds_logs(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    engine = res.props.get("engine", "")
    if is_unknown(engine):
        return [cannot_verify("engine")]
    if "postgres" not in str(engine):
        return []
    exports = res.props.get("enabledCloudwatchLogsExports", ABSENT)
    if is_unknown(exports):
        return [cannot_verify("enabledCloudwatchLogsExports")]
    if "postgresql" in as_list(exports):
        return []
    return [fail("enabledCloudwatchLogsExports does not include \"postgresql\": database logs "
                 "stay on the instance")]


def _check_msk_logging(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    base = "loggingInfo.brokerLogs"
    values = [get(res.props, f"{base}.{sink}.enabled") for sink in
              ("cloudwatchLogs", "firehose", "s3")]
    if any(as_bool(v) is True for v in values):
        return []
    if any(is_unknown(v) for v in values):
        return [cannot_verify(base)]
    return [fail(f"{base} enables no sink: broker logs are not kept")]


def _check_msk_monitoring(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "enhancedMonitoring", lambda v: v != "DEFAULT", "DEFAULT",
                 "enhancedMonitoring is {value}: no per-broker/per-topic metrics for alarms")


def _check_eks_logs(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    enabled = res.props.get("enabledClusterLogTypes", ABSENT)
    if is_unknown(enabled):
        return [cannot_verify("enabledClusterLogTypes")]
    missing = [t for t in cfg["requiredLogTypes"] if t not in as_list(enabled)]
    if missing:
        return [fail(f"enabledClusterLogTypes lacks {', '.join(missing)}")]
    return []


def _check_amp_logging(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    path = "loggingConfiguration.logGroupArn"
    arn = get(res.props, path)
    if is_unknown(arn):
        return [cannot_verify(path)]
    if isinstance(arn, str) and arn:
        return []
    return [fail(f"{path} is absent: rule evaluation and alert delivery errors of the "
                 "workspace are not logged, so a broken alert fails silently")]


CONTROLS = [
    Control(
        "strata-log-group-retention",
        "CloudWatch log groups keep logs for at least the configured days (0 = never expire).",
        severity="medium", enforcement="advisory", check=_check_retention,
        types=("aws:cloudwatch/logGroup:LogGroup",), fsbp="CloudWatch.16",
        config={"minRetentionDays": {"type": "number", "minimum": 1, "default": 365,
                                     "description": "Minimum retentionInDays."}},
        remediation="Set retentionInDays to at least the configured days.",
        tags=("logging",)),
    Control(
        "strata-rds-log-exports",
        "PostgreSQL instances and clusters publish their logs to CloudWatch Logs.",
        severity="medium", enforcement="advisory", check=_check_rds_logs,
        types=(_aws.RDS_INSTANCE, _aws.RDS_CLUSTER), fsbp="RDS.36, RDS.37",
        remediation="Set enabledCloudwatchLogsExports=[\"postgresql\", \"upgrade\"] (Aurora "
                    "clusters export only \"postgresql\").",
        tags=("logging",)),
    Control(
        "strata-msk-broker-logging",
        "MSK clusters deliver broker logs to CloudWatch Logs, Firehose or S3.",
        severity="medium", enforcement="advisory", check=_check_msk_logging,
        types=(_aws.MSK_CLUSTER,),
        remediation="Set loggingInfo.brokerLogs.cloudwatchLogs={enabled: True, logGroup: ...}.",
        tags=("logging",)),
    Control(
        "strata-msk-enhanced-monitoring",
        "MSK clusters publish enhanced (per-broker or finer) metrics.",
        severity="low", enforcement="advisory", check=_check_msk_monitoring,
        types=(_aws.MSK_CLUSTER,), fsbp="MSK.2",
        remediation="Set enhancedMonitoring to PER_BROKER or PER_TOPIC_PER_BROKER.",
        tags=("monitoring",)),
    Control(
        "strata-eks-control-plane-logging",
        "EKS clusters send API, audit and authenticator logs to CloudWatch Logs.",
        severity="medium", enforcement="mandatory", check=_check_eks_logs,
        types=("aws:eks/cluster:Cluster",), fsbp="EKS.8",
        config={"requiredLogTypes": {"type": "array", "items": {"type": "string"},
                                     "default": ["api", "audit", "authenticator"],
                                     "description": "Log types that must be enabled."}},
        remediation="Set enabledClusterLogTypes=[\"api\", \"audit\", \"authenticator\"].",
        tags=("logging", "kubernetes")),
    Control(
        "strata-amp-workspace-logging",
        "Amazon Managed Service for Prometheus workspaces send their logs (rule evaluation, "
        "alertmanager and ingestion errors) to CloudWatch Logs.",
        severity="medium", enforcement="mandatory", check=_check_amp_logging,
        types=("aws:amp/workspace:Workspace",),
        remediation="Set loggingConfiguration={logGroupArn: \"<log group ARN>:*\"} with an "
                    "encrypted, retained log group.",
        tags=("logging", "monitoring")),
]
