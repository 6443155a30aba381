"""Preflight checks of the APIs moto does not implement, driven by botocore's Stubber: every
request is checked against the expected parameters and every canned answer against the service
model, so a wrong call or a misread response shape fails here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._preflight_compute import check_addon_versions, check_kubernetes_versions  # noqa: E402
from infra._preflight_data import (  # noqa: E402
    check_grafana_sso,
    check_influxdb,
    check_kafka,
    check_rds_engine_versions,
    check_rds_instance_classes,
)
from infra._preflight_needs import (  # noqa: E402
    AddonNeed,
    ClusterNeed,
    DatabaseNeed,
    EndpointNeed,
    InfluxNeed,
    KafkaNeed,
    StackNeeds,
)
from infra._preflight_quotas import QUOTAS, check_quota  # noqa: E402
from infra._preflight_report import Severity  # noqa: E402
from infra.preflight import CHECKS, evaluate  # noqa: E402
from tests.infra.preflight_doubles import FixedVantage, factory, stubbed  # noqa: E402


def _cluster(version: str = "1.33", support: str = "STANDARD") -> StackNeeds:
    endpoint = EndpointNeed("c1", True, ("203.0.113.0/24",), False, ())
    return StackNeeds("dev", clusters=(ClusterNeed("c1", version, support, endpoint),))


@pytest.mark.parametrize(("answer", "severity", "text"), [
    ([{"clusterVersion": "1.33", "versionStatus": "STANDARD_SUPPORT"}], "ok", "STANDARD_SUPPORT"),
    ([], "blocker", "does not offer this version"),
    ([{"clusterVersion": "1.33", "versionStatus": "UNSUPPORTED"}], "blocker", "UNSUPPORTED"),
    ([{"clusterVersion": "1.33", "status": "extended-support",
       "endOfStandardSupportDate": "2026-07-29T00:00:00Z"}], "warning", "extended support"),
])
def test_kubernetes_version(answer: list[Any], severity: str, text: str) -> None:
    eks, stub = stubbed("eks")
    stub.add_response("describe_cluster_versions", {"clusterVersions": answer},
                      {"clusterVersions": ["1.33"], "includeAll": True})
    [finding] = check_kubernetes_versions(eks, _cluster())
    stub.assert_no_pending_responses()
    assert finding.severity.value == severity and text in finding.found


def _addon_answer(name: str, versions: list[str], default: str = "") -> dict[str, Any]:
    return {"addons": [{"addonName": name, "addonVersions": [
        {"addonVersion": v, "compatibilities": [
            {"clusterVersion": "1.33", "defaultVersion": v == default}]} for v in versions]}]}


def test_published_addon_version_passes() -> None:
    eks, stub = stubbed("eks")
    stub.add_response("describe_addon_versions",
                      _addon_answer("vpc-cni", ["v1.20.0-eksbuild.1", "v1.19.5-eksbuild.1"]),
                      {"addonName": "vpc-cni", "kubernetesVersion": "1.33"})
    needs = StackNeeds("dev", addons=(AddonNeed("vpc-cni", "v1.19.5-eksbuild.1", "1.33"),))
    [finding] = check_addon_versions(eks, needs)
    assert finding.severity is Severity.OK


def test_addon_version_not_published_blocks_and_names_the_default() -> None:
    eks, stub = stubbed("eks")
    stub.add_response("describe_addon_versions",
                      _addon_answer("vpc-cni", ["v1.20.1-eksbuild.3", "v1.20.0-eksbuild.1"],
                                    default="v1.20.0-eksbuild.1"),
                      {"addonName": "vpc-cni", "kubernetesVersion": "1.33"})
    needs = StackNeeds("dev", addons=(AddonNeed("vpc-cni", "v1.15.0-eksbuild.2", "1.33"),))
    [finding] = check_addon_versions(eks, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.subject == "vpc-cni v1.15.0-eksbuild.2"
    assert finding.found.startswith("not published for Kubernetes 1.33 (published: "
                                    "v1.20.1-eksbuild.3, v1.20.0-eksbuild.1)")
    assert finding.fix == "pin v1.20.0-eksbuild.1 (the EKS default)"


def _engines(*versions: str, engine: str = "postgres") -> tuple[Any, Any]:
    rds, stub = stubbed("rds")
    stub.add_response("describe_db_engine_versions", {"DBEngineVersions": [
        {"Engine": engine, "EngineVersion": v} for v in versions]}, {"Engine": engine})
    return rds, stub


def _db(version: str, auto_minor: bool = True, cls: str = "db.t4g.micro",
        azs: tuple[str, ...] = ("eu-west-1a", "eu-west-1b"), multi_az: bool = False) -> StackNeeds:
    return StackNeeds("dev", databases=(
        DatabaseNeed("orders-0", "postgres", version, cls, auto_minor, (), azs, multi_az),))


def test_exact_minor_with_automatic_upgrades_is_a_warning() -> None:
    rds, _ = _engines("16.6", "16.8", "16.9", "17.4")
    [finding] = check_rds_engine_versions(rds, _db("16.6"))
    assert finding.severity is Severity.WARNING
    assert "(newer already offered: 16.8, 16.9)" in finding.found
    assert 'engineVersion "16"' in finding.fix


def test_major_only_pin_and_exact_pin_without_upgrades_pass() -> None:
    rds, _ = _engines("16.6", "16.8")
    [major] = check_rds_engine_versions(rds, _db("16"))
    assert major.severity is Severity.OK and "16.8" in major.found
    rds, _ = _engines("16.6", "16.8")
    [exact] = check_rds_engine_versions(rds, _db("16.6", auto_minor=False))
    assert exact.severity is Severity.OK


def test_engine_version_not_offered_blocks() -> None:
    rds, _ = _engines("16.8", "17.4")
    [finding] = check_rds_engine_versions(rds, _db("15.3"))
    assert finding.severity is Severity.BLOCKER and "newest postgres: 16.8, 17.4" in finding.found


def test_rds_multi_az_needs_two_azs_offering_the_class() -> None:
    # moto has no orderable data for engine postgres: Stubber.
    rds, stub = stubbed("rds")
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": [
        {"Engine": "postgres", "EngineVersion": "16.6", "DBInstanceClass": "db.m7g.large",
         "AvailabilityZones": [{"Name": "eu-west-1a"}, {"Name": "eu-west-1c"}]}]},
        {"Engine": "postgres", "EngineVersion": "16.6", "DBInstanceClass": "db.m7g.large",
         "Vpc": True})
    [finding] = check_rds_instance_classes(rds, _db("16.6", cls="db.m7g.large", multi_az=True))
    assert finding.severity is Severity.BLOCKER
    assert "orders-0 can use 1 of its subnet group's AZs (eu-west-1a, eu-west-1b), needs 2" \
        in finding.found


def _zones(*pairs: tuple[str, str]) -> Any:
    ec2, stub = stubbed("ec2", region=pairs[0][0][:-1])
    stub.add_response("describe_availability_zones", {"AvailabilityZones": [
        {"ZoneName": name, "ZoneId": zone_id, "State": "available"} for name, zone_id in pairs]})
    return ec2


def _kafka(version: str, status: str | None) -> Any:
    kafka, stub = stubbed("kafka")
    listed = [{"Version": "3.9.x", "Status": "ACTIVE"}, {"Version": "3.8.x", "Status": "ACTIVE"}]
    if status:
        listed.append({"Version": version, "Status": status})
    stub.add_response("list_kafka_versions", {"KafkaVersions": listed}, {})
    return kafka


@pytest.mark.parametrize(("version", "status", "severity"), [
    ("3.7.x", "ACTIVE", "ok"), ("2.8.1", "DEPRECATED", "warning"), ("4.9.9", None, "blocker")])
def test_kafka_versions(version: str, status: str | None, severity: str) -> None:
    needs = StackNeeds("dev", kafka=(
        KafkaNeed("strata-dev", version, "kafka.m7g.large", 2, ("eu-west-1a", "eu-west-1b")),))
    findings = check_kafka(_kafka(version, status),
                           _zones(("eu-west-1a", "euw1-az3"), ("eu-west-1b", "euw1-az1")), needs)
    by_check = {f.check: f for f in findings}
    assert by_check["msk-kafka-versions"].severity.value == severity
    assert by_check["msk-placement"].severity is Severity.OK
    # Broker types cannot be asked for: always said, never passed.
    assert by_check["msk-broker-types"].severity is Severity.WARNING
    assert by_check["msk-broker-types"].found.startswith("not checked:")


def test_msk_refuses_zone_use1_az3_and_uneven_brokers() -> None:
    needs = StackNeeds("dev", kafka=(
        KafkaNeed("strata-dev", "3.8.x", "kafka.m7g.large", 4,
                  ("us-east-1a", "us-east-1b", "us-east-1c")),))
    ec2 = _zones(("us-east-1a", "use1-az3"), ("us-east-1b", "use1-az1"),
                 ("us-east-1c", "use1-az2"))
    findings = check_kafka(_kafka("3.8.x", None), ec2, needs)
    [placement] = [f for f in findings if f.check == "msk-placement"]
    assert placement.severity is Severity.BLOCKER
    assert "client subnets in us-east-1a (use1-az3)" in placement.found
    assert "4 brokers over 3 AZs" in placement.found


def test_influxdb_type_outside_the_api_enum_blocks_and_a_valid_one_is_unverifiable() -> None:
    influx, _ = stubbed("timestream-influxdb")  # no call: the model's DbInstanceType enum
    needs = StackNeeds("dev", influx=(InfluxNeed("a", "db.influx.medium", ()),
                                      InfluxNeed("b", "db.influx.tiny", ())))
    valid, invalid = check_influxdb(influx, needs)
    assert valid.severity is Severity.WARNING and "cannot be checked" in valid.found
    assert invalid.severity is Severity.BLOCKER and "db.influx.large" in invalid.found


def test_grafana_sso_without_identity_center_blocks() -> None:
    sso, stub = stubbed("sso-admin")
    stub.add_response("list_instances", {"Instances": []}, {})
    [finding] = check_grafana_sso(sso, StackNeeds("dev", grafana_sso_workspaces=("strata-dev",)))
    assert finding.severity is Severity.BLOCKER
    assert "monitoring.grafanaAuth: SAML" in finding.fix


def test_quota_never_adjusted_falls_back_to_the_aws_default() -> None:
    rule = next(r for r in QUOTAS if r.kind == "rds-instances")
    quotas, stub = stubbed("service-quotas")
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "not applied",
                          expected_params={"ServiceCode": "rds", "QuotaCode": "L-7B6409FD"})
    stub.add_response("get_aws_default_service_quota", {"Quota": {"Value": 40.0}},
                      {"ServiceCode": "rds", "QuotaCode": "L-7B6409FD"})
    rds, rds_stub = stubbed("rds")
    rds_stub.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": f"other-{n}"} for n in range(20)]}, {})
    needs = StackNeeds("prod", physical={"rds-instances": {"": {
        f"prod-orders-postgres-{n}-writer": 1 for n in range(22)}}})
    [finding] = check_quota(rule, quotas, rds, needs)
    assert finding.severity is Severity.BLOCKER
    assert finding.found == "20 in use + 22 new = 42 of 40 -> over quota"


def test_an_aws_error_in_one_check_is_a_not_checked_warning_and_the_rest_run() -> None:
    sts, sts_stub = stubbed("sts")
    sts_stub.add_response("get_caller_identity", {
        "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/ci", "UserId": "X"})
    sso, sso_stub = stubbed("sso-admin")
    sso_stub.add_client_error("list_instances", "AccessDeniedException",
                              "not authorized to perform: sso:ListInstances")
    eks, eks_stub = stubbed("eks")
    eks_stub.add_response("describe_cluster_versions", {"clusterVersions": [
        {"clusterVersion": "1.33", "versionStatus": "STANDARD_SUPPORT"}]})
    needs = StackNeeds("dev", clusters=_cluster().clusters,
                       grafana_sso_workspaces=("strata-dev",))
    clients = {"sts": sts, "sso-admin": sso, "eks": eks, "ec2": None, "rds": None,
               "kafka": None, "timestream-influxdb": stubbed("timestream-influxdb")[0],
               "timestream-write": None, "service-quotas": None}
    report = evaluate(needs, "eu-west-1", factory(clients), FixedVantage(public="203.0.113.4"))
    by_check = {f.check: f for f in report.findings}
    denied = by_check["grafana-identity-center"]
    assert denied.severity is Severity.WARNING
    assert denied.found == ("not checked: ListInstances: AccessDeniedException: not authorized "
                            "to perform: sso:ListInstances")
    assert denied.fix == "allow the caller the read-only ListInstances, then run again"
    assert by_check["eks-kubernetes-version"].severity is Severity.OK
    assert by_check["eks-endpoint-reachability"].severity is Severity.OK
    assert report.account == "111122223333" and report.exit_code == 0


def test_checks_run_in_a_fixed_documented_order() -> None:
    assert [c.id for c in CHECKS[:11]] == [
        "availability-zones", "eks-kubernetes-version", "eks-addon-versions",
        "node-instance-types", "eks-endpoint-reachability", "rds-engine-versions",
        "rds-instance-classes", "msk", "influxdb-instance-types", "timestream-liveanalytics",
        "grafana-identity-center"]
    assert [c.id for c in CHECKS[11:]] == ["service-quotas"] * len(QUOTAS)
