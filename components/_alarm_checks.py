"""Checks of Alarms arguments beyond their shape: what CloudWatch and SNS would refuse at
apply time, reported before anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components._alarms import (
    DEFAULT_EVALUATION_PERIODS,
    DEFAULT_PERIOD_SECONDS,
    DEFAULT_STATISTIC,
)
from components._names import name_problem

__all__ = ["EXPRESSION_ID", "STATISTICS", "alarm_problems", "topic_problems"]

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
"""`statistic` values of PutMetricAlarm (percentiles go through `extended_statistic`)."""
EXPRESSION_ID = "e1"
"""Query id of an alarm's expression; metric query ids must differ from it."""
_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_TOPIC_ONLY = ("emails", "https_endpoints", "kms_key_arn", "lifecycle",
               "prometheus_workspace_arns")


def topic_problems(args: Mapping[str, Any]) -> list[str]:
    """A topic created (`topic_name`) or given (`topic_arn`), and what only a created one
    takes; duplicate or non-HTTPS subscriptions (the URL itself is never echoed in full)."""
    if ("topic_name" in args) == ("topic_arn" in args):
        return ["give exactly one of topic_name (create a topic) and topic_arn (notify an "
                "existing one)"]
    if "topic_arn" in args:
        extra = [key for key in _TOPIC_ONLY if key in args]
        return ([f"{', '.join(extra)} configure a topic created here; with topic_arn, set them "
                 "where that topic is created"] if extra else [])
    problems = [p for p in [name_problem("sns-topic", args["topic_name"])] if p]
    for key in ("emails", "https_endpoints"):
        values = list(args.get(key, []))
        problems += [f"{key}: {v!r} is listed twice" for v in sorted(set(values))
                     if values.count(v) > 1]
    problems += [f"https_endpoints: an endpoint is not an https:// URL ({url[:8]}...)"
                 for url in args.get("https_endpoints", []) if not url.startswith("https://")]
    return problems


def alarm_problems(alarm: Mapping[str, Any]) -> list[str]:
    """What PutMetricAlarm would refuse: a bad name, neither or both of metric and expression,
    query ids it cannot parse, periods it does not offer, more datapoints than periods."""
    where = f"alarm {alarm['name']!r}"
    problems = [f"{where}: {p}" for p in [name_problem("alarm", alarm["name"])] if p]
    if ("metric" in alarm) == ("expression" in alarm):
        problems.append(f"{where}: give exactly one of metric and expression")
    if "expression" in alarm and not alarm.get("queries"):
        problems.append(f"{where}: expression needs the queries it refers to")
    if "metric" in alarm and "queries" in alarm:
        problems.append(f"{where}: queries belong to an expression, not to a single metric")
    ids = [q["id"] for q in alarm.get("queries", [])]
    for qid in ids:
        if not _QUERY_ID.fullmatch(qid) or qid == EXPRESSION_ID:
            problems.append(f"{where}: query id {qid!r} must start with a lower-case letter, "
                            f"use letters, digits and _, and not be {EXPRESSION_ID!r}")
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: query ids repeat")
    metrics = [alarm["metric"]] if "metric" in alarm else [q["metric"] for q in
                                                          alarm.get("queries", [])]
    for m in metrics:
        period = m.get("period_seconds", DEFAULT_PERIOD_SECONDS)
        if period not in (10, 20, 30) and (period <= 0 or period % 60):
            problems.append(f"{where}: period_seconds {period} must be 10, 20, 30 or a "
                            "multiple of 60")
        if "metric" in alarm and m.get("statistic", DEFAULT_STATISTIC) not in STATISTICS:
            problems.append(f"{where}: statistic {m.get('statistic')!r} is not one of "
                            f"{', '.join(STATISTICS)}")
    periods = alarm.get("evaluation_periods", DEFAULT_EVALUATION_PERIODS)
    if not 1 <= alarm.get("datapoints_to_alarm", periods) <= periods:
        problems.append(f"{where}: need 1 <= datapoints_to_alarm <= evaluation_periods "
                        f"({periods})")
    return problems
