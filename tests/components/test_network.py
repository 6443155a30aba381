from __future__ import annotations

from components.kms import EncryptionKey
from components.network import Network


def _network(tags, **extra):
    key = EncryptionKey("platform-key", {"description": "logs", "alias": "test/platform",
                                         "tags": tags})
    return Network("network", {"cidr": "10.0.0.0/16", "tags": tags, "log_key": key,
                               "availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                               "log_retention_days": 30, **extra})


def test_three_tiers_per_az_and_nothing_public_on_launch(mocked, tags):
    registered = mocked(lambda: _network(tags))
    subnets = registered.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    assert {s["inputs"]["tags"]["tier"] for s in subnets} == {"public", "private", "isolated"}
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets)


def test_isolated_subnets_have_no_route_out(mocked, tags):
    registered = mocked(lambda: _network(tags))
    isolated_rt = registered.named("network-isolated-rt")
    routes = registered.of_type("aws:ec2/route:Route")
    assert not [r for r in routes if isolated_rt["urn"] in r["dependencies"]]
    assert all("natGatewayId" in r["inputs"] or "gatewayId" in r["inputs"] for r in routes)


def test_single_nat_by_default_and_one_per_az_on_request(mocked, tags):
    assert len(mocked(lambda: _network(tags)).of_type("aws:ec2/natGateway:NatGateway")) == 1
    per_az = mocked(lambda: _network(tags, nat_mode="per-az"))
    assert len(per_az.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_flow_logs_go_to_an_encrypted_group_with_retention(mocked, tags):
    registered = mocked(lambda: _network(tags, protect=True))
    flow = registered.one("aws:ec2/flowLog:FlowLog")
    assert flow["inputs"]["trafficType"] == "ALL"
    group = registered.one("aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["inputs"]["retentionInDays"] == 30
    assert group["protect"] is True
    assert group["urn"] in flow["propertyDependencies"]["logDestination"]


def test_default_security_group_allows_nothing(mocked, tags):
    default_sg = mocked(lambda: _network(tags)).one(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg["inputs"].get("ingress", []) == []
    assert default_sg["inputs"].get("egress", []) == []


def test_gateway_endpoints_for_s3_and_dynamodb(mocked, tags):
    endpoints = mocked(lambda: _network(tags)).of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e["inputs"]["serviceName"] for e in endpoints) == [
        "com.amazonaws.eu-west-1.dynamodb", "com.amazonaws.eu-west-1.s3"]
    assert all(len(e["inputs"]["routeTableIds"]) == 4 for e in endpoints)
