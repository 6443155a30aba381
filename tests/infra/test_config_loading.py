"""Reading a stack file never crashes: every shape YAML can hold becomes a problem with its key
(exit 2 through the CLI), namespaces the program never reads and a missing aws:region are
refused, and structured `secure:` values are read the way Pulumi reads them."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from infra._stackfile import stack_config_from_data
from infra.cli import main
from infra.config import catalog_from_values
from tests.stacks._config_fixtures import (
    DELETE,
    ROOT,
    edit,
    find,
    problems_of_file,
    stack_file,
)


def _dev(*edits):
    data = stack_file("dev")
    for path, value in edits:
        edit(data, path, value)
    return data


REFUSED = [
    # (case, stack file data, key path, code, fragment)
    ("a top level that is a list", [1, 2], (), "STRATA-E004", "holds a list, not a mapping"),
    ("a top level that is text", "config", (), "STRATA-E004", "holds a text"),
    ("config: as a list", {"config": ["aws:region"]}, ("config",), "STRATA-E004",
     "config: is a list"),
    ("a non-text config key", {"config": {1: "x", "aws:region": "eu-west-1"}}, ("config",),
     "STRATA-E002", "key 1 is a number"),
    ("a non-text key inside a section",
     _dev(("config|strata:services|orders|postgres", {True: 1})),
     ("strata:services", "orders", "postgres"), "STRATA-E002", "key True is a boolean"),
    ("a date YAML read from an unquoted value",
     _dev(("config|strata:services|orders|description", datetime.date(2024, 1, 1))),
     ("strata:services", "orders", "description"), "STRATA-E002", "quote dates"),
    ("a misspelt namespace", _dev(("config|stata:monitoring", {"alarmEmails": []})),
     ("stata:monitoring",), "STRATA-E001", "did you mean 'strata'"),
    ("a namespace nobody reads", _dev(("config|gcp:project", "x")), ("gcp:project",),
     "STRATA-E001", "would be ignored"),
    ("no aws:region", _dev(("config|aws:region", DELETE)), ("aws:region",), "STRATA-E003",
     "aws:region: eu-west-1"),
    ("a region that is no region", _dev(("config|aws:region", "Ireland")), ("aws:region",),
     "STRATA-E002", "an AWS region name"),
    ("a region set in the environment section",
     _dev(("config|strata:environment|region", "eu-west-1")), ("environment", "region"),
     "STRATA-E001", "set aws:region"),
    ("a section that is text", _dev(("config|strata:network", "10.0.0.0/16")),
     ("network",), "STRATA-E002", "network: {cidr?"),
    ("a section that is broken JSON text", _dev(("config|strata:kafka", "{mode: x")),
     ("kafka",), "STRATA-E002", "expected a mapping"),
    ("a whole section encrypted", _dev(("config|strata:monitoring", {"secure": "v1:abc"})),
     ("strata:monitoring",), "STRATA-E002", "only the Pulumi CLI could decrypt it"),
    ("a secure value that is not ciphertext text",
     _dev(("config|strata:monitoring|alarmEmails", [{"secure": 7}])),
     ("strata:monitoring", "alarmEmails", 0), "STRATA-E002", "ciphertext"),
    ("infinite ingress (.inf)", _dev(("config|strata:kafka|peakIngressMibPerS", float("inf"))),
     ("kafka", "peakIngressMibPerS"), "STRATA-E002", "finite"),
    ("NaN ingress (.nan)", _dev(("config|strata:kafka|peakIngressMibPerS", float("nan"))),
     ("kafka", "peakIngressMibPerS"), "STRATA-E002", "finite"),
]


@pytest.mark.parametrize(("data", "path", "code", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refuses_what_used_to_crash_or_be_ignored(data, path, code, fragment):
    find(problems_of_file(data), path, code, fragment)


def test_the_sample_stack_files_read_cleanly():
    assert problems_of_file(stack_file("dev")) == problems_of_file(stack_file("prod")) == []


def test_an_empty_stack_file_says_what_is_missing():
    problems = problems_of_file(None)
    assert {p.path for p in problems} >= {("aws:region",), ("environment",), ("services",)}


def test_yaml_reads_booleans_as_the_pulumi_cli_does(tmp_path):
    """YAML 1.2 (the CLI's parser): a service called `no` is a name, not `false`."""
    project = _project(tmp_path, "config:\n  aws:region: eu-west-1\n  strata:services:\n"
                                 "    no: {owner: a-team}\n    on: yes\n    real: true\n")
    values = json.loads(_read(project).values["strata:services"])
    assert values == {"no": {"owner": "a-team"}, "on": "yes", "real": True}


# --- secrets ---------------------------------------------------------------------------------

def test_structured_secrets_get_placeholders_that_pass_their_fields():
    data = _dev(("config|strata:monitoring",
                 {"alarmEmails": [{"secure": "v1:AAA"}, "ops@example.com"],
                  "alarmHttpsEndpoints": [{"secure": "v1:BBB"}, {"secure": "v1:CCC"}]}),
                ("config|strata:services|orders|description", {"secure": "v1:DDD"}))
    config = stack_config_from_data(data, Path("Pulumi.dev.yaml"), "strata")
    assert config.placeholders == ["strata:monitoring.alarmEmails[0]",
                                   "strata:monitoring.alarmHttpsEndpoints[0]",
                                   "strata:monitoring.alarmHttpsEndpoints[1]",
                                   "strata:services.orders.description"]
    assert set(config.secret_keys) == {"strata:monitoring", "strata:services"}
    catalog = catalog_from_values(config.values, "Pulumi.dev.yaml")
    endpoints = [e.get_secret_value() for e in catalog.monitoring.alarm_https_endpoints]
    assert endpoints == ["https://placeholder.invalid/strata-synth/"
                         "monitoring-alarmhttpsendpoints-0",
                         "https://placeholder.invalid/strata-synth/"
                         "monitoring-alarmhttpsendpoints-1"]
    assert catalog.monitoring.alarm_emails[0] == "monitoring-alarmemails-0@placeholder.invalid"
    assert "v1:" not in json.dumps(config.values)


def test_secret_fields_stay_secret_in_the_catalog():
    config = stack_config_from_data(stack_file("prod"), Path("Pulumi.prod.yaml"), "strata")
    catalog = catalog_from_values(config.values, "Pulumi.prod.yaml")
    assert "pagerduty" not in repr(catalog) and "pagerduty" not in str(catalog.monitoring)
    assert catalog.monitoring.alarm_https_endpoints[0].get_secret_value().startswith("https://")


def test_top_level_secrets_outside_the_catalog_keep_working():
    data = _dev(("config|aws:secretKey", {"secure": "v1:EEE"}))
    config = stack_config_from_data(data, Path("Pulumi.dev.yaml"), "strata")
    assert config.values["aws:secretKey"] == "placeholder-for-aws-secretkey"
    assert config.secret_keys == ["aws:secretKey"]


# --- through the CLI: exit 2, a message, never a traceback -----------------------------------

def _project(tmp_path: Path, stack_text: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: strata\nruntime: python\nmain: {ROOT/'infra'}\n")
    (tmp_path / "Pulumi.bad.yaml").write_text(stack_text)
    return tmp_path


def _read(project: Path):
    from infra._stackfile import find_project, read_stack_config

    return read_stack_config(find_project(project), "bad")


CLI_CASES = [
    ("top level a list", "- config\n", "holds a list"),
    ("config a list", "config:\n  - aws:region\n", "config: is a list"),
    ("a number as a key", "config:\n  1: x\n  aws:region: eu-west-1\n", "key 1 is a number"),
    ("duplicate keys", "config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n",
     "duplicate key 'aws:region'"),
    ("a mapping as a key", "config:\n  ? {a: 1}\n  : x\n", "found unhashable key"),
    ("not YAML", "config: [\n", "cannot read"),
    ("infinite ingress", (ROOT / "Pulumi.dev.yaml").read_text().replace(
        "peakIngressMibPerS: 0.1", "peakIngressMibPerS: .inf"), "finite"),
    ("the same topic consumed twice", (ROOT / "Pulumi.dev.yaml").read_text().replace(
        "        - topic: payments.payment-events\n",
        "        - topic: payments.payment-events\n        - topic: payments.payment-events\n"),
     "already consumed"),
]


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_cli_exits_2_with_the_message_and_no_traceback(tmp_path, monkeypatch, capsys, text,
                                                        fragment):
    monkeypatch.chdir(_project(tmp_path, text))
    assert main(["lock", "bad"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert fragment in err and "Pulumi.bad.yaml" in err


def test_synth_exits_2_before_registering_anything(tmp_path, monkeypatch, capsys):
    config = stack_file("dev")["config"]
    config["strata:services"]["orders"]["postgres"]["shards"] = 100
    config["strata:network"]["natMod"] = "single"
    import yaml

    monkeypatch.chdir(_project(tmp_path, yaml.safe_dump({"config": config})))
    assert main(["synth", "bad"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.bad.yaml: 2 problems" in err
    assert "strata:services.orders.postgres.shards" in err
    assert "did you mean 'natMode'" in err
    assert not (tmp_path / "build").exists()


def test_config_nested_past_the_recursion_limit_is_a_problem():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    find(problems_of_file({"config": {"aws:region": "eu-west-1", "strata:network": deep}}),
         ("strata:network",), "STRATA-E002", "nested too deeply")
