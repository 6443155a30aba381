"""Timestream stores: a private InfluxDB instance whose credentials are the service's own secret,
and LiveAnalytics databases (for accounts that already have them), each with its buckets."""

from __future__ import annotations

import json
import logging

import pulumi_aws as aws
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from components._args import ComponentArgsError
from components._store import AlarmThresholds
from components.timeseries import (
    INFLUX_REPLACE_ON_CHANGE,
    LIVE_ANALYTICS_NOTICE,
    InfluxDbInstance,
    InfluxDbInstanceArgs,
    LiveAnalyticsDatabase,
)

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-telemetry"
SUBNETS = ["subnet-isolated-a", "subnet-isolated-b"]
PROTECTED = {"protect": True, "retain_on_delete": True}
SERVICE_SECRET = ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
                  "READONLY-InfluxDB-auth-parameters-mock-AbCdEf")


def _influx_args(tags, **extra):
    return {"instance_name": "test-telemetry-influx", "vpc_id": "vpc-1", "subnet_ids": SUBNETS,
            "kms_key_arn": KEY_ARN, "tags": tags, **extra}


def _influx(tags, holder=None, **extra):
    def build():
        role = aws.iam.Role("telemetry-role", assume_role_policy="{}")
        store = InfluxDbInstance("telemetry-timeseries", _influx_args(tags, **extra))
        store.grant_read(role)
        store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def _live_args(tags, **extra):
    return {"database_name": "test-analytics", "kms_key_arn": KEY_ARN, "tags": tags,
            "tables": {"order-metrics": {"memory_retention_hours": 24,
                                         "magnetic_retention_days": 90},
                       "clicks": {"memory_retention_hours": 6, "magnetic_retention_days": 30}},
            **extra}


def _live(tags, holder=None, **extra):
    def build():
        role = aws.iam.Role("analytics-role", assume_role_policy="{}")
        store = LiveAnalyticsDatabase("analytics-timeseries", _live_args(tags, **extra))
        store.grant_read(role)
        store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def _documents(registered):
    return {p["name"]: json.loads(p["inputs"]["policy"])
            for p in registered.of_type("aws:iam/policy:Policy")}


# --- InfluxDB -----------------------------------------------------------------------------------

def test_influx_is_private_and_its_password_is_a_secret(mocked, tags):
    registered = mocked(_influx(tags, lifecycle=PROTECTED, username="strata_admin",
                                organization="strata"))
    inst = registered.one("aws:timestreaminfluxdb/dbInstance:DbInstance")
    inputs = inst["inputs"]
    assert inputs["name"] == "test-telemetry-influx"
    assert inputs["publiclyAccessible"] is False and inputs["password"] == "[secret]"
    assert inputs["deploymentType"] == "SINGLE_AZ"
    assert inputs["vpcSubnetIds"] == SUBNETS
    assert inputs["vpcSecurityGroupIds"] == ["telemetry-timeseries-sg-id"]
    assert (inputs["username"], inputs["organization"], inputs["bucket"]) == (
        "strata_admin", "strata", "default")
    assert inputs["logDeliveryConfiguration"]["s3Configuration"]["enabled"] is True
    assert inputs["tags"] == tags
    for type_ in ("aws:timestreaminfluxdb/dbInstance:DbInstance",
                  "aws:ec2/securityGroup:SecurityGroup", "aws:s3/bucket:Bucket"):
        assert all(r["protect"] and r["retainOnDelete"] for r in registered.of_type(type_)), type_


def test_influx_keeps_no_copy_of_the_credentials_and_grants_the_services_secret(mocked, tags):
    """SecretsManager.1: the copy Strata kept could not be rotated; the service keeps its own."""
    registered = mocked(_influx(tags))
    assert not registered.of_type("aws:secretsmanager/secret:Secret")
    assert not registered.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    documents = _documents(registered)
    assert set(documents) == {"telemetry-timeseries-read-telemetry-role-own-0",
                              "telemetry-timeseries-write-telemetry-role-own-0"}
    for document in documents.values():
        assert document["Statement"] == [{
            "Sid": "ReadCredentials", "Effect": "Allow", "Resource": [SERVICE_SECRET],
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]}]
    policy = next(p for p in registered.of_type("aws:iam/policy:Policy"))
    assert registered.one("aws:timestreaminfluxdb/dbInstance:DbInstance")["urn"] in \
        policy["propertyDependencies"]["policy"]


def test_influx_admits_nothing_unless_named(mocked, tags):
    registered = mocked(_influx(tags))
    assert not registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")

    def build():
        store = InfluxDbInstance("telemetry-timeseries", _influx_args(tags))
        store.allow_from("telemetry-pods", "sg-pods")
    (rule,) = mocked(build).of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule["name"] == "telemetry-timeseries-allow-telemetry-pods"
    assert (rule["inputs"]["referencedSecurityGroupId"], rule["inputs"]["fromPort"],
            rule["inputs"]["toPort"]) == ("sg-pods", 8086, 8086)


def test_influx_waits_for_its_log_bucket_to_admit_and_encrypt(mocked, tags):
    registered = mocked(_influx(tags))
    inst = registered.one("aws:timestreaminfluxdb/dbInstance:DbInstance")
    policy = registered.named("telemetry-timeseries-logs-policy")
    encryption = registered.named("telemetry-timeseries-logs-encryption")
    assert {policy["urn"], encryption["urn"]} <= set(inst["dependencies"])
    delivery = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert delivery["ServiceDelivery"]["Principal"] == {
        "Service": "timestream-influxdb.amazonaws.com"}
    assert delivery["ServiceDelivery"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_influx_multi_az_standby_needs_two_subnets(mocked, tags):
    inst = mocked(_influx(tags, multi_az=True)).one(
        "aws:timestreaminfluxdb/dbInstance:DbInstance")
    assert inst["inputs"]["deploymentType"] == "WITH_MULTIAZ_STANDBY"
    with pytest.raises(ComponentArgsError, match="multi_az needs two subnet_ids"):
        InfluxDbInstance("i", _influx_args(tags, multi_az=True, subnet_ids=["subnet-a"]))


def test_replace_on_change_inputs_are_real_arguments():
    """The blueprint's lock reads this list: it must name InfluxDbInstance arguments, and the
    subnets (AZ count) among them (issue 8, item 12)."""
    fields = InfluxDbInstanceArgs.__required_keys__ | InfluxDbInstanceArgs.__optional_keys__
    assert set(INFLUX_REPLACE_ON_CHANGE) <= set(fields)
    assert "subnet_ids" in INFLUX_REPLACE_ON_CHANGE


def test_influx_own_key_admits_s3_callers_and_the_log_writer(mocked, tags):
    args = _influx_args(tags)
    del args["kms_key_arn"]
    registered = mocked(lambda: InfluxDbInstance("telemetry-timeseries", args))
    key = registered.named("telemetry-timeseries-key-key")
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.eu-west-1.amazonaws.com"]
    assert statements["AwsServicePrincipals"]["Principal"] == {
        "Service": ["timestream-influxdb.amazonaws.com"]}


def test_influx_names_are_checked(tags):
    with pytest.raises(ComponentArgsError, match="influxdb-instance name 'x1' has 2 characters"):
        InfluxDbInstance("i", _influx_args(tags, instance_name="x1"))
    with pytest.raises(ComponentArgsError, match=r"'subnets' \(did you mean 'subnet_ids'"):
        InfluxDbInstance("i", {**_influx_args(tags), "subnets": SUBNETS})


def test_influx_alarms(mocked, tags):
    holder: list[InfluxDbInstance] = []
    mocked(_influx(tags, holder))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds(cpu_percent=70,
                                                                     storage_free_percent=25))}
    assert specs["cpu"].threshold == 70 and specs["disk"].threshold == 75
    assert {s.metric.name for s in specs.values()} == {"CPUUtilization", "MemoryUtilization",
                                                       "DiskUtilization"}


# --- LiveAnalytics ------------------------------------------------------------------------------

def test_liveanalytics_warns_that_it_is_closed_to_new_customers(mocked, tags, caplog):
    """Issue 8, item 5: it stays available for accounts that have it, with a synth warning."""
    with caplog.at_level(logging.WARNING):
        mocked(_live(tags))
    assert any(LIVE_ANALYTICS_NOTICE in record.getMessage() for record in caplog.records)
    assert "2025-06-20" in LIVE_ANALYTICS_NOTICE


def test_liveanalytics_is_encrypted_and_protected_with_its_tables_and_bucket(mocked, tags):
    registered = mocked(_live(tags, lifecycle=PROTECTED))
    database = registered.one("aws:timestreamwrite/database:Database")
    assert database["inputs"]["kmsKeyId"] == KEY_ARN and database["inputs"]["tags"] == tags
    tables = {t["name"]: t for t in registered.of_type("aws:timestreamwrite/table:Table")}
    assert set(tables) == {"analytics-timeseries-order-metrics", "analytics-timeseries-clicks"}
    metrics = tables["analytics-timeseries-order-metrics"]["inputs"]
    assert metrics["retentionProperties"] == {"memoryStoreRetentionPeriodInHours": 24,
                                              "magneticStoreRetentionPeriodInDays": 90}
    s3 = metrics["magneticStoreWriteProperties"]["magneticStoreRejectedDataLocation"][
        "s3Configuration"]
    assert s3["encryptionOption"] == "SSE_KMS" and s3["kmsKeyId"] == KEY_ARN
    for type_ in ("aws:timestreamwrite/database:Database", "aws:timestreamwrite/table:Table",
                  "aws:s3/bucket:Bucket"):
        assert all(r["protect"] and r["retainOnDelete"] for r in registered.of_type(type_)), type_


def test_liveanalytics_grants_only_its_tables_plus_describe_endpoints(mocked, tags):
    holder: list[LiveAnalyticsDatabase] = []
    registered = mocked(_live(tags, holder))
    table_arns = sorted(f"arn:aws:timestream:eu-west-1:123456789012:database/test-analytics/"
                        f"table/{t}" for t in ("clicks", "order-metrics"))
    documents = _documents(registered)
    for verb, action in (("read", "timestream:Select"), ("write", "timestream:WriteRecords")):
        document = documents[f"analytics-timeseries-{verb}-analytics-role-own-0"]
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        data = by_sid[f"{verb.title()}Tables"]
        assert sorted(data["Resource"]) == table_arns and action in data["Action"]
        assert by_sid["DiscoverEndpoints"]["Resource"] == ["*"]
        assert by_sid["Key"]["Resource"] == [KEY_ARN]
        assert [s for s in document["Statement"] if "*" in s["Resource"]] == [
            by_sid["DiscoverEndpoints"]]
    grant = holder[0].read_grants()[0]
    resolved = documents["analytics-timeseries-read-analytics-role-own-0"]["Statement"]
    assert len(json.dumps(resolved, separators=(",", ":"))) <= grant.max_chars


def test_liveanalytics_alarms(mocked, tags):
    holder: list[LiveAnalyticsDatabase] = []
    mocked(_live(tags, holder))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds())}
    assert {"writerecords-system-errors", "writerecords-user-errors", "query-system-errors",
            "order-metrics-rejected-records", "clicks-write-latency"} <= set(specs)
    assert specs["writerecords-system-errors"].metric.dimensions == {"Operation": "WriteRecords"}


def test_liveanalytics_refuses_a_bad_table_name(tags):
    with pytest.raises(ComponentArgsError, match="timestream-table name 'ab'"):
        LiveAnalyticsDatabase("a", _live_args(tags, tables={
            "ab": {"memory_retention_hours": 1, "magnetic_retention_days": 1}}))


def test_the_provider_host_can_analyze_both_components():
    result = Analyzer("strata").analyze([InfluxDbInstance, LiveAnalyticsDatabase])
    influx = result["component_definitions"]["InfluxDbInstance"]
    assert {"instanceName", "vpcId", "subnetIds", "allowedSecurityGroupIds",
            "serverAccessLogging"} <= set(influx.inputs)
    assert {"credentialsSecretArn", "securityGroupId", "endpoint"} <= set(influx.outputs)
    live = result["component_definitions"]["LiveAnalyticsDatabase"]
    assert {"databaseName", "tables", "kmsKeyArn", "lifecycle"} <= set(live.inputs)
    assert "TableRetentionArgs" in result["type_definitions"]
