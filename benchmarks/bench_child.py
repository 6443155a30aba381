"""One measured run in a fresh process; prints its figures as one JSON line on stdout.

    bench_child.py synth SERVICES [--keep DIR]     synthesize the generated stack (and keep
                                                   its requests, steps and manifest in DIR)
    bench_child.py floor SERVICES --kept DIR [--verify]
                                                   replay the synth's requests through the
                                                   typed SDK classes (typed_floor.py)
    bench_child.py check --manifest FILE --noop-pack DIR
                                                   the no-op pack, then the policy check

`synth` and `floor` go through the same `infra.synth.synthesize()` (the same mock runtime,
config, `collection_held` GC treatment, manifest building); only the program differs: Strata's
own, or the replay. Both first warm up identically (import the program, synthesize a small
generated stack untimed) so that neither pays one-time imports and both start from the same
heap, frozen out of collection; the peak resident set is reset before the timed run
(/proc/self/clear_refs), so memory per resource is (peak during the run - resident before it) /
resources. CPU time (all threads of the process) is measured beside wall-clock time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi.runtime
import typed_floor
import yaml
from synth_scale import ROOT, generated_stack

WARM_UP_SERVICES = 4
"""Every service template once: every resource class and Strata module gets loaded."""
STACK = "bench"
FLOOR_PROGRAM = "import typed_floor\n\ntyped_floor.replay(typed_floor.installed)\n"


def _project(folder: Path, services: int, main: Path) -> Path:
    (folder / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\nmain: {main}\n")
    (folder / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(generated_stack(services)))
    return folder


def _warm_up() -> None:
    import stacks.platform  # noqa: F401
    from infra.synth import synthesize

    with tempfile.TemporaryDirectory() as folder:
        synthesize(STACK, synth_project(Path(folder), WARM_UP_SERVICES))
    gc.collect()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _measured(run: Callable[[], dict[str, Any]], profile: Path | None) -> dict[str, Any]:
    """Time `run` and measure the memory it adds at its peak (or profile it into `profile`)."""
    if profile is not None:
        profiler = cProfile.Profile()
        manifest = profiler.runcall(run)
        profiler.dump_stats(profile)
        return {"resources": len(manifest["resources"]), "profile": str(profile)}
    # Freeze the warm heap (the floor's: with its prepared steps) out of collection first, so
    # that `collection_held`'s own collection inside the run walks the same heap on both sides.
    gc.collect()
    gc.freeze()
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    start, start_cpu = time.perf_counter(), time.process_time()
    manifest = run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    peak = _status_kib("VmHWM")
    resources = len(manifest["resources"])
    return {"resources": resources, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "peak_rss_mib": peak / 1024, "rss_before_mib": before / 1024,
            "kib_per_resource": (peak - before) / resources}


class MonitorCapture:
    """Keeps the mock monitor `synthesize()` creates, to read its requests after the run
    (`pulumi.runtime.set_mocks` is wrapped while the capture is entered)."""

    def __init__(self) -> None:
        self.monitor: Any = None
        self._set_mocks = pulumi.runtime.set_mocks

    def __enter__(self) -> MonitorCapture:
        pulumi.runtime.set_mocks = self._capture
        return self

    def __exit__(self, *exc: object) -> None:
        pulumi.runtime.set_mocks = self._set_mocks

    def _capture(self, *args: Any, **kwargs: Any) -> None:
        self.monitor = kwargs.get("monitor")
        self._set_mocks(*args, **kwargs)

    @property
    def requests(self) -> list[tuple[str, Any]]:
        return list(self.monitor.requests)


def synth_project(folder: Path, services: int) -> Path:
    """A project in `folder` whose program is Strata's own, on the generated stack."""
    return _project(folder, services, ROOT / "infra")


def floor_project(folder: Path, services: int) -> Path:
    """A project in `folder` whose program replays `typed_floor.installed`."""
    program = folder / "program"
    program.mkdir()
    (program / "__main__.py").write_text(FLOOR_PROGRAM)
    return _project(folder, services, program)


def run_synth(services: int, keep: Path | None, profile: Path | None) -> dict[str, Any]:
    from infra.synth import synthesize

    _warm_up()
    manifest: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder, MonitorCapture() as capture:
        project = synth_project(Path(folder), services)

        def run() -> dict[str, Any]:
            manifest.update(synthesize(STACK, project))
            return manifest

        figures = _measured(run, profile)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        typed_floor.write_requests(keep / "requests.bin", capture.requests)
        typed_floor.write_steps(keep / "steps.pickle", typed_floor.prepare(capture.requests))
        (keep / "manifest.json").write_text(json.dumps(
            {k: v for k, v in manifest.items() if k != "placeholders"}))
    return figures


def run_floor(services: int, kept: Path, verify: bool, profile: Path | None) -> dict[str, Any]:
    from infra.synth import synthesize

    _warm_up()
    typed_floor.installed = typed_floor.read_steps(kept / "steps.pickle")
    with tempfile.TemporaryDirectory() as folder, MonitorCapture() as capture:
        project = floor_project(Path(folder), services)
        figures = _measured(lambda: synthesize(STACK, project), profile)
    if verify:
        recorded = typed_floor.read_requests(kept / "requests.bin")
        problems = typed_floor.differences(recorded, capture.requests)
        if problems:
            raise typed_floor.FloorError("the typed floor did not send the synth's requests:\n  "
                                         + "\n  ".join(problems))
        figures["verified"] = len(recorded)
    return figures


def run_checks(manifest_file: Path, noop_pack: Path) -> dict[str, Any]:
    """The no-op pack, then the policy pack, on one manifest, each in a fresh pack process."""
    from infra.check import analyze_manifest, load_policy_config

    manifest = json.loads(manifest_file.read_text())
    config, _ = load_policy_config(ROOT, "dev")  # the generated stack is dev's, scaled
    figures: dict[str, Any] = {}
    for name, pack, policy_config in (("noop", noop_pack, None),
                                      ("strata", ROOT / "policies", config)):
        start_cpu, start_pack_cpu = time.process_time(), _children_cpu()
        result = analyze_manifest(manifest, pack_dir=pack, policy_config=policy_config,
                                  project_dir=ROOT)
        # The pack has exited (and been waited for): its CPU time is in RUSAGE_CHILDREN.
        pack_cpu_seconds = _children_cpu() - start_pack_cpu
        figures[name] = {
            "resources": result.resources, "seconds": result.timings["total"],
            "cpu_seconds": time.process_time() - start_cpu + pack_cpu_seconds,
            "pack_cpu_seconds": pack_cpu_seconds, "timings": result.timings,
            "findings": len(result.findings), "load_1min": round(os.getloadavg()[0], 2),
            "findings_sha256": _findings_digest(result.findings)}
    return figures


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _findings_digest(findings: list[Any]) -> str:
    """Identical findings give identical digests (to compare before and after a change)."""
    rows = sorted(json.dumps([f.policy, f.status, f.enforcement, f.urn, f.message])
                  for f in findings)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    synth = sub.add_parser("synth")
    synth.add_argument("services", type=int)
    synth.add_argument("--keep", type=Path)
    synth.add_argument("--profile", type=Path, help="cProfile the run into this file instead")
    floor = sub.add_parser("floor")
    floor.add_argument("services", type=int)
    floor.add_argument("--kept", type=Path, required=True,
                       help="the folder a `synth --keep` wrote (its requests and steps)")
    floor.add_argument("--verify", action="store_true")
    floor.add_argument("--profile", type=Path, help="cProfile the run into this file instead")
    check = sub.add_parser("check")
    check.add_argument("--manifest", type=Path, required=True)
    check.add_argument("--noop-pack", type=Path, required=True)
    args = parser.parse_args()
    if args.mode == "synth":
        result = run_synth(args.services, args.keep, args.profile)
    elif args.mode == "floor":
        result = run_floor(args.services, args.kept, args.verify, args.profile)
    else:
        result = run_checks(args.manifest, args.noop_pack)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
