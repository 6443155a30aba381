"""Platform: the shared network, the platform key and every service's data, wired together.

No raw AWS resources here: only components. The data catalog output tells governance which
service owns which store, under which key, with what classification.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi

from components._plan import availability_zones
from components._tags import ownership_tags
from components.kms import EncryptionKey
from components.network import Network
from stacks.catalog import Catalog
from stacks.service import ServiceData

__all__ = ["Platform", "PlatformArgs"]

PLATFORM_SERVICE = "platform"
"""The `service` tag of shared infrastructure (network, cluster, Kafka, monitoring)."""


class PlatformArgs(TypedDict):
    catalog: Catalog
    """The validated stack config."""


class Platform(pulumi.ComponentResource):
    network: Network
    platform_key: EncryptionKey
    services: dict[str, ServiceData]
    data_catalog: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: PlatformArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Platform", name, None, opts)
        catalog = args["catalog"]
        env = catalog.environment
        child = pulumi.ResourceOptions(parent=self)
        tags = ownership_tags(owner=env.owner, service=PLATFORM_SERVICE, environment=env.name,
                              classification="internal", cost_center=env.cost_center)
        self.platform_key = EncryptionKey(
            "platform-key",
            {
                "description": f"Shared platform infrastructure of {env.name}: logs, alarms, "
                               "Kafka, EKS secrets",
                "alias": f"strata/{env.name}/platform",
                "tags": tags,
                "service_principals": [f"logs.{env.region}.amazonaws.com",
                                       "cloudwatch.amazonaws.com", "sns.amazonaws.com"],
                "protect": env.protected,
            },
            opts=child,
        )
        self.network = Network(
            "network",
            {
                "cidr": catalog.network.cidr,
                "availability_zones": availability_zones(env.region, catalog.network.az_count),
                "nat_mode": catalog.network.nat_mode,
                "tags": tags,
                "log_key": self.platform_key,
                "log_retention_days": env.log_days,
                "protect": env.protected,
            },
            opts=child,
        )
        self.services = {
            service_name: ServiceData(
                service_name,
                {"service": service, "environment": env, "network": self.network,
                 "monitoring": catalog.monitoring},
                opts=child,
            )
            for service_name, service in catalog.services.items()
        }
        self.data_catalog = pulumi.Output.from_input(
            {name: svc.catalog_entry for name, svc in self.services.items()})
        self.register_outputs({"dataCatalog": self.data_catalog})
