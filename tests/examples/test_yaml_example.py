"""`examples/yaml`: a Pulumi YAML program using `strata:index:*` components through the package.

Checked against the schema the plugin serves (`components.provider.schema()`, proven equal to the
served one in tests/provider), then run as the YAML host would run it: each component, in
dependency order, constructed by the plugin over gRPC with the stack's config and the earlier
components' returned state, and its registrations asserted. One plugin process for the module.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

from components.provider import schema
from tests.conftest import Registered
from tests.examples._yaml_program import ordered, program_problems, resolve
from tests.provider._engine import PluginProcess
from tests.provider._schemas import project_problems

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "yaml"
PROGRAM: dict[str, Any] = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
CONFIG = {key.split(":", 1)[1]: value for key, value in yaml.safe_load(
    (EXAMPLE / "Pulumi.prod.yaml").read_text())["config"].items()
    if key.startswith(f"{PROGRAM['name']}:")}


@cache
def package_schema() -> dict[str, Any]:
    return schema()


def test_program_matches_the_schema():
    assert program_problems(PROGRAM, package_schema()) == []


def test_project_file_and_package_source_are_what_the_cli_reads():
    assert project_problems(PROGRAM) == []
    assert (EXAMPLE / PROGRAM["packages"]["strata"] / "PulumiPlugin.yaml").resolve() == \
        ROOT / "PulumiPlugin.yaml"
    assert set(CONFIG) == set(PROGRAM["config"]), "every declared config key has a value"


def _mutated(path: list[Any], value: Any = None, delete: bool = False) -> dict[str, Any]:
    program = copy.deepcopy(PROGRAM)
    node = program
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return program


@pytest.mark.parametrize(("program", "problem"), [
    (_mutated(["resources", "idempotency", "properties", "tablename"], "x"),
     "resources.idempotency.properties.tablename: not an input of strata:index:KeyValueTable"),
    (_mutated(["resources", "idempotency", "properties", "tableName"], delete=True),
     "resources.idempotency.properties: required input 'tableName' of "
     "strata:index:KeyValueTable is missing"),
    (_mutated(["resources", "idempotency", "properties", "billingMode"], "ON_DEMAND"),
     "resources.idempotency.properties.billingMode: 'ON_DEMAND' is not one of "
     "PAY_PER_REQUEST, PROVISIONED"),
    (_mutated(["resources", "ordersDb", "properties", "shards"], "two"),
     "resources.ordersDb.properties.shards: expects integer, received 'two'"),
    (_mutated(["resources", "ordersDb", "properties", "lifecycle", "retain"], True),
     "resources.ordersDb.properties.lifecycle.retain: not a field"),
    (_mutated(["resources", "ordersDb", "properties", "identifierPrefix"],
              "${idempotency.tableName}"),
     "resources.ordersDb.properties.identifierPrefix: a plain input cannot take another "
     "resource's output"),
    (_mutated(["resources", "orderEvents", "properties", "clusterArn"], "${vpcIds}"),
     "resources.orderEvents.properties.clusterArn: ${vpcIds} is neither declared config"),
    (_mutated(["resources", "orderEvents", "properties", "clusterArn"], "${dataSubnetIds}"),
     "resources.orderEvents.properties.clusterArn: ${dataSubnetIds} is list<string>, the "
     "input is string"),
    (_mutated(["outputs", "idempotencyTableArn"], "${idempotency.tableArn}"),
     "outputs.idempotencyTableArn: strata:index:KeyValueTable has no output 'tableArn'"),
    (_mutated(["resources", "idempotency", "type"], "strata:index:DynamoTable"),
     "resources.idempotency.type: 'strata:index:DynamoTable' is not a resource of package"),
], ids=["misspelt", "required", "enum", "type", "nested", "plain", "config", "config-type",
        "output", "resource-type"])
def test_the_check_rejects_a_broken_program(program: dict[str, Any], problem: str):
    problems = program_problems(program, package_schema())
    assert any(p.startswith(problem) for p in problems), problems


# --- the program run through the plugin ---------------------------------------------------------

@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every component constructed: returned state and registrations, per resource."""
    with PluginProcess.start(ROOT, tmp_path_factory.mktemp("program"),
                             project=PROGRAM["name"], stack="prod") as plugin:
        plugin.handshake(ROOT)
        state: dict[str, dict[str, Any]] = {}
        registered: dict[str, Registered] = {}
        for name in ordered(PROGRAM):
            body = PROGRAM["resources"][name]
            plugin.monitor.clear()
            response = plugin.construct(body["type"], name,
                                        resolve(body.get("properties", {}), CONFIG, state))
            state[name] = json_format.MessageToDict(response.state)
            registered[name] = Registered(list(plugin.monitor.records))
        outputs = resolve(PROGRAM["outputs"], CONFIG, state)
        yield {"state": state, "registered": registered, "outputs": outputs}


def test_postgres_admits_the_listed_app_group_on_its_own_group(run: dict[str, Any]):
    found: Registered = run["registered"]["ordersDb"]
    [rule] = found.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (rule["name"], rule["inputs"]["referencedSecurityGroupId"]) == (
        "ordersDb-allow-sg-0", CONFIG["appSecurityGroupId"])
    assert rule["inputs"]["securityGroupId"] == run["state"]["ordersDb"]["securityGroupId"]
    assert found.named("ordersDb-subnets")["inputs"]["subnetIds"] == CONFIG["dataSubnetIds"]
    for cluster in found.of_type("aws:rds/cluster:Cluster"):
        assert cluster["inputs"]["kmsKeyId"] == CONFIG["kmsKeyArn"]
        assert cluster["protect"] and cluster["retainOnDelete"]
    assert not found.of_type("aws:kms/key:Key"), "the team's key is used, none created"


def test_table_and_topic_use_the_teams_key_and_cluster(run: dict[str, Any]):
    table = run["registered"]["idempotency"].one("aws:dynamodb/table:Table")
    assert table["inputs"]["serverSideEncryption"]["kmsKeyArn"] == CONFIG["kmsKeyArn"]
    assert table["protect"] and table["inputs"]["deletionProtectionEnabled"] is True
    topic = run["registered"]["orderEvents"].one("aws:msk/topic:Topic")
    assert (topic["inputs"]["clusterArn"], topic["inputs"]["name"]) == (
        CONFIG["mskClusterArn"], "orders.yaml.events.v1")


def test_outputs_resolve_to_the_components_state(run: dict[str, Any]):
    topic = CONFIG["mskClusterArn"].replace(":cluster/", ":topic/") + "/orders.yaml.events.v1"
    assert run["outputs"] == {
        "shardMapParameter": "/orders-yaml/shard-map",
        "databaseSecurityGroupId": "ordersDb-sg-id",
        "idempotencyTableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/"
                               "orders-yaml-idempotency",
        "orderEventsTopicArn": topic,
    }
