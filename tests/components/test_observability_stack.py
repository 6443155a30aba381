"""The real program wires Observability and Alarms so AMP alerts reach someone: the workspace's
alert manager routes to the alarm topic after its policy admits that workspace, and the keys
admit AMP and Grafana as their callers and the alert manager as a publisher (issue 8, items 1
and 9). Judged on the synthesized prod stack, by resource type and dependencies."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import synthesized

KEY = "aws:kms/key:Key"


@pytest.fixture(scope="module")
def prod():
    manifest = synthesized("prod")
    return manifest, {r["urn"]: r for r in manifest["resources"]}


def _one(manifest, type_):
    (found,) = [r for r in manifest["resources"] if r["type"] == type_]
    return found


def _key_of(by_urn, resource, field):
    (key,) = [by_urn[u] for u in resource["propertyDependencies"][field]
              if by_urn[u]["type"] == KEY]
    return {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}


def test_amp_and_grafana_keys_admit_their_services_as_callers(prod):
    manifest, by_urn = prod
    for type_, field in (("aws:amp/workspace:Workspace", "kmsKeyArn"),
                         ("aws:grafana/workspace:Workspace", "kmsKeyId")):
        statements = _key_of(by_urn, _one(manifest, type_), field)
        via = statements["UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"]
        assert {"aps.eu-west-1.amazonaws.com", "grafana.eu-west-1.amazonaws.com"} <= set(via)


def test_alerts_reach_the_alarm_topic_once_amp_may_publish_to_it(prod):
    manifest, by_urn = prod
    topic = _one(manifest, "aws:sns/topic:Topic")
    policy = _one(manifest, "aws:sns/topicPolicy:TopicPolicy")
    workspace = _one(manifest, "aws:amp/workspace:Workspace")
    definition = _one(manifest, "aws:amp/alertManagerDefinition:AlertManagerDefinition")
    assert policy["urn"] in definition["propertyDependencies"]["definition"]
    config = yaml.safe_load(yaml.safe_load(definition["inputs"]["definition"])[
        "alertmanager_config"])
    topic_arn = f"arn:aws:sns:eu-west-1:123456789012:{topic['inputs']['name']}"
    assert [c["topic_arn"] for r in config["receivers"] for c in r["sns_configs"]] == [topic_arn]
    amp = next(s for s in json.loads(policy["inputs"]["policy"])["Statement"]
               if s["Principal"] == {"Service": "aps.amazonaws.com"})
    (source,) = amp["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert source.startswith("arn:aws:aps:eu-west-1:123456789012:workspace/")
    assert workspace["urn"] in policy["propertyDependencies"]["policy"]  # it is this one's ARN
    publishers = _key_of(by_urn, topic, "kmsMasterKeyId")["AwsServicePrincipals"]["Principal"]
    assert {"aps.amazonaws.com", "cloudwatch.amazonaws.com"} <= set(publishers["Service"])


def test_the_msk_collector_is_admitted_by_the_cluster_not_by_itself(prod):
    manifest, by_urn = prod
    sg = next(r for r in manifest["resources"] if r["name"] == "monitoring-msk-scraper-sg")
    (rule,) = [r for r in manifest["resources"]
               if r["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
               and sg["urn"] in r["propertyDependencies"].get("referencedSecurityGroupId", [])]
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (11001.0, 11002.0)
    assert by_urn[rule["parent"]]["type"] == "strata:index:KafkaCluster"
