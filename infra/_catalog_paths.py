"""Walk the catalog's models along a config key path: which keys a place accepts, what a field
is declared as. Error messages (`infra/config.py`) and secret placeholders
(`infra/_stackfile.py`) read the catalog itself instead of restating it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from stacks.catalog import Catalog, user_fields

__all__ = ["field_at", "keys_at", "model_at", "secret_at"]


def model_at(path: Sequence[Any]) -> type[BaseModel] | None:
    """The model whose keys are accepted at `path` (`("services", "orders")` -> Service)."""
    current = _walk(path)[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def keys_at(path: Sequence[Any]) -> tuple[str, ...]:
    """The camelCase keys accepted at `path`; empty when `path` is not a model."""
    model = model_at(path)
    if model is None:
        return ()
    return tuple(f.alias or n for n, f in user_fields(model))


def field_at(path: Sequence[Any]) -> FieldInfo | None:
    """The innermost declaration of the value at `path`: the model field, or the `Field(...)`
    of a list item or map value (`("monitoring", "alarmEmails", 0)`)."""
    return _walk(path)[1]


def secret_at(path: Sequence[Any]) -> bool:
    """Whether the value at `path`, or a value containing it, is declared secret (`SecretStr`,
    a list or map of them): such input is never echoed in a message."""
    return _secret_at(tuple(path))


@lru_cache(maxsize=4096)
def _secret_at(path: tuple[Any, ...]) -> bool:
    for end in range(1, len(path) + 1):
        current: Any = _walk(path[:end])[0]
        while typing.get_origin(current) in (dict, list):
            current = _unwrap(typing.get_args(current)[-1])[0]
        if current is SecretStr:
            return True
    return False


def _walk(path: Sequence[Any]) -> tuple[Any, FieldInfo | None]:
    return _walk_tuple(tuple(path))


@lru_cache(maxsize=4096)
def _walk_tuple(path: tuple[Any, ...]) -> tuple[Any, FieldInfo | None]:
    current: Any = Catalog
    info: FieldInfo | None = None
    for part in path:
        current, found = _unwrap(current)
        info = found or info
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items()
                          if part in (n, f.alias)), None)
            if field is None:
                return None, None
            current, info = field.annotation, field
        elif typing.get_origin(current) in (dict, list):
            current, info = typing.get_args(current)[-1], None
        else:
            return None, None
    current, found = _unwrap(current)
    return current, found or info


def _unwrap(tp: Any) -> tuple[Any, FieldInfo | None]:
    """Strip Optional / Annotated; the last `Field(...)` met is the declaration."""
    info: FieldInfo | None = None
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp, *meta = typing.get_args(tp)
            info = next((m for m in meta if isinstance(m, FieldInfo)), info)
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp, info
