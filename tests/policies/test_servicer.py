"""The pack's servicer converts each resource once; its answers must be pulumi_policy's own.

Every resource of a manifest goes through Analyze, and the stack through AnalyzeStack, on both
the stock `_PolicyAnalyzerServicer` and the pack's `PackServicer`, with the same controls and
config: the responses must be identical, field for field and in order. The manifests carry
violations, unknowns, exemptions and disabled policies so every branch is compared.
"""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from infra._check_protocol import analyzer_resources, configure_request
from policies import __version__
from policies._catalog import PACK_NAME, all_controls
from policies._servicer import PackServicer
from policies.exemptions import Exemption
from tests.policies.fixture_manifest import compliant_manifest
from tests.policies.harness import UNKNOWN

EXEMPT = (Exemption("strata-vpc-flow-logs", "*::vpc", "flow logs on the transit gateway",
                    "secops", _dt.date(2999, 1, 1)),
          Exemption("strata-rds-multi-az", "*::orders-db", "single-AZ on purpose", "secops",
                    _dt.date(2999, 1, 1)))
CONFIG = {"strata-required-tags": "disabled", "strata-rds-final-snapshot": "mandatory",
          "strata-log-group-retention": {"minRetentionDays": 400}}


def _mutated() -> dict[str, Any]:
    manifest = copy.deepcopy(compliant_manifest())
    by_name = {r["name"]: r for r in manifest["resources"]}
    by_name["orders-db"]["inputs"].update({"multiAz": False, "publiclyAccessible": True,
                                           "port": UNKNOWN, "skipFinalSnapshot": True})
    by_name["payments-table"]["inputs"]["billingMode"] = UNKNOWN
    by_name["orders-key"]["inputs"]["policy"] = UNKNOWN
    manifest["resources"] = [r for r in manifest["resources"] if r["name"] != "vpc-flow"]
    return manifest


def _servicers() -> tuple[Any, Any]:
    policies: list[Policy] = [c.to_policy(EXEMPT) for c in all_controls()]
    stock = _PolicyAnalyzerServicer(PACK_NAME, __version__, policies, EnforcementLevel.ADVISORY)
    ours = PackServicer(PACK_NAME, __version__, policies, EnforcementLevel.ADVISORY)
    for svc in (stock, ours):
        request, _ = configure_request(svc.GetAnalyzerInfo(empty_pb2.Empty(), None), CONFIG)
        svc.Configure(request, None)
    return stock, ours


@pytest.mark.parametrize(("manifest", "least_findings"), [(compliant_manifest(), 0),
                                                          (_mutated(), 8)],
                         ids=["compliant", "violations-unknowns-exemptions"])
def test_pack_servicer_answers_exactly_like_pulumi_policy(manifest: dict[str, Any],
                                                           least_findings: int) -> None:
    stock, ours = _servicers()
    prepared = analyzer_resources(manifest)
    findings = 0
    for resource in prepared:
        expected = stock.Analyze(resource.analyze_request(), None)
        actual = ours.Analyze(resource.analyze_request(), None)
        assert json_format.MessageToDict(actual) == json_format.MessageToDict(expected), (
            resource.urn)
        findings += len(expected.diagnostics) + len(expected.not_applicable)
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[r.stack_resource() for r in prepared])
    expected = stock.AnalyzeStack(request, None)
    assert json_format.MessageToDict(ours.AnalyzeStack(request, None)) == \
        json_format.MessageToDict(expected)
    findings += len(expected.diagnostics) + len(expected.not_applicable)
    assert findings >= least_findings  # violations, cannot-verify and exempted all compared
