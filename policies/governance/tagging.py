"""A tag schema on every taggable resource: required keys and allowed values, from pack config.

The defaults are Strata's five ownership tags; another platform sets its own `requiredTags` and
`allowedValues`, or disables the control.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._aws import takes_tags
from .._control import Control, Finding, Res, cannot_verify, fail
from .._values import is_unknown

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
        "Every taggable resource carries the required tags (by default owner, service, "
        "environment, data-classification, cost-center) in its own tags, with allowed values; "
        "ownership, cost and classification-driven controls read them.",
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
        remediation="Set every required tag, with an allowed value, in the resource's own tags "
                    "(provider default tags are merged after policies run, so they do not count); "
                    "or configure requiredTags/allowedValues for your own tag schema.",
        family="governance", tags=("governance",)),
]
