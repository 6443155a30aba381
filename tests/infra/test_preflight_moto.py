"""Preflight checks against moto's server (real HTTP, real botocore parsing) for the APIs moto
implements; Stubber only where moto has no implementation (see preflight_doubles)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._preflight_compute import (  # noqa: E402
    check_availability_zones,
    check_node_instance_types,
)
from infra._preflight_data import (  # noqa: E402
    check_grafana_sso,
    check_liveanalytics,
    check_rds_instance_classes,
)
from infra._preflight_needs import (  # noqa: E402
    DatabaseNeed,
    NodeGroupNeed,
    StackNeeds,
)
from infra._preflight_quotas import QUOTAS, check_quota  # noqa: E402
from infra._preflight_report import Severity  # noqa: E402
from infra.preflight import caller_identity  # noqa: E402
from tests.infra.preflight_doubles import (  # noqa: E402, F401 (fixtures)
    fresh_fixture,
    moto_fixture,
    moto_url_fixture,
    stubbed,
)

RULES = {rule.kind: rule for rule in QUOTAS}


def _severities(findings: list[Any]) -> list[str]:
    return [f.severity.value for f in findings]


# Measured, not assumed: which calls moto serves decides moto vs Stubber in these tests. When
# moto grows one of the missing calls, the second test fails: move that API's tests to moto.
SERVED = [
    ("sts", "get_caller_identity", {}),
    ("ec2", "describe_availability_zones", {}),
    ("ec2", "describe_instance_type_offerings", {
        "LocationType": "availability-zone",
        "Filters": [{"Name": "instance-type", "Values": ["t4g.large"]}]}),
    ("ec2", "describe_addresses", {}),
    ("rds", "describe_orderable_db_instance_options",
     {"Engine": "aurora-postgresql", "EngineVersion": "15.2"}),
    ("rds", "describe_db_clusters", {}),
    ("rds", "describe_db_instances", {}),
    ("service-quotas", "get_service_quota", {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"}),
    ("kafka", "list_clusters_v2", {}),
    ("sso-admin", "list_instances", {}),
    ("timestream-write", "list_databases", {}),
]
NOT_SERVED = [
    ("rds", "describe_db_engine_versions", {"Engine": "postgres"}),
    ("kafka", "list_kafka_versions", {}),
    ("eks", "describe_addon_versions", {"kubernetesVersion": "1.33"}),
    ("eks", "describe_cluster_versions", {}),
    ("service-quotas", "get_service_quota", {"ServiceCode": "rds", "QuotaCode": "L-952B80B8"}),
    ("service-quotas", "get_aws_default_service_quota",
     {"ServiceCode": "rds", "QuotaCode": "L-952B80B8"}),
]


@pytest.mark.parametrize(("service", "operation", "params"), SERVED)
def test_moto_serves(moto, service: str, operation: str, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    response = getattr(moto(service, "us-east-1" if service == "rds" else "eu-west-1"),
                       operation)(**params)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(("service", "operation", "params"), NOT_SERVED)
def test_moto_does_not_serve(moto, service: str, operation: str, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ClientError, ResponseParserError)):
        getattr(moto(service), operation)(**params)


def test_caller_identity_comes_from_sts(moto) -> None:  # type: ignore[no-untyped-def]
    account, arn = caller_identity(moto("sts"))
    assert account == "123456789012" and arn.startswith("arn:aws:sts::123456789012:")


def test_azs_the_region_has_pass_and_a_made_up_one_blocks(moto) -> None:  # type: ignore[no-untyped-def]
    findings = check_availability_zones(
        moto("ec2"), StackNeeds("dev", azs=("eu-west-1a", "eu-west-1b", "eu-west-1d")))
    assert _severities(findings) == ["ok", "ok", "blocker"]
    assert findings[2].subject == "eu-west-1d"
    assert "eu-west-1a, eu-west-1b, eu-west-1c" in findings[2].found


def test_node_types_offered_in_every_az_pass(moto) -> None:  # type: ignore[no-untyped-def]
    needs = StackNeeds("dev", node_groups=(
        NodeGroupNeed("general", ("t4g.large", "m7g.large"), ("eu-west-1a", "eu-west-1b")),))
    assert _severities(check_node_instance_types(moto("ec2"), needs)) == ["ok", "ok"]


def test_unknown_instance_type_blocks_in_every_az(moto) -> None:  # type: ignore[no-untyped-def]
    needs = StackNeeds("dev", node_groups=(
        NodeGroupNeed("general", ("t4g.large", "zz9.huge"), ("eu-west-1a", "eu-west-1b")),))
    ok, blocked = check_node_instance_types(moto("ec2"), needs)
    assert ok.severity is Severity.OK and blocked.severity is Severity.BLOCKER
    assert blocked.found.startswith("not offered in eu-west-1a, eu-west-1b")


def test_type_missing_in_one_az_blocks_naming_that_az(moto) -> None:  # type: ignore[no-untyped-def]
    ec2 = moto("ec2")
    offers: dict[str, set[str]] = {}
    for page in ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone"):
        for o in page["InstanceTypeOfferings"]:
            offers.setdefault(o["InstanceType"], set()).add(o["Location"])
    partial = sorted(t for t, azs in offers.items()
                     if {"eu-west-1a", "eu-west-1b"} <= azs and "eu-west-1c" not in azs)
    assert partial, "moto's eu-west-1 data has no type missing from eu-west-1c any more"
    needs = StackNeeds("dev", node_groups=(
        NodeGroupNeed("general", (partial[0],), ("eu-west-1a", "eu-west-1b", "eu-west-1c")),))
    [finding] = check_node_instance_types(ec2, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.found.startswith("not offered in eu-west-1c (offered in: eu-west-1a, eu-west-1b")


def _aurora(instance_class: str, pinned: tuple[str, ...] = (),
            candidates: tuple[str, ...] = ()) -> StackNeeds:
    return StackNeeds("dev", databases=(DatabaseNeed(
        "shard-0-writer", "aurora-postgresql", "15.2", instance_class, True, pinned,
        candidates),))


def test_rds_class_orderable_in_its_az_passes(moto) -> None:  # type: ignore[no-untyped-def]
    # moto carries orderable options for aurora-postgresql only, with us-east-1 AZs.
    [finding] = check_rds_instance_classes(moto("rds", "us-east-1"),
                                           _aurora("db.r6g.large", ("us-east-1a",)))
    assert finding.severity is Severity.OK and "us-east-1a" in finding.found


def test_rds_class_not_orderable_blocks(moto) -> None:  # type: ignore[no-untyped-def]
    [finding] = check_rds_instance_classes(moto("rds", "us-east-1"), _aurora("db.m1.small"))
    assert finding.severity is Severity.BLOCKER
    assert finding.found == "not orderable in this region for this engine version"


def test_rds_class_pinned_to_an_az_without_it_blocks(moto) -> None:  # type: ignore[no-untyped-def]
    rds = moto("rds", "us-east-1")
    options = rds.describe_orderable_db_instance_options(
        Engine="aurora-postgresql", EngineVersion="15.2")["OrderableDBInstanceOptions"]
    zones = {o["DBInstanceClass"]: {z["Name"] for z in o["AvailabilityZones"]} for o in options}
    every = set().union(*zones.values())
    cls, azs = next((c, z) for c, z in sorted(zones.items()) if z != every)
    missing = sorted(every - azs)[0]
    [finding] = check_rds_instance_classes(rds, _aurora(cls, (missing,)))
    assert finding.severity is Severity.BLOCKER
    assert f"shard-0-writer is pinned to {missing}" in finding.found
    # Not pinned, its subnet group offers an AZ that has the class: fine.
    [spread] = check_rds_instance_classes(rds, _aurora(cls, (), (missing, sorted(azs)[0])))
    assert spread.severity is Severity.OK


def _needs_units(kind: str, units: dict[str, dict[str, int]]) -> StackNeeds:
    return StackNeeds("dev", physical={kind: units})


def test_vpc_quota_from_moto_passes_then_blocks_when_full(fresh) -> None:  # type: ignore[no-untyped-def]
    quotas, ec2 = fresh("service-quotas"), fresh("ec2")
    needs = _needs_units("vpcs", {"": {"dev/network": 1}})
    [ok] = check_quota(RULES["vpcs"], quotas, ec2, needs)
    assert ok.severity is Severity.OK
    assert ok.found == "1 in use + 1 new = 2 of 5"  # moto's default VPC, AWS's default quota
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    [full] = check_quota(RULES["vpcs"], quotas, ec2, needs)
    assert full.severity is Severity.BLOCKER
    assert full.found == "5 in use + 1 new = 6 of 5 -> over quota"
    assert "request an increase to at least 6" in full.fix


def test_quota_does_not_count_the_stacks_own_deployed_resources_twice(fresh) -> None:  # type: ignore[no-untyped-def]
    quotas, ec2 = fresh("service-quotas"), fresh("ec2")
    for n in range(3):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "network"},
                                        {"Key": "environment", "Value": "dev"}]}])
    [finding] = check_quota(RULES["vpcs"], quotas, ec2,
                            _needs_units("vpcs", {"": {"dev/network": 1}}))
    assert finding.severity is Severity.OK
    assert finding.found == "5 in use + 0 new = 5 of 5"


def test_nat_gateway_quota_is_per_az(fresh) -> None:  # type: ignore[no-untyped-def]
    ec2 = fresh("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24",
                               AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
    for _ in range(5):
        ec2.create_nat_gateway(SubnetId=subnet,
                               AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    needs = _needs_units("nat-gateways-per-az", {"eu-west-1a": {"dev/nat-a": 1},
                                                 "eu-west-1b": {"dev/nat-b": 1}})
    [finding] = check_quota(RULES["nat-gateways-per-az"], fresh("service-quotas"), ec2, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.found == "5 in use + 1 new in eu-west-1a = 6 of 5 -> over quota"


def _stub_quota(code: str, service: str, value: float) -> Any:
    quotas, stub = stubbed("service-quotas")
    stub.add_response("get_service_quota", {"Quota": {"QuotaCode": code, "Value": value}},
                      {"ServiceCode": service, "QuotaCode": code})
    return quotas


def test_elastic_ip_usage_from_moto_against_the_ec2_quota(fresh) -> None:  # type: ignore[no-untyped-def]
    ec2 = fresh("ec2")
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    needs = _needs_units("elastic-ips", {"": {"dev/nat-a": 1, "dev/nat-b": 1}})
    [finding] = check_quota(RULES["elastic-ips"], _stub_quota("L-0263D0A3", "ec2", 5), ec2, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.found == "4 in use + 2 new = 6 of 5 -> over quota"


def test_rds_cluster_usage_from_moto_recognises_the_stacks_identifiers(fresh) -> None:  # type: ignore[no-untyped-def]
    rds = fresh("rds")
    for identifier in ("Other-1", "dev-inventory-postgres-0"):
        rds.create_db_cluster(DBClusterIdentifier=identifier, Engine="aurora-postgresql",
                              MasterUsername="admin_user", MasterUserPassword="password1234")
    needs = _needs_units("rds-clusters", {"": {"dev-inventory-postgres-0": 1,
                                               "dev-inventory-postgres-1": 1}})
    [ok] = check_quota(RULES["rds-clusters"], _stub_quota("L-952B80B8", "rds", 3), rds, needs)
    assert ok.found == "2 in use + 1 new = 3 of 3"
    [over] = check_quota(RULES["rds-clusters"], _stub_quota("L-952B80B8", "rds", 2), rds, needs)
    assert over.severity is Severity.BLOCKER


def test_msk_broker_usage_from_moto(fresh) -> None:  # type: ignore[no-untyped-def]
    kafka = fresh("kafka")
    kafka.create_cluster(ClusterName="other", KafkaVersion="3.6.0", NumberOfBrokerNodes=88,
                         BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large",
                                              "ClientSubnets": ["s1", "s2"]})
    needs = _needs_units("msk-brokers", {"": {"strata-dev": 3}})
    [finding] = check_quota(RULES["msk-brokers"], _stub_quota("L-EDD31C36", "kafka", 90),
                            kafka, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.found == "88 in use + 3 new = 91 of 90 -> over quota"


def test_identity_center_instance_from_moto_admits_grafana_sso(moto) -> None:  # type: ignore[no-untyped-def]
    [finding] = check_grafana_sso(moto("sso-admin"),
                                  StackNeeds("dev", grafana_sso_workspaces=("strata-dev",)))
    assert finding.severity is Severity.OK and "arn:aws:sso:::instance/" in finding.found


def test_liveanalytics_is_ok_only_for_accounts_already_using_it(fresh) -> None:  # type: ignore[no-untyped-def]
    timestream = fresh("timestream-write")
    needs = StackNeeds("dev", liveanalytics_databases=("dev-analytics",))
    [new_account] = check_liveanalytics(timestream, needs)
    assert new_account.severity is Severity.WARNING
    assert "closed to new customers since 2025-06-20" in new_account.found
    timestream.create_database(DatabaseName="legacy-metrics")
    [existing] = check_liveanalytics(timestream, needs)
    assert existing.severity is Severity.OK
