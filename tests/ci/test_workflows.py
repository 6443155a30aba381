"""The workflows' contract beyond what the linters check: explicit least-privilege permissions,
pinned actions, no fork code on the deployer runners, credentials only by OIDC, every stack
covered, deploys serialized per stack, and `strata` / `./dev` command lines that exist."""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import re

import pytest

from infra.cli import _parser as real_strata_parser
from tests.ci._pinned_actions import PINNED
from tests.ci._workflows import (
    GITHUB,
    action_files,
    command_lines,
    dev_verbs,
    fork_guard_problems,
    input_problems,
    load,
    permission_problems,
    pin_problems,
    run_scripts,
    steps,
    triggers,
    unneeded_write_problems,
    workflow_files,
)
from tests.conftest import ROOT

WORKFLOWS = {path.name: load(path) for path in workflow_files()}
STACKS = {path.name.split(".")[1] for path in ROOT.glob("Pulumi.*.yaml")}


def test_the_four_workflows_exist():
    assert set(WORKFLOWS) == {"pull-request.yml", "deploy.yml", "deploy-stack.yml", "drift.yml"}


# --- permissions ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_job_declares_its_permissions(name):
    assert permission_problems(WORKFLOWS[name], name) == []


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_write_permission_is_used_by_a_step(name):
    assert unneeded_write_problems(WORKFLOWS[name], name) == []


def test_missing_and_unused_permissions_are_reported():
    workflow = copy.deepcopy(WORKFLOWS["pull-request.yml"])
    workflow["permissions"] = {"contents": "read"}
    del workflow["jobs"]["python"]["permissions"]
    workflow["jobs"]["stack"]["permissions"]["id-token"] = "write"
    assert permission_problems(workflow, "w") == [
        "w: top-level permissions must be {} (each job declares its own)",
        "w: job python has no explicit permissions mapping",
    ]
    assert unneeded_write_problems(workflow, "w") == [
        "w: job stack holds id-token: write but no step needs it"]


def test_only_the_lock_pr_job_writes_to_the_repository():
    writers = {(name, job_id) for name, workflow in WORKFLOWS.items()
               for job_id, job in workflow["jobs"].items()
               if job["permissions"].get("contents") == "write"}
    # deploy.yml's two jobs only call deploy-stack.yml: a caller must grant what its callee's
    # jobs may use, and there only lock-pr keeps contents: write.
    assert writers == {("deploy-stack.yml", "lock-pr"), ("deploy.yml", "dev"),
                       ("deploy.yml", "prod")}


# --- pins and forks ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [*workflow_files(), *action_files()], ids=lambda p: p.name)
def test_actions_are_pinned_to_the_listed_release_commits(path):
    assert pin_problems(path.read_text(), path.name) == []


def test_unlisted_unpinned_and_unnamed_pins_are_reported():
    sha = PINNED["actions/checkout"].sha
    text = (f"steps:\n  - uses: actions/checkout@v7\n  - uses: actions/checkout@{sha}\n"
            f"  - uses: actions/checkout@{sha} # v7.0.1\n  - uses: ./local\n"
            f"  - uses: someone/else@{sha} # v1\n")
    assert pin_problems(text, "w") == [
        f"w:2: actions/checkout@v7 is not pinned to {sha} (v7.0.1)",
        "w:3: actions/checkout lacks the comment `# v7.0.1`",
        "w:6: someone/else is not in tests/ci/_pinned_actions.py",
    ]


@pytest.mark.parametrize("path", [*workflow_files(), *action_files()], ids=lambda p: p.name)
def test_with_keys_are_inputs_the_called_action_declares(path):
    assert input_problems(load(path), path.name) == []


def test_unknown_and_missing_inputs_are_reported():
    workflow = copy.deepcopy(WORKFLOWS["pull-request.yml"])
    python_steps = workflow["jobs"]["python"]["steps"]
    python_steps[0]["with"] = {"persist-credential": False}
    cache = next(s for s in python_steps if s.get("uses", "").startswith("actions/cache@"))
    del cache["with"]["key"]
    preview_setup = workflow["jobs"]["preview"]["steps"][1]
    del preview_setup["with"]["stack"]
    problems = input_problems(workflow, "w")
    assert problems == [
        f"w: job python step 1: actions/checkout@{PINNED['actions/checkout'].sha} "
        "has no input 'persist-credential'",
        f"w: job python step 6: actions/cache@{PINNED['actions/cache'].sha} needs input 'key'",
        "w: job preview step 2: ./.github/actions/deployer-setup needs input 'stack'",
    ]


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_self_hosted_jobs_never_run_fork_code(name):
    assert fork_guard_problems(WORKFLOWS[name], name) == []


def test_a_self_hosted_pr_job_without_fork_guard_is_reported():
    workflow = copy.deepcopy(WORKFLOWS["pull-request.yml"])
    workflow["jobs"]["preview"]["if"] = "github.event_name == 'pull_request'"
    assert fork_guard_problems(workflow, "w") == [
        "w: self-hosted job preview does not exclude fork PRs"]


# --- credentials ------------------------------------------------------------------------------

def test_no_long_lived_credentials_are_read():
    for path in [*workflow_files(), *action_files()]:
        text = path.read_text()
        assert "secrets." not in text, f"{path.name} reads a repository secret"
        for key in ("aws-access-key-id", "aws-secret-access-key", "PULUMI_ACCESS_TOKEN"):
            assert key not in text, f"{path.name} passes {key}"


def test_aws_roles_come_from_repository_or_environment_variables():
    role_inputs = []
    for workflow in WORKFLOWS.values():
        for job in workflow["jobs"].values():
            matrix = job.get("strategy", {}).get("matrix", {})
            for step in job.get("steps", ()):
                if step.get("uses") == "./.github/actions/deployer-setup":
                    role = step["with"]["aws-role-arn"]
                    if role == "${{ matrix.role }}":
                        role_inputs += [entry["role"] for entry in matrix["include"]]
                    else:
                        role_inputs.append(role)
    assert len(role_inputs) == 5  # preview dev/prod, deploy, drift dev/prod
    assert all(re.fullmatch(r"\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN(_[A-Z]+)? \}\}", r)
               for r in role_inputs), role_inputs
    setup = load(GITHUB / "actions" / "deployer-setup" / "action.yml")
    aws = next(s for s in setup["runs"]["steps"]
               if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert set(aws["with"]) == {"role-to-assume", "aws-region", "role-session-name",
                                "role-duration-seconds"}


# --- what runs where --------------------------------------------------------------------------

def test_every_stack_is_checked_diffed_previewed_deployed_and_watched_for_drift():
    assert {"dev", "prod"} <= STACKS  # the glob found the stack files
    pull_request = WORKFLOWS["pull-request.yml"]["jobs"]
    assert set(pull_request["stack"]["strategy"]["matrix"]["stack"]) == STACKS
    assert {e["stack"] for e in pull_request["preview"]["strategy"]["matrix"]["include"]} == STACKS
    drift = WORKFLOWS["drift.yml"]["jobs"]["preview"]
    assert {e["stack"] for e in drift["strategy"]["matrix"]["include"]} == STACKS
    assert {job["with"]["stack"] for job in WORKFLOWS["deploy.yml"]["jobs"].values()} == STACKS


def test_prod_deploys_after_dev_behind_its_environment_one_deploy_at_a_time():
    deploy = WORKFLOWS["deploy.yml"]
    assert triggers(deploy) == {"push", "workflow_dispatch"}
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    up = WORKFLOWS["deploy-stack.yml"]["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["concurrency"] == {"group": "deploy-${{ inputs.stack }}",
                                 "cancel-in-progress": False}
    assert WORKFLOWS["deploy-stack.yml"]["jobs"]["lock-pr"]["needs"] == "up"


def _pulumi_steps(name: str) -> list[dict]:
    return [step for job in WORKFLOWS[name]["jobs"].values() for step in job.get("steps", ())
            if step.get("uses", "").startswith("pulumi/actions@")]


def test_pulumi_runs_with_the_policy_pack_and_the_project_python():
    (preview,) = _pulumi_steps("pull-request.yml")
    (up,) = _pulumi_steps("deploy-stack.yml")
    (drift,) = _pulumi_steps("drift.yml")
    assert (preview["with"]["command"], up["with"]["command"]) == ("preview", "up")
    assert preview["with"]["policyPacks"] == up["with"]["policyPacks"] == "policies"
    assert (ROOT / "policies" / "PulumiPolicy.yaml").is_file()
    assert preview["with"]["comment-on-pr"] is True
    assert {k: drift["with"][k] for k in ("command", "refresh", "expect-no-changes")} == {
        "command": "preview", "refresh": True, "expect-no-changes": True}
    for step in (preview, up, drift):
        assert step["env"]["PULUMI_PYTHON_CMD"] == "${{ github.workspace }}/.venv/bin/python"
        assert step["with"]["pulumi-version-file"] == ".github/pulumi-version"
    assert re.fullmatch(r"\d+\.\d+\.\d+\n", (GITHUB / "pulumi-version").read_text())


# --- commands ---------------------------------------------------------------------------------

def _planned_strata_parser() -> argparse.ArgumentParser:
    """The `strata` command line as planned for this release (the CLI owner's design)."""
    parser = argparse.ArgumentParser(prog="strata")
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth")
    synth.add_argument("stack")
    synth.add_argument("--out")
    check = commands.add_parser("check")
    check.add_argument("stack", nargs="?")
    for option in ("--manifest", "--out", "--policy-config"):
        check.add_argument(option)
    check.add_argument("--format", choices=("table", "json", "sarif"))
    diff = commands.add_parser("diff")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--format", choices=("table", "markdown", "json"))
    diff.add_argument("--out")
    diff.add_argument("--accept-replacement", action="append")
    diagram = commands.add_parser("diagram")
    diagram.add_argument("stack")
    diagram.add_argument("--format", choices=("svg", "png", "dot"))
    diagram.add_argument("--out")
    preflight = commands.add_parser("preflight")
    preflight.add_argument("stack")
    preflight.add_argument("--format", choices=("table", "json"))
    for name in ("pin", "lock"):
        commands.add_parser(name).add_argument("stack")
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    return {name for action in parser._actions
            if isinstance(action, argparse._SubParsersAction) for name in action.choices}


def strata_problem(args: list[str]) -> str | None:
    """Why `strata ARGS` would not parse: against the real CLI for the subcommands it has, and
    against the planned command line for those another change is still adding."""
    real = real_strata_parser()
    parser = real if args and args[0] in _subcommands(real) else _planned_strata_parser()
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            parser.parse_args(args)
    except SystemExit:
        return f"strata {' '.join(args)}: {errors.getvalue().strip().splitlines()[-1]}"
    return None


def _invocations() -> list[tuple[str, str, list[str]]]:
    found = []
    for name, workflow in WORKFLOWS.items():
        for job_id, script in run_scripts(workflow):
            found += [(name, job_id, ["strata", *a]) for a in command_lines(script, "strata")]
            found += [(name, job_id, ["./dev", *a]) for a in command_lines(script, "dev")]
    return found


def test_the_workflows_call_strata_lock_diff_and_check():
    called = {tuple(args[:2]) for _, _, args in _invocations()}
    assert {("strata", "lock"), ("strata", "diff"), ("./dev", "check"), ("./dev", "test")} <= called


@pytest.mark.parametrize("name, job_id, args", _invocations(),
                         ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_every_command_a_run_step_calls_exists(name, job_id, args):
    if args[0] == "./dev":
        assert args[1] in dev_verbs(), f"{name} {job_id}: ./dev has no verb {args[1]}"
        # `./dev check STACK ARGS` is `strata synth STACK && strata check STACK ARGS`.
        args = ["strata", *args[1:]] if args[1] in ("check", "synth") else None
    if args:
        assert strata_problem(args[1:]) is None


def test_a_command_that_does_not_exist_is_reported():
    assert "invalid choice: 'lokc'" in strata_problem(["lokc", "dev"])
    assert "invalid choice: 'xml'" in strata_problem(["check", "dev", "--format", "xml"])
    assert "invalid choice: 'sarif'" in strata_problem(["diff", "a", "b", "--format", "sarif"])
    assert strata_problem(["diff", "dev@abc", "dev", "--format", "markdown"]) is None
    assert "dance" not in dev_verbs() and {"check", "test", "synth"} <= dev_verbs()


def test_command_lines_are_read_from_shell_scripts():
    script = ('set +e\n.venv/bin/strata diff "$STACK@$BASE" "$STACK" --out "b/$STACK.md" && x\n'
              './dev check "${STACK}" --format sarif # comment\necho strata-like\n')
    assert command_lines(script, "strata") == [["diff", "VAR@VAR", "VAR", "--out", "b/VAR.md"]]
    assert command_lines(script, "dev") == [["check", "VAR", "--format", "sarif"]]


def test_the_setup_action_is_the_only_place_that_bootstraps_a_deployer_job():
    for name in ("pull-request.yml", "deploy-stack.yml", "drift.yml"):
        for job in WORKFLOWS[name]["jobs"].values():
            if "self-hosted" in job["runs-on"]:
                uses = [step.get("uses", "") for step in steps(job)]
                assert "./.github/actions/deployer-setup" in uses, name
