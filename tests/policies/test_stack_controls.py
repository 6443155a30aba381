"""Stack controls through pulumi_policy's own AnalyzeStack, on the compliant fixture and one
mutation each."""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

from policies.exemptions import Exemption
from tests.policies.fixture_manifest import Builder, compliant_manifest
from tests.policies.harness import UNKNOWN, analyze_stack

STACK_POLICIES = ["strata-vpc-flow-logs", "strata-single-owner", "strata-no-shared-stores",
                  "strata-namespace-default-deny", "strata-namespace-quotas",
                  "strata-data-store-alarms"]


def _drop(manifest, name):  # type: ignore[no-untyped-def]
    out = copy.deepcopy(manifest)
    out["resources"] = [r for r in out["resources"] if r["name"] != name]
    return out


def _res(manifest, name):  # type: ignore[no-untyped-def]
    return next(r for r in manifest["resources"] if r["name"] == name)


def test_compliant_stack_passes_every_stack_control() -> None:
    manifest = compliant_manifest()
    for policy in STACK_POLICIES:
        assert analyze_stack(policy, manifest).passed, policy


def test_rejects_vpc_without_flow_logs() -> None:
    verdict = analyze_stack("strata-vpc-flow-logs", _drop(compliant_manifest(), "vpc-flow"))
    assert verdict.violations == ["no aws:ec2/flowLog:FlowLog takes this VPC's id as vpcId"]
    assert verdict.urns[0].endswith("::vpc")


def test_rejects_store_without_owner() -> None:
    manifest = compliant_manifest()
    del _res(manifest, "payments-table")["inputs"]["tags"]["service"]
    _res(manifest, "payments-table")["parent"] = manifest["resources"][0]["urn"]
    verdict = analyze_stack("strata-single-owner", manifest)
    assert verdict.violations == ["no service tag on the resource or its parents: it has no "
                                  "owning service"]


def test_rejects_component_mixing_services() -> None:
    manifest = compliant_manifest()
    _res(manifest, "payments-table")["inputs"]["tags"]["service"] = "orders"
    verdict = analyze_stack("strata-single-owner", manifest)
    assert any("also holds resources of payments" in v for v in verdict.violations)


def test_unknown_owner_cannot_be_verified() -> None:
    manifest = compliant_manifest()
    _res(manifest, "payments-table")["inputs"]["tags"]["service"] = UNKNOWN
    verdict = analyze_stack("strata-single-owner", manifest)
    assert verdict.cannot_verify and not verdict.violations


def test_rejects_grant_on_another_services_key() -> None:
    manifest = compliant_manifest()
    _res(manifest, "payments-role-data")["propertyDependencies"]["policy"].append(
        _res(manifest, "orders-key")["urn"])
    verdict = analyze_stack("strata-no-shared-stores", manifest)
    assert verdict.violations == ["grants service 'payments''s role payments-role access to "
                                  "'orders''s Key orders-key: services share data through topics "
                                  "and APIs, never stores or keys"]


def test_consume_of_foreign_topic_is_allowed_but_unknown_document_is_not_a_pass() -> None:
    manifest = compliant_manifest()
    assert analyze_stack("strata-no-shared-stores", manifest).passed
    _res(manifest, "payments-role-consume-orders")["inputs"]["policy"] = UNKNOWN
    verdict = analyze_stack("strata-no-shared-stores", manifest)
    assert verdict.cannot_verify and not verdict.violations


def test_rejects_namespace_without_default_deny() -> None:
    manifest = compliant_manifest()
    _res(manifest, "orders-default-deny")["inputs"]["spec"]["policyTypes"] = ["Ingress"]
    verdict = analyze_stack("strata-namespace-default-deny", manifest)
    assert verdict.violations == ["no NetworkPolicy in this namespace selects all pods and "
                                  "denies Ingress/Egress by default"]
    assert analyze_stack("strata-namespace-default-deny", manifest,
                         config={"policyTypes": ["Ingress"]}).passed


def test_rejects_namespace_without_quota() -> None:
    verdict = analyze_stack("strata-namespace-quotas",
                            _drop(compliant_manifest(), "orders-resourcequota"))
    assert any("no ResourceQuota" in v for v in verdict.violations)


def test_rejects_store_without_alarm() -> None:
    verdict = analyze_stack("strata-data-store-alarms",
                            _drop(compliant_manifest(), "payments-table-alarm"))
    assert len(verdict.violations) == 1
    assert verdict.urns[0].endswith("::payments-table")


def _bucket_stack(**companions: dict) -> dict:  # type: ignore[type-arg]
    b = Builder()
    b.add("aws:s3/bucket:Bucket", "logs", {"tags": {"service": "x"}})
    for kind, inputs in companions.items():
        b.add(f"aws:s3/{kind}:{kind[0].upper()}{kind[1:]}", kind, inputs,
              deps={"bucket": ["logs"]})
    return b.manifest()


GOOD_BUCKET: dict[str, dict[str, Any]] = {
    "bucketPublicAccessBlock": {"blockPublicAcls": True, "blockPublicPolicy": True,
                                "ignorePublicAcls": True, "restrictPublicBuckets": True},
    "bucketServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"}}]},
    "bucketVersioning": {"versioningConfiguration": {"status": "Enabled"}},
    "bucketOwnershipControls": {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
    "bucketPolicy": {"policy": '{"Statement": [{"Effect": "Deny", "Principal": "*", '
                               '"Action": "s3:*", "Condition": {"Bool": '
                               '{"aws:SecureTransport": "false"}}}]}'},
}
S3_POLICIES = {"strata-s3-block-public-access": "bucketPublicAccessBlock",
               "strata-s3-bucket-kms-encryption": "bucketServerSideEncryptionConfiguration",
               "strata-s3-versioning": "bucketVersioning",
               "strata-s3-acls-disabled": "bucketOwnershipControls",
               "strata-s3-bucket-tls-only": "bucketPolicy"}


def test_s3_bucket_controls_pass_with_companions_and_fail_without() -> None:
    for policy, companion in S3_POLICIES.items():
        assert analyze_stack(policy, _bucket_stack(**GOOD_BUCKET)).passed, policy
        missing = {k: v for k, v in GOOD_BUCKET.items() if k != companion}
        assert analyze_stack(policy, _bucket_stack(**missing)).violations, policy


def test_active_exemption_is_reported_and_expired_one_is_not_honoured() -> None:
    manifest = _drop(compliant_manifest(), "vpc-flow")
    active = Exemption("strata-vpc-flow-logs", "*::vpc", "flow logs via Transit Gateway",
                       "secops", _dt.date(2999, 1, 1))
    verdict = analyze_stack("strata-vpc-flow-logs", manifest, exemptions=[active])
    assert not verdict.violations
    assert "exempted:" in verdict.exempted[0] and "flow logs via Transit Gateway" in \
        verdict.exempted[0]
    expired = Exemption("strata-vpc-flow-logs", "*::vpc", "old", "secops",
                        _dt.date(2000, 1, 1))
    verdict = analyze_stack("strata-vpc-flow-logs", manifest, exemptions=[expired])
    assert verdict.violations == ["no aws:ec2/flowLog:FlowLog takes this VPC's id as vpcId "
                                  "(exemption expired 2000-01-01, not honoured: old)"]


def test_namespace_placement_unknown_is_cannot_verify_not_a_pass() -> None:
    """A namespace whose name is unknown cannot be matched to NetworkPolicies that name their
    namespace instead of depending on it; one that depends on it still counts."""
    manifest = compliant_manifest()
    _res(manifest, "orders-ns")["inputs"]["metadata"]["name"] = UNKNOWN
    deny = _res(manifest, "orders-default-deny")
    deny["propertyDependencies"] = {}
    verdict = analyze_stack("strata-namespace-default-deny", manifest)
    assert verdict.cannot_verify and not verdict.violations
    deny["propertyDependencies"] = {"metadata": [_res(manifest, "orders-ns")["urn"]]}
    assert analyze_stack("strata-namespace-default-deny", manifest).passed
    _res(manifest, "orders-ns")["inputs"]["metadata"]["name"] = "orders"
    deny["propertyDependencies"] = {}
    deny["inputs"]["metadata"]["namespace"] = UNKNOWN
    verdict = analyze_stack("strata-namespace-default-deny", manifest)
    assert verdict.cannot_verify and not verdict.violations
