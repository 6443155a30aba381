"""`strata synth|check`: argument parsing only; the work lives in synth.py and check.py.

Exit codes: 0 ok, 1 mandatory policy violations, 2 bad config or a pack that cannot start.
A user mistake prints a clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.errors import ConfigError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strata", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="run the program offline under Pulumi's mock "
                                "runtime and write build/STACK/manifest.json")
    synth.add_argument("stack", help="stack name: reads Pulumi.STACK.yaml")
    synth.add_argument("--out", type=Path, help="output directory (default: build/STACK)")

    check = commands.add_parser("check", help="synthesize (or read a manifest) and judge it "
                                "with the policy pack over the Analyzer gRPC protocol")
    check.add_argument("stack", nargs="?", help="stack name: reads Pulumi.STACK.yaml")
    check.add_argument("--manifest", type=Path, help="judge this manifest instead of synthesizing")
    check.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    check.add_argument("--out", type=Path, help="write the report here instead of stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            return _synth(args.stack, args.out)
        if (args.stack is None) == (args.manifest is None):
            print("strata check: give a STACK or --manifest FILE (one of them)", file=sys.stderr)
            return 2
        from infra.check import run_check  # noqa: PLC0415 (grpc import only when checking)

        return run_check(stack=args.stack, manifest_path=args.manifest, fmt=args.format,
                         out=args.out)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 2


def _synth(stack: str, out: Path | None) -> int:
    from infra._stackfile import find_project  # noqa: PLC0415
    from infra.synth import summary, synthesize, write_manifest  # noqa: PLC0415

    manifest = synthesize(stack)
    path = write_manifest(manifest, out or find_project().root / "build" / stack)
    print(summary(manifest))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
