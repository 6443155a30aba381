"""`strata diff` output formats and command-line behaviour: JSON with a stable shape, Markdown
for a sticky PR comment (stateful section first, a collapsible block per service), the
terminal table, and bad input reported on one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra._diff_markdown import MARKER, MAX_CHARS
from infra._diff_render import render
from infra.cli import main
from infra.diff import DiffReport
from tests.infra.test_diff_tables import diff, manifest, policy, resource, tags


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    role = resource("orders-role", "aws:iam/role:Role", {"tags": tags("orders")})
    table = resource("orders-table", "aws:dynamodb/table:Table",
                     {"tags": tags("orders"), "name": "t", "hashKey": "id"}, protect=True)
    grant = resource("orders-read", "aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": policy(
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:t|x"})},
        deps={"role": [role["urn"]]})
    group = resource("db-sg", "aws:ec2/securityGroup:SecurityGroup", {
        "tags": tags("orders"),
        "ingress": [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0,
                     "cidrBlocks": ["10.0.0.0/16"]}]})
    topic = resource("alarms", "aws:sns/topic:Topic", {"tags": tags("platform"),
                                                       "displayName": "a"})
    old = manifest(role, table, grant, group, topic)
    wider = resource("orders-read", "aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": policy(
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
         "Resource": "arn:t|x"})}, deps={"role": [role["urn"]]})
    open_group = resource("db-sg", "aws:ec2/securityGroup:SecurityGroup", {
        "tags": tags("orders"),
        "ingress": [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0,
                     "cidrBlocks": ["0.0.0.0/0"]}]})
    new = manifest(role, wider, open_group, resource("alarms", "aws:sns/topic:Topic",
                                               {"tags": tags("platform")}))
    return old, new


@pytest.fixture
def report() -> DiffReport:
    return diff(*_pair())


def test_json_has_a_fixed_shape_and_key_order(report: DiffReport) -> None:
    body = json.loads(render(report, "json"))
    assert list(body) == ["version", "old", "new", "exitCode", "summary", "stateful",
                          "services", "iam", "securityGroupRules", "unusedAcceptances"]
    assert body["summary"] == {
        "added": 0, "removed": 1, "changed": 3, "iamStatementsAdded": 1,
        "iamStatementsRemoved": 1, "securityGroupRulesAdded": 1, "securityGroupRulesRemoved": 1,
        "statefulDeletions": 1, "statefulReplacements": 0, "unacknowledged": 1}
    assert list(body["services"]) == ["orders", "platform"]
    (changed,) = body["services"]["platform"]["changed"]
    assert changed["changes"] == [{"path": "displayName", "old": "a"}]  # no "new": unset
    assert body["stateful"][0]["acceptedBy"] is None
    assert render(report, "json") == render(diff(*_pair()), "json")


def test_markdown_puts_the_stateful_section_first_and_collapses_services(
        report: DiffReport) -> None:
    text = render(report, "markdown")
    assert text.startswith(MARKER + "\n### strata diff:")
    assert "> [!CAUTION]" in text
    order = [text.index(h) for h in ("Stateful resources deleted or replaced",
                                     "#### Changes by service", "#### IAM statement changes",
                                     "#### Security-group rule changes")]
    assert order == sorted(order)
    assert text.count("<details>") == 2 and text.count("</details>") == 2
    assert "`dynamodb:GetItem`<br>`dynamodb:Scan`" in text
    assert "arn:t\\|x" in text  # a pipe inside a cell does not split the table


def test_markdown_without_stateful_risk_has_no_caution(report: DiffReport) -> None:
    old, new = _pair()
    safe = diff(old, new, "*::orders-table")
    text = render(safe, "markdown")
    assert "[!CAUTION]" not in text and "yes (`*::orders-table`)" in text


def test_markdown_stays_under_the_comment_limit() -> None:
    many = [resource(f"alarm-{i:04d}", "aws:cloudwatch/metricAlarm:MetricAlarm",
                     {"tags": tags("orders"), "alarmDescription": "x" * 40}) for i in range(900)]
    text = render(diff(manifest(), manifest(*many)), "markdown")
    assert len(text) <= MAX_CHARS
    assert "880 more; the JSON report lists them all" in text


def test_markdown_cuts_big_iam_tables_but_never_the_stateful_section() -> None:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/" + "x" * 60
    grants = [resource(f"grant-{i:03d}", "aws:iam/rolePolicy:RolePolicy", {"policy": policy(
        *({"Effect": "Allow", "Action": f"dynamodb:Get{j}", "Resource": f"{arn}{j}"}
          for j in range(20)))}) for i in range(60)]
    tables = [resource(f"table-{i}", "aws:dynamodb/table:Table", {"tags": tags("orders")})
              for i in range(30)]
    text = render(diff(manifest(*tables), manifest(*grants)), "markdown")
    assert len(text) <= MAX_CHARS
    assert text.count("| **delete** |") == 30
    assert "more; the JSON report lists them all." in text.split("#### IAM statement changes")[1]


def test_table_lists_stateful_risk_before_everything_else(report: DiffReport) -> None:
    text = render(report, "table")
    assert text.index("!! STATEFUL") < text.index("RESOURCES BY SERVICE") \
        < text.index("IAM STATEMENT CHANGES") < text.index("SECURITY-GROUP RULE CHANGES")
    assert "NOT ACKNOWLEDGED" in text
    assert "    ~ aws:sns/topic:Topic  alarms\n        displayName: a -> (unset)" in text


# --- command line --------------------------------------------------------------------------


def _write(path: Path, body: Any) -> str:
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return str(path)


def test_cli_writes_the_report_to_out_and_returns_the_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair()
    a, b = _write(tmp_path / "a.json", old), _write(tmp_path / "b.json", new)
    out = tmp_path / "reports" / "diff.md"
    assert main(["diff", a, b, "--format", "markdown", "--out", str(out)]) == 1
    assert out.read_text().startswith(MARKER)
    assert capsys.readouterr().err == f"strata diff: wrote {out}; exit 1\n"
    assert main(["diff", a, str(tmp_path)]) == 2  # a directory without manifest.json


@pytest.mark.parametrize(("content", "message"), [
    (None, "OLD {path}: no such manifest file"),
    ("{not json", "{path}: not valid JSON (Expecting property name enclosed in double quotes: "
                  "line 1 column 2 (char 1))"),
    ({"stack": "x"}, "{path}: not a strata manifest (no 'resources' list)"),
    ({"resources": [{"urn": "u", "type": "t"}]}, "{path}: resources[0] has no 'name'"),
    ({"resources": [{"urn": "u", "type": "t", "name": "n", "inputs": []}]},
     "{path}: resources[0].inputs is not an object"),
])
def test_bad_manifests_are_one_line_errors_with_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, message: str) -> None:
    path = tmp_path / "old.json"
    if content is not None:
        _write(path, content)
    good = _write(tmp_path / "good.json", manifest())
    assert main(["diff", str(path), good]) == 2
    assert capsys.readouterr().err == f"strata diff: {message.format(path=path)}\n"


def test_an_unknown_format_is_bad_input(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from infra.diff import run_diff

    good = _write(tmp_path / "good.json", manifest())
    assert run_diff(good, good, fmt="xml") == 2
    assert capsys.readouterr().err == \
        "strata diff: unknown format 'xml'; use table, markdown or json\n"


def test_an_unknown_stack_is_named_with_the_stacks_there_are(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "staging", "prod"]) == 2
    assert capsys.readouterr().err == ("strata diff: OLD 'staging' is neither a manifest file, "
                                       "a stack (stacks here: dev, prod) nor STACK@GITREF\n")
