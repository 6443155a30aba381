"""`strata diff` reports: a terminal table, Markdown for a sticky PR comment, stable JSON.

All three put the stateful section first. Values are shown as the manifest holds them, so
secrets stay "[secret]"; long values are cut in the table and Markdown, never in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from infra._diff_iam import StatementChange
from infra._diff_resources import ABSENT, ResourceChange
from infra._diff_sg import RuleChange
from infra._diff_stateful import StatefulChange

if TYPE_CHECKING:
    from infra.diff import DiffReport

__all__ = ["JSON_VERSION", "render", "rule_cells", "shown", "stateful_notes", "statement_cells",
           "summary_line", "table", "to_json"]

JSON_VERSION = 1
_KIND_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def render(report: DiffReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n"
    if fmt == "markdown":
        from infra._diff_markdown import markdown

        return markdown(report)
    return table(report)


def shown(value: Any, limit: int = 60) -> str:
    """A value as one short line: `(unset)`, the string itself, or compact JSON."""
    if value is ABSENT:
        return "(unset)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def summary_line(report: DiffReport) -> str:
    iam_add = sum(c.sign == "+" for c in report.iam)
    sg_add = sum(c.sign == "+" for c in report.security_groups)
    at_risk = len(report.stateful)
    return (f"resources +{report.count('added')} -{report.count('removed')} "
            f"~{report.count('changed')} | IAM statements +{iam_add} "
            f"-{len(report.iam) - iam_add} | security-group rules +{sg_add} "
            f"-{len(report.security_groups) - sg_add} | stateful deletions/replacements "
            f"{at_risk} ({len(report.unacknowledged)} not acknowledged)")


def stateful_notes(change: StatefulChange) -> list[str]:
    notes = []
    if change.protect:
        notes.append("protected: `pulumi up` stops until `protect` is lifted")
    if change.retain_on_delete:
        notes.append("retainOnDelete: the AWS resource survives but leaves Pulumi's "
                     "management (a replacement still creates an empty new one)")
    if change.old_urn != change.urn:
        notes.append(f"renamed from {change.old_urn}")
    return notes


def statement_cells(change: StatementChange) -> list[list[str]]:
    """Effect, principals, actions, resources, conditions: one line per value."""
    if change.statement is None:
        return [["?"], [], [f"unparsed document: {shown(change.raw, 50)}"], [], []]
    s = change.statement
    return [[s.effect], list(s.principals), list(s.actions), list(s.resources),
            list(s.conditions)]


def rule_cells(change: RuleChange) -> list[str]:
    r = change.rule
    return [r.group, r.direction, r.protocol, r.ports, r.peer, r.description]


# --- table -------------------------------------------------------------------------------


def table(report: DiffReport) -> str:
    lines = [f"strata diff  OLD: {report.old}  ->  NEW: {report.new}", summary_line(report), ""]
    if report.stateful:
        lines += ["!! STATEFUL RESOURCES THAT WOULD BE DELETED OR REPLACED !!"]
        for change in report.stateful:
            status = (f"acknowledged by {change.accepted_by!r}" if change.accepted_by
                      else "NOT ACKNOWLEDGED")
            lines.append(f"  {change.action.upper():8}{change.type} {change.name} "
                         f"(service {change.service})  {status}")
            lines.append(f"      loses    {change.loses}")
            lines += [f"      because  {reason}" for reason in change.reasons]
            if change.source:
                lines.append(f"      rule     {change.source}")
            lines += [f"      note     {note}" for note in stateful_notes(change)]
            lines.append(f"      urn      {change.urn}")
        if report.unacknowledged:
            lines.append("  Acknowledge on purpose with --accept-replacement URN-PATTERN "
                         "(fnmatch); exit code 1 until then.")
        lines.append("")
    for pattern in report.unused_acceptances:
        lines.append(f"note: --accept-replacement {pattern!r} matched nothing")
    lines += ["RESOURCES BY SERVICE"]
    services = report.by_service()
    if not services:
        lines.append("  no resource added, removed or changed")
    for service, changes in services.items():
        lines.append(f"  {service}: {_counts(changes)}")
        for resource in changes:
            lines += _resource_lines(resource)
    lines += ["", "IAM STATEMENT CHANGES"]
    if report.iam:
        rows = [[[c.sign], [c.service], [c.resource_name], [c.document], *statement_cells(c)]
                for c in report.iam]
        lines += _grid(["", "service", "resource", "document", "effect", "principals",
                        "actions", "resources", "conditions"], rows)
    else:
        lines.append("  none")
    lines += ["", "SECURITY-GROUP RULE CHANGES"]
    if report.security_groups:
        lines += _grid(["", "service", "group", "direction", "protocol", "ports", "peer",
                        "description"],
                       [[[c.sign], [c.service], *([cell] for cell in rule_cells(c))]
                        for c in report.security_groups])
    else:
        lines.append("  none")
    return "\n".join(lines) + "\n"


def _counts(changes: Sequence[ResourceChange]) -> str:
    return " ".join(f"{_KIND_SIGN[kind]}{n}" for kind in ("added", "removed", "changed")
                    if (n := sum(c.kind == kind for c in changes)))


def _resource_lines(change: ResourceChange) -> list[str]:
    lines = [f"    {_KIND_SIGN[change.kind]} {change.type}  {change.name}"]
    if change.renamed_from:
        lines.append(f"        renamed from {change.renamed_from}")
    lines += [f"        {c.path}: {shown(c.old)} -> {shown(c.new)}" for c in change.changes]
    return lines


def _grid(headers: list[str], rows: list[list[list[str]]]) -> list[str]:
    widths = [max([len(h)] + [len(line) for row in rows for line in row[i]])
              for i, h in enumerate(headers)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
           "  " + "  ".join("-" * w for w in widths)]
    for row in rows:
        for k in range(max(1, *(len(cell) for cell in row))):
            out.append("  " + "  ".join((cell[k] if k < len(cell) else "").ljust(w)
                                        for cell, w in zip(row, widths, strict=True)).rstrip())
    return out


# --- JSON --------------------------------------------------------------------------------


def to_json(report: DiffReport) -> dict[str, Any]:
    """The machine-readable report; keys in a fixed order, lists in a fixed order."""
    return {
        "version": JSON_VERSION,
        "old": report.old,
        "new": report.new,
        "exitCode": report.exit_code,
        "summary": {
            "added": report.count("added"),
            "removed": report.count("removed"),
            "changed": report.count("changed"),
            "iamStatementsAdded": sum(c.sign == "+" for c in report.iam),
            "iamStatementsRemoved": sum(c.sign == "-" for c in report.iam),
            "securityGroupRulesAdded": sum(c.sign == "+" for c in report.security_groups),
            "securityGroupRulesRemoved": sum(c.sign == "-" for c in report.security_groups),
            "statefulDeletions": sum(c.action == "delete" for c in report.stateful),
            "statefulReplacements": sum(c.action == "replace" for c in report.stateful),
            "unacknowledged": len(report.unacknowledged),
        },
        "stateful": [{
            "action": c.action, "urn": c.urn, "oldUrn": c.old_urn, "type": c.type,
            "name": c.name, "service": c.service, "loses": c.loses, "reasons": list(c.reasons),
            "source": c.source, "protect": c.protect, "retainOnDelete": c.retain_on_delete,
            "acceptedBy": c.accepted_by,
        } for c in report.stateful],
        "services": {service: {
            kind: [_resource_json(c) for c in changes if c.kind == kind]
            for kind in ("added", "removed", "changed")
        } for service, changes in report.by_service().items()},
        "iam": [_statement_json(c) for c in report.iam],
        "securityGroupRules": [{
            "sign": c.sign, "service": c.service, "urn": c.urn, "group": c.rule.group,
            "direction": c.rule.direction, "protocol": c.rule.protocol, "ports": c.rule.ports,
            "peer": c.rule.peer, "description": c.rule.description,
        } for c in report.security_groups],
        "unusedAcceptances": list(report.unused_acceptances),
    }


def _resource_json(change: ResourceChange) -> dict[str, Any]:
    body: dict[str, Any] = {"urn": change.urn, "type": change.type, "name": change.name}
    if change.kind == "changed":
        body["renamedFrom"] = change.renamed_from
        body["changes"] = []
        for c in change.changes:
            entry: dict[str, Any] = {"path": c.path}
            if c.old is not ABSENT:
                entry["old"] = c.old
            if c.new is not ABSENT:
                entry["new"] = c.new
            body["changes"].append(entry)
    return body


def _statement_json(change: StatementChange) -> dict[str, Any]:
    body: dict[str, Any] = {"sign": change.sign, "service": change.service, "urn": change.urn,
                            "type": change.resource_type, "name": change.resource_name,
                            "document": change.document, "sid": change.sid}
    if change.statement is None:
        body["unparsed"] = change.raw
        return body
    s = change.statement
    body.update({"effect": s.effect, "principals": list(s.principals),
                 "actions": list(s.actions), "resources": list(s.resources),
                 "conditions": list(s.conditions)})
    return body
