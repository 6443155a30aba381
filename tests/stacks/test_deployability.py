"""Deployability invariants over the synthesized dev and prod stacks (issue 8): what AWS needs for
the first `pulumi up` to succeed, which no schema or security control proves.

Each invariant is checked on the real manifests and shown to fail on a manifest broken the way
the first version was.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies._control import StackView
from policies.security.iam_documents import manifest_iam_problems
from policies.security.key_grants import key_admission_gaps
from tests.conftest import synthesized

STACKS = ["dev", "prod"]
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
K8S_PROVIDER = "pulumi:providers:kubernetes"
ACCESS = ("aws:eks/accessEntry:AccessEntry",
          "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NETWORK_PLUGIN = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
"""What nodes need before they can become Ready (with `bootstrapSelfManagedAddons` off)."""
NEEDS_NODES = ("coredns", "metrics-server")


def _by_type(manifest: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in manifest["resources"] if r["type"] == type_]


def _by_urn(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in manifest["resources"]}


# --- keys admit what uses them -----------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_key_admits_the_services_that_use_it(stack):
    """DynamoDB, RDS, Secrets Manager, AMP and Grafana use a key as their caller (kms:ViaService);
    CloudWatch Logs and alarm publishers use it as themselves."""
    assert key_admission_gaps(StackView.from_manifest(synthesized(stack))) == []


def test_a_service_key_without_its_caller_statement_is_caught():
    manifest = copy.deepcopy(synthesized("prod"))
    key = next(r for r in _by_type(manifest, "aws:kms/key:Key") if r["name"] == "orders-key-key")
    policy = json.loads(key["inputs"]["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "UseThroughServices"]
    key["inputs"]["policy"] = json.dumps(policy)
    gaps = key_admission_gaps(StackView.from_manifest(manifest))
    assert {gap.key for gap in gaps} == {key["urn"]}


def test_a_log_key_without_cloudwatch_logs_is_caught():
    manifest = copy.deepcopy(synthesized("dev"))
    key = next(r for r in _by_type(manifest, "aws:kms/key:Key")
               if r["name"] == "platform-key-key")
    policy = json.loads(key["inputs"]["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "CloudWatchLogs"]
    key["inputs"]["policy"] = json.dumps(policy)
    gaps = key_admission_gaps(StackView.from_manifest(manifest))
    assert {gap.use.via for gap in gaps} == {"logs"}


# --- creation order ----------------------------------------------------------------------------

def _addons(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["addonName"]: r for r in _by_type(manifest, ADDON)}


def test_node_groups_wait_for_the_network_plugin_and_dns_waits_for_nodes():
    manifest = synthesized("dev")  # node groups (prod runs Auto Mode)
    addons, groups = _addons(manifest), _by_type(manifest, NODE_GROUP)
    assert groups
    for group in groups:
        assert {addons[a]["urn"] for a in NETWORK_PLUGIN} <= set(group["dependencies"])
    for name in NEEDS_NODES:
        assert {g["urn"] for g in groups} <= set(addons[name]["dependencies"])


def test_node_groups_wait_for_their_roles_policies():
    manifest = synthesized("dev")
    by_urn = _by_urn(manifest)
    for group in _by_type(manifest, NODE_GROUP):
        attached = {by_urn[d]["inputs"]["policyArn"].rsplit("/", 1)[-1]
                    for d in group["dependencies"]
                    if by_urn[d]["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}
        assert {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"} <= attached


# --- the deployer reaches and authenticates to the API -----------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_the_kubernetes_provider_waits_for_the_deployers_access(stack):
    manifest = synthesized(stack)
    (provider,) = _by_type(manifest, K8S_PROVIDER)
    by_urn = _by_urn(manifest)
    dependency_types = {by_urn[d]["type"] for d in provider["dependencies"]}
    assert set(ACCESS) <= dependency_types
    # The kubeconfig signs as the admin role the access entry admits.
    admin = next(r for r in _by_type(manifest, ACCESS[0]) if r["name"] == "eks-admin")
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert admin["urn"] in provider["dependencies"]


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_uses_the_api_endpoint_without_a_declared_route_to_it(stack):
    """Every Kubernetes object goes through the one provider, which waits for the 443 ingress
    from the declared deployer networks (private endpoint) or the public endpoint is open to
    declared CIDRs only."""
    manifest = synthesized(stack)
    (provider,) = _by_type(manifest, K8S_PROVIDER)
    by_urn = _by_urn(manifest)
    (cluster,) = _by_type(manifest, "aws:eks/cluster:Cluster")
    vpc = cluster["inputs"]["vpcConfig"]
    routes = [by_urn[d] for d in provider["dependencies"] if by_urn[d]["type"] == INGRESS
              and by_urn[d]["inputs"].get("fromPort") == 443 and "cidrIpv4" in by_urn[d]["inputs"]]
    public = vpc.get("endpointPublicAccess") and vpc.get("publicAccessCidrs")
    assert routes or public
    assert "0.0.0.0/0" not in (vpc.get("publicAccessCidrs") or [])
    objects = [r for r in manifest["resources"]
               if r["type"].startswith("kubernetes:") and r["custom"]]
    assert objects and all(r["provider"].startswith(provider["urn"]) for r in objects)


# --- IAM documents against AWS's catalog -------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_iam_and_key_policy_document_matches_awss_catalog(stack):
    """Unknown actions, actions on resource types they do not apply to (WriteDataIdempotently
    on a topic ARN grants nothing), unknown condition keys, malformed statements."""
    assert manifest_iam_problems(synthesized(stack)) == []


def test_the_catalog_check_catches_an_action_on_the_wrong_resource_type():
    manifest = copy.deepcopy(synthesized("prod"))
    grant = next(r for r in _by_type(manifest, "aws:iam/policy:Policy")
                 if r["name"] == "orders-grants-own-0")
    document = json.loads(grant["inputs"]["policy"])
    produce = next(s for s in document["Statement"] if s["Sid"].startswith("Produce"))
    produce["Action"].append("kafka-cluster:WriteDataIdempotently")
    grant["inputs"]["policy"] = json.dumps(document)
    problems = manifest_iam_problems(manifest)
    assert [urn for urn, _, _ in problems] == [grant["urn"]]
    assert "kafka-cluster:WriteDataIdempotently" in problems[0][2]
