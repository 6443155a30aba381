"""`STACK@GITREF`: the stack is synthesized from the ref's tree, not the working tree, and the
exported tree is removed afterwards. Runs against a temporary git repository holding this
project's files, so the test sees exactly the code under test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from infra.diff import run_diff
from tests.conftest import ROOT, synthesized

_GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
        "-c", "commit.gpgsign=false"]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*_GIT, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project (tracked and untracked files, as in the working tree) in a fresh repo:
    commit 1 as is, commit 2 with another dev owner, commit 3 with a broken dev config."""
    repo = tmp_path_factory.mktemp("repo")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "original")
    stack_file = repo / "Pulumi.dev.yaml"
    config = yaml.safe_load(stack_file.read_text())
    config["config"]["strata:environment"]["owner"] = "someone-else"
    stack_file.write_text(yaml.safe_dump(config))
    _git(repo, "commit", "-q", "-am", "another owner")
    _git(repo, "tag", "owner-changed")
    config["config"]["strata:network"]["azCount"] = 9
    stack_file.write_text(yaml.safe_dump(config))
    _git(repo, "commit", "-q", "-am", "broken")
    return repo


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A temp directory of its own, to see that the exported tree is cleaned up."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_a_ref_is_synthesized_from_its_own_tree(repo: Path, scratch: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    original = tmp_path / "dev.json"
    original.write_text(json.dumps(synthesized("dev")))
    # The working tree and HEAD hold other configs: only main~2's tree equals the original.
    code = run_diff("dev@main~2", str(original), fmt="json", project_dir=repo)
    body = json.loads(capsys.readouterr().out)
    assert code == 0, body
    assert body["old"].startswith("dev@main~2 (")
    assert body["summary"]["added"] == body["summary"]["removed"] == 0
    assert body["summary"]["changed"] == 0 and body["iam"] == []
    assert list(scratch.iterdir()) == []


def test_a_bad_config_at_the_ref_is_bad_input(repo: Path, scratch: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff("dev@main", "dev@main", project_dir=repo) == 2
    err = capsys.readouterr().err
    assert err.startswith("strata diff: OLD dev@main: synth at ") and "failed (exit 2)" in err
    assert "strata:network.azCount" in err  # the ref's own config error, file and key
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(("spec", "message"), [
    ("dev@no-such-ref", "OLD dev@no-such-ref: unknown git ref 'no-such-ref'"),
    ("staging@owner-changed", "OLD staging@owner-changed: no Pulumi.staging.yaml at "
                              "owner-changed"),
    ("dev@--output=x", "OLD dev@--output=x: expected STACK@GITREF, e.g. prod@main"),
    ("@main", "OLD @main: expected STACK@GITREF, e.g. prod@main"),
])
def test_bad_refs_and_stacks_are_one_line_errors(repo: Path, spec: str, message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff(spec, "dev", project_dir=repo) == 2
    err = capsys.readouterr().err
    assert err == f"strata diff: {message}\n"
