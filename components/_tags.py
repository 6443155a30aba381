"""Tag helpers shared by components."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["with_name"]


def with_name(tags: Mapping[str, str], name: str) -> dict[str, str]:
    """Tags plus the console `Name` that EC2-family resources show."""
    return {**tags, "Name": name}
