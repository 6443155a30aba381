"""The availability zones a stack spreads over: configured, else the region's own, never made up.

AZ names differ by region and account (ca-central-1 has no `c`; a new account may not see
every AZ of us-east-1), so letters are never invented. Subnets, and everything placed in them
(MSK brokers, InfluxDB), are replaced when their AZ changes: pin the names in
`strata:network.availabilityZones` once deployed (`strata preflight` checks them against the
account). Without them the first `azCount` AZs the provider reports as available and not
opt-in are taken, in name order.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.errors import ConfigError
from stacks.catalog import Catalog, Problem

__all__ = ["availability_zones"]


def availability_zones(catalog: Catalog, stack_file: str) -> list[str]:
    """The AZ names for the catalog's network; ConfigError when the region cannot serve them."""
    region, count = catalog.environment.region, catalog.network.az_count
    if catalog.network.availability_zones:
        return list(catalog.network.availability_zones)
    offered = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}])
    names = sorted(offered.names)
    if len(names) < count:
        raise ConfigError(stack_file, [Problem(
            ("network", "azCount"),
            f"{region} offers {len(names)} available AZs to this account "
            f"({', '.join(names) or 'none'}); {count} requested",
            f"2..{len(names)}", "STRATA-E101")])
    chosen = names[:count]
    pulumi.log.warn(f"availability zones from the provider: {', '.join(chosen)}; pin them in "
                    "strata:network.availabilityZones before the first deploy, so that a change "
                    "in what the region offers never moves the subnets")
    return chosen
