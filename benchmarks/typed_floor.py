"""The typed floor: a synth's own RegisterResource requests replayed through the typed SDK classes.

What Pulumi itself costs for a stack is what its typed classes cost for the same registrations:
each custom resource is constructed as the pulumi-aws / pulumi-kubernetes / pulumi-random class
its type token names (the class the package registers for the token), with the request's
camelCase inputs turned back into the class's snake_case arguments (by the class's own input-type
metadata, the inverse of what the SDK does when it serializes them), with the same parent,
provider, dependencies, protect/retain, ignored changes and aliases; components are plain
`ComponentResource`s of the same type. An input that depended on other resources is handed over
as an Output of their URNs, so it waits for them as the real program's did and carries the same
property dependencies; a secret input is an `Output.secret`.

`prepare()` does all conversion up front, in the synth's process after its measured run (no part
of the floor's cost, and no garbage left in the floor's process to flatter its memory figure),
`replay()` is the floor's program body, and `differences()` proves the replay sends the engine
the same requests as the synth did (apart from the source position and stack trace: where the
call came from).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import pickle
import struct
import textwrap
import typing
from collections import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi import _types
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.rpc import get_resource_module, get_resource_package

__all__ = ["FloorError", "Step", "differences", "installed", "prepare", "read_requests",
           "read_steps", "replay", "write_requests", "write_steps"]

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
STACK_TYPE = "pulumi:pulumi:Stack"
# Set by the SDK itself, or where the call came from: nothing for the replay to carry over.
SDK_FIELDS = {"type", "name", "custom", "object", "version", "pluginDownloadURL",
              "acceptSecrets", "acceptResources", "supportsPartialValues",
              "supportsResultReporting", "sourcePosition", "stackTrace", "hooks", "packageRef",
              "additionalSecretOutputs"}
REPLAYED_FIELDS = {"parent", "provider", "providers", "dependencies", "propertyDependencies",
                   "protect", "retainOnDelete", "deleteBeforeReplace",
                   "deleteBeforeReplaceDefined", "ignoreChanges", "aliases", "customTimeouts"}
UNCOMPARED = ("sourcePosition", "stackTrace")

Resources = dict[str, pulumi.Resource]


class FloorError(Exception):
    """The requests hold something the replay cannot reproduce faithfully."""


# -- the recorded requests -------------------------------------------------------------------

def write_requests(path: Path, requests: Iterable[tuple[str, Any]]) -> None:
    """Length-prefixed (urn, RegisterResourceRequest) pairs, in registration order."""
    with path.open("wb") as out:
        for urn, request in requests:
            urn_bytes, body = urn.encode(), request.SerializeToString()
            out.write(struct.pack("<II", len(urn_bytes), len(body)))
            out.write(urn_bytes)
            out.write(body)


def read_requests(path: Path) -> list[tuple[str, Any]]:
    data, offset, requests = path.read_bytes(), 0, []
    while offset < len(data):
        urn_length, body_length = struct.unpack_from("<II", data, offset)
        offset += 8
        urn = data[offset:offset + urn_length].decode()
        offset += urn_length
        request = resource_pb2.RegisterResourceRequest()
        request.ParseFromString(data[offset:offset + body_length])
        offset += body_length
        requests.append((urn, request))
    return requests


def write_steps(path: Path, steps: list[Step]) -> None:
    """Prepared once (by the first synth of a size), replayed by every floor run."""
    path.write_bytes(pickle.dumps(steps, protocol=pickle.HIGHEST_PROTOCOL))


def read_steps(path: Path) -> list[Step]:
    steps: list[Step] = pickle.loads(path.read_bytes())  # our own file, written just before
    return steps


# -- preparation: requests -> constructor calls ----------------------------------------------

@dataclass
class Step:
    """One constructor call of the replay."""

    urn: str
    token: str
    name: str
    cls: type | None
    """The typed class; None for a component."""
    kwargs: dict[str, Any]
    late: dict[str, tuple[Any, list[str]]] = field(default_factory=dict)
    """Arguments built during the replay, as (value, URNs it waits for): Outputs of resources
    made before this one, or secrets."""
    options: dict[str, Any] = field(default_factory=dict)
    """ResourceOptions keywords with plain values."""
    refs: dict[str, Any] = field(default_factory=dict)
    """ResourceOptions keywords naming other resources by URN (str or list of str)."""


@dataclass(frozen=True)
class _Secret:
    value: Any


def prepare(requests: list[tuple[str, Any]]) -> list[Step]:
    """The replay's constructor calls, in the synth's registration order (parents, providers
    and dependencies always come first in it: the SDK registers nothing before them)."""
    steps, classes = [], _ClassIndex()
    for urn, request in requests:
        if request.type == STACK_TYPE:
            continue  # the mock runtime makes the root stack itself
        unexpected = sorted(f.name for f, _ in request.ListFields()
                            if f.name not in SDK_FIELDS | REPLAYED_FIELDS)
        if unexpected or request.hooks.ByteSize():
            raise FloorError(f"{urn}: the typed floor does not replay {unexpected or 'hooks'}")
        cls = classes.for_type(request.type) if request.custom else None
        inputs = _plain(json_format.MessageToDict(request.object), urn)
        steps.append(_step(urn, request, cls, inputs))
    return steps


def _step(urn: str, request: Any, cls: type | None, inputs: dict[str, Any]) -> Step:
    names: dict[str, str] = {}
    types: dict[str, Any] = {}
    if cls is not None:
        args_type = _args_type(cls)
        names = {wire: py for py, wire in _types.input_type_py_to_pulumi_names(args_type).items()}
        types = _types.input_type_types(args_type)
    provider = request.type.startswith("pulumi:providers:")
    step = Step(urn, request.type, request.name, cls, {})
    property_dependencies = {key: sorted(set(deps.urns))
                             for key, deps in request.propertyDependencies.items() if deps.urns}
    for key, value in inputs.items():
        if cls is not None and key not in names:
            continue  # set by the class itself (e.g. a Kubernetes kind): the replay checks it
        argument = names.get(key, key)
        if provider and isinstance(value, str) and _types.unwrap_type(types[key]) is not str:
            value = json.loads(value)  # providers send non-string settings JSON-encoded
        converted = _to_python(value, types.get(key))
        after = property_dependencies.get(key)
        if after or _has_secret(converted):
            step.late[argument] = (converted, after or [])
        else:
            step.kwargs[argument] = converted
    depended = {u for urns in property_dependencies.values() for u in urns}
    step.refs = {"parent": request.parent,
                 "provider": request.provider.rsplit("::", 1)[0] if request.provider else "",
                 "providers": [ref.rsplit("::", 1)[0] for ref in request.providers.values()],
                 "depends_on": sorted(set(request.dependencies) - depended)}
    step.options = {"protect": request.protect if request.HasField("protect") else None,
                    "retain_on_delete": (request.retainOnDelete
                                         if request.HasField("retainOnDelete") else None),
                    "aliases": _user_aliases(urn, request, cls) or None,
                    "ignore_changes": [names.get(k, k) for k in request.ignoreChanges] or None}
    if request.deleteBeforeReplaceDefined:
        step.options["delete_before_replace"] = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        timeouts = request.customTimeouts
        step.options["custom_timeouts"] = pulumi.CustomTimeouts(
            create=timeouts.create or None, update=timeouts.update or None,
            delete=timeouts.delete or None)
    return step


def _plain(value: Any, urn: str) -> Any:
    """Wire value -> Python value; secrets become _Secret, other special values are refused."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            if value[SIG_KEY] == SECRET_SIG:
                return _Secret(_plain(value.get("value"), urn))
            raise FloorError(f"{urn}: the typed floor does not replay special value "
                             f"{value[SIG_KEY]} (resource reference, asset or output)")
        return {k: _plain(v, urn) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, urn) for v in value]
    return value


def _to_python(value: Any, typ: Any) -> Any:
    """Engine names -> the class's Python names, where the SDK's type metadata says so; keys of
    a map (tags, labels) are data and stay as they are."""
    typ = _types.unwrap_type(typ) if typ is not None else None
    if isinstance(value, _Secret):
        return _Secret(_to_python(value.value, typ))
    if isinstance(value, dict):
        if typ is not None and _types.is_input_type(typ):
            names = {w: p for p, w in _types.input_type_py_to_pulumi_names(typ).items()}
            types = _types.input_type_types(typ)
            return {names.get(k, k): _to_python(v, types.get(k)) for k, v in value.items()}
        element = _element(typ, (dict, abc.Mapping), 1)
        return {k: _to_python(v, element) for k, v in value.items()}
    if isinstance(value, list):
        element = _element(typ, (list, abc.Sequence), 0)
        return [_to_python(v, element) for v in value]
    return value


def _element(typ: Any, origins: tuple[type, ...], index: int) -> Any:
    if typ is None or typing.get_origin(typ) not in origins:
        return None
    args = typing.get_args(typ)
    return args[index] if len(args) > index else None


def _has_secret(value: Any) -> bool:
    if isinstance(value, _Secret):
        return True
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _with_outputs(value: Any) -> Any:
    if isinstance(value, _Secret):
        return pulumi.Output.secret(_with_outputs(value.value))
    if isinstance(value, dict):
        return {k: _with_outputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_outputs(v) for v in value]
    return value


def _late(value: Any, after: list[str], made: Resources) -> Any:
    built = _with_outputs(value) if _has_secret(value) else value
    if not after:
        return built
    return pulumi.Output.all(*(made[u].urn for u in after)).apply(lambda _: built)


def _user_aliases(urn: str, request: Any, cls: type | None) -> list[Any]:
    """The request's aliases less those the class adds to every resource of its own (at the
    end: the generated `__init__` merges its `alias_opts` after the caller's options)."""
    aliases = list(request.aliases)
    own = _class_aliases(cls) if cls is not None else []
    if own:
        tail = [{"type": a.spec.type, "name": a.spec.name} for a in aliases[-len(own):]]
        if tail != [{"type": "", "name": "", **spec} for spec in own]:
            raise FloorError(f"{urn}: its aliases do not end with the ones {cls} adds: {own}")
        aliases = aliases[:-len(own)]
    return [_alias(a) for a in aliases]


@functools.cache
def _class_aliases(cls: type) -> list[dict[str, str]]:
    """The alias specs a typed class adds itself: `alias_opts = pulumi.ResourceOptions(aliases=
    [pulumi.Alias(type_="...")])` in its generated `_internal_init`."""
    source = textwrap.dedent(inspect.getsource(cls._internal_init))  # type: ignore[attr-defined]
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == "alias_opts" for t in node.targets)):
            for keyword in node.value.keywords:
                if keyword.arg == "aliases" and isinstance(keyword.value, ast.List):
                    return [{str(k.arg).rstrip("_"): ast.literal_eval(k.value)
                             for k in alias.keywords}
                            for alias in keyword.value.elts if isinstance(alias, ast.Call)]
    return []


def _alias(alias: Any) -> Any:
    if alias.HasField("urn"):
        return alias.urn
    spec = alias.spec
    given: dict[str, Any] = {key: value for key, value in (
        ("name", spec.name), ("type_", spec.type), ("stack", spec.stack),
        ("project", spec.project)) if value}  # unset fields stay unspecified (...)
    if spec.HasField("parentUrn"):
        given["parent"] = spec.parentUrn
    elif spec.noParent:
        given["parent"] = None
    return pulumi.Alias(**given)


class _ClassIndex:
    """Type token -> the typed class, from the registrations the SDK packages make on import
    (pulumi_aws/__init__.py `_utilities.register(resource_modules=..., resource_packages=...)`),
    the same index the SDK uses to rehydrate resource references."""

    def __init__(self) -> None:
        self._cache: dict[str, type] = {}

    def for_type(self, token: str) -> type:
        if token not in self._cache:
            self._cache[token] = self._find(token)
        return self._cache[token]

    @staticmethod
    def _find(token: str) -> type:
        if token.startswith("pulumi:providers:"):
            package = get_resource_package(token.rsplit(":", 1)[-1], "")
            info = getattr(package, "pkg_info", None)
        else:
            pkg, mod, _ = token.split(":")
            module = get_resource_module(pkg, mod, "")
            mod_info = getattr(module, "mod_info", None)
            info = ({"fqn": mod_info["fqn"], "class": mod_info["classes"].get(token)}
                    if mod_info else None)
        if not info or not info.get("class"):
            raise FloorError(f"no typed SDK class registers type {token} (is its package "
                             "imported?)")
        cls: type = getattr(importlib.import_module(info["fqn"]), info["class"])
        return cls


def _args_type(cls: type) -> type:
    """The input type the class serializes its arguments with: `<Class>Args`, or
    `<Class>InitArgs` where `<Class>Args` names a nested type (pulumi-kubernetes)."""
    module = importlib.import_module(cls.__module__)
    for name in (f"{cls.__name__}InitArgs", f"{cls.__name__}Args"):
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and _types.is_input_type(candidate):
            return candidate
    raise FloorError(f"{cls.__module__}.{cls.__name__} has no input type to convert arguments by")


# -- the replay ------------------------------------------------------------------------------

installed: list[Step] = []
"""The steps the floor's program replays (set before `synthesize()` runs it)."""


def replay(steps: list[Step]) -> Resources:
    """Construct every resource: the body of the floor's program."""
    made: Resources = {}
    for step in steps:
        refs = step.refs
        opts = pulumi.ResourceOptions(
            parent=made.get(refs["parent"]),
            provider=made.get(refs["provider"]),  # type: ignore[arg-type]
            providers=[made[u] for u in refs["providers"]] or None,  # type: ignore[misc]
            depends_on=[made[u] for u in refs["depends_on"]] or None,
            **step.options)
        kwargs = step.kwargs
        if step.late:
            kwargs = {**kwargs, **{k: _late(value, after, made)
                                   for k, (value, after) in step.late.items()}}
        if step.cls is None:
            made[step.urn] = pulumi.ComponentResource(step.token, step.name, kwargs or None, opts)
        else:
            made[step.urn] = step.cls(step.name, opts=opts, **kwargs)
    return made


# -- fidelity --------------------------------------------------------------------------------

def differences(expected: list[tuple[str, Any]], actual: list[tuple[str, Any]],
                limit: int = 5) -> list[str]:
    """Where the replayed requests differ from the synth's (empty: the same requests)."""
    want, got = dict(_normalized(expected)), dict(_normalized(actual))
    problems = [f"{urn}: not replayed" for urn in sorted(want.keys() - got.keys())]
    problems += [f"{urn}: replayed but not in the synth"
                 for urn in sorted(got.keys() - want.keys())]
    for urn in sorted(want.keys() & got.keys()):
        fields = sorted(k for k in want[urn].keys() | got[urn].keys()
                        if want[urn].get(k) != got[urn].get(k))
        if fields:
            problems.append(f"{urn}: {', '.join(fields)} differ: "
                            + "; ".join(f"{k}: {want[urn].get(k)!r} != {got[urn].get(k)!r}"
                                        for k in fields)[:600])
    return problems[:limit] + ([f"... and {len(problems) - limit} more"]
                               if len(problems) > limit else [])


def _normalized(requests: list[tuple[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for urn, request in requests:
        body = json_format.MessageToDict(request)
        for key in UNCOMPARED:
            body.pop(key, None)
        for key in ("dependencies", "additionalSecretOutputs"):
            if key in body:
                body[key] = sorted(set(body[key]))
        for deps in body.get("propertyDependencies", {}).values():
            deps["urns"] = sorted(set(deps.get("urns", [])))
        yield urn, body
