"""Find the Pulumi project and read a stack's config file the way the Pulumi CLI does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.errors import ConfigError
from stacks.catalog import Problem

__all__ = ["Project", "StackConfig", "find_project", "read_stack_config"]


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
    placeholders: list[str] = field(default_factory=list)
    """`secure:` keys replaced by placeholders: only the CLI can decrypt them."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _no_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path.name, [Problem((), f"cannot read: {exc}", "", "STRATA-E004")]) \
            from None


def find_project(start: Path | None = None) -> Project:
    """Pulumi.yaml in `start` or the nearest parent, as the CLI looks for it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "Pulumi.yaml"
        if candidate.is_file():
            data = _load_yaml(candidate) or {}
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
    config = (_load_yaml(path) or {}).get("config") or {}
    values: dict[str, str] = {}
    secrets: list[str] = []
    placeholders: list[str] = []
    for key, value in config.items():
        full = key if ":" in key else f"{project.name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = f"placeholder-for-{full.replace(':', '-')}"
            secrets.append(full)
            placeholders.append(full)
        elif isinstance(value, str):
            values[full] = value
        else:
            values[full] = json.dumps(value)
    return StackConfig(path, values, secrets, placeholders)
