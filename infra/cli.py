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

    diff = commands.add_parser("diff", help="what changes between two manifests: per service, "
                               "IAM statements, security-group rules, and stateful resources "
                               "that would be deleted or replaced (exit 1 unless acknowledged)")
    diff.add_argument("old", help="manifest file or directory, STACK (synthesized from the "
                      "working tree) or STACK@GITREF")
    diff.add_argument("new", help="same forms as OLD")
    diff.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    diff.add_argument("--out", type=Path, help="write the report here instead of stdout")
    diff.add_argument("--accept-replacement", action="append", default=[], metavar="PATTERN",
                      help="acknowledge stateful deletions/replacements whose URN matches "
                      "(fnmatch); repeatable")

    pin = commands.add_parser("pin", help="record the stack's stateful URNs in "
                              "locks/urns.STACK.json (review the diff before committing)")
    pin.add_argument("stack")

    preflight = commands.add_parser("preflight", help="with AWS credentials, check that the "
                                    "account and region offer what the stack needs")
    preflight.add_argument("stack")
    preflight.add_argument("--format", choices=("table", "json"), default="table")
    preflight.add_argument("--region", help="default: the stack's aws:region")
    preflight.add_argument("--debug", action="store_true", help="traceback on internal errors")

    topics = commands.add_parser("topics", help="topic state that stateful changes are judged "
                                 "against")
    topics.add_argument("action", choices=("lock",), help="lock: record the catalog's topics as "
                        "deployed in stacks/topics.STACK.lock.json (run after `pulumi up`)")
    topics.add_argument("stack")

    diagram = commands.add_parser("diagram", help="draw the environment with Graphviz: services "
                                  "with their stores, keys and topics, and the shared platform")
    diagram.add_argument("stack", help="stack name: reads Pulumi.STACK.yaml")
    diagram.add_argument("--format", choices=("svg", "png", "dot"),
                         help="default: the --out file's suffix, else svg")
    diagram.add_argument("--out", type=Path, help="default: build/STACK/diagram.FORMAT")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "diagram":
            from infra.diagram import run_diagram

            return run_diagram(args.stack, args.format, args.out)
        if args.command == "synth":
            return _synth(args.stack, args.out)
        if args.command == "topics":
            return _lock_topics(args.stack)
        if args.command == "pin":
            return _pin(args.stack)
        if args.command == "preflight":
            from infra.preflight import run_preflight

            return run_preflight(args.stack, args.format, args.region, debug=args.debug)
        if args.command == "diff":
            from infra.diff import run_diff

            return run_diff(args.old, args.new, fmt=args.format, out=args.out,
                            accept_patterns=args.accept_replacement)
        if (args.stack is None) == (args.manifest is None):
            print("strata check: give a STACK or --manifest FILE (one of them)", file=sys.stderr)
            return 2
        from infra.check import run_check

        return run_check(stack=args.stack, manifest_path=args.manifest, fmt=args.format,
                         out=args.out)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 2


def _synth(stack: str, out: Path | None) -> int:
    from infra._stackfile import find_project
    from infra.synth import summary, synthesize, write_manifest

    manifest = synthesize(stack)
    path = write_manifest(manifest, out or find_project().root / "build" / stack)
    print(summary(manifest))
    print(f"\nwrote {path}")
    return 0


def _pin(stack: str) -> int:
    from infra._stackfile import find_project
    from infra.pins import write_pin
    from infra.synth import synthesize

    print(f"wrote {write_pin(synthesize(stack), find_project().root)}")
    return 0


def _lock_topics(stack: str) -> int:
    from infra._stackfile import find_project, read_stack_config
    from infra.config import catalog_from_values
    from stacks._events import write_topic_lock

    config = read_stack_config(find_project(), stack)
    catalog = catalog_from_values(config.values, config.file.name)
    print(f"wrote {write_topic_lock(catalog, stack)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
