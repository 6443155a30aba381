"""Builds a service's stores from its catalog entry (the seam between catalog and components)."""

from __future__ import annotations

import pulumi

from components._store import DataStore
from stacks._context import ServiceContext

__all__ = ["build_stores"]


def build_stores(context: ServiceContext, parent: pulumi.Resource) -> list[DataStore]:
    return []
