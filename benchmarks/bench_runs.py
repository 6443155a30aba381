"""The runs: each in a fresh process (bench_child.py), the two sides of a ratio one after the other.

A task is one pair: a synth then its typed floor, or the no-op pack then the policy check (both
on the manifest of the first synth of that size). The first synth pair of each size keeps its
requests, prepared replay steps and manifest, which every other task of that size uses. With
`jobs=2` two workers take tasks in priority order (largest size first), one core each, so
`./dev bench` fits in five minutes on two cores; every pair still runs its two sides back to
back, so both see the same conditions. With `jobs=1` the tasks run one after the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BenchError", "measure"]

HERE = Path(__file__).resolve().parent
Series = dict[int, dict[str, list[dict[str, Any]]]]


class BenchError(Exception):
    """A run failed: the benchmark has no figure for it."""


@dataclass(frozen=True)
class _Task:
    kind: str  # "synth": synth + typed floor; "check": no-op pack + policy check
    size: int
    run: int

    @property
    def keeps(self) -> bool:
        return self.kind == "synth" and self.run == 0


def _plan(sizes: list[int], runs: int) -> list[_Task]:
    """Priority order: every size's keeping synth first, then size by size, largest first."""
    tasks = [_Task("synth", size, 0) for size in reversed(sizes)]
    for size in reversed(sizes):
        tasks += [_Task("synth", size, run) for run in range(1, runs)]
        tasks += [_Task("check", size, run) for run in range(runs)]
    return tasks


def _child(*args: str) -> dict[str, Any]:
    """One run in a fresh interpreter; its last stdout line is its JSON figures."""
    done = subprocess.run([sys.executable, str(HERE / "bench_child.py"), *args],
                          capture_output=True, text=True, cwd=HERE.parent, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BenchError(f"`bench_child.py {' '.join(args)}` failed:\n{tail}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load_1min"] = round(os.getloadavg()[0], 2)
    return figures


class _Bench:
    def __init__(self, sizes: list[int], runs: int, noop_pack: Path, work: Path) -> None:
        self.runs, self.noop_pack, self.work = runs, noop_pack, work
        self.pending = _plan(sizes, runs)
        self.kept: set[int] = set()
        self.results: dict[_Task, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.errors: list[BaseException] = []
        self.lock = threading.Condition()

    def worker(self) -> None:
        while (task := self._next()) is not None:
            try:
                result = self._run(task)
            except BaseException as exc:  # reported after every worker stopped
                with self.lock:
                    self.errors.append(exc)
                    self.lock.notify_all()
                return
            with self.lock:
                self.results[task] = result
                self.lock.notify_all()

    def _next(self) -> _Task | None:
        with self.lock:
            while not self.errors and self.pending:
                ready = [t for t in self.pending if t.keeps or t.size in self.kept]
                if ready:
                    self.pending.remove(ready[0])
                    return ready[0]
                self.lock.wait()
            return None

    def _run(self, task: _Task) -> tuple[dict[str, Any], dict[str, Any]]:
        kept, size = self.work / str(task.size), str(task.size)
        if task.kind == "check":
            pair = _child("check", "--manifest", str(kept / "manifest.json"),
                          "--noop-pack", str(self.noop_pack))
            ours, floor = pair["strata"], pair["noop"]
            self._progress(task, ours, "no-op pack", floor)
            return ours, floor
        ours = _child("synth", size, *(["--keep", str(kept)] if task.keeps else []))
        if task.keeps:
            with self.lock:
                self.kept.add(task.size)
                self.lock.notify_all()
        floor = _child("floor", size, "--kept", str(kept), *(["--verify"] if task.keeps else []))
        self._progress(task, ours, "typed floor", floor)
        return ours, floor

    def _progress(self, task: _Task, ours: dict[str, Any], floor_name: str,
                  floor: dict[str, Any]) -> None:
        print(f"{task.kind} {task.size:>4} services, run {task.run + 1}/{self.runs}: "
              f"CPU {ours['cpu_seconds']:6.2f} s (wall {ours['seconds']:6.2f}), {floor_name} "
              f"CPU {floor['cpu_seconds']:6.2f} s (wall {floor['seconds']:6.2f}), "
              f"load {floor['load_1min']:.1f}", file=sys.stderr, flush=True)

    def series(self, kind: str, names: tuple[str, str]) -> Series:
        out: Series = {}
        for task in sorted(self.results, key=lambda t: (t.size, t.run)):
            if task.kind == kind:
                entry = out.setdefault(task.size, {names[0]: [], names[1]: []})
                ours, floor = self.results[task]
                entry[names[0]].append(ours)
                entry[names[1]].append(floor)
        return out


def measure(sizes: list[int], runs: int, noop_pack: Path, jobs: int) -> tuple[Series, Series]:
    """Every run; returns {size: {"synth": [...], "floor": [...]}} and {size: {"strata": [...],
    "noop": [...]}}, each list in run order."""
    with tempfile.TemporaryDirectory() as folder:
        bench = _Bench(sizes, runs, noop_pack, Path(folder))
        workers = [threading.Thread(target=bench.worker) for _ in range(jobs)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if bench.errors:
        error = bench.errors[0]
        raise error if isinstance(error, BenchError) else BenchError(repr(error))
    return bench.series("synth", ("synth", "floor")), bench.series("check", ("strata", "noop"))
