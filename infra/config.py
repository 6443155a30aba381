"""Reads the Pulumi stack config into the typed catalog; the only reader of Pulumi config.

Validation errors become one `ConfigError` naming the stack file, each key path, the value
received (never a secret's) and what is allowed, in words, so `pulumi up` and `strata synth`
stop before registering anything and without a traceback. Besides the catalog's own rules this
refuses config namespaces the program never reads (`stata:monitoring` would be ignored), a
missing `aws:region`, and unacknowledged replacements against the deployed-state lock.
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from infra._catalog_paths import field_at, keys_at, model_at, secret_at
from infra.errors import ConfigError
from stacks._lock import LockError, lock_problems, read_lock
from stacks._rules import semantic_problems
from stacks.catalog import PATTERN_WORDS, REGION, Catalog, Problem, shape_of

__all__ = ["NAMESPACE", "NAMESPACES", "catalog_from_raw", "catalog_from_values", "load_catalog"]

NAMESPACE = "strata"
NAMESPACES = (NAMESPACE, "aws", "kubernetes", "pulumi")
"""The config namespaces this program reads: its own, its two providers' and Pulumi's."""
SECTIONS = tuple(Catalog.model_fields)
REGION_KEY = "aws:region"


def load_catalog() -> Catalog:
    """Build the catalog from the running stack's config (real engine or mock runtime), judged
    against the project's deployed-state lock."""
    stack = pulumi.get_stack()
    config = pulumi.runtime.config
    keys = set(config.CONFIG.get()) | set(config.get_config_env())
    values = {key: str(pulumi.runtime.get_config(key) or "") for key in sorted(keys)}
    root = _project_root()
    try:
        lock, path = read_lock(root, stack)
    except LockError as exc:
        raise ConfigError(f"Pulumi.{stack}.yaml", [Problem((), str(exc), "", "STRATA-E004")]) \
            from None
    shown = None if path is None else str(path.relative_to(root) if path.is_relative_to(root)
                                          else path)
    return catalog_from_values(values, f"Pulumi.{stack}.yaml", lock=lock, lock_file=shown)


def _project_root() -> Path:
    """The engine passes the project root; under the mock runtime it is the project found from
    the working directory, as the CLI finds it."""
    given = pulumi.runtime.get_root_directory()
    if given and (Path(given) / "Pulumi.yaml").is_file():
        return Path(given)
    from infra._stackfile import find_project

    return find_project().root


def catalog_from_values(values: Mapping[str, str], stack_file: str,
                        lock: Mapping[str, Any] | None = None,
                        lock_file: str | None = None) -> Catalog:
    """The catalog from a stack's config values as the CLI hands them to the program
    (namespaced keys, objects as JSON text)."""
    problems = _namespace_problems(values)
    raw: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, section = key.partition(":")
        if namespace != NAMESPACE:
            continue
        try:
            raw[section] = json.loads(value)
        except (ValueError, RecursionError):
            raw[section] = value
    region = values.get(REGION_KEY)
    environment = raw.get("environment")
    if isinstance(environment, dict) and "region" in environment:
        problems.append(Problem(("environment", "region"), "the region is aws:region's",
                                "remove it here; set aws:region", "STRATA-E001"))
    if region is None:
        problems.append(Problem((REGION_KEY,), "required key is missing: the AWS region the "
                                "stack deploys to (the provider, names and AZs read it)",
                                "aws:region: eu-west-1", "STRATA-E003"))
    elif not re.fullmatch(REGION, region):
        problems.append(Problem((REGION_KEY,), f"{region!r} is not a region name",
                                PATTERN_WORDS[REGION], "STRATA-E002"))
    elif isinstance(environment, dict):
        raw["environment"] = {**environment, "region": region}
    return catalog_from_raw(raw, stack_file, problems, lock=lock, lock_file=lock_file)


def catalog_from_raw(raw: Mapping[str, Any], stack_file: str,
                     earlier: list[Problem] | None = None,
                     lock: Mapping[str, Any] | None = None,
                     lock_file: str | None = None) -> Catalog:
    """Validate `raw` (the `strata:` keys without their prefix); raise ConfigError with all
    problems. `lock` is the deployed state that replacements are judged against."""
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
    problems += lock_problems(catalog, lock, lock_file or "the deployed-state lock")
    if problems:
        raise ConfigError(stack_file, problems)
    return catalog


def _namespace_problems(values: Mapping[str, str]) -> list[Problem]:
    problems = []
    for key in values:
        namespace = key.partition(":")[0]
        if namespace not in NAMESPACES:
            close = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem((key,), f"unknown config namespace {namespace!r}{hint}: "
                                    "this program reads none of its keys, so this value would "
                                    "be ignored", ", ".join(f"{n}:..." for n in NAMESPACES),
                                    "STRATA-E001"))
    return problems


def _problem(error: Mapping[str, Any]) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    received = "[secret]" if secret_at(loc) else _received(error.get("input"))
    if kind == "extra_forbidden":
        return _unknown_key(loc, keys_at(loc[:-1]))
    if kind == "missing":
        return Problem(loc, "required key is missing", _describe(loc), "STRATA-E003")
    if loc and loc[-1] == "[key]":
        words = PATTERN_WORDS.get(str(ctx.get("pattern")), "text")
        return Problem(loc[:-1], f"name {received} is not allowed here", words, "STRATA-E002")
    if kind == "string_pattern_mismatch":
        return Problem(loc, f"{received} does not follow the rule",
                       PATTERN_WORDS.get(str(ctx.get("pattern")), ""), "STRATA-E002")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        model = model_at(loc)
        shape = shape_of(model) if model else "a mapping"
        return Problem(loc, f"expected a mapping, received {received}",
                       f"{loc[-1] if loc else 'value'}: {shape}", "STRATA-E002")
    if kind in ("too_short", "too_long") and ctx.get("actual_length") is None:
        ctx = {**ctx, "actual_length": len(error["input"])}  # pydantic leaves it out for maps
    message, allowed = _wrong_value(kind, ctx, received, str(error["msg"]))
    if not allowed and {"ge", "le", "gt", "lt"} & ctx.keys():
        allowed = _bounds(loc)
    return Problem(loc, message, allowed, "STRATA-E002")


def _wrong_value(kind: str, ctx: Mapping[str, Any], received: str, msg: str) -> tuple[str, str]:
    """(message, allowed) for a value of the wrong type or range, in words."""
    if kind == "list_type":
        return f"expected a list, received {received}", "a YAML list: [a, b] or - a"
    if kind in ("int_type", "int_from_float"):
        hint = " (true/false is not a number)" if received in ("true", "false") else ""
        return f"expected a whole number, received {received}{hint}", "a number without quotes"
    if kind == "float_type":
        return f"expected a number, received {received}", "a number without quotes"
    if kind == "finite_number":
        return f"expected a finite number, received {received}", "a number (not .inf or .nan)"
    if kind == "string_type":
        hint = " (quote it to keep it text)" if received[:1].isdigit() else ""
        return f"expected text, received {received}{hint}", "text"
    if kind == "bool_type":
        return f"expected true or false, received {received}", "true or false"
    if kind == "literal_error":
        return f"{received} is not one of the choices", str(ctx.get("expected", ""))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{received} is out of range", ""
    if kind == "multiple_of":
        return f"{received} is not a multiple of {ctx.get('multiple_of')}", \
            f"steps of {ctx.get('multiple_of')}"
    if kind == "too_short":
        return f"has {ctx.get('actual_length')} items", f"at least {ctx.get('min_length')}"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} items", f"at most {ctx.get('max_length')}"
    text = msg.removeprefix("Value error, ")
    return f"{text} (received {received})", ""


def _received(value: Any) -> str:
    shown = json.dumps(value, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _unknown_key(loc: tuple[Any, ...], allowed: tuple[str, ...]) -> Problem:
    key = str(loc[-1])
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if "_" in key and to_camel(key) in allowed:
        close = [to_camel(key)]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Problem(loc, f"unknown key {key!r}{hint}", ", ".join(allowed), "STRATA-E001")


def _bounds(loc: tuple[Any, ...]) -> str:
    """`1..64` (or `more than 0, at most 100000`) from the field's declared constraints:
    pydantic reports only the one broken."""
    declared = field_at(loc)
    if declared is None:
        return ""
    bound = {name: getattr(meta, name) for meta in declared.metadata
             for name in ("ge", "gt", "le", "lt") if getattr(meta, name, None) is not None}
    if "gt" in bound or "lt" in bound:
        low = f"more than {bound['gt']}" if "gt" in bound else f"at least {bound.get('ge')}"
        high = f"less than {bound['lt']}" if "lt" in bound else f"at most {bound.get('le')}"
        return f"{low}, {high}"
    return f"{bound.get('ge', '')}..{bound.get('le', '')}"


def _describe(loc: tuple[Any, ...]) -> str:
    """What a missing key takes, in words: its shape, rule, choices or description."""
    model = model_at(loc)
    if model is not None:
        return f"{loc[-1]}: {shape_of(model)}"
    declared = field_at(loc)
    if declared is None:
        return ""
    pattern = next((getattr(m, "pattern", None) for m in declared.metadata
                    if getattr(m, "pattern", None)), None)
    if pattern in PATTERN_WORDS:
        return PATTERN_WORDS[str(pattern)]
    choices = typing.get_args(declared.annotation)
    if typing.get_origin(declared.annotation) is typing.Literal:
        return " or ".join(repr(c) for c in choices)
    return (declared.description or "").split("\n")[0]
