"""The runs: each in a fresh process (bench_child.py), the two sides of a ratio alternating.

Two series: synth / typed floor, and policy check / no-op pack (the check needs the manifest of
the first synth of its size). With `jobs=2` the series run side by side, each on its own core,
so `./dev bench` fits in five minutes on two cores; within a series the two sides still
alternate run by run, so both see the same conditions. With `jobs=1` they run one after the
other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["BenchError", "measure"]

HERE = Path(__file__).resolve().parent
Series = dict[int, dict[str, list[dict[str, Any]]]]


class BenchError(Exception):
    """A run failed: the benchmark has no figure for it."""


def _child(*args: str) -> dict[str, Any]:
    """One run in a fresh interpreter; its last stdout line is its JSON figures."""
    done = subprocess.run([sys.executable, str(HERE / "bench_child.py"), *args],
                          capture_output=True, text=True, cwd=HERE.parent, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BenchError(f"`bench_child.py {' '.join(args)}` failed:\n{tail}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _progress(series: str, size: int, run: int, runs: int, ours: dict[str, Any],
              floor_name: str, floor: dict[str, Any]) -> None:
    print(f"{series} {size:>4} services, run {run + 1}/{runs}: "
          f"CPU {ours['cpu_seconds']:6.2f} s (wall {ours['seconds']:6.2f}), {floor_name} "
          f"CPU {floor['cpu_seconds']:6.2f} s (wall {floor['seconds']:6.2f}), "
          f"load {floor['load_1min']:.1f}", file=sys.stderr, flush=True)


def _synth_series(sizes: list[int], runs: int, work: Path,
                  ready: dict[int, threading.Event]) -> Series:
    series: Series = {}
    try:
        for size in sizes:
            keep = work / str(size)
            series[size] = {"synth": [], "floor": []}
            for run in range(runs):
                first = run == 0
                ours = _child("synth", str(size), *(["--keep", str(keep)] if first else []))
                ours["load_1min"] = round(os.getloadavg()[0], 2)
                ready[size].set()
                floor = _child("floor", str(size), "--requests", str(keep / "requests.bin"),
                               *(["--verify"] if first else []))
                floor["load_1min"] = round(os.getloadavg()[0], 2)
                series[size]["synth"].append(ours)
                series[size]["floor"].append(floor)
                _progress("synth", size, run, runs, ours, "typed floor", floor)
    finally:
        for event in ready.values():
            event.set()  # a failed synth must not leave the check series waiting
    return series


def _check_series(sizes: list[int], runs: int, work: Path, noop_pack: Path,
                  ready: dict[int, threading.Event]) -> Series:
    series: Series = {}
    for size in sizes:
        ready[size].wait()
        manifest = work / str(size) / "manifest.json"
        if not manifest.is_file():
            raise BenchError(f"no manifest for {size} services: its synth failed")
        series[size] = _child("check", "--manifest", str(manifest), "--noop-pack",
                              str(noop_pack), "--runs", str(runs))
        for run, (ours, noop) in enumerate(zip(series[size]["strata"], series[size]["noop"],
                                               strict=True)):
            _progress("check", size, run, runs, ours, "no-op pack", noop)
    return series


def measure(sizes: list[int], runs: int, noop_pack: Path, jobs: int) -> tuple[Series, Series]:
    ready = {size: threading.Event() for size in sizes}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if jobs == 1:
            synth = _synth_series(sizes, runs, work, ready)
            return synth, _check_series(sizes, runs, work, noop_pack, ready)
        with ThreadPoolExecutor(max_workers=2) as pool:
            synth_future = pool.submit(_synth_series, sizes, runs, work, ready)
            check_future = pool.submit(_check_series, sizes, runs, work, noop_pack, ready)
            return synth_future.result(), check_future.result()
