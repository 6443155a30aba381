"""The sample stacks' config as data, mutated one key at a time, and the problems it yields."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from infra._stackfile import stack_config_from_data
from infra.config import catalog_from_raw, catalog_from_values
from infra.errors import ConfigError
from stacks.catalog import Problem

ROOT = Path(__file__).resolve().parents[2]
DELETE = object()
"""Value for `edit` meaning: remove the key."""


@cache
def _stack_file(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return data


def stack_file(stack: str) -> dict[str, Any]:
    """A fresh copy of `Pulumi.<stack>.yaml` as loaded (top level: `config:`)."""
    return copy.deepcopy(_stack_file(stack))


def stack_raw(stack: str) -> dict[str, Any]:
    """The `strata:` sections of the stack, without their prefix (what catalog_from_raw takes)."""
    return {key.split(":", 1)[1]: value for key, value in stack_file(stack)["config"].items()
            if key.startswith("strata:")}


def edit(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set (or with DELETE remove) the value at a dotted path, `|`-separated when a key holds
    dots (`services|orders|produces|order-events|configs|retention.ms`); list indexes are
    numbers. Missing mappings on the way are created. Returns `data`."""
    parts = path.split("|") if "|" in path else path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    leaf: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
    value = value if value is DELETE else copy.deepcopy(value)
    if value is DELETE:
        del node[leaf]
    elif isinstance(node, list) and leaf == len(node):
        node.append(value)
    else:
        node[leaf] = value
    return data


def raw_with(stack: str, *edits: tuple[str, Any]) -> dict[str, Any]:
    raw = stack_raw(stack)
    for path, value in edits:
        edit(raw, path, value)
    return raw


def problems_of_raw(raw: dict[str, Any], lock: dict[str, Any] | None = None,
                    lock_file: str | None = None) -> list[Problem]:
    try:
        catalog_from_raw(raw, "Pulumi.test.yaml", lock=lock, lock_file=lock_file)
    except ConfigError as error:
        return error.problems
    return []


def problems_of_file(data: Any) -> list[Problem]:
    """Problems of a whole stack file's data, read as the CLI reads it."""
    try:
        config = stack_config_from_data(data, Path("Pulumi.test.yaml"), "strata")
        catalog_from_values(config.values, "Pulumi.test.yaml")
    except ConfigError as error:
        return error.problems
    return []


def find(problems: list[Problem], path: tuple[str | int, ...], code: str,
         fragment: str = "") -> Problem:
    """The problem at `path` with `code` (and `fragment` in its message or allowed text);
    fails listing what was found instead."""
    found = [p for p in problems if p.path == path and p.code == code
             and fragment in f"{p.message} | {p.allowed}"]
    assert found, "\n".join(f"{p.code} {p.path}: {p.message} | {p.allowed}" for p in problems)
    return found[0]
