"""The real prod manifest, mutated one way at a time, is rejected through the gRPC path; dev and
prod as shipped show no finding that is neither fixed, configured with a reason, nor exempted."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.check import PackSession, load_policy_config, pack_session
from policies._catalog import all_controls
from policies.exemptions import EXEMPTIONS
from tests.conftest import role_policies, synthesized

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return synthesized("prod")


@pytest.fixture(scope="module")
def session() -> Iterator[PackSession]:
    with pack_session(stack="prod") as running:
        yield running


def _first(manifest: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(r for r in manifest["resources"] if r["type"] == type_)


def _blocking_policies(session: PackSession, manifest: dict[str, Any]) -> dict[str, set[str]]:
    result = session.analyze(manifest)
    found: dict[str, set[str]] = {}
    for finding in result.findings:
        if finding.blocking:
            found.setdefault(finding.policy, set()).add(finding.urn)
    return found


MUTATIONS = [
    # (what, resource type, input changes, policy expected to block)
    ("storage unencrypted", "aws:rds/cluster:Cluster", {"storageEncrypted": False},
     "strata-rds-storage-encrypted"),
    ("public RDS", "aws:rds/clusterInstance:ClusterInstance", {"publiclyAccessible": True},
     "strata-rds-no-public-access"),
    ("TLS off on MSK", "aws:msk/cluster:Cluster",
     {("encryptionInfo", "encryptionInTransit", "clientBroker"): "TLS_PLAINTEXT"},
     "strata-msk-tls-in-transit"),
    ("PITR off", "aws:dynamodb/table:Table", {("pointInTimeRecovery", "enabled"): False},
     "strata-dynamodb-pitr"),
    ("missing owner tag", "aws:dynamodb/table:Table", {("tags", "owner"): None},
     "strata-required-tags"),
]


@pytest.mark.parametrize(("type_", "changes", "policy"), [m[1:] for m in MUTATIONS],
                         ids=[m[0] for m in MUTATIONS])
def test_rejects_mutated_prod_manifest(prod, session, type_, changes, policy):
    manifest = copy.deepcopy(prod)
    target = _first(manifest, type_)
    for path, value in changes.items():
        *parents, leaf = path if isinstance(path, tuple) else (path,)
        node = target["inputs"]
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    blocking = _blocking_policies(session, manifest)
    assert target["urn"] in blocking.get(policy, set()), blocking


def test_rejects_a_role_granted_another_services_table(prod, session):
    manifest = copy.deepcopy(prod)
    foreign_table = next(r for r in manifest["resources"]
                         if r["type"] == "aws:dynamodb/table:Table"
                         and r["inputs"]["tags"]["service"] != "payments")
    grant = next(policy for role, policy in role_policies(manifest)
                 if role == "strata-prod-payments")
    grant["propertyDependencies"].setdefault("policy", []).append(foreign_table["urn"])
    blocking = _blocking_policies(session, manifest)
    assert grant["urn"] in blocking.get("strata-no-shared-stores", set()), blocking


# Types the program creates that no resource control judges on their own, and why. A new type
# must either get a control or be added here with its reason.
NO_RESOURCE_CONTROL = {
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "routing text; the topic policy "
                                                              "decides who may publish",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "rules text, no security setting",
    "aws:amp/scraper:Scraper": "runs inside the VPC; no encryption or access setting",
    "aws:appautoscaling/policy:Policy": "scaling only",
    "aws:appautoscaling/target:Target": "scaling only",
    "aws:cloudwatch/dashboard:Dashboard": "view only",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "judged at stack level (alarm coverage)",
    "aws:ec2/eip:Eip": "NAT address",
    "aws:ec2/flowLog:FlowLog": "presence judged at stack level (VPC flow logs)",
    "aws:ec2/internetGateway:InternetGateway": "routing only",
    "aws:ec2/natGateway:NatGateway": "routing only",
    "aws:ec2/route:Route": "routing only",
    "aws:ec2/routeTable:RouteTable": "routing only",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "routing only",
    "aws:ec2/vpc:Vpc": "flow logs judged at stack level",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "gateway endpoints carry no policy setting here",
    "aws:eks/addon:Addon": "version pinning only",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "binding; roles judged as IAM",
    "aws:kms/alias:Alias": "name only",
    "aws:msk/topic:Topic": "ownership judged at stack level; takes no tags; grants on it are "
                           "judged as IAM documents",
    "aws:rds/subnetGroup:SubnetGroup": "placement only",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "judged with its bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "judged with its bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "judged with its bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "judged with its bucket",
    "aws:sns/topicSubscription:TopicSubscription": "endpoint only",
    "kubernetes:core/v1:ConfigMap": "Auto Mode's NetworkPolicy switch; asserted in the EKS tests",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": "the AMP collector's read-only "
                                                            "rules, as AWS publishes them",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": "binds the collector's rules",
    "aws:s3/bucketLogging:BucketLogging": "judged with its bucket (S3.9)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        "expiry of access logs only",
    "kubernetes:core/v1:LimitRange": "budget only",
    "kubernetes:core/v1:ResourceQuota": "budget only",
    "kubernetes:core/v1:ServiceAccount": "identity; its role is judged as IAM",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": "default deny judged at stack level",
    "pulumi:providers:kubernetes": "provider",
    "random:index/randomPassword:RandomPassword": "a secret value",
}


def test_every_created_type_is_covered_or_listed_with_a_reason(prod):
    covered = {t for control in all_controls() for t in control.types}
    types = {r["type"] for r in prod["resources"] + synthesized("dev")["resources"]
             if r["custom"]}
    assert types - covered == set(NO_RESOURCE_CONTROL)


@pytest.fixture(scope="module")
def shipped(session: PackSession) -> dict[str, Any]:
    """dev and prod judged with their shipped policy configs, as `strata check STACK` does."""
    results = {}
    for stack in ("dev", "prod"):
        config, _ = load_policy_config(ROOT, stack)
        results[stack] = session.analyze(synthesized(stack), config)
    return results


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_show_no_unexplained_finding(shipped, stack):
    """Every finding is fixed, turned off or reconfigured with a reason in
    policy-config.STACK.json, or exempted with an expiry: none is left as a bare advisory."""
    open_findings = [(f.policy, f.name, f.status, f.message) for f in shipped[stack].findings
                     if f.status != "exempted"]
    assert open_findings == []


def test_every_exemption_is_still_needed(shipped):
    """An exemption that no finding uses any more is stale: its fix has landed, delete it."""
    exempted = [f for result in shipped.values() for f in result.findings
                if f.status == "exempted"]
    for exemption in EXEMPTIONS:
        reason = exemption.reason.replace("; ", ", ")  # as the report carries it
        assert any(f.policy == exemption.control and f.message.startswith(reason)
                   for f in exempted), f"stale exemption: {exemption.control} {exemption.resource}"


def test_idempotent_writes_granted_on_a_topic_arn_are_refused(prod, session):
    """AWS authorises kafka-cluster:WriteDataIdempotently on the cluster ARN: granted on a topic
    ARN it grants nothing and every idempotent producer is refused (issue 8, item 6)."""
    manifest = copy.deepcopy(prod)
    grant = next(r for r in manifest["resources"] if r["type"] == "aws:iam/policy:Policy"
                 and r["name"] == "orders-grants-own-0")
    document = json.loads(grant["inputs"]["policy"])
    for stmt in document["Statement"]:
        if stmt["Sid"] == "Connect":
            stmt["Action"].remove("kafka-cluster:WriteDataIdempotently")
        if stmt["Sid"] == "Produce":
            stmt["Action"].append("kafka-cluster:WriteDataIdempotently")
    grant["inputs"]["policy"] = json.dumps(document)
    blocking = _blocking_policies(session, manifest)
    assert grant["urn"] in blocking.get("strata-iam-documents-valid", set()), blocking
