"""A `secure:` HTTPS endpoint inside `strata:monitoring` goes from the stack file to the SNS
subscription as a secret: the manifest shows "[secret]", never the placeholder or the URL."""

from __future__ import annotations

import json

import yaml

from infra.synth import synthesize
from tests.stacks._config_fixtures import ROOT

SMALL_STACK = {
    "aws:region": "eu-west-1",
    "strata:environment": {"name": "sec", "tier": "dev", "owner": "platform-team",
                           "costCenter": "cc-1"},
    "strata:kafka": {"mode": "serverless"},
    "strata:cluster": {"deployerCidrs": ["10.100.0.0/24"]},
    "strata:monitoring": {"alarmEmails": ["Oncall@Example.com"],
                          "alarmHttpsEndpoints": [{"secure": "v1:c2VjcmV0LWludGVncmF0aW9u"}]},
    "strata:services": {"orders": {
        "owner": "team-checkout", "classification": "internal",
        "keyvalue": {"orders": {"partitionKey": {"name": "id"}}}}},
}


def test_a_secure_https_endpoint_is_secret_in_the_manifest(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\nmain: {ROOT/'infra'}\n")
    (tmp_path / "Pulumi.sec.yaml").write_text(yaml.safe_dump({"config": SMALL_STACK}))
    manifest = synthesize("sec", tmp_path)
    subscriptions = {r["inputs"]["protocol"]: r["inputs"]["endpoint"]
                     for r in manifest["resources"]
                     if r["type"] == "aws:sns/topicSubscription:TopicSubscription"}
    assert subscriptions == {"https": "[secret]", "email": "Oncall@Example.com"}
    assert manifest["placeholders"] == ["strata:monitoring.alarmHttpsEndpoints[0]"]
    text = json.dumps(manifest["resources"])
    assert "placeholder.invalid" not in text
    assert "c2VjcmV0" not in text  # the ciphertext
