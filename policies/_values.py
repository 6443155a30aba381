"""Plain values out of what the engine hands a policy: proxies unwrapped, unknowns kept visible.

`pulumi_policy` wraps nested inputs in Mapping/Sequence proxies (``isinstance(x, dict)`` is
false, ``list + proxy`` raises) and raises on any unknown it meets; controls want plain dicts and
lists in which an unknown is a value they can name. Numbers arrive as floats, IAM documents as
JSON strings, booleans sometimes as strings ("true") in pulumi-aws v7 launch templates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "ABSENT",
    "UNKNOWN_SENTINELS",
    "Statement",
    "as_bool",
    "as_list",
    "at_least",
    "get",
    "is_true",
    "is_unknown",
    "not_true",
    "plain",
    "statements",
    "tags_of",
]

# The engine's placeholders for values not known until apply (pulumi/sdk/go/common/resource/
# plugin/rpc.go); pulumi_policy.proxy lists the same seven.
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})


class _Absent:
    """A property the program left out: the provider default applies."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def plain(value: Any) -> Any:
    """Deep copy of a policy input as dict/list/scalars, unknown sentinels preserved."""
    if isinstance(value, Mapping):
        target = _target(value)
        return {str(k): plain(target[k]) for k in target}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        target = _target(value)
        return [plain(target[i]) for i in range(len(target))]
    inner = getattr(value, "value", None)
    if type(value).__name__ == "Secret" and inner is not None:  # pulumi_policy.secret.Secret
        return plain(inner)
    return value


def _target(proxy: Any) -> Any:
    # pulumi_policy's proxies hand out their raw target under this key without the unknown
    # check; a plain dict/list simply returns itself.
    if type(proxy).__name__ in ("_DictProxy", "_ListProxy", "_DictSecretsProxy",
                                "_ListSecretsProxy"):
        return proxy["__target"]
    return proxy


def get(obj: Any, path: str, default: Any = ABSENT) -> Any:
    """`get(props, "encryptionInfo.encryptionInTransit.clientBroker")`.

    Single-element lists are looked through (pulumi-aws flattens some max-1 blocks and not
    others across versions). Returns ABSENT (or `default`) when a segment is missing and the
    unknown sentinel itself when a segment is unknown.
    """
    current = obj
    for segment in path.split("."):
        if is_unknown(current):
            return current
        if isinstance(current, list):
            if len(current) != 1:
                return default
            current = current[0]
            if is_unknown(current):
                return current
        if not isinstance(current, dict) or segment not in current or current[segment] is None:
            return default
        current = current[segment]
    return current


def as_list(value: Any) -> list[Any]:
    if value is ABSENT or value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def as_bool(value: Any) -> bool | None:
    """True/False from bool, "true"/"false" strings and numbers; None when not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return bool(value)
    return None


def is_true(value: Any) -> bool:
    return as_bool(value) is True


def not_true(value: Any) -> bool:
    """Absent, false or not a boolean: the predicate for settings that must stay off."""
    return as_bool(value) is not True


def at_least(minimum: float) -> Callable[[Any], bool]:
    """Predicate: a number (not a boolean) of at least `minimum`."""
    return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= minimum


def tags_of(props: Mapping[str, Any]) -> dict[str, Any]:
    tags = props.get("tags")
    return tags if isinstance(tags, dict) else {}


class Statement:
    """One IAM statement with Action/Resource/Principal normalised to lists."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.effect = str(raw.get("Effect", "Allow"))
        self.actions = [str(a) for a in as_list(raw.get("Action"))]
        self.not_actions = [str(a) for a in as_list(raw.get("NotAction"))]
        self.resources = [str(r) for r in as_list(raw.get("Resource"))]
        self.condition = raw.get("Condition")
        self.principals = _principals(raw.get("Principal"))

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"


def _principals(principal: Any) -> list[str]:
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, dict):
        out: list[str] = []
        for value in principal.values():
            out.extend(str(v) for v in as_list(value))
        return out
    return [str(p) for p in as_list(principal)]


def statements(document: Any) -> list[Statement] | None:
    """Statements of a policy document given as JSON text or object; None if unknown/unparsable.

    `Statement` may be a single object rather than a list.
    """
    if document is ABSENT or document is None:
        return []
    if is_unknown(document):
        return None
    if isinstance(document, str):
        if any(s in document for s in UNKNOWN_SENTINELS):
            return None
        try:
            document = json.loads(document)
        except ValueError:
            return None
    if not isinstance(document, dict):
        return None
    return [Statement(s) for s in as_list(document.get("Statement")) if isinstance(s, dict)]
