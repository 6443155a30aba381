"""KeyValueTable: encrypted, recoverable, deletion-protected through its lifecycle, autoscaled when
provisioned (FSBP DynamoDB.1), with exact grants sized for a managed policy."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from components._args import ComponentArgsError
from components._store import AlarmThresholds
from components.dynamodb import (
    REPLACE_ON_CHANGE,
    BillingMode,
    KeyValueTable,
    KeyValueTableArgs,
    Projection,
)

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-payments"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/test-payments-intents"
PROTECTED = {"protect": True, "retain_on_delete": True, "deletion_protection": True}
CAPACITY = {"read_min": 5, "read_max": 50, "write_min": 2, "write_max": 20}


def _args(tags, **extra):
    return {"table_name": "test-payments-intents", "kms_key_arn": KEY_ARN, "tags": tags,
            "partition_key": {"name": "tenantId"}, "sort_key": {"name": "intentId"}, **extra}


def _build(tags, holder=None, **extra):
    def build():
        role = aws.iam.Role("payments-role", assume_role_policy="{}")
        table = KeyValueTable("payments-intents", _args(tags, **extra))
        table.grant_read(role)
        table.grant_write(role)
        if holder is not None:
            holder.append(table)
    return build


def _documents(registered):
    return {p["name"]: json.loads(p["inputs"]["policy"])
            for p in registered.of_type("aws:iam/policy:Policy")}


def test_table_is_encrypted_recoverable_and_protected_by_its_lifecycle(mocked, tags):
    registered = mocked(_build(tags, lifecycle=PROTECTED, ttl_attribute="expiresAt"))
    table = registered.one("aws:dynamodb/table:Table")
    inputs = table["inputs"]
    assert inputs["name"] == "test-payments-intents"
    assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KEY_ARN}
    assert inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 35}
    assert inputs["deletionProtectionEnabled"] is True
    assert inputs["billingMode"] == "PAY_PER_REQUEST"
    assert inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert inputs["tags"] == tags
    assert table["protect"] and table["retainOnDelete"]
    assert not registered.of_type("aws:appautoscaling/target:Target")


def test_deletion_protection_follows_the_lifecycle_not_protect(mocked, tags):
    table = mocked(_build(tags, lifecycle={"deletion_protection": False})).one(
        "aws:dynamodb/table:Table")
    assert table["inputs"]["deletionProtectionEnabled"] is False
    assert not table["protect"] and not table["retainOnDelete"]
    # Without a lifecycle the AWS-side switch is on (LifecycleArgs default, FSBP DynamoDB.6).
    table = mocked(_build(tags)).one("aws:dynamodb/table:Table")
    assert table["inputs"]["deletionProtectionEnabled"] is True


def test_index_attributes_are_defined_once_with_their_enum_types(mocked, tags):
    registered = mocked(_build(tags, global_indexes={
        "by-order": {"partition_key": {"name": "orderId"}},
        "by-tenant-time": {"partition_key": {"name": "tenantId"},
                           "sort_key": {"name": "createdAt", "type": "N"},
                           "projection": Projection.KEYS_ONLY}}))
    inputs = registered.one("aws:dynamodb/table:Table")["inputs"]
    assert inputs["attributes"] == [{"name": "tenantId", "type": "S"},
                                    {"name": "intentId", "type": "S"},
                                    {"name": "orderId", "type": "S"},
                                    {"name": "createdAt", "type": "N"}]
    gsis = {g["name"]: g for g in inputs["globalSecondaryIndexes"]}
    assert gsis["by-order"]["projectionType"] == "ALL"
    assert gsis["by-tenant-time"]["projectionType"] == "KEYS_ONLY"
    assert gsis["by-tenant-time"]["keySchemas"][1] == {"attributeName": "createdAt",
                                                       "keyType": "RANGE"}


def test_provisioned_table_autoscales_table_and_each_index(mocked, tags):
    registered = mocked(_build(tags, billing_mode=BillingMode.PROVISIONED, capacity=CAPACITY,
                               global_indexes={"by-order": {"partition_key": {"name": "orderId"}}}))
    table = registered.one("aws:dynamodb/table:Table")
    assert (table["inputs"]["readCapacity"], table["inputs"]["writeCapacity"]) == (5, 2)
    targets = {t["name"]: t["inputs"]
               for t in registered.of_type("aws:appautoscaling/target:Target")}
    assert set(targets) == {f"payments-intents-{s}-{d}-target" for s in ("table", "index-by-order")
                            for d in ("read", "write")}
    assert targets["payments-intents-index-by-order-write-target"]["resourceId"] == \
        "table/test-payments-intents/index/by-order"
    assert targets["payments-intents-index-by-order-write-target"]["scalableDimension"] == \
        "dynamodb:index:WriteCapacityUnits"
    assert (targets["payments-intents-table-read-target"]["minCapacity"],
            targets["payments-intents-table-read-target"]["maxCapacity"]) == (5, 50)
    policies = registered.of_type("aws:appautoscaling/policy:Policy")
    assert sorted(p["inputs"]["targetTrackingScalingPolicyConfiguration"]
                  ["predefinedMetricSpecification"]["predefinedMetricType"] for p in policies) \
        == ["DynamoDBReadCapacityUtilization"] * 2 + ["DynamoDBWriteCapacityUtilization"] * 2
    assert {p["inputs"]["targetTrackingScalingPolicyConfiguration"]["targetValue"]
            for p in policies} == {70}


def test_grants_name_exactly_the_table_its_indexes_and_stream(mocked, tags):
    holder: list[KeyValueTable] = []
    registered = mocked(_build(tags, holder, stream=True, global_indexes={
        "by-order": {"partition_key": {"name": "orderId"}}}))
    documents = _documents(registered)
    assert set(documents) == {"payments-intents-read-payments-role-own-0",
                              "payments-intents-write-payments-role-own-0"}
    read = {s["Sid"]: s for s in
            documents["payments-intents-read-payments-role-own-0"]["Statement"]}
    assert read["ReadTable"]["Resource"] == [TABLE_ARN, f"{TABLE_ARN}/index/by-order"]
    assert "dynamodb:PutItem" not in read["ReadTable"]["Action"]
    # Stream actions are authorised on the stream ARN only; on the table they grant nothing.
    assert read["ReadStream"]["Resource"] == [f"{TABLE_ARN}/stream/mock"]
    assert set(read["ReadStream"]["Action"]) == {
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    assert not {"dynamodb:GetRecords"} & set(read["ReadTable"]["Action"])
    assert read["Key"]["Resource"] == [KEY_ARN] and "kms:Encrypt" not in read["Key"]["Action"]
    write = {s["Sid"]: s for s in
             documents["payments-intents-write-payments-role-own-0"]["Statement"]}
    assert write["WriteTable"]["Resource"] == [TABLE_ARN]
    assert "dynamodb:PutItem" in write["WriteTable"]["Action"]
    assert "kms:GenerateDataKey*" in write["Key"]["Action"]
    for document in documents.values():
        assert all("*" not in s["Resource"] for s in document["Statement"])
    # The plan-time bound covers what the documents resolve to.
    for grant, name in ((holder[0].read_grants()[0], "read"),
                        (holder[0].write_grants()[0], "write")):
        statements = documents[f"payments-intents-{name}-payments-role-own-0"]["Statement"]
        assert len(json.dumps(statements, separators=(",", ":"))) <= grant.max_chars < 1000


def test_own_key_admits_dynamodb_as_caller_and_follows_the_lifecycle(mocked, tags):
    args = _args(tags, lifecycle=PROTECTED)
    del args["kms_key_arn"]
    registered = mocked(lambda: KeyValueTable("payments-intents", args))
    key = registered.named("payments-intents-key-key")
    assert key["protect"]
    via = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}[
        "UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == ["dynamodb.eu-west-1.amazonaws.com"]
    table = registered.one("aws:dynamodb/table:Table")
    assert key["urn"] in table["propertyDependencies"]["serverSideEncryption"]


@pytest.mark.parametrize(("extra", "message"), [
    ({"billing_mode": "PROVISIONED"}, "'capacity' goes with billing_mode PROVISIONED"),
    ({"capacity": CAPACITY}, "'capacity' goes with billing_mode PROVISIONED"),
    ({"global_indexes": {"i": {"partition_key": {"name": "intentId", "type": "N"}}}},
     "attribute 'intentId' is declared as both S and N"),
    ({"table_name": "t"}, "dynamodb-table name 't' has 1 characters"),
    ({"billing_mode": "ON_DEMAND"}, "'billing_mode' expects PAY_PER_REQUEST|PROVISIONED"),
])
def test_bad_arguments_are_refused_before_anything_is_registered(tags, extra, message):
    with pytest.raises(ComponentArgsError, match=message):
        KeyValueTable("t", _args(tags, **extra))


def test_misspelt_argument_is_refused(tags):
    with pytest.raises(ComponentArgsError, match=r"'sortkey' \(did you mean 'sort_key'"):
        KeyValueTable("t", _args(tags, sortkey={"name": "x"}))


def test_alarms_cover_throttles_errors_and_provisioned_capacity(mocked, tags):
    holder: list[KeyValueTable] = []
    mocked(_build(tags, holder, billing_mode="PROVISIONED",
                  capacity={"read_min": 5, "read_max": 100, "write_min": 5, "write_max": 40},
                  global_indexes={"by-order": {"partition_key": {"name": "orderId"}}}))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds())}
    assert {"read-throttles", "write-throttles", "index-by-order-read-throttles",
            "system-errors-getitem", "read-capacity", "write-capacity"} <= set(specs)
    assert specs["read-capacity"].threshold == 0.8 * 100 * 300
    assert specs["write-capacity"].threshold == 0.8 * 40 * 300


def test_the_provider_host_can_analyze_the_component():
    result = Analyzer("strata").analyze([KeyValueTable])
    component = result["component_definitions"]["KeyValueTable"]
    assert {"tableName", "partitionKey", "billingMode", "capacity", "kmsKeyArn",
            "lifecycle"} <= set(component.inputs)
    assert set(component.outputs) == {"arn", "tableName", "streamArn", "kmsKeyArn"}
    types = result["type_definitions"]
    assert [e.value for e in types["BillingMode"].enum] == ["PAY_PER_REQUEST", "PROVISIONED"]
    assert [e.value for e in types["AttributeType"].enum] == ["S", "N", "B"]
    assert [e.value for e in types["Projection"].enum] == ["ALL", "KEYS_ONLY"]


def test_replace_on_change_inputs_are_real_arguments():
    fields = KeyValueTableArgs.__required_keys__ | KeyValueTableArgs.__optional_keys__
    assert set(REPLACE_ON_CHANGE) <= fields
