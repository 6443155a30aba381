"""Reads the repository's GitHub Actions files and judges what the three linters do not:
explicit, needed-only permissions, pins to the listed release commits, inputs the called
actions declare, self-hosted jobs kept away from forks, and the `strata` / `./dev` command lines
the run steps call.

Each check returns a list of problems (empty when the files are right) so the tests can show
that it also reports a broken case.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.ci._pinned_actions import PINNED
from tests.conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
SETUP_ACTION = "./.github/actions/deployer-setup"

_USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$")

# Which step makes a write permission necessary. A write scope that no step of the job (or of
# the reusable workflow it calls) needs is excess privilege.
_WRITE_NEEDED_BY: dict[str, tuple[str, ...]] = {
    "id-token": (SETUP_ACTION,),
    "contents": ("peter-evans/create-pull-request",),
    "pull-requests": ("marocchino/sticky-pull-request-comment", "peter-evans/create-pull-request",
                      "pulumi/actions"),
    "security-events": ("github/codeql-action/upload-sarif",),
    "issues": ("run:gh issue",),
}


def load(path: Path) -> dict[str, Any]:
    """One workflow or action file; PyYAML reads the bare key `on` as True (YAML 1.1)."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def action_files() -> list[Path]:
    return sorted([*GITHUB.glob("actions/*/action.yml"), *GITHUB.glob("actions/*/action.yaml")])


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow.get("on")
    if isinstance(on, str):
        return {on}
    return set(on or ())


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's steps; for a step using the local setup action, that action's steps follow it."""
    found = []
    for step in job.get("steps", ()):
        found.append(step)
        if step.get("uses") == SETUP_ACTION:
            found.extend(load(ROOT / SETUP_ACTION / "action.yml")["runs"]["steps"])
    return found


def permission_problems(workflow: dict[str, Any], name: str) -> list[str]:
    """Top-level `permissions: {}` and an explicit mapping on every job."""
    problems = []
    if workflow.get("permissions") != {}:
        problems.append(f"{name}: top-level permissions must be {{}} (each job declares its own)")
    for job_id, job in workflow.get("jobs", {}).items():
        granted = job.get("permissions")
        if not isinstance(granted, dict):
            problems.append(f"{name}: job {job_id} has no explicit permissions mapping")
            continue
        for scope, level in granted.items():
            if level not in ("read", "write", "none"):
                problems.append(f"{name}: job {job_id} grants {scope}: {level!r}")
    return problems


def _needs(step: dict[str, Any], consumer: str) -> bool:
    if consumer.startswith("run:"):
        return consumer[4:] in step.get("run", "")
    uses = step.get("uses", "")
    if uses != consumer and not uses.startswith(consumer + "@"):
        return False
    # pulumi/actions writes to the PR only when asked to comment on it.
    return consumer != "pulumi/actions" or bool(step.get("with", {}).get("comment-on-pr"))


def _job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    called = job.get("uses", "")
    if called.startswith("./.github/workflows/"):
        callee = load(ROOT / called)
        return [s for j in callee["jobs"].values() for s in steps(j)]
    return steps(job)


def unneeded_write_problems(workflow: dict[str, Any], name: str) -> list[str]:
    """Every `write` a job holds is used by one of its steps (or its called workflow's)."""
    problems = []
    for job_id, job in workflow.get("jobs", {}).items():
        job_steps = _job_steps(job)
        for scope, level in (job.get("permissions") or {}).items():
            if level != "write":
                continue
            consumers = _WRITE_NEEDED_BY.get(scope, ())
            if not any(_needs(s, c) for s in job_steps for c in consumers):
                problems.append(f"{name}: job {job_id} holds {scope}: write but no step needs it")
    return problems


def pin_problems(text: str, name: str) -> list[str]:
    """Remote actions pinned to the commit listed in PINNED, with `# <its version>` beside it."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USES_LINE.match(line)
        if not match or match.group(1).startswith("./"):
            continue
        target, rest = match.groups()
        action, _, ref = target.partition("@")
        pin = PINNED.get(action)
        if pin is None:
            problems.append(f"{name}:{number}: {action} is not in tests/ci/_pinned_actions.py")
        elif ref != pin.sha:
            problems.append(f"{name}:{number}: {target} is not pinned to {pin.sha} ({pin.version})")
        elif not re.search(rf"#\s*{re.escape(pin.version)}(\s|$)", rest):
            problems.append(f"{name}:{number}: {action} lacks the comment `# {pin.version}`")
    return problems


def _declared_inputs(uses: str) -> tuple[set[str], list[str]]:
    """(declared, required without default) inputs of a local or pinned action or workflow."""
    if uses.startswith("./"):
        path = ROOT / uses
        document = load(path) if path.suffix in (".yml", ".yaml") else load(path / "action.yml")
        inputs = (document["on"]["workflow_call"] if "jobs" in document else document)["inputs"]
        required = [k for k, v in inputs.items() if v.get("required") and "default" not in v]
        return set(inputs), required
    pin = PINNED[uses.partition("@")[0]]
    return pin.inputs, list(pin.required)


def input_problems(document: dict[str, Any], name: str) -> list[str]:
    """`with:` keys the called action or workflow declares, and all of its required inputs."""
    calls = [(f"job {job_id}", job) for job_id, job in document.get("jobs", {}).items()
             if "uses" in job]
    calls += [(f"job {job_id} step {i + 1}", step)
              for job_id, job in document.get("jobs", {}).items()
              for i, step in enumerate(job.get("steps", ())) if "uses" in step]
    calls += [(f"step {i + 1}", step) for i, step in enumerate(document.get("runs", {})
                                                              .get("steps", ())) if "uses" in step]
    problems = []
    for where, call in calls:
        if call["uses"].partition("@")[0] not in PINNED and not call["uses"].startswith("./"):
            continue  # pin_problems reports it
        declared, required = _declared_inputs(call["uses"])
        given = set(call.get("with") or {})
        for key in sorted(given - declared):
            problems.append(f"{name}: {where}: {call['uses']} has no input {key!r}")
        for key in sorted(set(required) - given):
            problems.append(f"{name}: {where}: {call['uses']} needs input {key!r}")
    return problems


def fork_guard_problems(workflow: dict[str, Any], name: str) -> list[str]:
    """In a workflow that pull requests trigger, a self-hosted job must exclude forks."""
    if not triggers(workflow) & {"pull_request", "pull_request_target"}:
        return []
    problems = []
    for job_id, job in workflow.get("jobs", {}).items():
        runs_on = job.get("runs-on", [])
        labels = [runs_on] if isinstance(runs_on, str) else runs_on
        guard = "github.event.pull_request.head.repo.full_name == github.repository"
        if "self-hosted" in labels and guard not in str(job.get("if", "")):
            problems.append(f"{name}: self-hosted job {job_id} does not exclude fork PRs")
    return problems


def run_scripts(workflow: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(job id, script) for every `run:` step, the setup action's included."""
    for job_id, job in workflow.get("jobs", {}).items():
        for step in steps(job):
            if "run" in step:
                yield job_id, step["run"]


def command_lines(script: str, program: str) -> list[list[str]]:
    """The argument lists `program` is called with in a shell script, variables as `VAR`.

    `program` matches a word that is the program or ends in `/program` (`.venv/bin/strata`).
    """
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        if program not in line:
            continue
        line = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "VAR", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        for index, word in enumerate(words):
            if word == program or word.endswith("/" + program):
                args = []
                for arg in words[index + 1:]:
                    if set(arg) <= set("&|;<>()"):
                        break
                    args.append(arg)
                calls.append(args)
    return calls


def dev_verbs() -> set[str]:
    """The verbs the `./dev` script's case statement accepts."""
    body = (ROOT / "dev").read_text().split('case "$command" in', 1)[1].split("esac", 1)[0]
    return {verb for arms in re.findall(r"^\s*([a-z|]+)\)", body, re.M) for verb in arms.split("|")}


def ignore_problems(text: str, name: str) -> list[str]:
    """Every `zizmor: ignore[...]` has a comment line just above it that says why."""
    problems = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "zizmor: ignore[" not in line:
            continue
        above = lines[number - 2].strip() if number > 1 else ""
        if not above.startswith("#") or len(above.split()) < 6:
            problems.append(f"{name}:{number}: zizmor ignore without a reason on the line above")
    return problems
