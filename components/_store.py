"""What every data store component offers, and the parts they share.

Monitoring builds alarms and dashboards from `alarm_specs()` and `metrics()`, never from
hand-typed metric names, and access is granted only through the store's grants. Thresholds that
depend on a store's size are computed by the store itself. The helpers below are used by every
store: the key (the caller's, or the store's own), and grants attached as managed policies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import pulumi
import pulumi_aws as aws

from components._args import ComponentArgsError
from components._names import name_problem
from components._perms import Grant
from components.iam import attach_grants
from components.kms import EncryptionKey
from components.lifecycle import LifecycleArgs

__all__ = [
    "AlarmSpec",
    "AlarmThresholds",
    "DataStore",
    "GrantsAsPolicies",
    "Metric",
    "NetworkStore",
    "check_names",
    "store_key",
]

Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric series; dimension values may be Outputs of the store's resources."""

    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str = "Average"
    period_seconds: int = 300
    label: str = ""


@dataclass(frozen=True)
class AlarmSpec:
    """An alarm a store needs, with its threshold already computed and explained."""

    key: str
    """Stable business key for the alarm resource name, e.g. `shard-0-cpu`."""
    metric: Metric
    comparison: Comparison
    threshold: float
    description: str
    """What breached means and why the threshold is where it is."""
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"


@dataclass(frozen=True)
class AlarmThresholds:
    """Percentages from the monitoring config, which stores turn into absolute thresholds.
    The defaults live here and nowhere else."""

    cpu_percent: int = 80
    storage_free_percent: int = 20


class DataStore(Protocol):
    """A store owned by exactly one service."""

    @property
    def kind(self) -> str:
        """`postgres`, `dynamodb` or `timeseries` (the data catalog's vocabulary)."""
        ...

    @property
    def ports(self) -> tuple[int, ...]:
        """TCP ports clients open to reach the store; empty when the store is reached only
        through AWS APIs."""
        ...

    def read_grants(self) -> list[Grant]: ...

    def write_grants(self) -> list[Grant]: ...

    def grant_read(self, role: aws.iam.Role) -> list[aws.iam.Policy]: ...

    def grant_write(self, role: aws.iam.Role) -> list[aws.iam.Policy]: ...

    def metrics(self) -> list[Metric]: ...

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]: ...

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        """What governance needs to know about the store (kind, name, ARN, key, settings)."""
        ...


@runtime_checkable
class NetworkStore(DataStore, Protocol):
    """A store clients reach on a port inside the VPC (PostgreSQL, InfluxDB)."""

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> aws.vpc.SecurityGroupIngressRule:
        """Admit clients in `security_group_id` on the store's port(s)."""
        ...


def check_names(component: str, name: str, names: Sequence[tuple[str, str]]) -> None:
    """Refuse, before anything is registered, physical names AWS would refuse at apply time."""
    problems = [problem for kind, physical in names
                if (problem := name_problem(kind, physical)) is not None]
    if problems:
        raise ComponentArgsError(f"{component} {name!r}: " + "; ".join(problems))


def store_key(parent: pulumi.Resource, name: str, args: Mapping[str, Any], *, description: str,
              caller_services: Sequence[str], service_principals: Sequence[str] = ()
              ) -> pulumi.Input[str]:
    """The caller's `kms_key_arn`, else an own EncryptionKey `<name>-key` that lets the account's
    principals use it through `caller_services` (the services that use the key as their caller:
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)
    and `service_principals` as themselves, with the data's lifecycle."""
    if "kms_key_arn" in args:
        arn: pulumi.Input[str] = args["kms_key_arn"]
        return arn
    lifecycle: LifecycleArgs = args.get("lifecycle", {})
    key = EncryptionKey(f"{name}-key", {
        "description": description,
        "tags": dict(args.get("tags", {})),
        "caller_services": list(caller_services),
        "service_principals": list(service_principals),
        "lifecycle": lifecycle,
    }, opts=pulumi.ResourceOptions(parent=parent))
    return key.arn


class GrantsAsPolicies:
    """`grant_read` / `grant_write` for a store component: its `read_grants()` /
    `write_grants()` as managed policies `<store>-<verb>-<role>-own-<n>` attached to `role`,
    packed within IAM's size and count limits (components.iam). The store sets `_name` and
    `_tags` and is the policies' parent."""

    _name: str
    _tags: Mapping[str, str]

    def read_grants(self) -> list[Grant]:
        raise NotImplementedError

    def write_grants(self) -> list[Grant]:
        raise NotImplementedError

    def grant_read(self, role: aws.iam.Role) -> list[aws.iam.Policy]:
        """`read_grants` attached to `role` as managed policies."""
        return self._attach("read", role, self.read_grants())

    def grant_write(self, role: aws.iam.Role) -> list[aws.iam.Policy]:
        """`write_grants` attached to `role` as managed policies."""
        return self._attach("write", role, self.write_grants())

    def _attach(self, verb: str, role: aws.iam.Role, grants: list[Grant]) -> list[aws.iam.Policy]:
        assert isinstance(self, pulumi.Resource)
        return attach_grants(self, f"{self._name}-{verb}-{role.pulumi_resource_name}", role,
                             {"own": grants}, description=f"{verb} {self._name}", tags=self._tags)
