"""What `strata diff` compares: a manifest file, a stack synthesized from the working tree, or
a stack synthesized from the tree of a git ref (`STACK@GITREF`).

A ref's tree is exported with `git archive` into a temporary directory and synthesized there by
that tree's own code (`python -m infra.cli synth STACK --out ...` with the tree as working
directory), so the manifest is what the ref would deploy; the directory is removed afterwards.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra._stackfile import find_project
from infra.errors import ConfigError

__all__ = ["DiffInputError", "Source", "load_source", "normalise_manifest", "read_manifest"]

SYNTH_TIMEOUT_S = 900


class DiffInputError(Exception):
    """Bad input to `strata diff`, reported as one line (exit code 2)."""


@dataclass(frozen=True)
class Source:
    label: str
    """How the report names this side: the file, `prod (working tree)`, `prod@main (1a2b3c4d)`."""
    manifest: dict[str, Any]


def load_source(spec: str, project_dir: Path | None = None, role: str = "OLD") -> Source:
    """A bare name is a stack when the project has `Pulumi.<name>.yaml` (write `./name` for a
    file of that name); otherwise a file or a directory holding `manifest.json`."""
    stack, at, ref = spec.partition("@")
    bare = os.sep not in stack and not spec.endswith(".json")
    root = _project_root(project_dir) if bare else None
    if root is not None and at and not Path(spec).exists():
        return _at_ref(root, stack, ref, role)
    if root is not None and not at and (root / f"Pulumi.{spec}.yaml").is_file():
        from infra.synth import synthesize

        return Source(f"{spec} (working tree)", normalise_manifest(synthesize(spec, root), spec))
    path = Path(spec)
    if path.is_dir() and (path / "manifest.json").is_file():
        path = path / "manifest.json"
    if path.is_file():
        return Source(str(path), read_manifest(path))
    if not bare:
        raise DiffInputError(f"{role} {spec}: no such manifest file")
    if root is None:
        raise DiffInputError(f"{role} {spec!r} is not a manifest file, and there is no "
                             "Pulumi project here to find a stack in")
    raise DiffInputError(f"{role} {spec!r} is neither a manifest file, a stack "
                         f"({_known_stacks(root)}) nor STACK@GITREF")


def _project_root(project_dir: Path | None) -> Path | None:
    try:
        return find_project(project_dir).root
    except ConfigError:
        return None


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise DiffInputError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise DiffInputError(f"{path}: not valid JSON ({exc})") from None
    return normalise_manifest(data, str(path))


def normalise_manifest(data: Any, where: str) -> dict[str, Any]:
    """Check the fields `strata diff` relies on and fill the optional ones."""
    if not isinstance(data, Mapping) or not isinstance(data.get("resources"), list):
        raise DiffInputError(f"{where}: not a strata manifest (no 'resources' list)")
    resources = []
    for index, resource in enumerate(data["resources"]):
        if not isinstance(resource, Mapping):
            raise DiffInputError(f"{where}: resources[{index}] is not an object")
        for key in ("urn", "type", "name"):
            if not isinstance(resource.get(key), str) or not resource[key]:
                raise DiffInputError(f"{where}: resources[{index}] has no '{key}'")
        if not isinstance(resource.get("inputs", {}), Mapping):
            raise DiffInputError(f"{where}: resources[{index}].inputs is not an object")
        resources.append({"parent": "", "custom": True, "inputs": {}, "propertyDependencies": {},
                          "aliases": [], "protect": False, "retainOnDelete": False,
                          **resource})
    first = str(resources[0]["urn"]).split("::") if resources else []
    stack = data.get("stack") or (first[0].removeprefix("urn:pulumi:") if first else "")
    project = data.get("project") or (first[1] if len(first) > 1 else "")
    return {**data, "project": str(project), "stack": str(stack), "resources": resources}


def _known_stacks(root: Path) -> str:
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
    return "stacks here: " + (", ".join(stacks) or "none")


def _at_ref(root: Path, stack: str, ref: str, role: str) -> Source:
    if not stack or not ref or ref.startswith("-"):
        raise DiffInputError(f"{role} {stack}@{ref}: expected STACK@GITREF, e.g. prod@main")
    if shutil.which("git") is None:
        raise DiffInputError(f"{role} {stack}@{ref}: git is not installed")
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        raise DiffInputError(f"{role} {stack}@{ref}: {root} is not inside a git repository")
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit is None:
        raise DiffInputError(f"{role} {stack}@{ref}: unknown git ref {ref!r}")
    inside = root.resolve().relative_to(Path(top).resolve())
    with tempfile.TemporaryDirectory(prefix="strata-diff-") as tmp:
        tree = Path(tmp) / "tree"
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=top,
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            raise DiffInputError(f"{role} {stack}@{ref}: git archive failed: "
                                 f"{_last_line(archive.stderr.decode(errors='replace'))}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tree, filter="data")
        project = tree / inside
        if not (project / f"Pulumi.{stack}.yaml").is_file():
            raise DiffInputError(f"{role} {stack}@{ref}: no Pulumi.{stack}.yaml at {ref}")
        out = Path(tmp) / "out"
        env = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            synth = subprocess.run([sys.executable, "-m", "infra.cli", "synth", stack,
                                    "--out", str(out)], cwd=project, env=env,
                                   capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S,
                                   check=False)
        except subprocess.TimeoutExpired:
            raise DiffInputError(f"{role} {stack}@{ref}: synth took longer than "
                                 f"{SYNTH_TIMEOUT_S} s") from None
        if synth.returncode != 0 or not (out / "manifest.json").is_file():
            raise DiffInputError(f"{role} {stack}@{ref}: synth at {commit[:12]} failed (exit "
                                 f"{synth.returncode}): {_summary(synth.stderr)}")
        manifest = read_manifest(out / "manifest.json")
    return Source(f"{stack}@{ref} ({commit[:12]})", manifest)


def _git(cwd: Path, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _summary(stderr: str) -> str:
    """One line out of a failed synth's stderr: a traceback's last line (the exception), else
    the whole message (a config error names file, key and allowed values over a few lines)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines or any(line.startswith("Traceback") for line in lines):
        return _last_line(stderr)
    text = "; ".join(lines)
    return text if len(text) <= 400 else text[:397] + "..."


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
