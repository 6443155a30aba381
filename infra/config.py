"""Reads the Pulumi stack config into the typed catalog; the only reader of Pulumi config.

Validation errors become one `ConfigError` naming the stack file, each key path, the value
received and what is allowed, so `pulumi up` and `strata synth` stop before registering
anything and without a traceback.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from infra.errors import ConfigError
from stacks._events import read_topic_lock, topic_lock_problems
from stacks.catalog import Catalog, Problem, semantic_problems

__all__ = ["NAMESPACE", "catalog_from_raw", "catalog_from_values", "load_catalog"]

NAMESPACE = "strata"
SECTIONS = tuple(Catalog.model_fields)


def load_catalog() -> Catalog:
    """Build the catalog from the running stack's config (real engine or mock runtime)."""
    stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in _strata_keys():
        value = pulumi.runtime.get_config(f"{NAMESPACE}:{key}")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                problems.append(Problem((key,), "expected a YAML mapping", "an object",
                                        "STRATA-E002"))
                continue
        raw[key] = value
    region = pulumi.runtime.get_config("aws:region")
    if region and isinstance(raw.get("environment"), dict):
        raw["environment"] = {**raw["environment"], "region": region}
    return catalog_from_raw(raw, stack_file, problems,
                            topic_lock=read_topic_lock(pulumi.get_stack()))


def catalog_from_raw(raw: Mapping[str, Any], stack_file: str,
                     earlier: list[Problem] | None = None,
                     topic_lock: Mapping[str, Any] | None = None) -> Catalog:
    """Validate `raw` (the `strata:` keys without their prefix); raise ConfigError with all
    problems. `topic_lock` is the deployed topic state that stateful changes are judged against."""
    problems = list(earlier or [])
    for key in raw:
        if key not in SECTIONS:
            problems.append(_unknown_key((key,), SECTIONS))
    try:
        catalog = Catalog.model_validate({k: v for k, v in raw.items() if k in SECTIONS})
    except ValidationError as exc:
        problems += [_problem(error) for error in exc.errors(include_url=False)]
        raise ConfigError(stack_file, problems) from None
    problems += semantic_problems(catalog)
    problems += topic_lock_problems(catalog, topic_lock)
    if problems:
        raise ConfigError(stack_file, problems)
    return catalog


def catalog_from_values(values: Mapping[str, str], stack_file: str) -> Catalog:
    """The catalog from a stack file's config values (CLI string form), without running the
    program; used by commands that only need the catalog."""
    raw: dict[str, Any] = {}
    for key, value in values.items():
        if key.startswith(f"{NAMESPACE}:"):
            raw[key.split(":", 1)[1]] = json.loads(value) if value[:1] in "{[" else value
    if "aws:region" in values and isinstance(raw.get("environment"), dict):
        raw["environment"] = {**raw["environment"], "region": values["aws:region"]}
    return catalog_from_raw(raw, stack_file)


def _strata_keys() -> list[str]:
    keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())
    prefix = f"{NAMESPACE}:"
    return sorted(k[len(prefix):] for k in keys if k.startswith(prefix))


def _problem(error: Mapping[str, Any]) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(loc, _fields_at(loc[:-1]))
    if kind == "missing":
        return Problem(loc, "required key is missing", _describe(loc), "STRATA-E003")
    if loc and loc[-1] == "[key]":
        return Problem(loc[:-1], f"name {error['input']!r} is invalid: {error['msg']}",
                       "lower-case DNS label: a-z, 0-9 and '-', 2-32 characters",
                       "STRATA-E002")
    allowed = ""
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        allowed = str(ctx["expected"])
    elif "pattern" in ctx:
        allowed = f"text matching {ctx['pattern']}"
    elif {"ge", "le", "gt", "lt"} & ctx.keys():
        allowed = _bounds(loc)
    received = json.dumps(error.get("input"), default=str)
    if len(received) > 60:
        received = received[:57] + "..."
    message = error["msg"].removeprefix("Value error, ")
    return Problem(loc, f"{message} (received {received})", allowed, "STRATA-E002")


def _unknown_key(loc: tuple[Any, ...], allowed: tuple[str, ...]) -> Problem:
    key = str(loc[-1])
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Problem(loc, f"unknown key {key!r}{hint}", ", ".join(allowed), "STRATA-E001")


def _fields_at(loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The camelCase keys accepted at `loc`, found by walking the catalog models."""
    model = _model_at(loc)
    if model is None:
        return ()
    return tuple(f.alias or n for n, f in model.model_fields.items())


def _bounds(loc: tuple[Any, ...]) -> str:
    """`1..64` from the field's declared constraints (pydantic reports only the one broken)."""
    parent = _model_at(loc[:-1])
    field = parent.model_fields.get(_field_name(parent, loc[-1])) if parent else None
    if field is None:
        return ""
    low = high = ""
    for meta in field.metadata:
        low = str(getattr(meta, "ge", None) or getattr(meta, "gt", None) or low)
        high = str(getattr(meta, "le", None) or getattr(meta, "lt", None) or high)
    return f"{low}..{high}"


def _field_name(model: type[BaseModel], key: Any) -> str:
    return next((n for n, f in model.model_fields.items() if key in (n, f.alias)), "")


def _describe(loc: tuple[Any, ...]) -> str:
    parent = _model_at(loc[:-1])
    if parent is None:
        return ""
    for name, field in parent.model_fields.items():
        if loc[-1] in (name, field.alias):
            return (field.description or "").split("\n")[0]
    return ""


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = Catalog
    parts = list(loc)
    while parts:
        current = _unwrap(current)
        part = parts.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items()
                          if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional / Annotated so the walk sees the model or container inside."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp
