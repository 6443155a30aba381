"""`strata synth STACK`: run the real program under Pulumi's mock runtime, write the manifest.

The manifest holds every RegisterResource request exactly as the engine would receive it
(camelCase inputs, parent, dependencies, protect, aliases; secrets masked), so the policy
pack and the tests judge the real program, not a re-implementation of it.
"""

from __future__ import annotations

import gc
import json
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from infra._mocks import MASK, RecordingMonitor, StrataMocks
from infra._stackfile import find_project, read_stack_config
from infra._synth_summary import summary

__all__ = ["collection_held", "summary", "synthesize", "tree_order", "write_manifest"]


def synthesize(stack: str, project_dir: Path | None = None,
               overrides: dict[str, str] | None = None,
               progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run the program for `stack` under mocks and return the manifest dict.

    `overrides` replaces config values (namespaced keys, CLI string form); tests use it to
    supply secrets or to vary the catalog. `progress` is called with the running count after
    each registration. Raises ConfigError for a bad stack config.
    """
    project = find_project(project_dir)
    config = read_stack_config(project, stack)
    values = {**config.values, **(overrides or {})}
    region = values.get("aws:region", "eu-west-1")
    monitor = (RecordingMonitor(StrataMocks(region)) if progress is None
               else _ReportingMonitor(StrataMocks(region), progress))
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(monitor.mocks, project=project.name, stack=stack, preview=False,
                             monitor=monitor)
    # The program finds the project's locks from its root, as under the engine.
    pulumi.runtime.settings.SETTINGS.root_directory = str(project.root)
    pulumi.runtime.set_all_config(values, config.secret_keys)
    with collection_held():
        runpy.run_path(str(project.main / "__main__.py"), run_name="__main__")
        _sync_await(wait_for_rpcs())
    resources = tree_order([monitor.record(urn, request) for urn, request in monitor.requests])
    return {
        "project": project.name,
        "stack": stack,
        "resources": resources,
        "outputs": _stack_outputs(),
        "placeholders": config.placeholders,
    }


@contextmanager
def collection_held() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while the program registers resources.

    The SDK builds a large graph of Outputs and futures, and the collector's full passes over
    the warm heap (the imported SDKs) cost more than half of a large synth. The heap built
    before the run is frozen out of collection, nothing is collected during the run, and
    collection resumes afterwards: memory is bounded by one synth's garbage.
    """
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def tree_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children, siblings by URN: a stable order (the SDK registers
    concurrently, so registration order varies between runs) that alias resolution can walk."""
    children: dict[str, list[dict[str, Any]]] = {}
    known = {r["urn"] for r in resources}
    for resource in resources:
        parent = resource["parent"] if resource["parent"] in known else ""
        children.setdefault(parent, []).append(resource)
    ordered: list[dict[str, Any]] = []
    stack = sorted(children.get("", []), key=lambda r: r["urn"], reverse=True)
    while stack:
        resource = stack.pop()
        ordered.append(resource)
        stack += sorted(children.get(resource["urn"], []), key=lambda r: r["urn"], reverse=True)
    return ordered


def _stack_outputs() -> dict[str, Any]:
    root = pulumi.runtime.settings.get_root_resource()
    outputs: dict[str, Any] = {}
    for name, value in getattr(root, "outputs", {}).items():
        output = pulumi.Output.from_input(value)
        secret = _sync_await(output.is_secret())
        outputs[name] = MASK if secret else _sync_await(output.future())
    return outputs


def write_manifest(manifest: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "manifest.json"
    body = {k: v for k, v in manifest.items() if k != "placeholders"}
    path.write_text(json.dumps(body, indent=2, sort_keys=False, default=str) + "\n")
    return path


class _ReportingMonitor(RecordingMonitor):
    """Reports the running count of registrations (the progress of a long synth)."""

    def __init__(self, mocks: pulumi.runtime.Mocks, progress: Callable[[int], None]) -> None:
        super().__init__(mocks)
        self.progress = progress

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.progress(len(self.requests))
        return response
