"""What preflight reads from a manifest: found by resource type, inputs and property
dependencies, checked on the real dev/prod manifests and on small hand-built ones."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._preflight_needs import stack_needs  # noqa: E402
from tests.conftest import synthesized  # noqa: E402
from tests.infra.preflight_doubles import dev_with_liveanalytics  # noqa: E402
from tests.policies.fixture_manifest import Builder  # noqa: E402


@pytest.fixture(scope="module")
def dev():  # type: ignore[no-untyped-def]
    return stack_needs(dev_with_liveanalytics())


@pytest.fixture(scope="module")
def prod():  # type: ignore[no-untyped-def]
    return stack_needs(synthesized("prod"))


def test_dev_needs_follow_subnets_to_their_azs(dev) -> None:  # type: ignore[no-untyped-def]
    assert dev.azs == ("eu-west-1a", "eu-west-1b")
    [group] = dev.node_groups
    assert group.instance_types == ("t4g.large",)
    assert group.azs == ("eu-west-1a", "eu-west-1b")
    [kafka] = dev.kafka
    assert (kafka.kafka_version, kafka.instance_type, kafka.brokers, kafka.client_azs) == \
        ("3.8.x", "kafka.t3.small", 2, ("eu-west-1a", "eu-west-1b"))
    [influx] = dev.influx
    assert (influx.instance_type, influx.azs) == ("db.influx.medium",
                                                  ("eu-west-1a", "eu-west-1b"))


def test_dev_addons_carry_their_clusters_kubernetes_version(dev) -> None:  # type: ignore[no-untyped-def]
    pins = {a.name: (a.version, a.kubernetes_version) for a in dev.addons}
    assert set(pins) == {"coredns", "eks-pod-identity-agent", "kube-proxy", "metrics-server",
                         "vpc-cni"}
    assert {k for _, k in pins.values()} == {"1.33"}
    assert pins["vpc-cni"][0].startswith("v1.")


def test_dev_databases_keep_engine_version_class_and_placement(dev) -> None:  # type: ignore[no-untyped-def]
    rds = [d for d in dev.databases if d.engine == "postgres"]
    assert {(d.version, d.instance_class, d.auto_minor_upgrade) for d in rds} == \
        {("16", "db.t4g.micro", True)}
    assert {d.candidate_azs for d in rds} == {("eu-west-1a", "eu-west-1b")}
    writers = [d for d in dev.databases if d.instance_class == "db.serverless"]
    assert writers and all(d.pinned_azs == ("eu-west-1a",) for d in writers)


def test_dev_services_that_need_account_features(dev) -> None:  # type: ignore[no-untyped-def]
    assert dev.liveanalytics_databases == ("dev-analytics",)
    assert dev.grafana_sso_workspaces == ("strata-dev",)


def test_quota_needs_are_counted_by_physical_key(dev, prod) -> None:  # type: ignore[no-untyped-def]
    def units(needs, kind):  # type: ignore[no-untyped-def]
        return {group: sum(keys.values()) for group, keys in needs.physical[kind].items()}

    assert units(dev, "vpcs") == {"": 1}
    assert units(dev, "nat-gateways-per-az") == {"eu-west-1a": 1}
    assert units(prod, "nat-gateways-per-az") == {"eu-west-1a": 1, "eu-west-1b": 1,
                                                  "eu-west-1c": 1}
    assert units(prod, "elastic-ips") == {"": 3}
    assert units(prod, "rds-clusters") == {"": 11}
    assert units(prod, "rds-instances") == {"": 22}
    assert prod.physical["msk-brokers"] == {"": {"strata-prod": 3}}
    assert "prod-orders-postgres-0-writer" in prod.physical["rds-instances"][""]


def test_prod_auto_mode_has_no_node_groups_to_check(prod) -> None:  # type: ignore[no-untyped-def]
    assert prod.node_groups == ()
    assert prod.azs == ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def test_sample_clusters_are_private_with_a_declared_deployer_network(dev, prod) -> None:  # type: ignore[no-untyped-def]
    for needs in (dev, prod):
        [cluster] = needs.clusters
        assert cluster.endpoint.private and not cluster.endpoint.public
        assert cluster.endpoint.deployer_cidrs == ("10.100.0.0/24",)


def _cluster_manifest(vpc_config: dict, sg_in_vpc_config: bool = False):  # type: ignore[no-untyped-def]
    b = Builder()
    b.add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    b.add("aws:ec2/subnet:Subnet", "a", {"availabilityZone": "eu-west-1a"})
    b.add("aws:ec2/securityGroup:SecurityGroup", "extra-sg", {
        "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443,
                     "cidrBlocks": ["10.50.0.0/16"]},
                    {"protocol": "tcp", "fromPort": 22, "toPort": 22,
                     "cidrBlocks": ["10.60.0.0/16"]}]})
    deps = {"vpcConfig": ["a", "extra-sg"] if sg_in_vpc_config else ["a"]}
    b.add("aws:eks/cluster:Cluster", "eks", {"name": "c1", "version": "1.33",
                                             "vpcConfig": vpc_config}, deps=deps)
    rule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    b.add(rule, "deployers", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                              "cidrIpv4": "10.99.0.0/16"}, deps={"securityGroupId": ["eks"]})
    b.add(rule, "db-port", {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
                            "cidrIpv4": "10.98.0.0/16"}, deps={"securityGroupId": ["eks"]})
    b.add(rule, "other-sg", {"ipProtocol": "-1", "cidrIpv4": "10.97.0.0/16"},
          deps={"securityGroupId": ["extra-sg"]})
    b.add("aws:eks/nodeGroup:NodeGroup", "ng", {}, deps={"subnetIds": ["a"]})
    return b.manifest()


def test_deployer_cidrs_are_443_ingress_on_the_cluster_security_group() -> None:
    needs = stack_needs(_cluster_manifest({"endpointPublicAccess": False,
                                           "endpointPrivateAccess": True}))
    endpoint = needs.clusters[0].endpoint
    assert endpoint.deployer_cidrs == ("10.99.0.0/16",)  # not 5432, not another group's rule
    assert endpoint.vpc_cidrs == ("10.0.0.0/16",)


def test_security_groups_named_in_vpc_config_count_with_their_inline_rules() -> None:
    needs = stack_needs(_cluster_manifest({"endpointPublicAccess": False,
                                           "endpointPrivateAccess": True}, True))
    assert needs.clusters[0].endpoint.deployer_cidrs == \
        ("10.50.0.0/16", "10.97.0.0/16", "10.99.0.0/16")


def test_public_endpoint_keeps_its_cidrs_and_eks_defaults_apply() -> None:
    restricted = stack_needs(_cluster_manifest({
        "endpointPublicAccess": True, "endpointPrivateAccess": True,
        "publicAccessCidrs": ["203.0.113.0/24"]})).clusters[0]
    assert restricted.endpoint.public and restricted.endpoint.public_cidrs == ("203.0.113.0/24",)
    defaults = stack_needs(_cluster_manifest({})).clusters[0]
    # CreateCluster defaults: public on, private off, upgrade policy EXTENDED.
    assert defaults.endpoint.public and not defaults.endpoint.private
    assert defaults.support_type == "EXTENDED"


def test_node_group_without_instance_types_gets_the_eks_default() -> None:
    [group] = stack_needs(_cluster_manifest({})).node_groups
    assert group.instance_types == ("t3.medium",)
    assert group.azs == ("eu-west-1a",)


def test_launch_template_instance_type_and_cluster_az_lists_are_read() -> None:
    b = Builder()
    b.add("aws:ec2/subnet:Subnet", "a", {"availabilityZone": "eu-west-1a"})
    b.add("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"instanceType": "m7g.xlarge"})
    b.add("aws:eks/nodeGroup:NodeGroup", "ng", {},
          deps={"subnetIds": ["a"], "launchTemplate": ["lt"]})
    b.add("aws:rds/cluster:Cluster", "db", {"engine": "aurora-postgresql",
                                            "availabilityZones": ["eu-west-1b", "eu-west-1c"]})
    needs = stack_needs(b.manifest())
    assert needs.node_groups[0].instance_types == ("m7g.xlarge",)
    assert needs.azs == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
