"""Kafka grants in the synthesized stacks: idempotent writes authorised on the cluster ARN, one
managed policy group per producer, and the ownership control sees through policy attachments."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies._control import StackView
from policies.governance import ownership
from tests.conftest import synthesized


def _view(manifest: dict[str, Any]) -> StackView:
    return StackView.from_manifest(manifest)


SERVICE_TAG = {"serviceTag": "service"}


def _event_policies(manifest: dict[str, Any], service: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in manifest["resources"]
            if r["type"] == "aws:iam/policy:Policy" and r["name"].startswith(f"{service}-grants-")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_idempotent_writes_are_granted_on_the_cluster_never_on_a_topic(stack):
    for policy in (r for r in synthesized(stack)["resources"]
                   if r["type"] == "aws:iam/policy:Policy"):
        for stmt in json.loads(policy["inputs"]["policy"])["Statement"]:
            if "kafka-cluster:WriteDataIdempotently" in stmt["Action"]:
                assert all(":cluster/" in arn for arn in stmt["Resource"]), policy["name"]


def test_own_grants_and_consumption_get_separate_policy_groups():
    names = set(_event_policies(synthesized("prod"), "payments"))
    assert names == {"payments-grants-own-0", "payments-grants-consume-0"}


def test_the_ownership_control_rejects_producing_to_another_services_topic():
    manifest = copy.deepcopy(synthesized("prod"))
    assert list(ownership._check_no_sharing(_view(manifest), SERVICE_TAG)) == []
    consume = _event_policies(manifest, "payments")["payments-grants-consume-0"]
    document = json.loads(consume["inputs"]["policy"])
    read = next(s for s in document["Statement"] if s["Sid"] == "ReadTopic")
    read["Action"].append("kafka-cluster:WriteData")
    consume["inputs"]["policy"] = json.dumps(document)
    findings = list(ownership._check_no_sharing(_view(manifest), SERVICE_TAG))
    assert [f.urn for f in findings] == [consume["urn"]]
    assert "kafka-cluster:writedata" in findings[0].message
