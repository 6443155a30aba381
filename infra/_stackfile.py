"""Find the Pulumi project and read a stack's config file the way the Pulumi CLI does.

Anything the file can hold is answered with values or a `ConfigError` naming the key: a top
level that is not a mapping, `config:` as a list, non-string keys, booleans YAML 1.1 would read
out of `on`/`no` (the CLI reads YAML 1.2, where they are strings). `secure:` values are
accepted at the top and, as Pulumi's structured config allows, inside lists and maps: the CLI
decrypts them and marks the whole key secret; offline they cannot be decrypted, so each is
replaced by a placeholder that passes its field's rules (`secretPlaceholder` in the catalog)
and listed, so synth can say so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra._catalog_paths import field_at
from infra.errors import ConfigError
from stacks.catalog import SECRET_PLACEHOLDER_KEY, Problem, format_path

__all__ = ["Project", "StackConfig", "find_project", "read_stack_config",
           "stack_config_from_data"]


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path
    """The program directory (`main:` in Pulumi.yaml), holding `__main__.py`."""


@dataclass(frozen=True)
class StackConfig:
    file: Path
    values: dict[str, str]
    """Namespaced keys -> the string form the CLI hands the program (JSON for objects)."""
    secret_keys: list[str] = field(default_factory=list)
    """Keys holding a `secure:` value anywhere inside (the CLI marks the whole key secret)."""
    placeholders: list[str] = field(default_factory=list)
    """Key paths of `secure:` values replaced by placeholders: only the CLI can decrypt them."""


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading (libyaml's parser when installed: 7x faster) that refuses duplicate keys
    (PyYAML silently keeps the last one) and reads booleans as YAML 1.2 does (the Pulumi CLI's
    parser): only true/false, never yes/no/on/off, so a service called `no` stays `no`."""


def _no_duplicates(loader: _Yaml12Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            repeated = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key (a list or map as a key): reported later
            continue
        if repeated:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node, deep)


_BOOL = "tag:yaml.org,2002:bool"
_Yaml12Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_Yaml12Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(path.name, [Problem((), f"cannot read: {exc}", "", "STRATA-E004")]) \
            from None


def find_project(start: Path | None = None) -> Project:
    """Pulumi.yaml in `start` or the nearest parent, as the CLI looks for it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "Pulumi.yaml"
        if candidate.is_file():
            data = _load_yaml(candidate)
            if not isinstance(data, dict):
                raise ConfigError(str(candidate), [Problem(
                    (), "Pulumi.yaml must be a mapping (name, runtime, main)",
                    "name: <project>\nruntime: python\nmain: infra/", "STRATA-E004")])
            return Project(folder, str(data.get("name", "")),
                           folder / str(data.get("main", ".")))
    raise ConfigError("Pulumi.yaml", [Problem((), f"no Pulumi.yaml in {here} or its parents",
                                              "run inside the project", "STRATA-E004")])


def read_stack_config(project: Project, stack: str) -> StackConfig:
    path = project.root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")]
                       for p in project.root.glob("Pulumi.*.yaml"))
        raise ConfigError(path.name, [Problem((), f"no stack file for stack {stack!r}",
                                              ", ".join(known), "STRATA-E004")])
    return stack_config_from_data(_load_yaml(path), path, project.name)


def stack_config_from_data(data: Any, path: Path, project_name: str) -> StackConfig:
    """The config of a parsed stack file (`data` as YAML loaded it), or ConfigError listing
    every key that cannot be config."""
    shape = "config:\n  aws:region: eu-west-1\n  strata:environment: {...}"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path.name, [Problem((), f"the file holds a {_kind(data)}, not a "
                                              "mapping with a `config:` key", shape,
                                              "STRATA-E004")])
    config = data.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError(path.name, [Problem(("config",), f"config: is a {_kind(config)}, not "
                                              "a mapping of `namespace:key: value`", shape,
                                              "STRATA-E004")])
    reader = _Reader(project_name)
    for key, value in config.items():
        try:
            reader.entry(key, value)
        except RecursionError:
            reader.problems.append(Problem((str(key),), "nested too deeply to be config",
                                           "a few levels of mappings and lists", "STRATA-E002"))
    if reader.problems:
        raise ConfigError(path.name, reader.problems)
    return StackConfig(path, reader.values, reader.secrets, reader.placeholders)


class _Reader:
    """Turns config entries into the CLI's string form, collecting problems and secrets."""

    def __init__(self, project_name: str) -> None:
        self.project = project_name
        self.values: dict[str, str] = {}
        self.secrets: list[str] = []
        self.placeholders: list[str] = []
        self.problems: list[Problem] = []

    def entry(self, key: Any, value: Any) -> None:
        if not isinstance(key, str) or not key:
            self.problems.append(Problem(("config",), f"key {key!r} is a {_kind(key)}: config "
                                         "keys are text, `namespace:key`", "aws:region, "
                                         "strata:<section>", "STRATA-E002"))
            return
        full = key if ":" in key else f"{self.project}:{key}"
        section = full.split(":", 1)
        head = (full,)
        if _is_secure(value):
            if section[0] == self.project:
                self.problems.append(Problem(head, "a whole section is `secure:`: only the "
                                             "Pulumi CLI could decrypt it, and it must be a "
                                             "mapping", "a mapping whose secret values alone "
                                             "are `secure:` (Pulumi structured config)",
                                             "STRATA-E002"))
                return
            self.values[full] = self._placeholder(full, (), value)
            self.secrets.append(full)
            return
        if isinstance(value, str):
            self.values[full] = value
            return
        before = len(self.placeholders)
        plain = self._plain(value, full, ())
        if len(self.placeholders) > before:
            self.secrets.append(full)
        self.values[full] = json.dumps(plain)

    def _plain(self, value: Any, key: str, path: tuple[str | int, ...]) -> Any:
        """`value` with every `secure:` leaf replaced by its placeholder; non-text keys and
        values JSON cannot carry reported. (Exact type checks: this walks every value of every
        config read, and YAML gives exact types.)"""
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is dict:
            if len(value) == 1 and "secure" in value:
                return self._placeholder(key, path, value)
            out: dict[str, Any] = {}
            for k, v in value.items():
                if type(k) is not str:
                    self.problems.append(Problem(
                        (key, *path), f"key {k!r} is a {_kind(k)}: keys are text", "quote "
                        f"the key ('{k}')", "STRATA-E002"))
                elif type(v) in _SCALARS:
                    out[k] = v
                else:
                    out[k] = self._plain(v, key, (*path, k))
            return out
        if kind is list:
            return [v if type(v) in _SCALARS else self._plain(v, key, (*path, i))
                    for i, v in enumerate(value)]
        self.problems.append(Problem((key, *path), f"a {_kind(value)} ({value!s:.40}) is not a "
                                     "config value", "text, a number, true/false, a list or a "
                                     "mapping (quote dates and times)", "STRATA-E002"))
        return None

    def _placeholder(self, key: str, path: tuple[str | int, ...], value: dict[str, Any]) -> str:
        namespace, _, section = key.partition(":")
        where = format_path((key, *path))
        if not isinstance(value["secure"], str) or not value["secure"]:
            self.problems.append(Problem((key, *path), "`secure:` holds the ciphertext the "
                                         "Pulumi CLI wrote, as text", "set it with `pulumi "
                                         "config set --secret --path`", "STRATA-E002"))
            return ""
        self.placeholders.append(where)
        slug = re.sub(r"[^a-z0-9]+", "-", where.removeprefix(f"{self.project}:").lower())
        slug = slug.strip("-")
        declared = field_at((section, *path)) if namespace == self.project else None
        extra = declared.json_schema_extra if declared is not None else None
        template = extra.get(SECRET_PLACEHOLDER_KEY) if isinstance(extra, dict) else None
        return str(template or "placeholder-for-{path}").replace("{path}", slug)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _kind(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "text", list: "list",
            dict: "mapping", type(None): "null"}.get(type(value), type(value).__name__)
