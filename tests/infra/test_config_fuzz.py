"""Property: no stack file, however mangled, makes config loading raise anything but a
ConfigError, and no mangled file makes the CLI print a traceback.

Hypothesis mutates Pulumi.dev.yaml and Pulumi.prod.yaml (values, types, keys, nesting;
keys deleted, inserted, renamed, misspelt; lists duplicated; values moved between keys; the
file's own shape) and drives each result through the reading the CLI and the program do
(`stack_config_from_data`, then `catalog_from_values` judged against a deployed-state lock).
Mutations are plain integer plans applied copy-on-write, so 10,000 configs take seconds.
"""

from __future__ import annotations

import datetime
import io
import math
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra._stackfile import stack_config_from_data
from infra.cli import main
from infra.config import catalog_from_values
from infra.errors import ConfigError
from stacks._lock import deployed_state
from tests.stacks._config_fixtures import ROOT, stack_file

CONFIGS_PER_RUN = 10_000
CLI_SAMPLE = 200

BASES = [stack_file("dev"), stack_file("prod")]
LOCKS = [deployed_state(catalog_from_values(
    stack_config_from_data(base, Path("x"), "strata").values, "x")) for base in BASES]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


PATHS = [_paths(base) for base in BASES]
KEYS = sorted({str(p[-1]) for paths in PATHS for p in paths if p and isinstance(p[-1], str)})
SCALARS = [None, True, False, 0, 1, -1, 2, 3, 7, 64, 65, 2**31, 2**63, 2**64, 10**400, 0.5, 2.3,
           math.inf, -math.inf, math.nan, "", " ", "x", "3", "true", "prod", "dev",
           "10.0.0.0/8", "0.0.0.0/0", "127.0.0.0/16", "10.20.0.0/16", "10.100.0.7/24",
           "kafka.t3.small", "express.m7g.large", "db.serverless", "db.r7g.large", "t4g.large",
           "db.influx.medium", "eu-west-1a", "us-east-1b", "orders.order-events", "orders",
           "platform", "admin", "default", "kube-system", "a" * 70, "Ünïcode", "https://x",
           "https://hooks.example.com/k", "A@Example.COM", "retention.ms", "1.33", "16.6",
           datetime.date(2024, 1, 1), {"secure": "v1:abc"}, {"secure": 1}, {"secure": None},
           [], {}, [1], ["x", "x"], {"a": 1}, {1: 2}, {True: "on"}, {"name": "id"}]

OPS = ("replace", "delete", "insert", "rename", "wrap_list", "wrap_map", "unwrap", "duplicate",
       "move", "misspell")


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _edit(node: Any, path: tuple[Any, ...], change: Any) -> Any:
    """A copy of `node` with `change(parent_copy, last)` applied at `path`; only the containers
    on the way are copied."""
    if len(path) == 1:
        copy = dict(node) if isinstance(node, dict) else list(node)
        change(copy, path[0])
        return copy
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _edit(node[path[0]], path[1:], change)
    return copy


def _mutate(data: Any, plan: tuple[int, int, int, int], base: int) -> Any:
    where, op, pick, other = plan
    paths = [p for p in PATHS[base] if p]
    path = paths[where % len(paths)]
    try:
        current = _get(data, path)
    except (KeyError, IndexError, TypeError):
        return data  # an earlier mutation moved this part away
    value = SCALARS[pick % len(SCALARS)]
    name = OPS[op % len(OPS)]
    key = path[-1]

    def apply(parent: Any, last: Any) -> None:
        if name == "replace":
            parent[last] = value
        elif name == "delete":
            del parent[last]
        elif name == "insert" and isinstance(parent, dict):
            parent[KEYS[other % len(KEYS)]] = value if other % 3 else current
        elif name == "insert":
            parent.insert(other % (len(parent) + 1), value)
        elif name == "rename" and isinstance(parent, dict):
            new = [KEYS[other % len(KEYS)], 1, True, None, f"{key}".upper()][pick % 5]
            parent[new] = parent.pop(last)
        elif name == "wrap_list":
            parent[last] = [current]
        elif name == "wrap_map":
            parent[last] = {KEYS[other % len(KEYS)]: current}
        elif name == "unwrap" and isinstance(current, list | dict) and current:
            parent[last] = next(iter(current.values() if isinstance(current, dict)
                                     else current))
        elif name == "duplicate" and isinstance(current, list) and current:
            parent[last] = [*current, current[other % len(current)]]
        elif name == "move":
            parent[last] = _get(BASES[base], paths[other % len(paths)])
        elif name == "misspell" and isinstance(parent, dict) and isinstance(last, str):
            parent[last[:-1] or "x"] = parent.pop(last)

    try:
        return _edit(data, path, apply)
    except (KeyError, IndexError, TypeError):
        return data


def _file_shape(data: Any, shape: int) -> Any:
    """One file in eight is itself the mistake: a list, text, empty, or config as a list."""
    choice = shape % 32
    if choice == 0:
        return [data]
    if choice == 1:
        return "config"
    if choice == 2:
        return None
    if choice == 3 and isinstance(data, dict) and isinstance(data.get("config"), dict):
        return {"config": list(data["config"])}
    return data


CHUNK = 17
"""Bytes per mangled file: one shapes the file, then each 4 are one mutation (where, what,
which value, which other key): up to four mutations."""
PLANS_PER_EXAMPLE = 4
plans = st.binary(min_size=5, max_size=CHUNK)
batches = st.binary(min_size=CHUNK * PLANS_PER_EXAMPLE, max_size=CHUNK * PLANS_PER_EXAMPLE)
"""Hypothesis's own bookkeeping costs about 1 ms per example, more than checking a config
(0.4 ms): each example is one draw that holds several plans."""


def mangled(base: int, plan: bytes) -> Any:
    data: Any = BASES[base]
    for at in range(1, len(plan) - 3, 4):
        where = int.from_bytes(plan[at:at + 2], "big")
        data = _mutate(data, (where, plan[at + 2], plan[at + 3], where >> 3), base)
    return _file_shape(data, plan[0])


def _load(data: Any, base: int) -> None:
    try:
        config = stack_config_from_data(data, Path("Pulumi.fuzz.yaml"), "strata")
        catalog_from_values(config.values, "Pulumi.fuzz.yaml", lock=LOCKS[base],
                            lock_file="locks/deployed.fuzz.json")
    except ConfigError as error:
        assert error.problems and error.render()


def test_no_mangled_config_raises_anything_but_a_config_error():
    tried: list[int] = []

    @settings(max_examples=CONFIGS_PER_RUN // (2 * PLANS_PER_EXAMPLE), deadline=None,
              database=None, suppress_health_check=list(HealthCheck))
    @given(batches)
    def check(batch: bytes) -> None:
        for start in range(0, len(batch), CHUNK):
            for base in (0, 1):  # the same mutations of Pulumi.dev.yaml and Pulumi.prod.yaml
                tried.append(base)
                _load(mangled(base, batch[start:start + CHUNK]), base)

    check()
    assert len(tried) >= CONFIGS_PER_RUN


def test_no_mangled_config_makes_the_cli_print_a_traceback(tmp_path, monkeypatch):
    (tmp_path / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\nmain: {ROOT/'infra'}\n")
    monkeypatch.chdir(tmp_path)
    outcomes: list[int] = []

    @settings(max_examples=CLI_SAMPLE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.integers(0, 1), plans)
    def check(base: int, plan: bytes) -> None:
        text = yaml.dump(mangled(base, plan), Dumper=yaml.CSafeDumper, allow_unicode=True)
        (tmp_path / "Pulumi.fuzz.yaml").write_text(text)
        err, out = io.StringIO(), io.StringIO()
        with redirect_stderr(err), redirect_stdout(out):
            code = main(["lock", "fuzz"])
        assert code in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
        assert (code == 0) == ("wrote" in out.getvalue())
        assert code == 0 or "Pulumi.fuzz.yaml" in err.getvalue()
        outcomes.append(code)

    check()
    assert len(outcomes) >= CLI_SAMPLE and 2 in outcomes
