"""What a builder inside ServiceData needs to know about the service and where it runs."""

from __future__ import annotations

from dataclasses import dataclass

from components.kms import EncryptionKey
from components.network import Network
from stacks.catalog import Environment, Service

__all__ = ["CLASSIFIED", "ServiceContext", "is_protected"]

CLASSIFIED = ("confidential", "restricted")


def is_protected(environment: Environment, service: Service) -> bool:
    """Stateful resources are protected in protected environments, and confidential or
    restricted data is protected everywhere (policy strata-classified-data-protection)."""
    return environment.protected or service.classification in CLASSIFIED


@dataclass(frozen=True)
class ServiceContext:
    """What a store builder needs to know about the service and where it runs."""

    service_name: str
    service: Service
    environment: Environment
    network: Network
    key: EncryptionKey
    tags: dict[str, str]

    @property
    def protect(self) -> bool:
        return is_protected(self.environment, self.service)

    @property
    def prefix(self) -> str:
        """Physical-name prefix: `<environment>-<service>`."""
        return f"{self.environment.name}-{self.service_name}"
