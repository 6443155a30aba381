"""User-facing errors: which file, which key, what was received, what is allowed.

A user mistake is reported as one of these, never as a traceback. The codes are stable so
that runbooks and CI annotations can refer to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from stacks.catalog import Problem, format_path

__all__ = ["CODES", "ConfigError", "format_path"]

CODES = {
    "STRATA-E001": "unknown key or config namespace",
    "STRATA-E002": "invalid value",
    "STRATA-E003": "missing required key",
    "STRATA-E004": "unreadable stack file or lock file",
    "STRATA-E101": "production safety rule",
    "STRATA-E102": "data store settings conflict",
    "STRATA-E103": "Kafka cluster sizing",
    "STRATA-E104": "topics, consumers and consumer groups",
    "STRATA-E105": "EKS compute and API access",
    "STRATA-E106": "stateful change not acknowledged",
    "STRATA-E107": "physical name refused by AWS, reserved, or colliding",
    "STRATA-E108": "instance type the service does not offer",
    "STRATA-E109": "availability zones",
}


class ConfigError(pulumi.RunError):
    """Every problem found in one stack file, reported together.

    A RunError, so `pulumi up` prints the message alone, without a traceback.
    """

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"{self.file}: {count} problem{'s' if count != 1 else ''} in the stack config"]
        for problem in self.problems:
            where = f"{format_path(problem.path)}: " if problem.path else ""
            lines.append(f"  [{problem.code}] {where}{problem.message}")
            if problem.allowed:
                lines.append(f"      allowed: {problem.allowed}")
        return "\n".join(lines)
