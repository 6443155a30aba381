"""Findings point at the stack-file line that declares the offending service or section, found
from types, service tags and parent chains, never from component names."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra._check_locations import Location, artifact_uri, key_lines, locate
from tests.conftest import synthesized
from tests.infra._renamed import renamed_components

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / "Pulumi.dev.yaml"


def _line_of(text: str) -> int:
    """1-based line of an exact line of the dev stack file, found without YAML."""
    return STACK_FILE.read_text().splitlines().index(text) + 1


def test_key_lines_count_comments_and_accept_bare_keys(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.qa.yaml"
    stack_file.write_text(
        "# qa stack\n"
        "\n"
        "config:\n"
        "  aws:region: eu-west-1   # where\n"
        "  # the network\n"
        "  network: {cidr: 10.0.0.0/16}\n"
        "  'strata:services':\n"
        "    orders:\n"
        "      owner: a\n"
        "\n"
        "    \"payments\": {owner: b}\n")
    assert key_lines(stack_file, "strata") == {
        ("config",): 3, ("aws:region",): 4, ("strata:network",): 6,
        ("strata:services",): 7, ("strata:services", "orders"): 8,
        ("strata:services", "payments"): 11}


@pytest.mark.parametrize(("text", "lines"), [
    ("config: [1, 2]\n", {("config",): 1}), ("config:\n  - a\n", {("config",): 1}),
    ("{{{", {}), ("", {}), ("- config\n", {}), (b"\xff\xfe", {}),
])
def test_key_lines_of_an_odd_stack_file_are_what_it_declares_not_an_error(
        text: str | bytes, lines: dict[tuple[str, ...], int], tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.x.yaml"
    if isinstance(text, bytes):
        stack_file.write_bytes(text)
    else:
        stack_file.write_text(text)
    assert key_lines(stack_file, "strata") == lines
    assert key_lines(tmp_path / "missing.yaml", "strata") == {}


def test_artifact_uri_is_relative_to_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "infra").mkdir()
    inside = tmp_path / "repo" / "infra" / "Pulumi.dev.yaml"
    outside = tmp_path / "Pulumi.dev.yaml"
    assert artifact_uri(inside) == "infra/Pulumi.dev.yaml"
    assert artifact_uri(outside) == outside.resolve().as_uri()


# (resource name, the stack-file line expected): services by tag, label, grantee or parent;
# platform resources by the section their types belong to.
EXPECTED = [
    ("orders-postgres-shard-0", "    orders:"),  # own service tag
    ("payments-tenancy-namespace", "    payments:"),  # Kubernetes label
    ("payments-grants-consume-0", "    payments:"),  # the grantee's policy
    ("orders.order-events-topic", "    orders:"),  # untaggable topic under its producer
    ("orders-key-alias", "    orders:"),  # untaggable alias beside its key
    ("kafka-cluster", "  strata:kafka:"),
    ("kafka-config", "  strata:kafka:"),  # untagged, under the component holding the cluster
    ("eks-general", "  strata:cluster:"),
    ("monitoring-dashboard", "  strata:monitoring:"),
    ("orders-alarms-dev-orders-shard-0-cpu", "    orders:"),  # a service's alarm is the service's
    ("platform-key-key", "  strata:environment:"),
]


def _by_name(manifest: dict, located: dict[str, Location]) -> dict[str, Location]:
    return {r["name"]: located[r["urn"]] for r in manifest["resources"] if r["custom"]}


@pytest.mark.parametrize(("name", "line"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_a_resource_points_at_its_service_or_section(name: str, line: str) -> None:
    manifest = synthesized("dev")
    located = _by_name(manifest, locate(manifest, STACK_FILE))
    assert located[name].line == _line_of(line)
    assert located[name].uri == "Pulumi.dev.yaml"


def test_network_resources_point_at_the_network_section() -> None:
    manifest = synthesized("dev")
    located = locate(manifest, STACK_FILE)
    subnets = [r for r in manifest["resources"] if r["type"] == "aws:ec2/subnet:Subnet"]
    assert subnets
    assert {located[r["urn"]].key for r in subnets} == {"strata:network"}


def test_stack_level_findings_point_at_config() -> None:
    assert locate(synthesized("dev"), STACK_FILE)[""] == Location(
        "Pulumi.dev.yaml", _line_of("config:"), "config")


def test_locations_do_not_depend_on_component_names_or_types() -> None:
    manifest = synthesized("dev")
    refactored = renamed_components(manifest)
    assert _by_name(refactored, locate(refactored, STACK_FILE)) == \
        _by_name(manifest, locate(manifest, STACK_FILE))
