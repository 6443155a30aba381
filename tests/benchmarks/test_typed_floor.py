"""The typed floor replays the synth's own requests, request for request, and the comparison
that proves it catches a replay that drifts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import bench_child
import pytest
import typed_floor

from infra.synth import synthesize

SERVICES = 2


def _requests(project: Path) -> list[tuple[str, Any]]:
    with bench_child.MonitorCapture() as capture:
        synthesize(bench_child.STACK, project)
    return capture.requests


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("synth")
    return _requests(bench_child.synth_project(folder, SERVICES))


def _replayed(steps: list[typed_floor.Step], folder: Path) -> list[tuple[str, Any]]:
    typed_floor.installed = steps
    try:
        return _requests(bench_child.floor_project(folder, SERVICES))
    finally:
        typed_floor.installed = []


def _stored(steps: list[typed_floor.Step], folder: Path) -> list[typed_floor.Step]:
    """Through the pickle the benchmark hands from the synth's process to the floor's."""
    typed_floor.write_steps(folder / "steps.pickle", steps)
    return typed_floor.read_steps(folder / "steps.pickle")


def test_the_replay_sends_the_synths_requests(recorded, tmp_path):
    custom = [urn for urn, request in recorded if request.custom]
    assert len(custom) > 100, "the generated stack should register real resources"
    steps = _stored(typed_floor.prepare(recorded), tmp_path)
    packages = {s.cls.__module__.split(".")[0] for s in steps if s.cls is not None}
    assert {"pulumi_aws", "pulumi_kubernetes"} <= packages, "the typed classes, not untyped"
    assert typed_floor.differences(recorded, _replayed(steps, tmp_path)) == []


def test_a_replay_that_drifts_is_caught(recorded, tmp_path):
    steps = typed_floor.prepare(recorded)
    tampered = next(s for s in steps if s.cls is not None
                    and any(isinstance(v, str) for v in s.kwargs.values()))
    argument = next(k for k, v in tampered.kwargs.items() if isinstance(v, str))
    tampered.kwargs[argument] += "-tampered"
    problems = typed_floor.differences(recorded, _replayed(_stored(steps, tmp_path), tmp_path))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tampered.urn}: object differ")


def test_missing_extra_and_rewired_requests_are_caught(recorded):
    urn, first = next((u, r) for u, r in recorded if r.custom and r.dependencies)
    rewired = copy.deepcopy(first)
    rewired.dependencies.append("urn:pulumi:bench::strata::aws:s3/bucket:Bucket::elsewhere")
    actual = [(u, rewired if u == urn else r) for u, r in recorded]
    assert typed_floor.differences(recorded, actual)[0].startswith(f"{urn}: dependencies differ")
    assert typed_floor.differences(recorded, recorded[1:]) == [f"{recorded[0][0]}: not replayed"]
    extra = [*recorded, ("urn:pulumi:bench::strata::x:y:Z::extra", first)]
    assert typed_floor.differences(recorded, extra) == [
        "urn:pulumi:bench::strata::x:y:Z::extra: replayed but not in the synth"]


def test_requests_survive_the_file_they_are_kept_in(recorded, tmp_path):
    typed_floor.write_requests(tmp_path / "requests.bin", recorded)
    assert typed_floor.differences(recorded,
                                   typed_floor.read_requests(tmp_path / "requests.bin")) == []
