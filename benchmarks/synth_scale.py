"""`./dev bench`: Strata's cost against fair floors, for generated stacks of 10, 50, 200 services.

synth    `synthesize()` of the dev stack with N generated services, against the typed floor: the
         same registrations replayed through the typed pulumi-aws / pulumi-kubernetes /
         pulumi-random classes in the same mock runtime, GC treatment and warm heap
         (typed_floor.py, bench_child.py). Targets: within 1.3x of the floor at every size,
         linear in services, memory per resource within 1.1x of the floor's.
check    the policy pack over the synth's manifest through the Analyzer protocol, against a
         no-op pack (noop_pack/: one policy that returns at once) on the same manifest.
         Targets: within 1.5x of the no-op pack at the largest size, linear in resources.

Every figure is the min and median of --runs runs (default 3), each in a fresh process, run as
pairs (a synth then its floor, the no-op pack then the check) so the two sides alternate; two
workers (--jobs) run pairs side by side on two cores. Targets are judged on CPU time. The table
goes to stdout, the same as JSON to build/bench.json. See docs/benchmarks.md.

    ./dev bench                        # 10, 50, 200 services, 3 runs each
    ./dev bench --sizes 10 20 40 --runs 5
"""


from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOOP_PACK = HERE / "noop_pack"
PACKAGES = ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-random", "pulumi-policy")

TEMPLATES: list[dict[str, Any]] = [
    {"classification": "confidential",
     "postgres": {"engine": "rds", "instanceClass": "db.t4g.micro", "shards": 2}},
    {"classification": "restricted",
     "keyvalue": {"items": {"partitionKey": {"name": "tenantId"}, "sortKey": {"name": "id"},
                            "stream": True}}},
    {"classification": "internal", "timeseries": {"engine": "influxdb"}},
    {"classification": "internal",
     "postgres": {"engine": "aurora", "shards": 1, "serverless": {"minAcu": 0.5, "maxAcu": 2}},
     "keyvalue": {"sessions": {"partitionKey": {"name": "id"}, "ttlAttribute": "expiresAt"}}},
]



def generated_stack(services: int) -> dict[str, Any]:
    """The dev stack with `services` generated services; each produces one topic and
    consumes its predecessor's."""
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    catalog: dict[str, Any] = {}
    for index in range(services):
        name = f"svc-{index:03d}"
        entry = {"owner": f"team-{index % 7}", **TEMPLATES[index % len(TEMPLATES)],
                 "produces": {"events": {"partitions": 6}}}
        if index:
            entry["consumes"] = [{"topic": f"svc-{index - 1:03d}.events"}]
        catalog[name] = entry
    config["strata:services"] = catalog
    return {"config": config}


def _machine(load_before: tuple[float, ...], elapsed: float, jobs: int,
             runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "load_max_during": max((r["load_1min"] for r in runs), default=None),
            "elapsed_s": round(elapsed, 1), "jobs": jobs,
            "packages": {name: metadata.version(name) for name in PACKAGES}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200],
                        help="generated services per stack (default: 10 50 200)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default: 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json",
                        help="JSON report (default: build/bench.json)")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=2,
                        help="pairs of runs side by side (default 2: one per core)")
    args = parser.parse_args()
    if args.runs < 1 or any(size < 1 for size in args.sizes):
        parser.error("--runs and --sizes must be positive")
    sys.path.insert(0, str(HERE))
    from bench_report import render, summarize
    from bench_runs import BenchError, measure

    load_before, began = os.getloadavg(), time.perf_counter()
    try:
        synth, check = measure(sorted(set(args.sizes)), args.runs, NOOP_PACK, args.jobs)
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
    summary = summarize(synth, check)
    every_run = [r for series in (synth, check) for sides in series.values()
                 for runs in sides.values() for r in runs]
    machine = _machine(load_before, time.perf_counter() - began, args.jobs, every_run)
    header = (f"strata bench, {machine['date']}: {machine['cpus']} CPUs, 1-min load average "
              f"{machine['load_before'][0]:.2f} before, {machine['load_max_during']:.2f} at most "
              f"during the runs (the bench's own {args.jobs} workers count), "
              f"{machine['load_after'][0]:.2f} after; {machine['elapsed_s']:.0f} s")
    sys.stdout.write(render(summary, header))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, **summary,
                                    "runs": {"synth": synth, "check": check}}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
