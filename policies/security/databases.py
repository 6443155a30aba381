"""Database hardening beyond encryption and networking: IAM authentication, patching, enhanced
monitoring, snapshot tags, no engine defaults an attacker would try first, and capacity that
scales with demand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Node, Res, StackView, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, as_list, get, is_true, is_unknown

__all__ = ["CONTROLS", "DEFAULT_PORTS"]

CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"

# Engine default ports (RDS User Guide, "DB instance port"), by engine name prefix.
DEFAULT_PORTS = {"aurora-postgresql": 5432, "postgres": 5432, "aurora-mysql": 3306,
                 "aurora": 3306, "mysql": 3306, "mariadb": 3306, "oracle": 1521,
                 "sqlserver": 1433, "db2": 50000}
# The master user names RDS proposes (AWS Config rds-instance-default-admin-check and
# rds-cluster-default-admin-check fail on them).
_DEFAULT_ADMINS = {"admin", "postgres"}
# Engines with IAM database authentication (RDS User Guide, "IAM database authentication").
_IAM_AUTH_ENGINES = ("mysql", "mariadb", "postgres", "aurora-mysql", "aurora-postgresql",
                     "aurora")


def _engine(res: Res) -> Any:
    return res.props.get("engine", ABSENT)


def _check_enhanced_monitoring(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "monitoringInterval", lambda v: isinstance(v, int | float) and v > 0,
                 0, "monitoringInterval is {value}: no Enhanced Monitoring (OS-level metrics)")


def _check_iam_auth(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    engine = _engine(res)
    if is_unknown(engine):
        return [cannot_verify("engine")]
    if engine is not ABSENT and not str(engine).startswith(_IAM_AUTH_ENGINES):
        return []  # Oracle, SQL Server and Db2 have no IAM database authentication
    if res.props.get("engineMode") == "serverless":
        return []  # Aurora Serverless v1 does not support it
    return judge(res.props, "iamDatabaseAuthenticationEnabled", is_true, False,
                 "iamDatabaseAuthenticationEnabled is {value}: database users authenticate "
                 "only with passwords")


def _check_minor_upgrades(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "autoMinorVersionUpgrade", lambda v: as_bool(v) is not False, True,
                 "autoMinorVersionUpgrade is {value}: security patches of the engine are not "
                 "applied")


def _check_copy_tags(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "copyTagsToSnapshot", is_true, False,
                 "copyTagsToSnapshot is {value}: snapshots lose the ownership and "
                 "classification tags")


def _check_default_port(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    engine = _engine(res)
    port = res.props.get("port", ABSENT)
    if is_unknown(engine) or is_unknown(port):
        return [cannot_verify("engine/port")]
    if engine is ABSENT:
        return []  # replicas and restores: the source decides
    default = next((p for prefix, p in sorted(DEFAULT_PORTS.items(), key=lambda i: -len(i[0]))
                    if str(engine).startswith(prefix)), None)
    if default is None:
        return []
    shown = (f"absent (engine default {default})" if port is ABSENT
             else str(int(port)) if isinstance(port, int | float) else repr(port))
    if port is ABSENT or port == default:
        return [fail(f"port is {shown}: the engine's default port is the first one scanned")]
    return []


def _check_admin_name(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    field = "username" if res.type == _aws.RDS_INSTANCE else "masterUsername"
    name = res.props.get(field, ABSENT)
    if is_unknown(name):
        return [cannot_verify(field)]
    if isinstance(name, str) and name.lower() in _DEFAULT_ADMINS:
        return [fail(f"{field} is {name!r}: the default administrator name, the first one "
                     "guessed")]
    return []


# -- DynamoDB.1: provisioned capacity scales with demand --------------------------------------

def _provisioned(table: Node) -> Any:
    mode = table.props.get("billingMode", ABSENT)
    if is_unknown(mode):
        return mode
    return mode in (ABSENT, "PROVISIONED")  # pulumi-aws: defaults to PROVISIONED


def _dimensions(table: Node) -> list[tuple[str, str]]:
    """(resourceId suffix, dimension) pairs a provisioned table and its GSIs must scale."""
    pairs = [("", f"dynamodb:table:{kind}CapacityUnits") for kind in ("Read", "Write")]
    for index in as_list(table.props.get("globalSecondaryIndexes")):
        name = get(index, "name")
        if isinstance(name, str):
            pairs += [(f"/index/{name}", f"dynamodb:index:{kind}CapacityUnits")
                      for kind in ("Read", "Write")]
    return pairs


def _scales(stack: StackView, table: Node, suffix: str, dimension: str) -> bool | None:
    """A scaling target for the table (by dependency or resourceId) with a policy on it."""
    resource_id = f"table/{table.props.get('name')}{suffix}"
    targets = [t for t in stack.dependents(table.urn, "resourceId", SCALING_TARGET)
               if not is_unknown(t.props.get("resourceId"))
               and str(t.props.get("resourceId")).endswith(suffix or "")
               and (suffix or "/index/" not in str(t.props.get("resourceId")))]
    targets += stack.with_value(SCALING_TARGET, "resourceId", resource_id)
    targets = [t for t in targets if t.props.get("scalableDimension") == dimension]
    if not targets:
        depends = stack.dependents(table.urn, "resourceId", SCALING_TARGET)
        return None if any(is_unknown(t.props.get("resourceId")) for t in depends) else False
    for target in targets:
        policies = [*stack.dependents(target.urn, "resourceId", SCALING_POLICY),
                    *stack.with_value(SCALING_POLICY, "resourceId",
                                      target.props.get("resourceId"))]
        if any(p.props.get("scalableDimension") == dimension for p in policies):
            return True
    return False


def _check_dynamodb_autoscaling(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for table in stack.of_type(_aws.DYNAMO_TABLE):
        provisioned = _provisioned(table)
        if is_unknown(provisioned):
            yield cannot_verify("billingMode", table.urn)
            continue
        if not provisioned:
            continue
        for suffix, dimension in _dimensions(table):
            verdict = _scales(stack, table, suffix, dimension)
            if verdict is None:
                yield cannot_verify(f"scaling target resourceId ({dimension})", table.urn)
            elif not verdict:
                yield fail(f"provisioned capacity without auto scaling of {dimension}: an "
                           "aws:appautoscaling Target and Policy (or billingMode "
                           "PAY_PER_REQUEST) are missing", table.urn)


_RDS = (_aws.RDS_INSTANCE, _aws.RDS_CLUSTER)

CONTROLS = [
    Control(
        "strata-rds-enhanced-monitoring",
        "RDS DB instances publish Enhanced Monitoring (OS-level) metrics.",
        severity="low", enforcement="advisory", check=_check_enhanced_monitoring,
        types=(_aws.RDS_INSTANCE, CLUSTER_INSTANCE), fsbp="RDS.6",
        remediation="Set monitoringInterval (e.g. 60) and a monitoringRoleArn trusted by "
                    "monitoring.rds.amazonaws.com.",
        tags=("monitoring",)),
    Control(
        "strata-rds-iam-authentication",
        "RDS instances and clusters of engines that support it accept IAM database "
        "authentication, so workloads connect with short-lived tokens instead of passwords.",
        severity="medium", enforcement="mandatory", check=_check_iam_auth, types=_RDS,
        fsbp="RDS.10, RDS.12",
        remediation="Set iamDatabaseAuthenticationEnabled=True and grant rds-db:connect on the "
                    "database user.",
        tags=("iam",)),
    Control(
        "strata-rds-auto-minor-upgrades",
        "RDS instances and clusters apply minor engine versions (security patches) "
        "automatically.",
        severity="high", enforcement="mandatory", check=_check_minor_upgrades,
        types=(*_RDS, CLUSTER_INSTANCE), fsbp="RDS.13, RDS.35",
        remediation="Leave autoMinorVersionUpgrade unset or True, and pin engineVersion to a "
                    "major version only, so that the upgrade does not fight the program.",
        tags=("patching",)),
    Control(
        "strata-rds-copy-tags-to-snapshots",
        "RDS instances and clusters copy their tags to snapshots.",
        severity="low", enforcement="advisory", check=_check_copy_tags, types=_RDS,
        fsbp="RDS.16, RDS.17",
        remediation="Set copyTagsToSnapshot=True.",
        tags=("governance",)),
    Control(
        "strata-rds-no-default-port",
        "RDS instances and clusters listen on a port other than the engine's default.",
        severity="low", enforcement="advisory", check=_check_default_port, types=_RDS,
        fsbp="RDS.23",
        remediation="Set port to a non-default value and open only that port in the security "
                    "group.",
        tags=("network",)),
    Control(
        "strata-rds-custom-admin-username",
        "RDS instances and clusters use a master user name other than the default admin or "
        "postgres.",
        severity="medium", enforcement="mandatory", check=_check_admin_name, types=_RDS,
        fsbp="RDS.24, RDS.25",
        remediation="Set username (instances) or masterUsername (clusters) to a custom name; it "
                    "cannot change later, so choose it at creation.",
        tags=("iam",)),
    Control(
        "strata-dynamodb-autoscaling",
        "DynamoDB tables in provisioned mode scale read and write capacity (of the table and "
        "each global secondary index) with auto scaling.",
        severity="medium", enforcement="mandatory", check=_check_dynamodb_autoscaling,
        scope="stack", fsbp="DynamoDB.1",
        remediation="Use billingMode PAY_PER_REQUEST, or add aws.appautoscaling Targets "
                    "(table/NAME and table/NAME/index/INDEX, Read and Write capacity units) with "
                    "a target-tracking Policy each.",
        tags=("resilience",)),
]
