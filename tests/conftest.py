"""Shared fixtures: run component code under the mock runtime and inspect what it registered."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from infra._mocks import RecordingMonitor, StrataMocks
from stacks.conventions import ownership_tags

ROOT = Path(__file__).resolve().parents[1]


class Registered:
    """The manifest-shaped records of one mocked run, with small query helpers."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == type_]

    def one(self, type_: str) -> dict[str, Any]:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def named(self, name: str) -> dict[str, Any]:
        found = [r for r in self.records if r["name"] == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]


def run_mocked(build: Callable[[], Any], stack: str = "test", region: str = "eu-west-1",
               config: dict[str, str] | None = None) -> Registered:
    """Run `build()` under the mock runtime and return every registration it caused."""
    monitor = RecordingMonitor(StrataMocks(region))
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(monitor.mocks, project="strata", stack=stack, preview=False,
                             monitor=monitor)
    pulumi.runtime.set_all_config(config or {}, [])
    build()
    _sync_await(wait_for_rpcs())
    return Registered([monitor.record(urn, req) for urn, req in monitor.requests])


@cache
def synthesized(stack: str) -> dict[str, Any]:
    """The real program's manifest for `Pulumi.<stack>.yaml`, once per test process."""
    from infra.synth import synthesize

    return synthesize(stack, ROOT)


def role_policies(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role name, policy resource) for every inline RolePolicy and every managed Policy
    attached through a RolePolicyAttachment: what each role may do, however it was granted."""
    by_urn = {r["urn"]: r for r in manifest["resources"]}
    found = [(r["inputs"]["role"], r) for r in manifest["resources"]
             if r["type"] == "aws:iam/rolePolicy:RolePolicy"]
    for attachment in manifest["resources"]:
        if attachment["type"] != "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            continue
        for urn in attachment["propertyDependencies"].get("policyArn", []):
            if by_urn[urn]["type"] == "aws:iam/policy:Policy":
                found.append((attachment["inputs"]["role"], by_urn[urn]))
    return found


@pytest.fixture
def mocked() -> Callable[..., Registered]:
    return run_mocked


@pytest.fixture
def tags() -> dict[str, str]:
    return ownership_tags(owner="team-a", service="orders", environment="test",
                          classification="confidential", cost_center="cc-1")
