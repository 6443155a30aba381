"""Issue 8's catalog fields: named availability zones, the AZ counts provisioned MSK can serve,
and how the deployer reaches the EKS API (each refusal with its key path and rule in words)."""

from __future__ import annotations

import pytest

from infra.config import catalog_from_raw
from tests.stacks._config_fixtures import DELETE, find, problems_of_raw, raw_with

AZS = ("network", "availabilityZones")
PUBLIC = ("cluster", "publicAccessCidrs")
DEPLOYER = ("cluster", "deployerCidrs")

REFUSED = [
    # (case, stack, edits, key path, code, fragment)
    ("an AZ of another region", "prod",
     [("network.availabilityZones", ["eu-west-1a", "us-east-1b", "eu-west-1c"])],
     (*AZS, 1), "STRATA-E109", "not an AZ of eu-west-1"),
    ("an AZ named twice", "prod",
     [("network.availabilityZones", ["eu-west-1a", "eu-west-1a", "eu-west-1c"])],
     AZS, "STRATA-E109", "listed twice"),
    ("AZ names and azCount disagree", "prod",
     [("network.availabilityZones", ["eu-west-1a", "eu-west-1b"])],
     AZS, "STRATA-E109", "2 AZs named but azCount is 3"),
    ("a region where an AZ belongs", "dev", [("network.availabilityZones", ["eu-west-1", "x"])],
     (*AZS, 0), "STRATA-E002", "the region followed by one letter"),
    ("one AZ (EKS, RDS and Grafana need two)", "dev", [("network.azCount", 1)],
     ("network", "azCount"), "STRATA-E002", "2..6"),
    ("four AZs with provisioned MSK", "dev",
     [("network.azCount", 4), ("kafka.brokers", DELETE)],
     ("network", "azCount"), "STRATA-E103", "kafka.mode: provisioned"),
    ("brokers that do not spread over the AZs", "prod", [("kafka.brokers", 4)],
     ("kafka", "brokers"), "STRATA-E103", "a multiple of 3"),
    ("the public endpoint open to the internet", "dev",
     [("cluster.publicAccessCidrs", ["0.0.0.0/0"])], (*PUBLIC, 0), "STRATA-E105",
     "the whole internet"),
    ("a public range wider than /8", "dev", [("cluster.publicAccessCidrs", ["64.0.0.0/4"])],
     (*PUBLIC, 0), "STRATA-E105", "/8 or longer"),
    ("a private range on the public endpoint", "dev",
     [("cluster.publicAccessCidrs", ["10.100.0.0/24"])], (*PUBLIC, 0), "STRATA-E105",
     "go in deployerCidrs"),
    ("a public endpoint in prod", "prod", [("cluster.publicAccessCidrs", ["81.2.69.0/24"])],
     PUBLIC, "STRATA-E101", "private"),
    ("a public CIDR listed twice", "dev",
     [("cluster.publicAccessCidrs", ["81.2.69.0/24", "81.2.69.0/24"])], PUBLIC,
     "STRATA-E105", "listed twice"),
    ("a deployer network inside the stack's VPC", "dev",
     [("cluster.deployerCidrs", ["10.20.8.0/24"])], (*DEPLOYER, 0), "STRATA-E105",
     "overlaps the stack's own VPC (10.20.0.0/16)"),
    ("a deployer network holding the VPC", "dev", [("cluster.deployerCidrs", ["10.0.0.0/8"])],
     (*DEPLOYER, 0), "STRATA-E105", "overlaps"),
    ("a deployer address instead of a network", "dev",
     [("cluster.deployerCidrs", ["10.100.0.7/24"])], (*DEPLOYER, 0), "STRATA-E105",
     "10.100.0.0/24 (the network of 10.100.0.7/24)"),
    ("a deployer CIDR that is no CIDR", "dev", [("cluster.deployerCidrs", ["office"])],
     (*DEPLOYER, 0), "STRATA-E105", "not an IPv4 network"),
    ("an IPv6 deployer network", "dev", [("cluster.deployerCidrs", ["2001:db8::/32"])],
     (*DEPLOYER, 0), "STRATA-E105", "IPv4"),
    ("a deployer CIDR listed twice", "dev",
     [("cluster.deployerCidrs", ["10.100.0.0/24", "10.100.0.0/24"])], DEPLOYER, "STRATA-E105",
     "listed twice"),
    ("no route for the deployer", "dev", [("cluster.deployerCidrs", DELETE)], DEPLOYER,
     "STRATA-E105", "no route from the deployer"),
    ("a Kubernetes version without pinned add-ons", "dev",
     [("cluster.kubernetesVersion", "1.19")], ("cluster", "kubernetesVersion"), "STRATA-E105",
     "1.33"),
    ("node types of two architectures", "dev",
     [("cluster.nodeGroups.general.instanceTypes", ["t4g.large", "t3.large"])],
     ("cluster", "nodeGroups", "general", "instanceTypes"), "STRATA-E105", "one architecture"),
]


@pytest.mark.parametrize(("stack", "edits", "path", "code", "fragment"),
                         [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refuses_network_and_access_mistakes(stack, edits, path, code, fragment):
    find(problems_of_raw(raw_with(stack, *edits)), path, code, fragment)


def test_named_azs_decide_the_count_when_it_is_not_given():
    raw = raw_with("prod", ("network.azCount", DELETE),
                   ("network.availabilityZones", ["eu-west-1b", "eu-west-1c", "eu-west-1a"]))
    network = catalog_from_raw(raw, "Pulumi.prod.yaml").network
    assert network.az_count == 3
    assert network.availability_zones == ["eu-west-1b", "eu-west-1c", "eu-west-1a"]


def test_azs_default_to_the_data_source():
    assert catalog_from_raw(raw_with("prod"), "Pulumi.prod.yaml").network.availability_zones \
        is None


ACCEPTED = [
    ("serverless Kafka over four AZs (dev)", "dev",
     [("network.azCount", 4), ("kafka.mode", "serverless"), ("kafka.brokers", DELETE)]),
    ("a public endpoint for named public networks (dev)", "dev",
     [("cluster.publicAccessCidrs", ["81.2.69.0/24"]), ("cluster.deployerCidrs", DELETE)]),
    ("a deployer network routed from elsewhere", "prod",
     [("cluster.deployerCidrs", ["172.20.0.0/16", "192.168.50.0/24"])]),
]


@pytest.mark.parametrize(("stack", "edits"), [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepts_sound_network_choices(stack, edits):
    assert problems_of_raw(raw_with(stack, *edits)) == []
