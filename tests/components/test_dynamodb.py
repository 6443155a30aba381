from __future__ import annotations

import json

from components._store import AlarmThresholds
from components.dynamodb import KeyValueTable
from tests.components.test_postgres import KEY_ARN, owner_inputs

TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/test-payments-intents"


def _build(tags, holder=None, **extra):
    def build():
        key, _network, role = owner_inputs(tags)
        table = KeyValueTable("payments-intents", {
            "table_name": "test-payments-intents", "key": key, "tags": tags,
            "partition_key": {"name": "tenantId"}, "sort_key": {"name": "intentId"},
            **extra})
        table.grant_read(role)
        table.grant_write(role)
        if holder is not None:
            holder.append(table)
    return build


def _policies(registered):
    return {p["name"]: json.loads(p["inputs"]["policy"])
            for p in registered.of_type("aws:iam/rolePolicy:RolePolicy")
            if p["name"].startswith("payments-intents")}


def test_table_is_encrypted_recoverable_and_protected(mocked, tags):
    registered = mocked(_build(tags, protect=True, ttl_attribute="expiresAt"))
    table = registered.one("aws:dynamodb/table:Table")
    inputs = table["inputs"]
    assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KEY_ARN}
    assert inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 35}
    assert inputs["deletionProtectionEnabled"] is True
    assert inputs["billingMode"] == "PAY_PER_REQUEST"
    assert inputs["tableClass"] == "STANDARD"
    assert inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert inputs["tags"] == tags
    assert table["protect"] and table["retainOnDelete"]
    assert not registered.of_type("aws:appautoscaling/target:Target")


def test_unprotected_table_can_be_deleted(mocked, tags):
    table = mocked(_build(tags)).one("aws:dynamodb/table:Table")
    assert table["inputs"]["deletionProtectionEnabled"] is False
    assert not table["protect"] and not table["retainOnDelete"]


def test_index_attributes_are_defined_once(mocked, tags):
    registered = mocked(_build(tags, global_indexes={
        "by-order": {"partition_key": {"name": "orderId"}},
        "by-tenant-time": {"partition_key": {"name": "tenantId"},
                           "sort_key": {"name": "createdAt", "type": "N"},
                           "projection": "KEYS_ONLY"}}))
    inputs = registered.one("aws:dynamodb/table:Table")["inputs"]
    assert inputs["attributes"] == [{"name": "tenantId", "type": "S"},
                                    {"name": "intentId", "type": "S"},
                                    {"name": "orderId", "type": "S"},
                                    {"name": "createdAt", "type": "N"}]
    gsis = {g["name"]: g for g in inputs["globalSecondaryIndexes"]}
    assert gsis["by-order"]["keySchemas"] == [{"attributeName": "orderId", "keyType": "HASH"}]
    assert gsis["by-tenant-time"]["projectionType"] == "KEYS_ONLY"
    assert gsis["by-tenant-time"]["keySchemas"][1] == {"attributeName": "createdAt",
                                                       "keyType": "RANGE"}


def test_provisioned_table_autoscales_table_and_each_index(mocked, tags):
    registered = mocked(_build(
        tags, billing_mode="PROVISIONED",
        capacity={"read_min": 5, "read_max": 50, "write_min": 2, "write_max": 20},
        global_indexes={"by-order": {"partition_key": {"name": "orderId"}}}))
    table = registered.one("aws:dynamodb/table:Table")["inputs"]
    assert (table["readCapacity"], table["writeCapacity"]) == (5, 2)
    targets = {t["name"]: t["inputs"]
               for t in registered.of_type("aws:appautoscaling/target:Target")}
    assert set(targets) == {f"payments-intents-{s}-{d}-target" for s in ("table", "index-by-order")
                            for d in ("read", "write")}
    assert targets["payments-intents-table-read-target"]["resourceId"] == \
        "table/test-payments-intents"
    assert targets["payments-intents-index-by-order-write-target"]["resourceId"] == \
        "table/test-payments-intents/index/by-order"
    assert targets["payments-intents-index-by-order-write-target"]["scalableDimension"] == \
        "dynamodb:index:WriteCapacityUnits"
    assert (targets["payments-intents-table-read-target"]["minCapacity"],
            targets["payments-intents-table-read-target"]["maxCapacity"]) == (5, 50)
    assert all(t["tags"] == tags for t in targets.values())
    policies = registered.of_type("aws:appautoscaling/policy:Policy")
    assert len(policies) == 4
    metrics = sorted(p["inputs"]["targetTrackingScalingPolicyConfiguration"]
                     ["predefinedMetricSpecification"]["predefinedMetricType"] for p in policies)
    assert metrics == ["DynamoDBReadCapacityUtilization"] * 2 + \
        ["DynamoDBWriteCapacityUtilization"] * 2
    assert {p["inputs"]["targetTrackingScalingPolicyConfiguration"]["targetValue"]
            for p in policies} == {70}


def test_grants_name_exactly_the_table_its_indexes_and_stream(mocked, tags):
    registered = mocked(_build(tags, stream=True, global_indexes={
        "by-order": {"partition_key": {"name": "orderId"}}}))
    assert registered.one("aws:dynamodb/table:Table")["inputs"]["streamViewType"] == \
        "NEW_AND_OLD_IMAGES"
    policies = _policies(registered)
    read = {s.get("Sid", "Key"): s for s in
            policies["payments-intents-read-orders-role"]["Statement"]}
    assert read["ReadTable"]["Resource"] == [TABLE_ARN, f"{TABLE_ARN}/index/by-order",
                                             f"{TABLE_ARN}/stream/mock"]
    assert "dynamodb:PutItem" not in read["ReadTable"]["Action"]
    assert read["Key"]["Resource"] == [KEY_ARN] and "kms:Encrypt" not in read["Key"]["Action"]
    write = {s.get("Sid", "Key"): s for s in
             policies["payments-intents-write-orders-role"]["Statement"]}
    assert write["WriteTable"]["Resource"] == [TABLE_ARN]
    assert "dynamodb:PutItem" in write["WriteTable"]["Action"]
    assert "kms:GenerateDataKey*" in write["Key"]["Action"]
    for doc in policies.values():
        assert all("*" not in s["Resource"] for s in doc["Statement"])


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
    assert specs["read-capacity"].metric.name == "ConsumedReadCapacityUnits"
    assert all(s.description for s in specs.values())


def test_on_demand_has_no_capacity_alarm(mocked, tags):
    holder: list[KeyValueTable] = []
    mocked(_build(tags, holder))
    keys = {s.key for s in holder[0].alarm_specs(AlarmThresholds())}
    assert "read-capacity" not in keys and "read-throttles" in keys
