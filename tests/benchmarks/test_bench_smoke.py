"""`./dev bench` end to end at a tiny size: fresh processes, the floor verified request for
request, the check and the no-op pack on the synth's manifest, the report written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_a_tiny_bench_runs_end_to_end(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "synth_scale.py"), "--sizes", "2",
                           "--runs", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    (synth,), (check,) = report["synth"], report["check"]
    assert synth["services"] == 2 and synth["resources"] > 100
    floor_run = report["runs"]["synth"]["2"]["floor"][0]
    assert floor_run["verified"] == synth["resources"]  # every request, none differing
    assert check["resources"] == synth["resources"] + 1  # the check counts the root stack
    assert report["runs"]["check"]["2"]["noop"][0]["findings"] == 0
    assert {t["name"] for t in report["targets"]} == {
        "synth_ratio", "synth_memory", "synth_linear", "check_ratio", "check_linear"}
    assert "targets (judged on min CPU time)" in done.stdout
