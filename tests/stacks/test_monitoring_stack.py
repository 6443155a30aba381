"""The real prod program under mocks: an alarm for every data store and consumer relation."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import ROOT

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ALARMED_STORES = {
    "aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:dynamodb/table:Table",
    "aws:timestreaminfluxdb/dbInstance:DbInstance", "aws:timestreamwrite/table:Table",
    "aws:msk/cluster:Cluster", "aws:msk/serverlessCluster:ServerlessCluster",
}


@pytest.fixture(scope="module")
def manifest():
    from infra.synth import synthesize
    return synthesize("prod")


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]


def _of(manifest, type_):
    return [r for r in manifest["resources"] if r["type"] == type_]


def test_every_data_store_resource_has_an_alarm_depending_on_it(manifest):
    watched = {urn for alarm in _of(manifest, ALARM)
               for urns in alarm["propertyDependencies"].values() for urn in urns}
    stores = [r for r in manifest["resources"] if r["type"] in ALARMED_STORES]
    assert stores, "no data stores in the prod manifest"
    unwatched = [r["urn"] for r in stores if r["urn"] not in watched]
    assert not unwatched


def test_one_lag_alarm_per_declared_consumer(manifest, config):
    services = config["strata:services"]
    declared = {(name, c.get("group", name), c["topic"])
                for name, svc in services.items() for c in svc.get("consumes", [])}
    lag = [a for a in _of(manifest, ALARM) if a["inputs"].get("metricName") == "MaxOffsetLag"]
    found = {(a["inputs"]["tags"]["service"], a["inputs"]["dimensions"]["Consumer Group"],
              a["inputs"]["dimensions"]["Topic"]) for a in lag}
    assert len(lag) == len(declared)
    assert found == declared
    by_key = {(s, g, t): c.get("maxLagMessages", 10000) for s, svc in services.items()
              for c in svc.get("consumes", []) for g, t in [(c.get("group", s), c["topic"])]}
    for a in lag:
        d = a["inputs"]["dimensions"]
        key = (a["inputs"]["tags"]["service"], d["Consumer Group"], d["Topic"])
        assert a["inputs"]["threshold"] == float(by_key[key])


def test_every_alarm_is_owned_named_and_notifies_the_alarm_topic(manifest, config):
    (topic,) = _of(manifest, "aws:sns/topic:Topic")
    owners = set(config["strata:services"]) | {"platform"}
    for alarm in _of(manifest, ALARM):
        inputs = alarm["inputs"]
        service = inputs["tags"]["service"]
        assert service in owners
        assert inputs["name"].startswith(f"prod-{service}-")
        assert topic["urn"] in alarm["propertyDependencies"]["alarmActions"]
        assert inputs["alarmActions"] == inputs["okActions"]
        assert "Owner: " in inputs["alarmDescription"]


def test_broker_alarms_cover_every_configured_broker(manifest, config):
    brokers = config["strata:kafka"].get("brokers") or config["strata:network"]["azCount"]
    disks = [a for a in _of(manifest, ALARM)
             if a["inputs"].get("metricName") == "KafkaDataLogsDiskUsed"]
    assert sorted(a["inputs"]["dimensions"]["Broker ID"] for a in disks) == \
        [str(b) for b in range(1, brokers + 1)]


def test_dashboard_plots_what_each_store_alarm_watches(manifest):
    (dashboard,) = _of(manifest, "aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard["inputs"]["dashboardBody"])
    plotted = {value for w in body["widgets"] if w["type"] == "metric"
               for m in w["properties"]["metrics"] for value in m if isinstance(value, str)}
    for alarm in _of(manifest, ALARM):
        if alarm["inputs"]["tags"]["service"] == "platform":
            continue
        for value in alarm["inputs"].get("dimensions", {}).values():
            assert value in plotted, (alarm["inputs"]["name"], value)


def test_prometheus_grafana_and_scrapers_exist(manifest):
    assert len(_of(manifest, "aws:amp/workspace:Workspace")) == 1
    assert len(_of(manifest, "aws:amp/ruleGroupNamespace:RuleGroupNamespace")) == 1
    sources = sorted(next(iter(s["inputs"]["source"]))
                     for s in _of(manifest, "aws:amp/scraper:Scraper"))
    assert sources == ["eks", "vpc"]
    (grafana,) = _of(manifest, "aws:grafana/workspace:Workspace")
    assert grafana["inputs"]["authenticationProviders"] == ["AWS_SSO"]
