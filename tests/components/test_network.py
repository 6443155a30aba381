"""Network: three tiers per AZ, no public IPs on launch, isolated subnets without a route out,
encrypted flow logs, and arguments checked before anything is registered."""

from __future__ import annotations

import pytest

from components._args import ComponentArgsError
from components.kms import EncryptionKey
from components.network import Network, physical_names

AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def _network(tags, **extra):
    key = EncryptionKey("platform-key", {"description": "logs", "tags": tags})
    return Network("network", {"cidr": "10.0.0.0/16", "tags": tags,
                               "flow_log_kms_key_arn": key.arn, "availability_zones": AZS,
                               "flow_log_retention_days": 30, **extra})


def test_three_tiers_per_az_and_nothing_public_on_launch(mocked, tags):
    registered = mocked(lambda: _network(tags))
    subnets = registered.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    assert {s["inputs"]["tags"]["tier"] for s in subnets} == {"public", "private", "isolated"}
    assert {s["inputs"]["availabilityZone"] for s in subnets} == set(AZS)
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


def test_flow_logs_go_to_an_encrypted_group_that_follows_the_lifecycle(mocked, tags):
    registered = mocked(lambda: _network(tags, lifecycle={"protect": True},
                                         flow_log_group_name="/team/prod/flow-logs"))
    flow = registered.one("aws:ec2/flowLog:FlowLog")
    assert flow["inputs"]["trafficType"] == "ALL"
    group = registered.one("aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["name"] == "/team/prod/flow-logs"
    assert group["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["inputs"]["retentionInDays"] == 30
    assert group["protect"] is True
    assert group["urn"] in flow["propertyDependencies"]["logDestination"]


def test_without_a_key_the_network_creates_one_admitting_only_its_log_group(mocked, tags):
    import json

    registered = mocked(lambda: Network("net", {"cidr": "10.1.0.0/16",
                                                "availability_zones": AZS[:2]}))
    key = registered.one("aws:kms/key:Key")
    logs = next(s for s in json.loads(key["inputs"]["policy"])["Statement"]
                if s["Sid"] == "CloudWatchLogs")
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/vpc/net/flow-logs"]
    group = registered.one("aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["retentionInDays"] == 365
    assert key["urn"] in group["propertyDependencies"]["kmsKeyId"]


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


def test_bad_arguments_are_refused_before_anything_is_registered(tags):
    with pytest.raises(ComponentArgsError, match=r"'nat_mode' expects single\|per-az"):
        Network("n", {"cidr": "10.0.0.0/16", "availability_zones": AZS, "nat_mode": "two"})
    with pytest.raises(ComponentArgsError, match="too small"):
        Network("n", {"cidr": "10.0.0.0/24", "availability_zones": AZS * 4})
    with pytest.raises(ComponentArgsError, match="log-group name"):
        Network("n", {"cidr": "10.0.0.0/16", "availability_zones": AZS,
                      "flow_log_group_name": "bad name!"})
    with pytest.raises(ComponentArgsError, match="flow_log_retention_days 10 is not a "
                                                  "CloudWatch Logs retention; allowed: 1, 3, 5"):
        Network("n", {"cidr": "10.0.0.0/16", "availability_zones": AZS,
                      "flow_log_retention_days": 10})


def test_physical_names_list_the_flow_log_group():
    assert physical_names("net") == [("log-group", "/vpc/net/flow-logs")]


def test_the_provider_host_can_infer_its_schema():
    from pulumi.provider.experimental.analyzer import Analyzer

    result = Analyzer("strata").analyze([Network])
    definition = result["component_definitions"]["Network"]
    assert {"cidr", "availabilityZones", "natMode", "lifecycle"} <= set(definition.inputs)
    assert {"vpcId", "privateSubnetIds", "isolatedSubnetIds"} <= set(definition.outputs)
    assert "NatMode" in result["type_definitions"]
