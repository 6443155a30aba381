"""Preflight findings and their two renderings (a table for people, JSON for pipelines).

A finding is one fact about the account or region measured against one thing the stack needs:
what was checked, what AWS answered, and what to change. Three severities: a `blocker` would make
`pulumi up` fail, a `warning` is a risk or something that could not be checked, `ok` was
checked and fits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

__all__ = ["Finding", "Report", "Severity", "render"]


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    OK = "ok"


@dataclass(frozen=True)
class Finding:
    check: str
    """Stable check id (`eks-addon-versions`), the key runbooks and CI annotations use."""
    severity: Severity
    subject: str
    """What in the stack the finding is about (`vpc-cni v1.19.5-eksbuild.1`)."""
    found: str
    """What AWS answered, with the numbers."""
    fix: str = ""
    """What to change; empty for `ok`."""
    api: str = ""
    """The AWS call(s) the finding rests on, so a reader can reproduce it with the CLI."""


@dataclass
class Report:
    stack: str
    region: str
    account: str = ""
    caller: str = ""
    findings: list[Finding] = field(default_factory=list)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(f.severity.value for f in self.findings)
        return {s.value: counted.get(s.value, 0) for s in Severity}

    @property
    def ready(self) -> bool:
        return not any(f.severity is Severity.BLOCKER for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 ready (warnings allowed), 1 at least one blocker."""
        return 0 if self.ready else 1


_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.OK: 2}


def _sorted(findings: list[Finding]) -> list[Finding]:
    # Stable within a severity: checks keep the order they ran in.
    return sorted(findings, key=lambda f: _ORDER[f.severity])


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        body = {
            "stack": report.stack, "region": report.region, "account": report.account,
            "caller": report.caller, "ready": report.ready, "exitCode": report.exit_code,
            "summary": report.counts,
            "findings": [asdict(f) | {"severity": f.severity.value}
                         for f in _sorted(report.findings)],
        }
        return json.dumps(body, indent=2) + "\n"
    return _table(report)


def _table(report: Report) -> str:
    lines = [f"strata preflight {report.stack}: account {report.account or '?'} "
             f"({report.caller or 'unknown caller'}), region {report.region}", ""]
    width = max((len(f.check) for f in report.findings), default=10)
    for f in _sorted(report.findings):
        label = f.severity.value.upper() if f.severity is not Severity.OK else "ok"
        lines.append(f"{label:<8} {f.check:<{width}}  {f.subject}")
        indent = " " * (8 + 1 + width + 2)
        lines.append(f"{indent}{f.found}")
        if f.fix:
            lines.append(f"{indent}fix: {f.fix}")
    counts = report.counts
    verdict = "ready" if report.ready else "NOT READY"
    lines += ["", f"summary: {counts['blocker']} blocker(s), {counts['warning']} warning(s), "
                  f"{counts['ok']} ok -> {verdict} (exit {report.exit_code})"]
    return "\n".join(lines) + "\n"
