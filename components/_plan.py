"""Pure planning: subnet layout and names. No Pulumi import, so it is unit-tested directly."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

__all__ = ["MIN_SUBNET_PREFIX", "SubnetPlan", "largest_az_count", "plan_subnets"]

MIN_SUBNET_PREFIX = 28
"""AWS refuses subnets smaller than /28."""

TIERS = ("private", "public", "isolated")


@dataclass(frozen=True)
class SubnetPlan:
    tier: str
    """`public` (load balancers, NAT), `private` (workloads, egress via NAT), or
    `isolated` (data stores, no route out)."""
    az: str
    cidr: str


def plan_subnets(vpc_cidr: str, azs: list[str]) -> list[SubnetPlan]:
    """Half the VPC for private subnets, a quarter each for public and isolated, one per AZ.

    Workloads (EKS pods take one IP each) need the most addresses, hence the half.
    """
    vpc = ipaddress.ip_network(vpc_cidr)
    az_bits = max(1, math.ceil(math.log2(len(azs))))
    private_half, rest = vpc.subnets(prefixlen_diff=1)
    public_quarter, isolated_quarter = rest.subnets(prefixlen_diff=1)
    blocks = {"private": private_half, "public": public_quarter, "isolated": isolated_quarter}
    plans = []
    for tier in TIERS:
        block = blocks[tier]
        if block.prefixlen + az_bits > MIN_SUBNET_PREFIX:
            raise ValueError(f"{vpc_cidr} is too small for {len(azs)} AZs "
                             f"({tier} subnets would be smaller than /{MIN_SUBNET_PREFIX})")
        subnets = list(block.subnets(prefixlen_diff=az_bits))
        plans += [SubnetPlan(tier, az, str(subnets[i])) for i, az in enumerate(azs)]
    return plans


def largest_az_count(vpc_cidr: str) -> int:
    """How many AZs `plan_subnets` can fit in `vpc_cidr`."""
    prefix = ipaddress.ip_network(vpc_cidr).prefixlen
    return 2 ** (MIN_SUBNET_PREFIX - prefix - 2)
