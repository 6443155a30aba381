"""URNs and alias resolution match the engine's rules (pulumi/pkg/resource/deploy)."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.urns import child_urn, resolve_aliases, urn_name, urn_type
from tests.conftest import run_mocked

STACK, PROJECT = "dev", "strata"
ROOT = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::strata-dev"


def _urn(chain: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{chain}::{name}"


def test_child_urn_carries_the_whole_parent_type_chain_and_never_the_root_stack():
    top = child_urn(STACK, PROJECT, ROOT, "a:index:A", "a")
    assert top == _urn("a:index:A", "a")
    mid = child_urn(STACK, PROJECT, top, "a:index:B", "b")
    leaf = child_urn(STACK, PROJECT, mid, "aws:s3/bucket:Bucket", "c")
    assert leaf == _urn("a:index:A$a:index:B$aws:s3/bucket:Bucket", "c")
    assert urn_type(leaf) == "aws:s3/bucket:Bucket" and urn_name(leaf) == "c"


def test_urn_names_may_contain_double_colons():
    assert urn_name(_urn("a:index:A", "x::y")) == "x::y"


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Box", name, None, opts)


def _registered(build: Any) -> list[dict[str, Any]]:
    from infra.synth import tree_order

    return tree_order(run_mocked(build, stack=STACK).records)


def test_mock_monitor_records_engine_urns_three_levels_deep():
    def build() -> None:
        outer = _Box("outer")
        inner = _Box("inner", pulumi.ResourceOptions(parent=outer))
        pulumi.CustomResource("aws:s3/bucket:Bucket", "leaf", {},
                              pulumi.ResourceOptions(parent=inner))

    urns = {r["name"]: r["urn"] for r in _registered(build)}
    assert urns["leaf"] == _urn("test:index:Box$test:index:Box$aws:s3/bucket:Bucket", "leaf")
    assert urns["outer"] == _urn("test:index:Box", "outer")


def test_a_resource_moved_under_a_new_component_is_claimed_by_its_parent_alias():
    old = [_urn("test:index:Box$aws:s3/bucket:Bucket", "data")]

    def build() -> None:
        owner = _Box("owner")
        wrapper = _Box("wrapper", pulumi.ResourceOptions(parent=owner))
        pulumi.CustomResource("aws:s3/bucket:Bucket", "data", {}, pulumi.ResourceOptions(
            parent=wrapper, aliases=[pulumi.Alias(parent=owner)]))

    resources = _registered(build)
    matches = resolve_aliases(resources, old, stack=STACK, project=PROJECT)
    assert [m.old_urn for m in matches.values()] == old


def test_a_moved_resource_without_an_alias_is_not_claimed():
    old = [_urn("test:index:Box$aws:s3/bucket:Bucket", "data")]

    def build() -> None:
        owner = _Box("owner")
        wrapper = _Box("wrapper", pulumi.ResourceOptions(parent=owner))
        pulumi.CustomResource("aws:s3/bucket:Bucket", "data", {},
                              pulumi.ResourceOptions(parent=wrapper))

    assert resolve_aliases(_registered(build), old, stack=STACK, project=PROJECT) == {}


def test_children_inherit_a_renamed_parents_alias_including_the_name_prefix():
    old = [_urn("test:index:Box", "app"), _urn("test:index:Box$aws:s3/bucket:Bucket", "app-logs")]

    def build() -> None:
        box = _Box("newapp", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="app")]))
        pulumi.CustomResource("aws:s3/bucket:Bucket", "newapp-logs", {},
                              pulumi.ResourceOptions(parent=box))

    matches = resolve_aliases(_registered(build), old, stack=STACK, project=PROJECT)
    assert sorted(m.old_urn for m in matches.values()) == sorted(old)


def test_an_unchanged_urn_needs_no_alias():
    def build() -> None:
        _Box("same")

    resources = _registered(build)
    assert resolve_aliases(resources, [resources[-1]["urn"]], stack=STACK, project=PROJECT) == {}
