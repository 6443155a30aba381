"""`strata preflight STACK`: before a long `pulumi up`, ask the account and region whether they
offer what the stack needs.

What the stack needs comes from its synthesized manifest (offline, seconds); what the account
offers comes from read-only AWS calls with the default credential chain (boto3). Each check is a
small function of injected clients and the needs, so tests drive them against moto's server and
botocore's Stubber. An AWS error inside one check (say, a missing read permission) becomes a
"not checked" warning for that check; the others still run.

Exit codes: 0 ready (warnings allowed), 1 at least one blocker, 2 bad usage, bad config or no
usable credentials, 3 an internal error (one line; `--debug` prints the traceback).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from infra._preflight_compute import (
    check_addon_versions,
    check_availability_zones,
    check_kubernetes_versions,
    check_node_instance_types,
)
from infra._preflight_data import (
    check_grafana_sso,
    check_influxdb,
    check_kafka,
    check_liveanalytics,
    check_rds_engine_versions,
    check_rds_instance_classes,
)
from infra._preflight_endpoint import HostVantage, Vantage, check_endpoint_reachability
from infra._preflight_needs import StackNeeds, stack_needs
from infra._preflight_quotas import QUOTAS, QuotaRule, check_quota
from infra._preflight_report import Finding, Report, Severity, render
from infra.errors import ConfigError

__all__ = ["CHECKS", "Check", "PreflightUsageError", "aws_clients", "caller_identity", "evaluate",
           "run_preflight"]

FORMATS = ("table", "json")
ClientFactory = Callable[[str], Any]
"""boto3 service name -> client for the preflight region."""


class PreflightUsageError(Exception):
    """A problem the user fixes (credentials, region): exit 2, one clear message."""


@dataclass(frozen=True)
class Check:
    id: str
    run: Callable[[ClientFactory, Vantage, StackNeeds], list[Finding]]


def _quota_check(rule: QuotaRule) -> Check:
    return Check("service-quotas", lambda c, v, n: check_quota(
        rule, c("service-quotas"), c(rule.usage_service), n))


CHECKS: tuple[Check, ...] = (
    Check("availability-zones", lambda c, v, n: check_availability_zones(c("ec2"), n)),
    Check("eks-kubernetes-version", lambda c, v, n: check_kubernetes_versions(c("eks"), n)),
    Check("eks-addon-versions", lambda c, v, n: check_addon_versions(c("eks"), n)),
    Check("node-instance-types", lambda c, v, n: check_node_instance_types(c("ec2"), n)),
    Check("eks-endpoint-reachability", lambda c, v, n: check_endpoint_reachability(v, n)),
    Check("rds-engine-versions", lambda c, v, n: check_rds_engine_versions(c("rds"), n)),
    Check("rds-instance-classes", lambda c, v, n: check_rds_instance_classes(c("rds"), n)),
    Check("msk", lambda c, v, n: check_kafka(c("kafka"), c("ec2"), n)),
    Check("influxdb-instance-types", lambda c, v, n: check_influxdb(c("timestream-influxdb"), n)),
    Check("timestream-liveanalytics", lambda c, v, n: check_liveanalytics(c("timestream-write"),
                                                                          n)),
    Check("grafana-identity-center", lambda c, v, n: check_grafana_sso(c("sso-admin"), n)),
    *(_quota_check(rule) for rule in QUOTAS),
)
"""In the order they run (Stubber-driven tests queue responses in this order)."""


def aws_clients(region: str) -> ClientFactory:
    """Clients from the default credential chain, made once per service, with short timeouts."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                    read_timeout=30, user_agent_extra="strata-preflight")
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service, config=config)
        return made[service]

    return client


def caller_identity(sts: Any) -> tuple[str, str]:
    """(account, ARN) of the caller; anything short of an answer is a usage error (exit 2)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        identity = sts.get_caller_identity()
    except ClientError as error:
        raise PreflightUsageError(
            f"AWS rejected the credentials: {_describe(error)}. Refresh them (aws sso login, "
            "new keys) or choose another profile (AWS_PROFILE).") from None
    except BotoCoreError as error:
        raise PreflightUsageError(
            f"no usable AWS credentials: {error}. Preflight uses the default credential chain "
            "(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, instance role).") from None
    return str(identity["Account"]), str(identity["Arn"])


def _describe(error: Exception, limit: int = 240) -> str:
    """One line: operation, error code and message (an HTML error page from a proxy included)."""
    response: Mapping[str, Any] = getattr(error, "response", {}) or {}
    details = response.get("Error", {})
    if details:
        operation = getattr(error, "operation_name", "")
        text = f"{operation}: {details.get('Code', '?')}: {details.get('Message', '')}"
    else:
        text = f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def evaluate(needs: StackNeeds, region: str, clients: ClientFactory, vantage: Vantage, *,
             identity: tuple[str, str] | None = None) -> Report:
    """Run every check; an AWS error in one check is a "not checked" warning for that check."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # not a BotoCoreError

    account, caller = identity or caller_identity(clients("sts"))
    report = Report(needs.stack, region, account, caller)
    report.findings.append(Finding("caller-identity", Severity.OK, caller, f"account {account}",
                                   api="sts:GetCallerIdentity"))
    for check in CHECKS:
        try:
            report.extend(check.run(clients, vantage, needs))
        except (ClientError, BotoCoreError, ResponseParserError) as error:
            report.findings.append(Finding(
                check.id, Severity.WARNING, "(not checked)",
                f"not checked: {_describe(error)}", _retry_advice(error)))
    return report


def _retry_advice(error: Exception) -> str:
    code = str((getattr(error, "response", {}) or {}).get("Error", {}).get("Code", ""))
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError"):
        return (f"allow the caller the read-only {getattr(error, 'operation_name', 'call')}, "
                "then run again")
    return "run again; if it persists, check this by hand (docs/preflight.md lists the call)"


def run_preflight(stack: str, fmt: str = "table", region: str | None = None, *,
                  out: TextIO | None = None, clients: ClientFactory | None = None,
                  vantage: Vantage | None = None, manifest: Mapping[str, Any] | None = None,
                  debug: bool = False) -> int:
    """The command: region, identity (fast, before synthesis), synth, checks, report."""
    out = out or sys.stdout
    try:
        configured = _configured_region(stack)
        region = region or configured or _default_region()
        if not region:
            raise PreflightUsageError(
                "no region: set aws:region in the stack file, pass --region, or set AWS_REGION")
        clients = clients or aws_clients(region)
        identity = caller_identity(clients("sts"))
        if manifest is None:
            from infra.synth import synthesize

            manifest = synthesize(stack)
        report = evaluate(stack_needs(manifest), region, clients, vantage or HostVantage(),
                          identity=identity)
        if configured and region != configured:
            report.findings.insert(1, Finding(
                "region", Severity.WARNING, region,
                f"the stack deploys to {configured} (aws:region); AZ names, offerings and quotas "
                "differ per region", "drop --region, or change aws:region"))
        out.write(render(report, fmt))
        return report.exit_code
    except PreflightUsageError as error:
        print(f"strata preflight: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 2
    except Exception as error:
        if debug:
            traceback.print_exc()
        print(f"strata preflight: internal error: {type(error).__name__}: {error}"
              + ("" if debug else " (--debug prints the traceback)"), file=sys.stderr)
        return 3


def _configured_region(stack: str) -> str:
    from infra._stackfile import find_project, read_stack_config

    return read_stack_config(find_project(), stack).values.get("aws:region", "")


def _default_region() -> str:
    import boto3

    return boto3.session.Session().region_name or ""
