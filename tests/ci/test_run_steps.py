"""The workflows' own shell steps, run as GitHub runs them (`bash --noprofile --norc -eo
pipefail`), with `gh` and `strata` replaced by stubs that log their arguments: the drift report
opens, updates and closes the right issue, the diff step keeps its exit status for after the
comment, the mypy cache key is what ./dev installed, and the deployer setup names the variables
left unset."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ci._workflows import WORKFLOWS, load
from tests.conftest import ROOT

GH_STUB = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$GH_LOG"
case "$1 $2" in
  "issue list") printf '%s' "$GH_OPEN_ISSUES" ;;
  "label create") echo "label already exists" >&2; exit 1 ;;
esac
"""

STRATA_STUB = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$STRATA_LOG"
out="${@: -1}"
printf '## prod\\n1 stateful deletion\\n' > "$out"
exit "$STRATA_EXIT"
"""


def _step(workflow: str, job: str, name: str) -> dict[str, Any]:
    steps = load(WORKFLOWS / workflow)["jobs"][job]["steps"]
    return next(step for step in steps if step.get("name") == name)


def _stub(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str],
             bin_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = f"{bin_dir}:{os.environ['PATH']}" if bin_dir else os.environ["PATH"]
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=cwd, env={"PATH": path, "HOME": str(cwd), **env},
                          capture_output=True, text=True, timeout=120, check=False)


# --- drift report -----------------------------------------------------------------------------

def _report(tmp_path: Path, outcomes: dict[str, str],
            open_issues: list[dict[str, Any]]) -> list[str]:
    """The gh calls the report step makes, besides listing issues and creating the label."""
    for stack, outcome in outcomes.items():
        (tmp_path / "drift").mkdir(exist_ok=True)
        (tmp_path / "drift" / stack).write_text(outcome + "\n")
    _stub(tmp_path / "bin" / "gh", GH_STUB)
    log = tmp_path / "gh.log"
    result = run_step(_step("drift.yml", "report", "Open, update or close one issue per stack"),
                      tmp_path, {"GH_LOG": str(log), "GH_OPEN_ISSUES": json.dumps(open_issues),
                                 "RUN_URL": "https://run/1", "GH_REPO": "o/r", "GH_TOKEN": "t"},
                      tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    return [line for line in log.read_text().splitlines()
            if not line.startswith(("label create", "issue list"))]


def test_drift_opens_an_issue_for_a_drifted_stack(tmp_path):
    calls = _report(tmp_path, {"prod": "failure"}, [{"number": 3, "title": "Drift: stack dev"}])
    assert len(calls) == 1
    assert calls[0].startswith("issue create --title Drift: stack prod --label drift --body ")
    assert "ended with: failure" in calls[0] and "https://run/1" in calls[0]


def test_drift_comments_on_the_open_issue_of_that_stack(tmp_path):
    issues = [{"number": 3, "title": "Drift: stack dev"},
              {"number": 7, "title": "Drift: stack prod"}]
    calls = _report(tmp_path, {"prod": "skipped"}, issues)
    assert len(calls) == 1 and calls[0].startswith("issue comment 7 --body ")
    assert "ended with: skipped" in calls[0]


def test_a_clean_run_closes_the_open_issue_and_opens_none(tmp_path):
    issues = [{"number": 7, "title": "Drift: stack prod"}]
    calls = _report(tmp_path, {"prod": "success", "dev": "success"}, issues)
    assert calls == ["issue close 7 --comment No drift in `prod` as of https://run/1."]


def test_drift_report_with_no_outcomes_does_nothing(tmp_path):
    assert _report(tmp_path, {}, []) == []


# --- strata diff step -------------------------------------------------------------------------

@pytest.mark.parametrize("exit_code", [0, 1])
def test_the_diff_step_keeps_the_exit_status_and_fills_the_summary(tmp_path, exit_code):
    _stub(tmp_path / ".venv" / "bin" / "strata", STRATA_STUB)
    output, summary, log = tmp_path / "output", tmp_path / "summary", tmp_path / "strata.log"
    step = _step("pull-request.yml", "stack", "Diff against the base commit")
    result = run_step(step, tmp_path, {
        "STACK": "prod", "BASE_SHA": "abc123", "STRATA_EXIT": str(exit_code),
        "STRATA_LOG": str(log), "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr  # the comment step still runs
    assert log.read_text() == "diff prod@abc123 prod --format markdown --out build/diff-prod.md\n"
    assert output.read_text() == f"status={exit_code}\n"
    assert summary.read_text() == "## prod\n1 stateful deletion\n"


def test_the_job_fails_after_the_comment_when_the_diff_refused(tmp_path):
    step = _step("pull-request.yml", "stack", "Fail on what the diff refused")
    result = run_step(step, tmp_path, {"DIFF_STATUS": "1", "STACK": "prod"})
    assert result.returncode == 1
    assert result.stdout.startswith("::error::strata diff exited 1 for prod")


# --- mypy cache key ---------------------------------------------------------------------------

def test_the_mypy_cache_key_fingerprints_the_installed_packages(tmp_path):
    output = tmp_path / "output"
    step = _step("pull-request.yml", "python", "Fingerprint the installed packages")
    result = run_step(step, ROOT, {"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"hash=[0-9a-f]{16}\n", output.read_text())


# --- deployer setup ---------------------------------------------------------------------------

def _setup_check() -> dict[str, Any]:
    steps = load(ROOT / ".github" / "actions" / "deployer-setup" / "action.yml")["runs"]["steps"]
    return next(s for s in steps if s.get("name") == "Check the variables this job needs")


def test_setup_names_the_variables_left_unset(tmp_path):
    result = run_step(_setup_check(), tmp_path, {"AWS_ROLE_ARN": "", "AWS_REGION": "eu-west-1",
                                                 "PULUMI_ORG": ""})
    assert result.returncode == 2
    assert result.stdout.startswith("::error::deployer-setup: empty input(s): AWS_ROLE_ARN "
                                    "PULUMI_ORG. Set the repository or environment variables")


def test_setup_accepts_complete_variables(tmp_path):
    result = run_step(_setup_check(), tmp_path, {"AWS_ROLE_ARN": "arn:aws:iam::1:role/r",
                                                 "AWS_REGION": "eu-west-1", "PULUMI_ORG": "o"})
    assert result.returncode == 0, result.stdout + result.stderr
