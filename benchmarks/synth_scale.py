"""Synth cost against the SDK's own floor, for generated catalogs of 10, 50 and 200 services.

For each size, in a fresh process each (so peak RSS is per run):
  synth  - `synthesize()` of a generated stack: config validation, every component, manifest
  floor  - the same registrations replayed as bare resources (same types, names, parents and
           plain inputs) under the same mock runtime: what the SDK itself costs
The ratio synth/floor says how much Strata adds on top of what Pulumi itself costs.
Targets: ratio within 1.15x, and time linear in services.

    ./dev bench                 # 10, 50, 200
    ./dev bench --sizes 10 20   # custom sizes
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]

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


WARM_MODULES = ("amp", "appautoscaling", "cloudwatch", "dynamodb", "ec2", "eks", "grafana", "iam",
                "kms", "msk", "rds", "s3", "secretsmanager", "sns", "ssm", "timestreaminfluxdb",
                "timestreamwrite", "vpc")


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


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_synth(services: int, manifest_out: Path) -> dict[str, Any]:
    import pulumi_aws
    import pulumi_kubernetes  # noqa: F401

    import stacks.platform  # noqa: F401
    from infra.synth import synthesize

    # One-time module loads are not per-resource cost: load the lazy AWS submodules first.
    for module in WARM_MODULES:
        # Reading any attribute other than the introspection dunders performs the load.
        getattr(getattr(pulumi_aws, module), "__all__", None)

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\n"
                                             f"main: {ROOT / 'infra'}\n")
        (project / "Pulumi.bench.yaml").write_text(yaml.safe_dump(generated_stack(services)))
        start = time.perf_counter()
        manifest = synthesize("bench", project)
        seconds = time.perf_counter() - start
    manifest_out.write_text(json.dumps(manifest["resources"]))
    return {"resources": len(manifest["resources"]), "seconds": seconds,
            "peak_rss_mib": _peak_rss_mib()}


def run_floor(manifest_in: Path) -> dict[str, Any]:
    """Replay the synth's registrations as bare resources: the SDK's own cost for them."""
    import pulumi
    from pulumi.runtime.stack import wait_for_rpcs
    from pulumi.runtime.sync_await import _sync_await

    from infra._mocks import RecordingMonitor, StrataMocks

    records = json.loads(manifest_in.read_text())
    monitor = RecordingMonitor(StrataMocks("eu-west-1"))
    start = time.perf_counter()
    pulumi.runtime.set_mocks(monitor.mocks, project="strata", stack="floor", preview=False,
                             monitor=monitor)
    made: dict[str, pulumi.Resource] = {}
    for record in records:
        if record["type"] == "pulumi:pulumi:Stack":
            continue
        opts = pulumi.ResourceOptions(parent=made.get(record["parent"]))
        if record["custom"]:
            made[record["urn"]] = pulumi.CustomResource(record["type"], record["name"],
                                                        record["inputs"], opts)
        else:
            made[record["urn"]] = pulumi.ComponentResource(record["type"], record["name"],
                                                           None, opts)
    _sync_await(wait_for_rpcs())
    replayed = [monitor.record(urn, request) for urn, request in monitor.requests]
    seconds = time.perf_counter() - start
    return {"resources": len(replayed), "seconds": seconds, "peak_rss_mib": _peak_rss_mib()}


def _in_subprocess(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--synth", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.synth:
        print(json.dumps(run_synth(args.synth, args.records)))
        return
    if args.floor:
        print(json.dumps(run_floor(args.records)))
        return
    print(f"{'services':>8} {'resources':>9} {'synth s':>8} {'floor s':>8} {'ratio':>6} "
          f"{'ms/res':>7} {'synth MiB':>9} {'floor MiB':>9}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            records = str(Path(folder) / "records.json")
            synth = _in_subprocess("--synth", str(size), "--records", records)
            floor = _in_subprocess("--floor", "--records", records)
        ratio = synth["seconds"] / floor["seconds"]
        print(f"{size:>8} {synth['resources']:>9} {synth['seconds']:>8.2f} "
              f"{floor['seconds']:>8.2f} {ratio:>6.2f} "
              f"{1000 * synth['seconds'] / synth['resources']:>7.2f} "
              f"{synth['peak_rss_mib']:>9.0f} {floor['peak_rss_mib']:>9.0f}")


if __name__ == "__main__":
    main()
