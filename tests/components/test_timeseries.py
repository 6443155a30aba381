from __future__ import annotations

import json

from components._store import AlarmThresholds
from components.timeseries import InfluxDbInstance, LiveAnalyticsDatabase
from tests.components.test_postgres import KEY_ARN, PRIVATE_CIDRS, owner_inputs


def _influx(tags, holder=None, **extra):
    def build():
        key, network, role = owner_inputs(tags)
        store = InfluxDbInstance("telemetry-timeseries", {
            "instance_name": "test-telemetry-influx", "key": key, "network": network,
            "tags": tags, **extra})
        store.grant_read(role)
        store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def _live(tags, holder=None, **extra):
    def build():
        key, _network, role = owner_inputs(tags)
        store = LiveAnalyticsDatabase("analytics-timeseries", {
            "database_name": "test-analytics", "key": key, "tags": tags,
            "tables": {"order-metrics": {"memory_retention_hours": 24,
                                         "magnetic_retention_days": 90},
                       "clicks": {"memory_retention_hours": 6,
                                  "magnetic_retention_days": 30}}, **extra})
        store.grant_read(role)
        store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def _assert_private_encrypted_bucket(registered, tags, writer_service=None):
    bucket = registered.one("aws:s3/bucket:Bucket")
    assert bucket["inputs"]["tags"] == tags
    assert bucket["inputs"]["forceDestroy"] is False

    def companion(type_):
        found = [r for r in registered.of_type(type_)
                 if bucket["urn"] in r["propertyDependencies"].get("bucket", [])]
        assert len(found) == 1, type_
        return found[0]["inputs"]

    sse = companion("aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration")
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}, "bucketKeyEnabled": True}]
    block = companion("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    assert companion("aws:s3/bucketVersioning:BucketVersioning")[
        "versioningConfiguration"]["status"] == "Enabled"
    assert companion("aws:s3/bucketOwnershipControls:BucketOwnershipControls")[
        "rule"]["objectOwnership"] == "BucketOwnerEnforced"
    policy = json.loads(companion("aws:s3/bucketPolicy:BucketPolicy")["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    if writer_service:
        allow = by_sid["ServiceDelivery"]
        assert allow["Principal"] == {"Service": writer_service}
        assert allow["Action"] == "s3:PutObject"
        assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    else:
        assert set(by_sid) == {"DenyInsecureTransport"}


def test_influx_is_private_and_its_password_is_a_secret(mocked, tags):
    registered = mocked(_influx(tags, protect=True))
    inst = registered.one("aws:timestreaminfluxdb/dbInstance:DbInstance")
    inputs = inst["inputs"]
    assert inputs["publiclyAccessible"] is False
    assert inputs["password"] == "[secret]"
    assert inputs["deploymentType"] == "SINGLE_AZ"
    assert sorted(inputs["vpcSubnetIds"]) == ["net-isolated-eu-west-1a-id",
                                              "net-isolated-eu-west-1b-id"]
    assert inputs["logDeliveryConfiguration"]["s3Configuration"]["enabled"] is True
    assert inputs["tags"] == tags
    assert inst["protect"] and inst["retainOnDelete"]
    secret = registered.one("aws:secretsmanager/secret:Secret")
    assert secret["inputs"]["kmsKeyId"] == KEY_ARN
    assert secret["inputs"]["recoveryWindowInDays"] == 30
    assert secret["inputs"]["tags"] == tags
    assert registered.one("aws:secretsmanager/secretVersion:SecretVersion")[
        "inputs"]["secretString"] == "[secret]"
    rules = registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r["inputs"]["cidrIpv4"] for r in rules) == PRIVATE_CIDRS
    assert {(r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in rules} == {(8086, 8086)}
    _assert_private_encrypted_bucket(registered, tags, "timestream-influxdb.amazonaws.com")


def test_influx_multi_az_standby(mocked, tags):
    inst = mocked(_influx(tags, multi_az=True)).one(
        "aws:timestreaminfluxdb/dbInstance:DbInstance")
    assert inst["inputs"]["deploymentType"] == "WITH_MULTIAZ_STANDBY"


def test_influx_grant_reads_only_its_secret(mocked, tags):
    registered = mocked(_influx(tags))
    policy = json.loads(registered.named("telemetry-timeseries-read-orders-role")
                        ["inputs"]["policy"])
    by_sid = {s.get("Sid", "Key"): s for s in policy["Statement"]}
    assert by_sid["ReadCredentials"]["Resource"] == [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret/strata/test-telemetry-influx/admin"]
    assert "secretsmanager:GetSecretValue" in by_sid["ReadCredentials"]["Action"]
    assert by_sid["Key"]["Resource"] == [KEY_ARN]


def test_influx_alarms(mocked, tags):
    holder: list[InfluxDbInstance] = []
    mocked(_influx(tags, holder))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds(cpu_percent=70,
                                                                     storage_free_percent=25))}
    assert specs["cpu"].threshold == 70 and specs["disk"].threshold == 75
    assert {s.metric.name for s in specs.values()} == {"CPUUtilization", "MemoryUtilization",
                                                       "DiskUtilization"}


def test_liveanalytics_is_encrypted_with_the_owner_key(mocked, tags):
    registered = mocked(_live(tags, protect=True))
    database = registered.one("aws:timestreamwrite/database:Database")
    assert database["inputs"]["kmsKeyId"] == KEY_ARN
    assert database["inputs"]["tags"] == tags
    assert database["protect"] and database["retainOnDelete"]
    tables = {t["name"]: t for t in registered.of_type("aws:timestreamwrite/table:Table")}
    assert set(tables) == {"analytics-timeseries-order-metrics", "analytics-timeseries-clicks"}
    metrics = tables["analytics-timeseries-order-metrics"]["inputs"]
    assert metrics["retentionProperties"] == {"memoryStoreRetentionPeriodInHours": 24,
                                              "magneticStoreRetentionPeriodInDays": 90}
    writes = metrics["magneticStoreWriteProperties"]
    assert writes["enableMagneticStoreWrites"] is True
    s3 = writes["magneticStoreRejectedDataLocation"]["s3Configuration"]
    assert s3["encryptionOption"] == "SSE_KMS" and s3["kmsKeyId"] == KEY_ARN
    assert metrics["tags"] == tags
    assert tables["analytics-timeseries-clicks"]["protect"]
    _assert_private_encrypted_bucket(registered, tags)


def test_liveanalytics_grants_only_its_tables_plus_describe_endpoints(mocked, tags):
    registered = mocked(_live(tags))
    table_arns = sorted(f"arn:aws:timestreamwrite:eu-west-1:123456789012:table/"
                        f"analytics-timeseries-{t}" for t in ("clicks", "order-metrics"))
    for verb, data_action in (("read", "timestream:Select"), ("write", "timestream:WriteRecords")):
        policy = json.loads(registered.named(f"analytics-timeseries-{verb}-orders-role")
                            ["inputs"]["policy"])
        by_sid = {s.get("Sid", "Key"): s for s in policy["Statement"]}
        data = by_sid[f"{verb.title()}Tables"]
        assert sorted(data["Resource"]) == table_arns and data_action in data["Action"]
        assert by_sid["DiscoverEndpoints"] == {"Effect": "Allow", "Sid": "DiscoverEndpoints",
                                               "Action": ["timestream:DescribeEndpoints"],
                                               "Resource": ["*"]}
        assert by_sid["Key"]["Resource"] == [KEY_ARN]
        stars = [s for s in policy["Statement"] if "*" in s["Resource"]]
        assert stars == [by_sid["DiscoverEndpoints"]]


def test_liveanalytics_alarms(mocked, tags):
    holder: list[LiveAnalyticsDatabase] = []
    mocked(_live(tags, holder))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds())}
    assert {"writerecords-system-errors", "writerecords-user-errors", "query-system-errors",
            "order-metrics-rejected-records", "clicks-write-latency"} <= set(specs)
    assert specs["writerecords-system-errors"].metric.dimensions == {"Operation": "WriteRecords"}
