"""A problem found in the stack config: where (key path), what, what is allowed, which code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Problem", "format_path"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config: where, what, and what would be accepted."""

    path: tuple[str | int, ...]
    message: str
    allowed: str
    """What would be accepted, in words (empty when the message says it)."""
    code: str
    """A stable code from `infra.errors.CODES`."""


def format_path(path: Sequence[str | int], namespace: str = "strata") -> str:
    """`("services", "orders", "consumes", 0)` -> `strata:services.orders.consumes[0]`; a head
    that carries its own namespace (`aws:region`) is kept as it is."""
    if not path:
        return f"{namespace}:"
    head, *rest = path
    text = f"{namespace}:{head}" if ":" not in str(head) else str(head)
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
