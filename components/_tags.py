"""Ownership tags and stateful lifecycle, decided once for every component.

Every taggable resource carries the five ownership tags in its own `tags` (stack transforms
and provider default tags are invisible to policies judging program inputs). Stateful
resources get `protect` and `retain_on_delete` from `stateful_options`, nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

__all__ = ["REQUIRED_TAG_KEYS", "ownership_tags", "require_tags", "stateful_options", "with_name"]

REQUIRED_TAG_KEYS = ("owner", "service", "environment", "data-classification", "cost-center")


def ownership_tags(*, owner: str, service: str, environment: str, classification: str,
                   cost_center: str) -> dict[str, str]:
    """The five tags every resource carries; governance reports and policies read them."""
    return {
        "owner": owner,
        "service": service,
        "environment": environment,
        "data-classification": classification,
        "cost-center": cost_center,
    }


def require_tags(tags: Mapping[str, str], component: str) -> dict[str, str]:
    """Refuse to build a component whose caller forgot an ownership tag."""
    missing = [key for key in REQUIRED_TAG_KEYS if not tags.get(key)]
    if missing:
        raise ValueError(f"{component}: tags must include {', '.join(missing)}")
    return dict(tags)


def with_name(tags: Mapping[str, str], name: str) -> dict[str, str]:
    """Tags plus the console `Name`, for EC2-family resources that show it."""
    return {**tags, "Name": name}


def stateful_options(parent: pulumi.Resource, protect: bool,
                     **extra: object) -> pulumi.ResourceOptions:
    """Options for a resource holding data: protected and retained when `protect` is on."""
    return pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect,
                                  **extra)  # type: ignore[arg-type]
