"""Everything a `strata` command imports at run time is a declared runtime dependency.

A plain `pip install strata` gets only `[project].dependencies`; a module the CLI reaches that
imports a dev-only or merely transitive package crashes there (it did: `jsonschema`). The import
graph is walked statically from the entry points, function-level imports included: the CLI, the
program `strata synth` runs, and the policy pack `strata check` starts in the same environment.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWN = ("infra", "stacks", "components", "policies")
NAMESPACES = {"google"}
"""Top-level names several distributions share: resolved one level deeper (google.protobuf)."""
ENTRY_POINTS = [ROOT / "infra" / "cli.py", ROOT / "infra" / "__main__.py",
                ROOT / "policies" / "__main__.py",
                # The pack's __main__ loads its package under a private name, then `_serve`.
                ROOT / "policies" / "_serve.py"]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_canonical(re.split(r"[ <>=!~;\[]", spec, maxsplit=1)[0])
            for spec in project["dependencies"]}


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, package: str) -> set[str]:
    """Absolute names of every module `path` imports, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # submodules
    return names


def reachable(entry_points: list[Path]) -> tuple[set[str], dict[str, set[str]]]:
    """Own modules reached, and third-party top-level module -> the files importing it."""
    own: set[str] = set()
    third_party: dict[str, set[str]] = {}
    pending = list(entry_points)
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        relative = path.relative_to(ROOT).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own.add(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for name in _imports(path, package):
            top = name.split(".")[0]
            if top in OWN:
                found = _module_file(name)
                if found is not None:
                    pending.append(found)
                    parent = _module_file(name.rpartition(".")[0]) if "." in name else None
                    if parent is not None:
                        pending.append(parent)  # a package's __init__ runs first
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                key = ".".join(name.split(".")[:2]) if top in NAMESPACES else top
                third_party.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return own, third_party


def undeclared(third_party: dict[str, set[str]], declared: set[str]) -> dict[str, set[str]]:
    """Third-party modules whose distribution is not a declared runtime dependency."""
    distributions = importlib.metadata.packages_distributions()
    missing: dict[str, set[str]] = {}
    for module, users in third_party.items():
        candidates = distributions.get(module.split(".")[0], [module])
        if "." in module:  # a namespace package: the distribution holding that subpackage
            prefix = module.replace(".", "/") + "/"
            candidates = [d for d in candidates
                          if any(str(f).startswith(prefix)
                                 for f in importlib.metadata.files(d) or [])]
        provided_by = {_canonical(d) for d in candidates}
        if not provided_by & declared:
            missing[f"{module} ({', '.join(sorted(provided_by))})"] = users
    return missing


def test_every_third_party_import_the_cli_reaches_is_a_runtime_dependency() -> None:
    own, third_party = reachable(ENTRY_POINTS)
    assert {"infra.check", "infra.manifest", "infra.synth", "stacks.platform",
            "policies._catalog"} <= own
    assert {"jsonschema", "grpc", "yaml", "pulumi_aws", "pulumi_policy"} <= set(third_party)
    assert undeclared(third_party, _declared()) == {}


def test_the_check_can_fail_on_a_dev_only_import(tmp_path: Path) -> None:
    fake = ROOT / "infra" / "_dependency_probe_do_not_commit.py"
    fake.write_text("def f():\n    import hypothesis\n    from moto import mock_aws\n")
    try:
        _, third_party = reachable([fake])
    finally:
        fake.unlink()
    assert set(undeclared(third_party, _declared())) == {"hypothesis (hypothesis)",
                                                         "moto (moto)"}


def _importable(module: str) -> bool:
    return not module.endswith("__main__")  # running these starts the program or the pack


@pytest.mark.parametrize("module", sorted(m for m in reachable(ENTRY_POINTS)[0]
                                          if m.startswith("infra") and _importable(m)))
def test_each_infra_module_the_cli_reaches_imports(module: str) -> None:
    importlib.import_module(module)
