"""The `strata` command line: the project is the one around the current directory, and every
command exits 0 pass / 1 blocked / 2 bad input / 3 internal error, never with a traceback for a
user mistake."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pulumi
import pytest

from infra.cli import main, run_command
from infra.exits import InputError

ROOT = Path(__file__).resolve().parents[2]

# Another Pulumi project: one DynamoDB table with no encryption, no PITR, no tags.
PROGRAM = """\
import pulumi_aws as aws

aws.dynamodb.Table("plain", hash_key="id", billing_mode="PAY_PER_REQUEST",
                   attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")])
"""


def _project(folder: Path, program: str = PROGRAM, *, pack: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: other\nruntime: python\nmain: .\n")
    (folder / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (folder / "__main__.py").write_text(program)
    if pack:
        shutil.copytree(ROOT / "policies", folder / "policies",
                        ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("other"))


def test_check_judges_the_project_around_the_current_directory(
        other: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (other / "sub").mkdir(exist_ok=True)
    monkeypatch.chdir(other / "sub")  # Pulumi.yaml is found in the nearest parent
    report = other / "report.json"
    code, _out, err = _cli("check", "dev", "--format", "json", "--out", str(report))
    assert code == 1, err
    data = json.loads(report.read_text())
    assert (data["project"], data["stack"]) == ("other", "dev")
    blocking = {(f["name"], f["policy"]) for f in data["findings"] if f["blocking"]}
    assert ("plain", "strata-dynamodb-pitr") in blocking
    assert {name for name, _ in blocking} == {"plain"}
    assert data["policyConfig"] is None


def test_policy_config_is_read_at_the_project_root(other: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(other)
    config = other / "policy-config.dev.json"
    config.write_text(json.dumps({"all": "advisory"}))
    try:
        code, out, err = _cli("check", "dev", "--format", "json")
    finally:
        config.unlink()
    assert code == 0, err
    data = json.loads(out)
    assert data["policyConfig"] == str(config)
    assert any(f["policy"] == "strata-dynamodb-pitr" and not f["blocking"]
               for f in data["findings"])


def test_policy_config_option_names_the_file(other: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(other)
    explicit = tmp_path / "strict.json"
    explicit.write_text(json.dumps({"strata-nope": "mandatory"}))
    code, _out, err = _cli("check", "dev", "--policy-config", str(explicit))
    assert code == 2
    assert "policy config names unknown policies: strata-nope" in err
    code, _, err = _cli("check", "dev", "--policy-config", str(tmp_path / "missing.json"))
    assert code == 2 and "policy config file not found" in err


def test_the_policy_pack_is_the_projects_own(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path / "broken", pack=False)
    (project / "policies").mkdir()
    (project / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (project / "policies" / "__main__.py").write_text("raise SystemExit('boom: no pack')\n")
    monkeypatch.chdir(project)
    code, _, err = _cli("check", "dev")
    assert code == 2
    assert "the policy pack did not start" in err and "boom: no pack" in err
    assert "Traceback" not in err


def test_console_script_checks_another_project_in_its_own_process(other: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "infra.cli", "check", "dev"], cwd=other,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr
    assert "strata check: other/dev" in result.stdout
    assert "aws:dynamodb/table:Table  plain" in result.stdout
    assert "result: FAILED (mandatory violations)" in result.stdout
    assert "Traceback" not in result.stderr


def test_synth_writes_under_the_project_and_summarises(other: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(other)
    code, out, err = _cli("synth", "dev")
    assert code == 0, err
    manifest = json.loads((other / "build" / "dev" / "manifest.json").read_text())
    assert manifest["project"] == "other"
    assert out.startswith(f"stack dev: {len(manifest['resources'])} resources registered")
    assert f"wrote {other / 'build' / 'dev' / 'manifest.json'}" in out


def _run_in(folder: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(folder)
    return _cli(*argv)


@pytest.mark.parametrize(("argv", "message"), [
    (["synth", "nope"], "no stack file for stack 'nope'"),
    (["pin", "nope"], "no stack file for stack 'nope'"),
    (["topics", "lock", "nope"], "no stack file for stack 'nope'"),
    (["check", "nope"], "no stack file for stack 'nope'"),
    (["check"], "give a STACK or --manifest FILE"),
    (["check", "dev", "--manifest", "m.json"], "give a STACK or --manifest FILE"),
    (["check", "dev", "--format", "xml"], "invalid choice: 'xml'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["check", "--manifest", "missing.json"], "cannot read the manifest"),
    (["synth"], "the following arguments are required: stack"),
])
def test_user_mistakes_exit_2_without_traceback(argv: list[str], message: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _run_in(ROOT, monkeypatch, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_outside_any_project_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _run_in(tmp_path, monkeypatch, "check", "dev")
    assert code == 2 and "no Pulumi.yaml in" in err and "Traceback" not in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("  0  passed", "  1  blocked: a mandatory policy violation",
                 "  2  bad input or config", "  3  internal error"):
        assert line in out


def test_a_bug_exits_3_with_one_line_and_debug_shows_the_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path / "buggy", "import pulumi\n\nratio = 1 / 0\n", pack=False)
    code, _out, err = _run_in(project, monkeypatch, "synth", "dev")
    assert code == 3
    assert err.strip().splitlines() == [
        "strata synth: internal error: ZeroDivisionError: division by zero "
        "(run again with --debug for the traceback)"]
    for argv in (["--debug", "synth", "dev"], ["synth", "dev", "--debug"]):
        code, _, err = _cli(*argv)
        assert code == 3
        assert "Traceback (most recent call last)" in err
        assert err.strip().endswith("strata synth: internal error: ZeroDivisionError: "
                                    "division by zero")


@pytest.mark.parametrize(("raised", "code", "stderr"), [
    (None, 1, ""),
    (InputError("manifest.json: bad"), 2, "strata demo: manifest.json: bad\n"),
    (pulumi.RunError("a program's own message"), 2, "strata demo: a program's own message\n"),
    (KeyError("x"), 3, "strata demo: internal error: KeyError: 'x' (run again with --debug "
                       "for the traceback)\n"),
])
def test_every_command_gets_the_exit_codes_from_one_place(
        raised: Exception | None, code: int, stderr: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    def handler(args: argparse.Namespace) -> int:
        if raised is not None:
            raise raised
        return 1

    assert run_command(handler, argparse.Namespace(), name="strata demo", debug=False) == code
    assert capsys.readouterr().err == stderr

