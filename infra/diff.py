"""`strata diff OLD NEW`: what a change would do to an environment, reviewable in a PR.

OLD and NEW are each a manifest file (or its directory), a stack synthesized from the working
tree, or `STACK@GITREF`. The report groups added, removed and changed resources by owning
service, lists IAM statement and security-group rule changes in their own tables, and puts
first the stateful resources that `pulumi up` would delete or replace. Exit codes: 0 nothing
stateful at risk (or all of it acknowledged with `--accept-replacement`), 1 an unacknowledged
stateful deletion or replacement, 2 bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra._diff_iam import StatementChange, iam_changes
from infra._diff_resources import ResourceChange, pair_resources, resource_changes
from infra._diff_sg import RuleChange, sg_changes
from infra._diff_sources import DiffInputError, load_source, normalise_manifest
from infra._diff_stateful import StatefulChange, accept, stateful_changes
from infra._ownership import service_owners
from infra.errors import ConfigError

__all__ = ["DiffInputError", "DiffReport", "diff_manifests", "run_diff"]


@dataclass
class DiffReport:
    old: str
    """How OLD is named in the report."""
    new: str
    resources: list[ResourceChange] = field(default_factory=list)
    iam: list[StatementChange] = field(default_factory=list)
    security_groups: list[RuleChange] = field(default_factory=list)
    stateful: list[StatefulChange] = field(default_factory=list)
    unused_acceptances: list[str] = field(default_factory=list)
    """`--accept-replacement` patterns that matched nothing (likely typos)."""

    @property
    def unacknowledged(self) -> list[StatefulChange]:
        return [change for change in self.stateful if change.accepted_by is None]

    @property
    def exit_code(self) -> int:
        return 1 if self.unacknowledged else 0

    def by_service(self) -> dict[str, list[ResourceChange]]:
        grouped: dict[str, list[ResourceChange]] = {}
        for change in self.resources:
            grouped.setdefault(change.service, []).append(change)
        return dict(sorted(grouped.items()))

    def count(self, kind: str) -> int:
        return sum(1 for change in self.resources if change.kind == kind)


def diff_manifests(old: Mapping[str, Any], new: Mapping[str, Any], *,
                   accept_patterns: Sequence[str] = (), old_label: str = "OLD",
                   new_label: str = "NEW") -> DiffReport:
    """Compare two manifests (as `infra.synth.synthesize` returns or writes them)."""
    old_m, new_m = normalise_manifest(old, old_label), normalise_manifest(new, new_label)
    pairing = pair_resources(old_m, new_m)
    old_owners = service_owners(old_m["resources"])
    new_owners = service_owners(new_m["resources"])
    stateful, unused = accept(stateful_changes(pairing, old_owners, new_owners),
                              list(accept_patterns))
    return DiffReport(
        old=old_label, new=new_label,
        resources=resource_changes(pairing, old_owners, new_owners),
        iam=iam_changes(pairing, old_owners, new_owners),
        security_groups=sg_changes(pairing, old_owners, new_owners),
        stateful=stateful, unused_acceptances=unused)


def run_diff(old: str, new: str, *, fmt: str = "table", out: Path | None = None,
             accept_patterns: Sequence[str] = (), project_dir: Path | None = None) -> int:
    """The `strata diff` command: load both sides, compare, write the report, exit code."""
    from infra._diff_render import render

    if fmt not in ("table", "markdown", "json"):
        print(f"strata diff: unknown format {fmt!r}; use table, markdown or json",
              file=sys.stderr)
        return 2
    try:
        old_source = load_source(old, project_dir, "OLD")
        new_source = load_source(new, project_dir, "NEW")
    except DiffInputError as error:
        print(f"strata diff: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 2
    report = diff_manifests(old_source.manifest, new_source.manifest,
                            accept_patterns=accept_patterns, old_label=old_source.label,
                            new_label=new_source.label)
    text = render(report, fmt)
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
        except OSError as exc:
            print(f"strata diff: cannot write {out} ({exc.strerror})", file=sys.stderr)
            return 2
        print(f"strata diff: wrote {out}; exit {report.exit_code}", file=sys.stderr)
    return report.exit_code
