"""Component arguments checked against their TypedDict before anything is registered.

A misspelt argument (`user_role_arn` for `user_arns`) or a wrong shape (`partition_key="id"`
for `{name: ...}`) is a `ComponentArgsError` naming the argument path and the expected shape,
instead of being silently dropped or surfacing as a `TypeError` deep inside the SDK. The
TypedDicts are the single description of each component's inputs: this module reads them at run
time, as Pulumi's component provider host does to infer the package schema.

Enum-typed fields accept the enum member or its value (`"PAY_PER_REQUEST"`), so Python callers
and other Pulumi languages (which send strings) are treated alike; `validate` returns a copy with
those values converted to the enum.
"""

import difflib
import enum
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, Required, get_args, get_origin

import pulumi

__all__ = ["ComponentArgsError", "describe", "validate"]


class ComponentArgsError(TypeError):
    """A component was given an argument it does not take, or a value of the wrong shape."""


def validate(component: str, name: str, args: Any, spec: type) -> Any:
    """`args` checked against the TypedDict `spec`; raises ComponentArgsError listing every
    problem (argument path, what was expected, what was received). Returns a checked copy
    (enum values converted, explicit `None`s of optional arguments dropped)."""
    problems: list[str] = []
    checked = _check_typeddict(args, spec, "", problems)
    if problems:
        raise ComponentArgsError(f"{component} {name!r}: " + "; ".join(problems))
    return checked


def _hints(tp: Any) -> dict[str, Any]:
    """A TypedDict's field types, evaluated. `pulumi.Input` refers to `Output` by a forward
    reference that the defining module's namespace does not resolve."""
    namespace = {**vars(pulumi.output), **vars(sys.modules[tp.__module__])}
    return typing.get_type_hints(tp, globalns=namespace, include_extras=True)


def describe(tp: Any) -> str:
    """The expected shape in words: `{name: str, type?: S|N|B}`, `list of str`, ..."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if typing.is_typeddict(tp):
        hints = _hints(tp)
        optional = tp.__optional_keys__
        fields = [f"{key}{'?' if key in optional else ''}: {describe(hint)}"
                  for key, hint in hints.items()]
        return "{" + ", ".join(fields) + "}"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "|".join(str(member.value) for member in tp)
    if _is_input(tp):
        return describe(_input_arg(tp))
    if origin in (list, Sequence, typing.Sequence):
        return f"list of {describe(get_args(tp)[0])}"
    if origin in (dict, Mapping, typing.Mapping):
        return f"map of str to {describe(get_args(tp)[1])}"
    if tp is Any:
        return "any value"
    return getattr(tp, "__name__", str(tp))


# --- checking --------------------------------------------------------------------------------

def _strip(tp: Any) -> Any:
    """Remove NotRequired / Required / Optional wrappers."""
    while True:
        origin = get_origin(tp)
        if origin in (NotRequired, Required):
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        else:
            return tp


def _is_input(tp: Any) -> bool:
    """`pulumi.Input[T]` is `Union[T, Awaitable[T], Output[T]]` once evaluated."""
    return get_origin(tp) in (typing.Union, types.UnionType) and any(
        get_origin(a) is pulumi.Output for a in get_args(tp))


def _input_arg(tp: Any) -> Any:
    return get_args(tp)[0]


def _is_deferred(value: Any) -> bool:
    """An Output or awaitable: its shape is only known at deployment, the provider checks it."""
    return isinstance(value, pulumi.Output) or hasattr(value, "__await__")


def _check(value: Any, tp: Any, path: str, problems: list[str]) -> Any:
    tp = _strip(tp)
    if _is_input(tp):
        if _is_deferred(value):
            return value
        return _check(value, _input_arg(tp), path, problems)
    origin = get_origin(tp)
    if tp is Any or isinstance(tp, typing.TypeVar):
        return value
    if typing.is_typeddict(tp):
        return _check_typeddict(value, tp, path, problems)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _check_enum(value, tp, path, problems)
    if origin in (list, Sequence, typing.Sequence):
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            return _wrong(value, tp, path, problems)
        item = get_args(tp)[0]
        return [_check(v, item, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if origin in (dict, Mapping, typing.Mapping):
        if not isinstance(value, Mapping):
            return _wrong(value, tp, path, problems)
        item = get_args(tp)[1]
        out: dict[str, Any] = {}
        for key, v in value.items():
            if not isinstance(key, str):
                problems.append(f"{path or 'argument'}: keys must be strings (received {key!r})")
                continue
            out[key] = _check(v, item, f"{path}.{key}" if path else key, problems)
        return out
    if tp is bool:
        return value if isinstance(value, bool) else _wrong(value, tp, path, problems)
    if tp is int:
        # Pulumi's wire carries every number as a double, and the provider host's conversion of
        # integer inputs is overwritten by the line after it (pulumi 3.272,
        # provider/experimental/component.py `map_input_properties`, from pulumi/pulumi#21944):
        # another language's `2` reaches the component as `2.0`.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
        return value if ok else _wrong(value, tp, path, problems)
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return value if ok else _wrong(value, tp, path, problems)
    if tp is str:
        return value if isinstance(value, str) else _wrong(value, tp, path, problems)
    if isinstance(tp, type):
        return value if isinstance(value, tp) else _wrong(value, tp, path, problems)
    return value


def _check_typeddict(value: Any, tp: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, Mapping):
        return _wrong(value, tp, path, problems)
    hints = _hints(tp)
    required = tp.__required_keys__
    out: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in hints:
            close = difflib.get_close_matches(str(key), list(hints), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown argument {where!r}{hint}; expected one of: "
                            f"{', '.join(sorted(hints))}")
            continue
        if item is None and key not in required:
            continue  # an explicit None means "not given", as Pulumi's own args do
        out[key] = _check(item, hints[key], where, problems)
    for key in sorted(required - set(value)):
        where = f"{path}.{key}" if path else key
        problems.append(f"missing required argument {where!r} ({describe(hints[key])})")
    return out


def _check_enum(value: Any, tp: type[enum.Enum], path: str, problems: list[str]) -> Any:
    if isinstance(value, tp):
        return value
    try:
        return tp(value)
    except ValueError:
        return _wrong(value, tp, path, problems)


def _wrong(value: Any, tp: Any, path: str, problems: list[str]) -> Any:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    problems.append(f"argument {path or 'args'!r} expects {describe(tp)}, received {shown}")
    return value
