"""`strata`: argument parsing and exit codes; the work lives in synth.py, check.py, ...

Exit codes, the same for every command (infra/exits.py): 0 passed, 1 blocked (a mandatory
violation, a blocker, an unacknowledged stateful replacement), 2 bad input or config (a clear
message, never a traceback), 3 an internal error (one line; `--debug` prints the traceback).

Adding a command: one subparser in `_parser()` with `set_defaults(run=handler)`, where
`handler(args) -> int` returns 0 or 1 and raises `InputError` (or `ConfigError`) for anything
the user can fix. `main` turns exceptions into exit codes for every command in one place.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from infra._progress import Progress
from infra.exits import ExitCode, InputError

__all__ = ["main", "run_command"]

Handler = Callable[[argparse.Namespace], int]

_EXIT_CODES = """exit codes (every command):
  0  passed
  1  blocked: a mandatory policy violation, a blocker, an unacknowledged stateful replacement
  2  bad input or config: the message names the file and key
  3  internal error: one line; --debug prints the traceback"""


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: accepts `--debug` after the command too (`strata check --debug`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="on an internal error, print the traceback")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strata", description="Offline synth and policy check of a Strata (Pulumi) "
        "project, found from the current directory.", epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, print the traceback")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_CommandParser)

    synth = commands.add_parser("synth", help="run the program offline under Pulumi's mock "
                                "runtime and write build/STACK/manifest.json")
    synth.add_argument("stack", help="stack name: reads Pulumi.STACK.yaml")
    synth.add_argument("--out", type=Path, help="output directory (default: build/STACK)")
    _progress_option(synth)
    synth.set_defaults(run=_synth)

    check = commands.add_parser("check", help="synthesize (or read a manifest) and judge it "
                                "with the policy pack over the Analyzer gRPC protocol")
    check.add_argument("stack", nargs="?", help="stack name: reads Pulumi.STACK.yaml")
    check.add_argument("--manifest", type=Path, help="judge this manifest instead of synthesizing")
    check.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    check.add_argument("--out", type=Path, help="write the report here instead of stdout")
    check.add_argument("--policy-config", type=Path, metavar="FILE",
                       help="policy config in `pulumi --policy-pack-config` format (default: "
                       "policy-config.STACK.json, then policy-config.json, at the project root)")
    _progress_option(check)
    check.set_defaults(run=_check)

    pin = commands.add_parser("pin", help="record the stack's stateful URNs in "
                              "locks/urns.STACK.json (review the diff before committing)")
    pin.add_argument("stack")
    _progress_option(pin)
    pin.set_defaults(run=_pin)

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
    diff.set_defaults(run=_diff)

    diagram = commands.add_parser("diagram", help="draw the environment with Graphviz: services "
                                  "with their stores, keys and topics, and the shared platform")
    diagram.add_argument("stack", help="stack name: reads Pulumi.STACK.yaml")
    diagram.add_argument("--format", choices=("svg", "png", "dot"),
                         help="default: the --out file's suffix, else svg")
    diagram.add_argument("--out", type=Path, help="default: build/STACK/diagram.FORMAT")
    diagram.set_defaults(run=_diagram)

    preflight = commands.add_parser("preflight", help="with AWS credentials, check that the "
                                    "account and region offer what the stack needs")
    preflight.add_argument("stack")
    preflight.add_argument("--format", choices=("table", "json"), default="table")
    preflight.add_argument("--region", help="default: the stack's aws:region")
    preflight.set_defaults(run=_preflight)

    lock = commands.add_parser("lock", help="after `pulumi up`: record the deployed state "
                               "(region, network CIDR and AZs, topics) in "
                               "locks/deployed.STACK.json; config changes that would replace "
                               "it are then refused unless acknowledged")
    lock.add_argument("stack")
    lock.set_defaults(run=_lock)
    topics = commands.add_parser("topics", help="deprecated alias: `strata topics lock STACK` "
                                 "is `strata lock STACK`")
    topics.add_argument("action", choices=("lock",))
    topics.add_argument("stack")
    topics.set_defaults(run=_lock)
    return parser


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress lines on stderr while synthesizing (default: only when "
                        "stderr is a terminal)")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed usage (code 2) or --help (code 0)
        return exit_.code if isinstance(exit_.code, int) else ExitCode.BAD_INPUT
    return run_command(args.run, args, name=f"strata {args.command}", debug=args.debug)


def run_command(handler: Handler, args: argparse.Namespace, *, name: str, debug: bool) -> int:
    """The one place exceptions become exit codes and messages."""
    try:
        return int(handler(args))
    except InputError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except pulumi.RunError as error:  # ConfigError, or a program's own "no traceback" error
        render = getattr(error, "render", None)
        print(render() if callable(render) else f"{name}: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            traceback.print_exc()
        first = (str(error).strip().splitlines() or [""])[0]
        print(f"{name}: internal error: {type(error).__name__}: {first}"
              + ("" if debug else " (run again with --debug for the traceback)"),
              file=sys.stderr)
        return ExitCode.INTERNAL


def _progress(args: argparse.Namespace, name: str) -> Progress:
    return Progress(name, enabled=args.progress)


def _synth(args: argparse.Namespace) -> int:
    from infra._stackfile import find_project
    from infra.synth import summary, synthesize, write_manifest

    progress = _progress(args, f"strata synth {args.stack}")
    manifest = synthesize(args.stack, progress=progress)
    progress.done()
    out = args.out or find_project().root / "build" / args.stack
    try:
        path = write_manifest(manifest, out)
    except OSError as exc:
        raise InputError(f"cannot write the manifest to {out}: {exc.strerror or exc}") from None
    print(summary(manifest))
    print(f"\nwrote {path}")
    return ExitCode.PASSED


def _check(args: argparse.Namespace) -> int:
    from infra.check import run_check

    progress = _progress(args, f"strata check {args.stack}") if args.stack else None
    return run_check(stack=args.stack, manifest_path=args.manifest, fmt=args.format,
                     out=args.out, policy_config=args.policy_config, progress=progress)


def _pin(args: argparse.Namespace) -> int:
    from infra._stackfile import find_project
    from infra.pins import write_pin
    from infra.synth import synthesize

    progress = _progress(args, f"strata pin {args.stack}")
    manifest = synthesize(args.stack, progress=progress)
    progress.done()
    try:
        path = write_pin(manifest, find_project().root)
    except OSError as exc:
        raise InputError(f"cannot write the URN pin: {exc}") from None
    print(f"wrote {path}")
    return ExitCode.PASSED


def _diff(args: argparse.Namespace) -> int:
    from infra.diff import run_diff

    return run_diff(args.old, args.new, fmt=args.format, out=args.out,
                    accept_patterns=args.accept_replacement)


def _diagram(args: argparse.Namespace) -> int:
    from infra.diagram import run_diagram

    return run_diagram(args.stack, args.format, args.out)


def _preflight(args: argparse.Namespace) -> int:
    from infra.preflight import run_preflight

    return run_preflight(args.stack, args.format, args.region, debug=args.debug)


def _lock(args: argparse.Namespace) -> int:
    from infra._stackfile import find_project, read_stack_config
    from infra.config import catalog_from_values
    from stacks._lock import legacy_lock_file, write_lock

    project = find_project()
    config = read_stack_config(project, args.stack)
    catalog = catalog_from_values(config.values, config.file.name)
    try:
        path = write_lock(catalog, project.root, args.stack)
    except OSError as exc:
        raise InputError(f"cannot write the lock: {exc}") from None
    print(f"wrote {path}")
    acknowledged = ["network.acknowledgeReplacement"] * catalog.network.acknowledge_replacement
    acknowledged += [f"services.{s}.produces.{t}.acknowledgeReplicationChange"
                     for s, service in catalog.services.items()
                     for t, spec in service.produces.items() if spec.acknowledge_replication_change]
    if acknowledged:
        print("the lock now records the new state: remove " + ", ".join(acknowledged))
    if legacy_lock_file(project.root, args.stack).is_file():
        print(f"delete {legacy_lock_file(project.root, args.stack)}: replaced by {path.name}")
    return ExitCode.PASSED


if __name__ == "__main__":
    sys.exit(main())
