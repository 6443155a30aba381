"""Whole preflight runs over the real dev manifest: moto's server for STS, EC2, SSO Admin and
Timestream Write, Stubber for EKS, Kafka, RDS and the quota values (moto serves none of these
calls; see test_preflight_moto). The examples in docs/preflight.md are this setup's output."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._preflight_needs import StackNeeds, stack_needs  # noqa: E402
from infra._preflight_quotas import QUOTAS  # noqa: E402
from infra._preflight_report import Severity, render  # noqa: E402
from infra.preflight import evaluate, run_preflight  # noqa: E402
from tests.infra.preflight_doubles import (  # noqa: E402, F401 (fixtures)
    FixedVantage,
    dev_with_liveanalytics,
    factory,
    fresh_fixture,
    moto_fixture,
    moto_url_fixture,
    stubbed,
)

# The default values AWS documents for each quota (the pages cited in infra/_preflight_quotas.py).
AWS_DEFAULTS = {"L-F678F1CE": 5.0, "L-A4707A72": 5.0, "L-0263D0A3": 5.0, "L-FE5A380F": 5.0,
                "L-952B80B8": 40.0, "L-7B6409FD": 40.0, "L-EDD31C36": 90.0}


def _dev_needs(public_cidrs: tuple[str, ...]) -> StackNeeds:
    """dev as synthesized, with the API endpoint public to `public_cidrs` (dev may do that)."""
    needs = stack_needs(dev_with_liveanalytics())
    cluster = needs.clusters[0]
    endpoint = dataclasses.replace(cluster.endpoint, public=True, public_cidrs=public_cidrs)
    return dataclasses.replace(needs, clusters=(dataclasses.replace(cluster,
                                                                    endpoint=endpoint),))


def _stubbed_account(needs: StackNeeds) -> dict[str, Any]:
    """Answers for the APIs moto lacks, queued in the order the checks call them."""
    eks, eks_stub = stubbed("eks")
    eks_stub.add_response("describe_cluster_versions", {"clusterVersions": [
        {"clusterVersion": "1.33", "versionStatus": "STANDARD_SUPPORT"}]},
        {"clusterVersions": ["1.33"], "includeAll": True})
    for addon in needs.addons:
        eks_stub.add_response("describe_addon_versions", {"addons": [{
            "addonName": addon.name, "addonVersions": [{"addonVersion": addon.version}]}]},
            {"addonName": addon.name, "kubernetesVersion": "1.33"})
    rds, rds_stub = stubbed("rds")
    for engine in ("aurora-postgresql", "postgres"):
        rds_stub.add_response("describe_db_engine_versions", {"DBEngineVersions": [
            {"Engine": engine, "EngineVersion": v} for v in ("16.6", "16.8")]},
            {"Engine": engine})
    # One question per engine, version and class the stack uses, in the order the check asks;
    # the version filter only when the stack names one (Aurora instances follow their cluster).
    for engine, version, cls in sorted({(d.engine, d.version, d.instance_class)
                                        for d in needs.databases if d.instance_class}):
        rds_stub.add_response("describe_orderable_db_instance_options", {
            "OrderableDBInstanceOptions": [{
                "Engine": engine, "EngineVersion": "16.6", "DBInstanceClass": cls,
                "AvailabilityZones": [{"Name": "eu-west-1a"}, {"Name": "eu-west-1b"}]}]},
            {"Engine": engine, "DBInstanceClass": cls, "Vpc": True,
             **({"EngineVersion": version} if version else {})})
    rds_stub.add_response("describe_db_clusters", {"DBClusters": []})
    rds_stub.add_response("describe_db_instances", {"DBInstances": []})
    kafka, kafka_stub = stubbed("kafka")
    kafka_stub.add_response("list_kafka_versions", {"KafkaVersions": [
        {"Version": "3.8.x", "Status": "ACTIVE"}, {"Version": "2.8.1", "Status": "DEPRECATED"}]})
    kafka_stub.add_response("list_clusters_v2", {"ClusterInfoList": []})
    quotas, quota_stub = stubbed("service-quotas")
    for rule in QUOTAS:
        quota_stub.add_response("get_service_quota",
                                {"Quota": {"Value": AWS_DEFAULTS[rule.quota_code]}},
                                {"ServiceCode": rule.service_code, "QuotaCode": rule.quota_code})
    return {"eks": eks, "rds": rds, "kafka": kafka, "service-quotas": quotas}


def _moto_account(moto: Any) -> dict[str, Any]:
    timestream = moto("timestream-write")
    timestream.create_database(DatabaseName="legacy-metrics")  # an existing LiveAnalytics user
    return {"sts": moto("sts"), "ec2": moto("ec2"), "sso-admin": moto("sso-admin"),
            "timestream-write": timestream, "timestream-influxdb": moto("timestream-influxdb")}


def test_ready_account_exits_0_with_warnings_only(fresh) -> None:  # type: ignore[no-untyped-def]
    needs = _dev_needs(("203.0.113.0/24",))
    clients = _moto_account(fresh) | _stubbed_account(needs)
    report = evaluate(needs, "eu-west-1", factory(clients), FixedVantage(public="203.0.113.9"))
    blockers = [f for f in report.findings if f.severity is Severity.BLOCKER]
    assert blockers == []
    assert report.exit_code == 0
    warned = {f.check for f in report.findings if f.severity is Severity.WARNING}
    # What cannot be checked is a warning, never a silent pass; the databases pin major versions.
    assert warned == {"msk-broker-types", "influxdb-instance-types"}
    checked = {f.check for f in report.findings if f.severity is Severity.OK}
    assert {"caller-identity", "availability-zones", "eks-kubernetes-version",
            "eks-addon-versions", "node-instance-types", "eks-endpoint-reachability",
            "rds-engine-versions", "rds-instance-classes", "msk-kafka-versions", "msk-placement",
            "timestream-liveanalytics", "grafana-identity-center", "service-quotas"} <= checked
    assert sum(f.check == "service-quotas" for f in report.findings) == len(QUOTAS)


def test_json_report_shape(fresh) -> None:  # type: ignore[no-untyped-def]
    needs = _dev_needs(("203.0.113.0/24",))
    clients = _moto_account(fresh) | _stubbed_account(needs)
    report = evaluate(needs, "eu-west-1", factory(clients), FixedVantage(public="198.51.100.7"))
    body = json.loads(render(report, "json"))
    assert set(body) == {"stack", "region", "account", "caller", "ready", "exitCode", "summary",
                         "findings"}
    assert (body["stack"], body["region"], body["account"]) == ("dev", "eu-west-1",
                                                                "123456789012")
    assert body["ready"] is False and body["exitCode"] == 1
    assert set(body["summary"]) == {"blocker", "warning", "ok"}
    # Neither route admits this host: the public endpoint's CIDRs nor the deployer network.
    assert body["summary"]["blocker"] == 2
    first = body["findings"][0]
    assert set(first) == {"check", "severity", "subject", "found", "fix", "api"}
    assert first["check"] == "eks-endpoint-reachability" and first["severity"] == "blocker"
    assert "198.51.100.7 is not in publicAccessCidrs (203.0.113.0/24)" in first["found"]
    assert [f["severity"] for f in body["findings"]] == sorted(
        (f["severity"] for f in body["findings"]),
        key=["blocker", "warning", "ok"].index)


def test_run_preflight_prints_the_table_and_returns_the_exit_code(fresh, capsys) -> None:  # type: ignore[no-untyped-def]
    needs = _dev_needs(("203.0.113.0/24",))
    clients = _moto_account(fresh) | _stubbed_account(needs)
    manifest = dev_with_liveanalytics()
    # run_preflight reads the manifest itself; give it the dev manifest with a public endpoint.
    code = run_preflight("dev", "table", clients=factory(clients),
                         vantage=FixedVantage(local=["10.99.0.5"], public="203.0.113.9"),
                         manifest=_with_public_endpoint(manifest, ["203.0.113.0/24"]))
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("strata preflight dev: account 123456789012")
    assert "summary: 0 blocker(s), 2 warning(s)" in out and out.rstrip().endswith("ready (exit 0)")


def _with_public_endpoint(manifest: dict[str, Any], cidrs: list[str]) -> dict[str, Any]:
    resources = []
    for r in manifest["resources"]:
        if r["type"] == "aws:eks/cluster:Cluster":
            vpc = {**r["inputs"]["vpcConfig"], "endpointPublicAccess": True,
                   "publicAccessCidrs": cidrs}
            r = {**r, "inputs": {**r["inputs"], "vpcConfig": vpc}}
        resources.append(r)
    return {**manifest, "resources": resources}


def test_a_host_outside_the_deployer_network_is_blocked_on_the_real_dev_manifest(fresh) -> None:  # type: ignore[no-untyped-def]
    needs = stack_needs(dev_with_liveanalytics())
    clients = _moto_account(fresh) | _stubbed_account(needs)
    report = evaluate(needs, "eu-west-1", factory(clients), FixedVantage(local=["10.0.0.5"]))
    assert report.exit_code == 1
    [blocker] = [f for f in report.findings if f.severity is Severity.BLOCKER]
    assert blocker.check == "eks-endpoint-reachability"
    assert "(10.0.0.5) is in the deployer CIDRs (10.100.0.0/24)" in blocker.found


def test_docs_show_this_setups_current_output(fresh, capsys) -> None:  # type: ignore[no-untyped-def]
    """docs/preflight.md's example is this run's table (the Identity Center instance id moto
    generates aside); a change to a check or to the dev stack must refresh the page."""
    needs = _dev_needs(("203.0.113.0/24",))
    clients = _moto_account(fresh) | _stubbed_account(needs)
    run_preflight("dev", "table", clients=factory(clients),
                  vantage=FixedVantage(local=["10.99.0.5"], public="203.0.113.9"),
                  manifest=_with_public_endpoint(dev_with_liveanalytics(), ["203.0.113.0/24"]))
    page = (ROOT / "docs" / "preflight.md").read_text()
    documented = page.split("## Example", 1)[1].split("```\n", 2)[1]
    mask = functools.partial(re.sub, r"ssoins-[0-9a-z]+", "ssoins-<id>")
    assert mask(documented).rstrip() == mask(capsys.readouterr().out).rstrip(), (
        "docs/preflight.md's example is stale: paste this test's output into it")
