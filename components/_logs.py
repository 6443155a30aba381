"""CloudWatch Logs retention: one default and one rule for every log group the library creates
(EKS control plane, MSK brokers, VPC flow logs, Prometheus)."""

from __future__ import annotations

from components._args import ComponentArgsError

__all__ = ["DEFAULT_LOG_RETENTION_DAYS", "LOG_RETENTION_DAYS_ALLOWED", "log_retention_days",
           "log_retention_problem"]

DEFAULT_LOG_RETENTION_DAYS = 365
"""A year: long enough to investigate an incident found late, and what most audit regimes ask."""
LOG_RETENTION_DAYS_ALLOWED = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                              1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""The values CloudWatch Logs' PutRetentionPolicy accepts; any other fails at deploy time."""


def log_retention_problem(argument: str, days: object) -> str | None:
    """Why `days` cannot be a log group's retention, or None."""
    if days in LOG_RETENTION_DAYS_ALLOWED:
        return None
    return (f"{argument} {days} is not a CloudWatch Logs retention; allowed: "
            f"{', '.join(map(str, LOG_RETENTION_DAYS_ALLOWED))}")


def log_retention_days(component: str, name: str, argument: str, days: int | None) -> int:
    """The retention to set (the default when `days` is None); ComponentArgsError otherwise."""
    chosen = DEFAULT_LOG_RETENTION_DAYS if days is None else days
    problem = log_retention_problem(argument, chosen)
    if problem:
        raise ComponentArgsError(f"{component} {name!r}: {problem}")
    return chosen
