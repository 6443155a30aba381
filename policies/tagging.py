"""Ownership tags on every taggable resource, with allowed values from pack config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policies._aws import takes_tags
from policies._control import Control, Finding, Res, cannot_verify, fail
from policies._values import is_unknown

__all__ = ["CONTROLS", "REQUIRED_TAGS"]

REQUIRED_TAGS = ["owner", "service", "environment", "data-classification", "cost-center"]


def _check_tags(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    if not takes_tags(res.type, res.props):
        return []
    tags = res.props.get("tags")
    if is_unknown(tags):
        return [cannot_verify("tags")]
    tags = tags if isinstance(tags, dict) else {}
    out: list[Finding] = []
    missing = [k for k in cfg["requiredTags"] if k not in tags or tags[k] in ("", None)]
    if missing:
        out.append(fail(f"missing required tag(s): {', '.join(missing)}"))
    for key, allowed in cfg["allowedValues"].items():
        value = tags.get(key)
        if value in (None, ""):
            continue
        if is_unknown(value):
            out.append(cannot_verify(f"tags.{key}"))
        elif value not in allowed:
            out.append(fail(f"tag {key}={value!r} is not one of {', '.join(allowed)}"))
    return out


CONTROLS = [
    Control(
        "strata-required-tags",
        "Every taggable resource carries the ownership tags (owner, service, environment, "
        "data-classification, cost-center) in its own tags, with allowed values; governance, "
        "cost and classification-driven controls read them.",
        severity="high", enforcement="mandatory", check=_check_tags,
        config={
            "requiredTags": {"type": "array", "items": {"type": "string"},
                             "default": REQUIRED_TAGS,
                             "description": "Tag keys every taggable resource must carry."},
            "allowedValues": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "default": {
                    "environment": ["dev", "staging", "prod"],
                    "data-classification": ["public", "internal", "confidential",
                                            "restricted"],
                },
                "description": "Allowed values per tag key.",
            },
        },
        remediation="Build tags with components/_tags.py ownership_tags() and pass them to "
                    "every child's tags (provider default tags are not enough).",
        tags=("governance",)),
]
