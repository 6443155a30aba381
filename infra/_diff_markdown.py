"""`strata diff --format markdown`: the body of a sticky pull-request comment.

Headline counts, then the stateful section (never collapsed), then one collapsible block per
service, then the IAM and security-group tables. GitHub refuses comments over 65,536
characters, so past `MAX_CHARS` the per-service blocks and then the tables are cut, saying how
many rows the JSON report has besides; the stateful section is never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from infra._diff_render import rule_cells, shown, stateful_notes, statement_cells, summary_line
from infra._diff_resources import ResourceChange
from infra.stateful import REPLACE_ON_CHANGE

if TYPE_CHECKING:
    from infra.diff import DiffReport

__all__ = ["MARKER", "MAX_CHARS", "markdown", "replace_rules_markdown"]

MARKER = "<!-- strata-diff -->"
"""Lets a workflow find and update its own comment."""
MAX_CHARS = 60_000
_SIGN = {"added": "+", "removed": "-", "changed": "~"}


# (rows per service block, rows per IAM / security-group table), tried in turn.
_LIMITS: tuple[tuple[int | None, int | None], ...] = ((None, None), (20, None), (5, 40), (0, 10))


def markdown(report: DiffReport) -> str:
    for rows_per_service, rows_per_table in _LIMITS:
        text = _render(report, rows_per_service, rows_per_table)
        if len(text) <= MAX_CHARS:
            return text
    cut = text.rfind("\n", 0, MAX_CHARS - 200)
    return text[:cut] + "\n\n… cut to fit a pull-request comment; the JSON report has it all.\n"


def _render(report: DiffReport, rows_per_service: int | None,
            rows_per_table: int | None) -> str:
    lines = [MARKER, f"### strata diff: `{_cell(report.old)}` → `{_cell(report.new)}`", "",
             f"**{summary_line(report)}**", ""]
    lines += _stateful(report)
    lines += ["#### Changes by service", ""]
    services = report.by_service()
    if not services:
        lines += ["No resource added, removed or changed.", ""]
    for service, changes in services.items():
        lines += _service(service, changes, rows_per_service)
    lines += ["#### IAM statement changes", ""]
    if report.iam:
        lines += ["| | service | resource | document | effect | principals | actions | "
                  "resources | conditions |", "|---|---|---|---|---|---|---|---|---|"]
        for change in report.iam[:rows_per_table]:
            cells = ["<br>".join(_code(v) for v in cell) for cell in statement_cells(change)]
            lines.append(_row([change.sign, change.service, _code(change.resource_name),
                               _code(change.document), *cells]))
        lines += _more(len(report.iam), rows_per_table)
    else:
        lines.append("None.")
    lines += ["", "#### Security-group rule changes", ""]
    if report.security_groups:
        lines += ["| | service | group | direction | protocol | ports | peer | description |",
                  "|---|---|---|---|---|---|---|---|"]
        for rule in report.security_groups[:rows_per_table]:
            group, *rest = rule_cells(rule)
            lines.append(_row([rule.sign, rule.service, _code(group), *map(_cell, rest)]))
        lines += _more(len(report.security_groups), rows_per_table)
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _stateful(report: DiffReport) -> list[str]:
    if not report.stateful:
        return ["No stateful resource is deleted or replaced.", ""]
    lines = []
    if report.unacknowledged:
        lines += ["> [!CAUTION]",
                  f"> **{len(report.unacknowledged)} stateful resource(s) would be deleted or "
                  "replaced, losing their data.** Acknowledge each on purpose with "
                  "`strata diff ... --accept-replacement URN-PATTERN`.", ""]
    lines += ["#### ⚠️ Stateful resources deleted or replaced", "",
              "| action | resource | service | loses | why | acknowledged |",
              "|---|---|---|---|---|---|"]
    for change in report.stateful:
        why = "<br>".join(_cell(r) for r in [*change.reasons, *stateful_notes(change)])
        ack = (f"yes (`{_cell(change.accepted_by)}`)" if change.accepted_by
               else "**no**")
        lines.append(_row([f"**{change.action}**",
                           f"`{_cell(change.type)}` `{_cell(change.name)}`<br>"
                           f"<sub>{_cell(change.urn)}</sub>",
                           _cell(change.service), _cell(change.loses), why, ack]))
    for pattern in report.unused_acceptances:
        lines.append(f"\n`--accept-replacement {_cell(pattern)}` matched nothing.")
    return [*lines, ""]


def _service(service: str, changes: Sequence[ResourceChange],
             limit: int | None) -> list[str]:
    counts = " ".join(f"{_SIGN[kind]} {n}" for kind in ("added", "removed", "changed")
                      if (n := sum(c.kind == kind for c in changes)))
    lines = [f"<details><summary><b>{_cell(service)}</b> {counts}</summary>", "",
             "| | type | name | changed inputs |", "|---|---|---|---|"]
    for change in changes[:limit]:
        inputs = "<br>".join(f"`{_cell(c.path)}`: {_code(shown(c.old, 40))} → "
                             f"{_code(shown(c.new, 40))}" for c in change.changes)
        if change.renamed_from:
            inputs = f"renamed from <sub>{_cell(change.renamed_from)}</sub><br>{inputs}"
        lines.append(_row([_SIGN[change.kind], _code(change.type), _code(change.name), inputs]))
    return [*lines, *_more(len(changes), limit), "", "</details>", ""]


def _more(total: int, limit: int | None) -> list[str]:
    if limit is None or total <= limit:
        return []
    return ["", f"… {total - limit} more; the JSON report lists them all."]


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _code(text: str) -> str:
    return f"`{_cell(text).replace('`', '')}`" if text else ""


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def replace_rules_markdown() -> str:
    """The replace-on-change table of docs/diff.md, from `infra.stateful.REPLACE_ON_CHANGE`
    (`python -m infra._diff_markdown` prints it; a test keeps the doc in sync)."""
    lines = ["| type | properties that force a replacement | source | CloudFormation agrees on |",
             "|---|---|---|---|"]
    for type_, rules in sorted(REPLACE_ON_CHANGE.items()):
        props = ", ".join(f"`{p.path}`" for p in rules.properties)
        cfn = ", ".join(f"`{p.path}`" for p in rules.properties if p.cfn) or "-"
        cfn_type = f" ({rules.cfn_type})" if rules.cfn_type and cfn != "-" else ""
        lines.append(_row([f"`{type_}`", props, rules.source, cfn + cfn_type]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(replace_rules_markdown(), end="")
