"""The verdicts: a ratio, a growth or a memory figure over its limit is NOT MET."""

from __future__ import annotations

from typing import Any

import pytest
from bench_report import render, summarize

SIZES = {10: 500, 50: 2300, 200: 9000}


def _runs(cpu_per_resource: float, size: int, extra: float = 0.0, kib: float = 80.0,
          **more: Any) -> list[dict[str, Any]]:
    resources = SIZES[size]
    cpu = 0.5 + cpu_per_resource * resources * (1 + extra)
    return [{"resources": resources, "cpu_seconds": cpu + i * 0.1, "seconds": cpu + i * 0.1,
             "kib_per_resource": kib, "peak_rss_mib": 200 + resources * kib / 1024, **more}
            for i in range(3)]


def _synth(ratio: float, growth: float = 0.0, memory: float = 1.0) -> dict[int, Any]:
    """`growth`: both sides cost that much more per resource at the largest size (a floor that
    grows as much does not excuse the synth: linearity is judged on its own)."""
    extra = {size: growth if size == 200 else 0.0 for size in SIZES}
    return {size: {"synth": _runs(0.002 * ratio, size, extra[size], 80 * memory),
                   "floor": _runs(0.002, size, extra[size])} for size in SIZES}


def _check(ratio: float) -> dict[int, Any]:
    extra: dict[str, Any] = {"pack_cpu_seconds": 1.0, "findings": 1, "findings_sha256": "abc"}
    return {size: {"strata": _runs(0.002 * ratio, size, **extra),
                   "noop": _runs(0.002, size, **extra)} for size in SIZES}


def _verdicts(summary: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["verdict"] for t in summary["targets"]}


def test_within_every_limit_is_met():
    summary = summarize(_synth(1.2), _check(1.4))
    assert set(_verdicts(summary).values()) == {"MET"}
    assert "NOT MET" not in render(summary, "header")


@pytest.mark.parametrize(("synth", "check", "missed"), [
    (_synth(1.4), _check(1.0), "synth_ratio"),
    (_synth(1.0, growth=0.5), _check(1.0), "synth_linear"),
    (_synth(1.0, memory=1.2), _check(1.0), "synth_memory"),
    (_synth(1.0), _check(1.6), "check_ratio"),
])
def test_over_a_limit_is_not_met(synth, check, missed):
    verdicts = _verdicts(summarize(synth, check))
    assert verdicts.pop(missed) == "NOT MET"
    assert set(verdicts.values()) == {"MET"}


def test_runs_that_registered_different_stacks_are_refused():
    synth = _synth(1.0)
    synth[50]["floor"][1]["resources"] += 1
    with pytest.raises(ValueError, match="50 services: the runs registered different"):
        summarize(synth, {})
