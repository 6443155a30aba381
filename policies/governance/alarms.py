"""Every serving data store is watched by at least one CloudWatch alarm.

A store counts as watched when a MetricAlarm's inputs depend on it (its dimensions or metric
queries use the store's outputs), which the engine reports as property dependencies: no names or
ARNs need to be known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, StackView, fail

__all__ = ["CONTROLS", "unwatched_stores"]


def unwatched_stores(stack: StackView) -> list[str]:
    """URNs of serving stores no MetricAlarm depends on."""
    watched: set[str] = set()
    for alarm in stack.of_type(_aws.METRIC_ALARM):
        for urns in alarm.property_dependencies.values():
            watched.update(urns)
    return [store.urn for store in stack.nodes
            if store.type in _aws.ALARMED_STORES and store.urn not in watched]


def _check_alarms(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for urn in unwatched_stores(stack):
        yield fail("no aws:cloudwatch/metricAlarm:MetricAlarm depends on this store "
                   "(dimensions or metric queries)", urn)


CONTROLS = [
    Control(
        "strata-data-store-alarms",
        "Every serving data store is covered by at least one CloudWatch metric alarm: an "
        "unwatched store fails silently.",
        severity="medium", enforcement="mandatory", check=_check_alarms, scope="stack",
        family="governance",
        remediation="Create at least one aws.cloudwatch.MetricAlarm per store whose dimensions "
                    "or metric queries take the store's outputs (identifier, table or cluster "
                    "name), so the alarm depends on the store.",
        tags=("monitoring", "governance")),
]
