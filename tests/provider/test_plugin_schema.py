"""The repository as a Pulumi plugin: started as the engine starts it, it serves a package schema
that Pulumi's metaschema and binding accept, naming every public component.

One plugin process for the module (about 1.5 s to start); everything goes over gRPC.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import empty_pb2

from components.provider import DISTRIBUTION, PACKAGE, public_components, schema
from tests.provider._engine import PluginProcess
from tests.provider._schemas import METASCHEMAS, package_problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    # The working directory is the consuming program's, never the plugin's.
    with PluginProcess.start(ROOT, tmp_path_factory.mktemp("consumer")) as process:
        process.handshake(ROOT)
        yield process


@pytest.fixture(scope="module")
def served(plugin: PluginProcess) -> dict[str, Any]:
    return plugin.served_schema()


def test_started_as_the_python_language_host_runs_a_plugin(plugin: PluginProcess):
    """PulumiPlugin.yaml's virtualenv python, the plugin directory, the engine address."""
    assert plugin.command == [str(ROOT / ".venv" / "bin" / "python"), str(ROOT),
                              plugin.engine_address]


def test_reports_the_distribution_version(plugin: PluginProcess, served: dict[str, Any]):
    version = metadata.version(DISTRIBUTION)
    assert plugin.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == version
    assert (served["name"], served["version"]) == (PACKAGE, version)


def test_schema_passes_pulumis_metaschema_and_binding(served: dict[str, Any]):
    assert package_problems(served) == []


def test_schema_offers_every_public_component_as_a_component(served: dict[str, Any]):
    assert sorted(served["resources"]) == sorted(
        f"strata:index:{c.__name__}" for c in public_components())
    assert all(r["isComponent"] for r in served["resources"].values())


def test_every_input_and_output_is_documented(served: dict[str, Any]):
    """Generated SDKs show these descriptions in every language's editor."""
    missing = [f"{token}.{section}.{name}" for token, resource in served["resources"].items()
               for section in ("inputProperties", "properties")
               for name, prop in resource.get(section, {}).items()
               if not (prop.get("description") or "").strip()]
    assert missing == []


def test_served_schema_is_what_components_provider_schema_returns(served: dict[str, Any]):
    """The YAML example is checked against `schema()`: it must be the served document."""
    assert schema() == served


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda s: s.update(version="0.2"), "#/version: '0.2' does not match"),
    (lambda s: s["resources"]["strata:index:Topic"]["inputProperties"]["partitions"].update(
        type="int"), "#/resources/strata:index:Topic/inputProperties/partitions/type: "),
    (lambda s: s["resources"]["strata:index:Topic"]["requiredInputs"].append("brokers"),
     "#/resources/strata:index:Topic/requiredInputs: 'brokers' is not in inputProperties"),
    (lambda s: s["types"].pop("strata:index:LifecycleArgs"),
     "/lifecycle: type #/types/strata:index:LifecycleArgs is not defined"),
    (lambda s: s["resources"].update({"other:index:X": {"isComponent": True}}),
     "#/resources/other:index:X: invalid token 'other:index:X' (must have package name "
     "'strata')"),
], ids=["version", "type", "required", "dangling-ref", "token"])
def test_the_check_rejects_a_broken_schema(served: dict[str, Any], mutate: Any, problem: str):
    broken = copy.deepcopy(served)
    mutate(broken)
    problems = package_problems(broken)
    assert any(problem in p for p in problems), problems


def test_metaschema_copies_carry_their_source():
    source = json.loads((METASCHEMAS / "SOURCE.json").read_text())
    assert len(source["commit"]) == 40
    for name, path in source["files"].items():
        assert json.loads((METASCHEMAS / name).read_text())["$id"].endswith(path), name


def test_plugin_manifest_is_what_the_cli_loads():
    """PulumiPlugin.yaml decodes into the CLI's PluginProject (pulumi/sdk/go/common/workspace/
    project.go); pip installs requirements.txt into the virtualenv it names (the toolchain's
    InstallDependencies), which must install this repository for `__main__.py` to run; the
    plugin and the blueprint program share that virtualenv, as `pulumi install` at the root
    installs the plugin's dependencies when both files sit together."""
    manifest = yaml.safe_load((ROOT / "PulumiPlugin.yaml").read_text())
    assert set(manifest) <= {"runtime", "packages", "requiredPulumiVersion", "template"}
    runtime = manifest["runtime"]
    assert runtime["name"] == "python"
    assert set(runtime["options"]) <= {"virtualenv", "toolchain", "typechecker"}
    assert runtime["options"]["toolchain"] == "pip"
    program = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert runtime["options"]["virtualenv"] == program["runtime"]["options"]["virtualenv"]
    requirements = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert requirements == ["-e ."]
    assert (ROOT / "__main__.py").read_text().count("from components.provider import main") == 1
