from __future__ import annotations

import ipaddress

import pytest

from components._plan import largest_az_count, plan_subnets


def availability_zones(region: str, count: int) -> list[str]:
    return [f"{region}{letter}" for letter in "abcdef"[:count]]


@pytest.mark.parametrize(("cidr", "azs"), [("10.0.0.0/16", 2), ("10.0.0.0/16", 6),
                                           ("10.1.0.0/20", 3), ("192.168.0.0/24", 4)])
def test_subnets_fit_inside_the_vpc_without_overlap(cidr, azs):
    plans = plan_subnets(cidr, availability_zones("eu-west-1", azs))
    nets = [ipaddress.ip_network(p.cidr) for p in plans]
    assert len(plans) == 3 * azs
    assert all(n.subnet_of(ipaddress.ip_network(cidr)) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert all(n.prefixlen <= 28 for n in nets)


def test_private_subnets_are_the_largest():
    plans = plan_subnets("10.0.0.0/16", availability_zones("eu-west-1", 3))
    size = {p.tier: ipaddress.ip_network(p.cidr).num_addresses for p in plans}
    assert size["private"] == 2 * size["public"] == 2 * size["isolated"]


def test_plan_is_stable_for_the_same_input():
    azs = availability_zones("eu-west-1", 3)
    assert plan_subnets("10.0.0.0/16", azs) == plan_subnets("10.0.0.0/16", azs)
    assert plan_subnets("10.0.0.0/16", azs)[0].cidr == "10.0.0.0/19"  # half, split in 4


def test_refuses_a_vpc_too_small_for_the_azs():
    assert largest_az_count("10.0.0.0/24") == 4
    with pytest.raises(ValueError, match="too small"):
        plan_subnets("10.0.0.0/24", availability_zones("eu-west-1", 6))
