"""The four verdicts every resource control is tested for, through pulumi_policy's Analyze:
compliant inputs pass, a failing mutation is rejected with its message, the provider-default
(absent) form is judged like the engine form, an unknown value is "cannot verify"."""

from __future__ import annotations

from typing import Any, NamedTuple

from tests.policies.harness import analyze

KEY = "arn:aws:kms:eu-west-1:123:key/abc"
TAGS = {"owner": "team-a", "service": "orders", "environment": "dev",
        "data-classification": "internal", "cost-center": "cc-1"}


class Case(NamedTuple):
    policy: str
    type: str
    good: dict[str, Any]
    bad: dict[str, Any]
    message: str
    absent: dict[str, Any]
    absent_passes: bool
    unknown: dict[str, Any]


def case_id(case: Case) -> str:
    return f"{case.policy}:{case.type.rsplit(':', 1)[-1]}"


def check_good(case: Case) -> None:
    verdict = analyze(case.policy, case.type, case.good)
    assert verdict.passed, verdict


def check_bad(case: Case) -> None:
    verdict = analyze(case.policy, case.type, case.bad)
    assert any(case.message in v for v in verdict.violations), verdict


def check_absent(case: Case) -> None:
    verdict = analyze(case.policy, case.type, case.absent)
    assert verdict.passed is case.absent_passes, verdict
    if not case.absent_passes:
        assert verdict.violations


def check_unknown(case: Case) -> None:
    verdict = analyze(case.policy, case.type, case.unknown)
    assert verdict.cannot_verify, verdict
    assert all("cannot verify" in m for m in verdict.cannot_verify)
    assert not verdict.violations, verdict
