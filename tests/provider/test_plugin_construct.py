"""Components constructed for another language's program: the engine's Construct request goes
to the plugin over gRPC, and the plugin registers the component's children with a
ResourceMonitor served here (as the engine would), invoking the AWS data sources it needs.

What a TypeScript, Go, C# or YAML program gets is decided here: the registered children, their
security inputs, the returned state, and the errors a bad argument produces.
One plugin process for the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import errors_pb2, status_pb2

from infra._mocks import ACCOUNT_ID
from tests.conftest import Registered
from tests.provider._engine import PluginProcess

ROOT = Path(__file__).resolve().parents[2]
STACK_URN = "urn:pulumi:dev::consumer::pulumi:pulumi:Stack::consumer-dev"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/orders-app"
DATA_SOURCES = {"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getRegion:getRegion",
                "aws:index/getPartition:getPartition"}


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    with PluginProcess.start(ROOT, tmp_path_factory.mktemp("consumer")) as process:
        process.handshake(ROOT)
        yield process


@pytest.fixture
def plugin(started: PluginProcess) -> PluginProcess:
    started.monitor.clear()
    return started


def _construct(plugin: PluginProcess, component: str, name: str,
               inputs: dict[str, Any]) -> tuple[str, dict[str, Any], Registered]:
    response = plugin.construct(f"strata:index:{component}", name, inputs)
    return (response.urn, json_format.MessageToDict(response.state),
            Registered(list(plugin.monitor.records)))


def test_encryption_key_registers_a_rotated_key_with_its_policy_and_alias(plugin: PluginProcess):
    urn, state, registered = _construct(plugin, "EncryptionKey", "orders", {
        "description": "orders data", "alias": "team/orders", "userArns": [ROLE],
        "callerServices": ["dynamodb"], "tags": {"team": "orders"}})

    assert urn == "urn:pulumi:dev::consumer::strata:index:EncryptionKey::orders"
    component = registered.one("strata:index:EncryptionKey")
    assert (component["urn"], component["parent"], component["custom"]) == (urn, STACK_URN, False)
    key = registered.one("aws:kms/key:Key")
    assert (key["name"], key["parent"]) == ("orders-key", urn)
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["rotationPeriodInDays"] == 365
    assert key["inputs"]["tags"] == {"team": "orders"}
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["KeyUsers"]["Principal"] == {"AWS": [ROLE]}
    assert statements["UseThroughServices"]["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT_ID, "kms:ViaService": ["dynamodb.eu-west-1.amazonaws.com"]}
    alias = registered.one("aws:kms/alias:Alias")
    assert alias["inputs"] == {"name": "alias/team/orders", "targetKeyId": "orders-key-key-id"}

    arn = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/orders-key"
    assert state == {"arn": arn, "keyId": "orders-key-key-id"}
    assert plugin.monitor.outputs[urn] == state  # register_outputs reached the engine
    assert set(plugin.monitor.invokes) == DATA_SOURCES


def test_key_value_table_creates_its_own_key_and_protects_both(plugin: PluginProcess):
    urn, state, registered = _construct(plugin, "KeyValueTable", "items", {
        "tableName": "orders-items", "partitionKey": {"name": "pk"},
        "sortKey": {"name": "sk", "type": "N"}, "stream": True,
        "lifecycle": {"protect": True}, "tags": {"team": "orders"}})

    own_key = registered.one("strata:index:EncryptionKey")
    assert own_key["urn"] == \
        "urn:pulumi:dev::consumer::strata:index:KeyValueTable$strata:index:EncryptionKey::items-key"
    assert own_key["parent"] == urn
    key, table = registered.one("aws:kms/key:Key"), registered.one("aws:dynamodb/table:Table")
    assert key["parent"] == own_key["urn"]
    assert key["protect"] and table["protect"], "the key lives and dies with the data"
    key_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/items-key-key"
    inputs = table["inputs"]
    assert (table["name"], inputs["name"]) == ("items-table", "orders-items")
    assert (inputs["hashKey"], inputs["rangeKey"]) == ("pk", "sk")
    assert inputs["attributes"] == [{"name": "pk", "type": "S"}, {"name": "sk", "type": "N"}]
    assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn}
    assert inputs["deletionProtectionEnabled"] is True
    assert inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 35}
    assert inputs["streamViewType"] == "NEW_AND_OLD_IMAGES"
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    assert any(s.get("Sid") == "UseThroughServices" and s["Condition"]["StringEquals"][
        "kms:ViaService"] == ["dynamodb.eu-west-1.amazonaws.com"] for s in statements)

    table_arn = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/orders-items"
    assert state == {"arn": table_arn, "tableName": "orders-items",
                     "streamArn": f"{table_arn}/stream/mock", "kmsKeyArn": key_arn}


def test_network_registers_three_tiers_and_returns_subnet_lists(plugin: PluginProcess):
    _, state, registered = _construct(plugin, "Network", "core", {
        "cidr": "10.20.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
        "natMode": "per-az"})

    subnets = registered.of_type("aws:ec2/subnet:Subnet")
    assert sorted(s["name"] for s in subnets) == [
        f"core-{tier}-eu-west-1{az}" for tier in ("isolated", "private", "public")
        for az in "ab"]
    assert not any(s["inputs"]["mapPublicIpOnLaunch"] for s in subnets)
    assert len(registered.of_type("aws:ec2/natGateway:NatGateway")) == 2  # per-az
    flow_log = registered.one("aws:ec2/flowLog:FlowLog")
    assert flow_log["inputs"]["trafficType"] == "ALL"
    group = registered.one("aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["kmsKeyId"] == f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/core-key-key"
    assert registered.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")["inputs"][
        "ingress"] == []

    assert state["vpcId"] == "core-vpc-id"
    assert state["privateSubnetIds"] == ["core-private-eu-west-1a-id",
                                         "core-private-eu-west-1b-id"]
    assert state["isolatedSubnetIds"] == ["core-isolated-eu-west-1a-id",
                                          "core-isolated-eu-west-1b-id"]
    assert state["availabilityZones"] == ["eu-west-1a", "eu-west-1b"]
    assert len(state["isolatedCidrs"]) == 2


def test_topic_takes_integers_sent_as_numbers_on_the_wire(plugin: PluginProcess):
    """Every language sends numbers as doubles; integer arguments still work (6, not 6.0)."""
    cluster = f"arn:aws:kafka:eu-west-1:{ACCOUNT_ID}:cluster/shared/5a6b7c8d-1e2f-3"
    _, state, registered = _construct(plugin, "Topic", "events", {
        "clusterArn": cluster, "topicName": "orders.events.v1", "partitions": 6,
        "replicationFactor": 3, "retentionHours": 72})
    topic = registered.one("aws:msk/topic:Topic")["inputs"]
    assert (topic["partitionCount"], topic["replicationFactor"]) == (6, 3)
    assert json.loads(topic["configs"])["retention.ms"] == "259200000"
    assert state["arn"] == f"arn:aws:kafka:eu-west-1:{ACCOUNT_ID}:topic/shared/5a6b7c8d-1e2f-3/" \
        "orders.events.v1"


def test_a_fractional_number_for_an_integer_is_refused(plugin: PluginProcess):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:Topic", "bad", {
            "clusterArn": "arn:aws:kafka:eu-west-1:1:cluster/c/u", "topicName": "t",
            "partitions": 2.5, "replicationFactor": 3})
    assert "Topic 'bad': argument 'partitions' expects int, received 2.5" in \
        (caught.value.details() or "")  # type: ignore[attr-defined]


def test_monitor_features_are_read_from_the_engine(plugin: PluginProcess):
    _construct(plugin, "EncryptionKey", "probe", {"description": "probe"})
    assert "GetDeploymentInfo" in plugin.monitor.calls


# --- every public component, as another language would use it -----------------------------------

SUBNETS = ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"]
KUBERNETES = "urn:pulumi:dev::consumer::pulumi:providers:kubernetes::dev-cluster"
MINIMAL: dict[str, dict[str, Any]] = {
    "EncryptionKey": {"description": "orders data"},
    "Network": {"cidr": "10.0.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1b"]},
    "EksCluster": {"clusterName": "dev", "vpcId": "vpc-1", "subnetIds": SUBNETS,
                   "kubernetesVersion": "1.33", "apiAccess": {"deployerCidrs": ["10.9.0.0/16"]}},
    "ServiceTenancy": {"clusterName": "dev", "kubernetesVersion": "1.33", "namespace": "orders",
                       "roleArn": ROLE, "vpcCidr": "10.0.0.0/16",
                       "quota": {"cpu": "4", "memory": "8Gi", "pods": 20, "defaultCpu": "250m",
                                 "defaultMemory": "256Mi"}},
    "KafkaCluster": {"clusterName": "shared-events", "vpcId": "vpc-1", "subnetIds": SUBNETS},
    "Topic": {"clusterArn": f"arn:aws:kafka:eu-west-1:{ACCOUNT_ID}:cluster/c/u-1",
              "topicName": "orders.events.v1", "partitions": 3, "replicationFactor": 2},
    "PostgresShardSet": {"identifierPrefix": "orders", "vpcId": "vpc-1", "subnetIds": SUBNETS},
    "KeyValueTable": {"tableName": "orders-items", "partitionKey": {"name": "pk"}},
    "InfluxDbInstance": {"instanceName": "dev-telemetry-influx", "vpcId": "vpc-1",
                         "subnetIds": SUBNETS},
    "LiveAnalyticsDatabase": {"databaseName": "dev-analytics", "tables": {
        "events": {"memoryRetentionHours": 24, "magneticRetentionDays": 365}}},
    "Alarms": {"topicName": "ops-alarms", "alarms": [{
        "name": "cpu", "description": "CPU above 80% for 15 minutes",
        "comparison": "GreaterThanThreshold", "threshold": 80,
        "metric": {"namespace": "AWS/RDS", "metricName": "CPUUtilization"}}]},
    "Observability": {"namePrefix": "dev-obs", "vpcId": "vpc-1", "vpcCidr": "10.0.0.0/16",
                      "subnetIds": SUBNETS},
}


def test_every_public_component_is_covered():
    from components.provider import public_components
    assert sorted(MINIMAL) == sorted(c.__name__ for c in public_components())


@pytest.mark.parametrize("component", sorted(MINIMAL))
def test_every_component_constructs_and_returns_every_output(plugin: PluginProcess,
                                                             component: str):
    """ServiceTenancy gets the program's Kubernetes provider through the `providers` option
    (rehydrated from the engine with `pulumi:pulumi:getResource`)."""
    plugin.monitor.program_resources[KUBERNETES] = {"id": "k8s-1", "state": {}}
    providers = {"kubernetes": f"{KUBERNETES}::k8s-1"} if component == "ServiceTenancy" else None
    response = plugin.construct(f"strata:index:{component}", "minimal", MINIMAL[component],
                                providers=providers)
    declared = plugin.served_schema()["resources"][f"strata:index:{component}"]["properties"]
    assert set(json_format.MessageToDict(response.state)) == set(declared)
    assert any(r["custom"] for r in plugin.monitor.records)
    if providers:
        kubernetes = [r for r in plugin.monitor.records if r["type"].startswith("kubernetes:")]
        assert kubernetes and all(r["provider"] == providers["kubernetes"] for r in kubernetes)


# --- what another language's user sees for a bad argument --------------------------------------

def _property_errors(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The InputPropertiesError details the engine renders per property."""
    metadata = dict(error.trailing_metadata() or ())  # type: ignore[attr-defined]
    status = status_pb2.Status.FromString(metadata["grpc-status-details-bin"])
    found = []
    for detail in status.details:
        errors = errors_pb2.InputPropertiesError()
        detail.Unpack(errors)
        found += [(e.property_path, e.reason) for e in errors.errors]
    return found


def test_a_missing_required_input_names_the_property(plugin: PluginProcess):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:KeyValueTable", "bad", {"partitionKey": {"name": "pk"}})
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _property_errors(caught.value) == [
        ("tableName", "Missing required input 'tableName' on 'KeyValueTable'")]


def test_an_unknown_enum_value_names_the_property(plugin: PluginProcess):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:KeyValueTable", "bad", {
            "tableName": "t", "partitionKey": {"name": "pk"}, "billingMode": "ON_DEMAND"})
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(path, reason)] = _property_errors(caught.value)
    assert path == "billingMode" and "BillingMode" in reason


def test_a_bad_combination_fails_with_the_components_own_message(plugin: PluginProcess):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:KeyValueTable", "bad", {
            "tableName": "t", "partitionKey": {"name": "pk"}, "billingMode": "PROVISIONED"})
    assert "KeyValueTable 'bad': 'capacity' goes with billing_mode PROVISIONED" in \
        (caught.value.details() or "")  # type: ignore[attr-defined]
    assert not [r for r in plugin.monitor.records if r["custom"]], "nothing was created"


def test_a_wrong_shape_fails_with_the_components_validation_message(plugin: PluginProcess):
    """The provider host passes plain values through; `components._args.validate` judges them
    as it does for Python callers."""
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:KeyValueTable", "bad", {
            "tableName": "t", "partitionKey": {"name": "pk"}, "tags": "team=orders"})
    assert "KeyValueTable 'bad': argument 'tags' expects map of str to str, received " \
        "'team=orders'" in (caught.value.details() or "")  # type: ignore[attr-defined]


def test_a_scalar_for_a_nested_argument_names_its_missing_field(plugin: PluginProcess):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct("strata:index:KeyValueTable", "bad", {
            "tableName": "t", "partitionKey": {"name": "pk"}, "sortKey": "sk"})
    assert _property_errors(caught.value) == [
        ("sortKey.name", "Missing required input 'sortKey.name' on 'KeyValueTable'")]
