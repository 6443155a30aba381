"""Where a profiled run's time goes, by whose code it is: Strata's or the SDK's.

    bench_child.py synth 50 --keep build/k50 --profile build/synth.prof
    bench_child.py floor 50 --kept build/k50 --profile build/floor.prof
    profile_split.py build/synth.prof build/floor.prof [--top 15]

Own time (cProfile's tottime: time in the function itself, not its callees) is summed per origin:
Strata (components/, stacks/, infra/), the typed provider SDKs (pulumi_aws, pulumi_kubernetes,
pulumi_random), the Pulumi SDK (pulumi/), protobuf and gRPC, asyncio, the rest of the standard
library (traceback, inspect, pathlib, ...), the benchmark's own replay, and the interpreter's
builtins. Then the functions with the most own time, for each profile. Profiling slows the run
several times over and unevenly, so read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import pstats
import sysconfig
from collections import Counter
from pathlib import Path

ORIGINS = [
    ("strata", ("/components/", "/stacks/", "/infra/")),
    ("benchmark replay", ("/benchmarks/",)),
    ("provider SDKs", ("/pulumi_aws/", "/pulumi_kubernetes/", "/pulumi_random/")),
    ("pulumi SDK", ("/pulumi/",)),
    ("protobuf/grpc", ("/google/protobuf/", "/grpc/")),
    ("asyncio", ("/asyncio/",)),
]
STDLIB = sysconfig.get_paths()["stdlib"]


def origin(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"  # C functions (cProfile files them under "~")
    for name, markers in ORIGINS:
        if any(marker in filename for marker in markers):
            return name
    return "stdlib" if filename.startswith(STDLIB) else "other"


def split(path: Path, top: int) -> str:
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]
    by_origin: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    for (filename, line, function), (_, _, tottime, _, _) in raw.items():
        by_origin[origin(filename)] += tottime
        by_function[f"{origin(filename)}: {Path(filename).name}:{line} {function}"] += tottime
    total = sum(by_origin.values())
    lines = [f"{path}: {total:.1f} s profiled"]
    lines += [f"  {share / total:6.1%} {share:7.2f} s  {name}"
              for name, share in by_origin.most_common()]
    lines.append("  top functions by own time:")
    lines += [f"  {share / total:6.1%} {share:7.2f} s  {name}"
              for name, share in by_function.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profiles", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print("\n\n".join(split(p, args.top) for p in args.profiles))


if __name__ == "__main__":
    main()
