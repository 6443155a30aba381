"""Every Strata convention, once: the tag schema, physical names, when data is protected, and the
alarm percentages stores are judged by.

The library in `components/` knows none of this; the blueprint passes these values in. Names
always carry the environment, so two stacks in one account never collide, and the project prefix
(`strata`), so Strata's resources are recognisable in a shared account.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.lifecycle import LifecycleArgs
from stacks.catalog import Environment, Service

__all__ = [
    "CLASSIFIED",
    "PLATFORM_SERVICE",
    "PROJECT",
    "REQUIRED_TAG_KEYS",
    "Names",
    "lifecycle",
    "ownership_tags",
]

PROJECT = "strata"
"""Prefix of shared physical names (`strata-prod`, `/strata/prod/...`)."""

PLATFORM_SERVICE = "platform"
"""The `service` tag of shared infrastructure (network, cluster, Kafka, monitoring)."""

REQUIRED_TAG_KEYS = ("owner", "service", "environment", "data-classification", "cost-center")
"""The tags every taggable resource carries; the governance controls read them."""

CLASSIFIED = frozenset({"confidential", "restricted"})
"""Classifications whose data is protected in every environment, not only in prod."""


def ownership_tags(*, owner: str, service: str, environment: str, classification: str,
                   cost_center: str) -> dict[str, str]:
    """The five tags, in their own `tags` on each resource (policies judge declared inputs)."""
    return {"owner": owner, "service": service, "environment": environment,
            "data-classification": classification, "cost-center": cost_center}


def lifecycle(environment: Environment, service: Service | None = None) -> LifecycleArgs:
    """Stateful resources are protected in protected environments (prod by default), and
    confidential or restricted data everywhere (governance control
    strata-classified-data-protection). Protection means all four switches together."""
    on = environment.protected or (service is not None and service.classification in CLASSIFIED)
    return {"protect": on, "retain_on_delete": on, "deletion_protection": on,
            "final_snapshot": on}


@dataclass(frozen=True)
class Names:
    """Physical names of one environment. Every name includes the environment."""

    environment: str

    @property
    def stack(self) -> str:
        """`strata-<env>`: the EKS cluster, the MSK cluster, the dashboard, AMP and Grafana."""
        return f"{PROJECT}-{self.environment}"

    def log_group(self, what: str) -> str:
        """`/strata/<env>/<what>` (EKS's own group is fixed by EKS: `eks_log_group`)."""
        return f"/{PROJECT}/{self.environment}/{what}"

    @property
    def log_group_pattern(self) -> str:
        """Every log group of the environment, for the platform key's CloudWatch Logs grant."""
        return f"/{PROJECT}/{self.environment}/*"

    @property
    def eks_log_group(self) -> str:
        """EKS writes control-plane logs to `/aws/eks/<cluster>/cluster`, no other name."""
        return f"/aws/eks/{self.stack}/cluster"

    def key_alias(self, owner: str) -> str:
        """`strata/<env>/<service or platform>` (the `alias/` prefix is added by the key)."""
        return f"{PROJECT}/{self.environment}/{owner}"

    def service_role(self, service: str) -> str:
        """The workload role of a service: `strata-<env>-<service>`."""
        return f"{PROJECT}-{self.environment}-{service}"

    def store(self, service: str, store: str) -> str:
        """Prefix of a service's store: `<env>-<service>-<store>` (tables, shard sets, InfluxDB)."""
        return f"{self.environment}-{service}-{store}"

    def shard_map(self, service: str) -> str:
        return f"/{PROJECT}/{self.environment}/{service}/postgres/shard-map"

    def alarm_prefix(self, owner: str) -> str:
        """Alarm names start `<env>-<owner>-`, so the console groups them by owner."""
        return f"{self.environment}-{owner}-"
