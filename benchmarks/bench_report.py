"""Figures from the runs: min/median, ratios against the floors, and whether each target is met.

Targets are judged on CPU time (synth: the process's; check: the check process's plus the pack
process's), on the fastest run of each side (min: the run least disturbed by the rest of the
machine); medians and wall-clock times are shown beside them. On an idle machine CPU and wall
time agree (the runs are single-threaded and never wait for I/O); on a shared one CPU time is
the figure other processes disturb least. "Linear" compares the marginal cost per resource
between the two largest sizes with that between the two smallest: a constant start-up cost does
not count against it, a cost that grows with the stack does.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TARGETS", "render", "summarize"]

TARGETS = {"synth_ratio": 1.3, "synth_linear": 1.2, "synth_memory": 1.1,
           "check_ratio": 1.5, "check_linear": 1.2}

Runs = Sequence[Mapping[str, Any]]


def _stats(runs: Runs, key: str) -> tuple[float, float]:
    values = [float(r[key]) for r in runs]
    return min(values), statistics.median(values)


def _resources(size: int, *sides: Runs) -> int:
    counts = {int(r["resources"]) for runs in sides for r in runs}
    if len(counts) != 1:
        raise ValueError(f"{size} services: the runs registered different resource counts: "
                         f"{sorted(counts)}")
    return counts.pop()


def _pair(size: int, ours: Runs, floor: Runs) -> dict[str, Any]:
    resources = _resources(size, ours, floor)
    cpu_min, cpu_median = _stats(ours, "cpu_seconds")
    floor_cpu_min, floor_cpu_median = _stats(floor, "cpu_seconds")
    wall_min, wall_median = _stats(ours, "seconds")
    floor_wall_min, floor_wall_median = _stats(floor, "seconds")
    return {"services": size, "resources": resources, "runs": min(len(ours), len(floor)),
            "cpu_min_s": cpu_min, "cpu_median_s": cpu_median,
            "floor_cpu_min_s": floor_cpu_min, "floor_cpu_median_s": floor_cpu_median,
            "ratio_min": cpu_min / floor_cpu_min, "ratio_median": cpu_median / floor_cpu_median,
            "wall_min_s": wall_min, "wall_median_s": wall_median,
            "floor_wall_min_s": floor_wall_min, "floor_wall_median_s": floor_wall_median,
            "wall_ratio_min": wall_min / floor_wall_min,
            "ms_per_resource": 1000 * cpu_min / resources,
            "floor_ms_per_resource": 1000 * floor_cpu_min / resources}


def _memory(row: dict[str, Any], ours: Runs, floor: Runs) -> dict[str, Any]:
    per = statistics.median(float(r["kib_per_resource"]) for r in ours)
    floor_per = statistics.median(float(r["kib_per_resource"]) for r in floor)
    return {**row, "peak_rss_mib": statistics.median(float(r["peak_rss_mib"]) for r in ours),
            "floor_peak_rss_mib": statistics.median(float(r["peak_rss_mib"]) for r in floor),
            "kib_per_resource": per, "floor_kib_per_resource": floor_per,
            "memory_ratio": per / floor_per}


def _marginal_growth(rows: Sequence[Mapping[str, Any]], key: str = "cpu_min_s") -> float | None:
    """Marginal CPU s/resource between the two largest sizes over that between the two
    smallest (None with fewer than three sizes, or when the first is not positive)."""
    if len(rows) < 3:
        return None
    (a, b), (c, d) = rows[:2], rows[-2:]
    first = (b[key] - a[key]) / (b["resources"] - a["resources"])
    last = (d[key] - c[key]) / (d["resources"] - c["resources"])
    return last / first if first > 0 else None


def _target(name: str, description: str, value: float | None, limit: float,
            floor: float | None = None) -> dict[str, Any]:
    """`floor`: the same figure for the floor, shown for context (the verdict ignores it)."""
    met = None if value is None else value <= limit
    return {"name": name, "target": description, "limit": limit, "value": value,
            "floor_value": floor,
            "met": met, "verdict": {True: "MET", False: "NOT MET", None: "n/a"}[met]}


def summarize(synth: Mapping[int, Mapping[str, Runs]],
              check: Mapping[int, Mapping[str, Runs]]) -> dict[str, Any]:
    synth_rows = [_memory(_pair(size, runs["synth"], runs["floor"]), runs["synth"],
                          runs["floor"]) for size, runs in sorted(synth.items())]
    check_rows = []
    for size, runs in sorted(check.items()):
        row = _pair(size, runs["strata"], runs["noop"])
        row["pack_cpu_min_s"], _ = _stats(runs["strata"], "pack_cpu_seconds")
        row["floor_pack_cpu_min_s"], _ = _stats(runs["noop"], "pack_cpu_seconds")
        row["pack_ratio_min"] = row["pack_cpu_min_s"] / row["floor_pack_cpu_min_s"]
        digests = {r["findings_sha256"] for r in runs["strata"]}
        row["findings"] = runs["strata"][0]["findings"]
        row["findings_sha256"] = digests.pop() if len(digests) == 1 else "differs between runs"
        check_rows.append(row)
    targets = []
    if synth_rows:
        targets += [
            _target("synth_ratio", "synth within 1.3x of the typed floor at every size",
                    max(r["ratio_min"] for r in synth_rows), TARGETS["synth_ratio"]),
            _target("synth_linear", "synth linear in services (marginal cost growth)",
                    _marginal_growth(synth_rows), TARGETS["synth_linear"],
                    _marginal_growth(synth_rows, "floor_cpu_min_s")),
            _target("synth_memory", "synth memory per resource within 1.1x of the floor's",
                    max(r["memory_ratio"] for r in synth_rows), TARGETS["synth_memory"]),
        ]
    if check_rows:
        largest = check_rows[-1]
        targets += [
            _target("check_ratio", f"check within 1.5x of the no-op pack at "
                    f"{largest['services']} services", largest["ratio_min"],
                    TARGETS["check_ratio"]),
            _target("check_linear", "check linear in resources (marginal cost growth)",
                    _marginal_growth(check_rows), TARGETS["check_linear"],
                    _marginal_growth(check_rows, "floor_cpu_min_s")),
        ]
    return {"synth": synth_rows, "check": check_rows, "targets": targets}


def _times(r: Mapping[str, Any]) -> str:
    return (f"{r['cpu_min_s']:6.2f} /{r['cpu_median_s']:6.2f} "
            f"{r['floor_cpu_min_s']:6.2f} /{r['floor_cpu_median_s']:6.2f} "
            f"{r['ratio_min']:5.2f} /{r['ratio_median']:5.2f} "
            f"{r['wall_min_s']:6.2f} /{r['floor_wall_min_s']:6.2f} {r['wall_ratio_min']:5.2f} "
            f"{r['ms_per_resource']:5.2f} /{r['floor_ms_per_resource']:5.2f}")


def render(summary: Mapping[str, Any], header: str) -> str:
    columns = (f"{'services':>8} {'resources':>9} {'CPU s':>13} {'floor CPU s':>13} "
               f"{'ratio':>11} {'wall s':>14} {'ratio':>5} {'ms/resource':>11}")
    subcolumns = (f"{'':>8} {'':>9} {'min / med':>13} {'min / med':>13} {'min / med':>11} "
                  f"{'min / floor':>14} {'':>5} {'/ floor':>11}")
    lines = [header, ""]
    if summary["synth"]:
        lines += ["synth vs typed floor", columns + f" {'KiB/resource':>12} {'mem':>5} "
                  f"{'peak MiB':>11}", subcolumns + f" {'/ floor':>12} {'ratio':>5} "
                  f"{'/ floor':>11}"]
        lines += [f"{r['services']:>8} {r['resources']:>9} {_times(r)} "
                  f"{r['kib_per_resource']:>5.1f} /{r['floor_kib_per_resource']:>5.1f} "
                  f"{r['memory_ratio']:>5.2f} "
                  f"{r['peak_rss_mib']:>5.0f} /{r['floor_peak_rss_mib']:>5.0f}"
                  for r in summary["synth"]]
        lines.append("")
    if summary["check"]:
        lines += ["policy check vs no-op pack (floor); CPU = check process + pack process",
                  columns + f" {'pack CPU s':>13} {'ratio':>5} {'findings':>8}",
                  subcolumns + f" {'min / floor':>13}"]
        lines += [f"{r['services']:>8} {r['resources']:>9} {_times(r)} "
                  f"{r['pack_cpu_min_s']:6.2f} /{r['floor_pack_cpu_min_s']:6.2f} "
                  f"{r['pack_ratio_min']:5.2f} {r['findings']:>8}"
                  for r in summary["check"]]
        lines.append("")
    lines.append("targets (judged on min CPU time)")
    for t in summary["targets"]:
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}"
        floor = "" if t.get("floor_value") is None else f", floor's own: {t['floor_value']:.2f}"
        lines.append(f"  {t['verdict']:<8} {t['target']}: {value} (limit {t['limit']}{floor})")
    return "\n".join(lines) + "\n"
