from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components._postgres_plan import max_connections, parameter_family, sizing
from components._store import AlarmThresholds
from components.postgres import PostgresShardSet
from tests.components._platform_fixtures import key_and_network

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/orders-key-key"
PRIVATE_CIDRS = ["10.0.0.0/18", "10.0.64.0/18"]


def owner_inputs(tags):
    """The objects a store takes: the owner's key and the platform network."""
    key, network = key_and_network(tags, azs=2, key_name="orders-key", network_name="net")
    role = aws.iam.Role("orders-role", assume_role_policy="{}")
    return key, network, role


def _build(tags, holder=None, **extra):
    def build():
        key, network, role = owner_inputs(tags)
        store = PostgresShardSet("orders-postgres", {
            "service": "orders", "environment": "test", "key": key, "network": network,
            "tags": tags, **extra})
        store.grant_read(role)
        store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def test_rds_shards_are_encrypted_private_and_iam_authenticated(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=3, backup_retention_days=35,
                               multi_az=True, protect=True))
    instances = registered.of_type("aws:rds/instance:Instance")
    assert sorted(i["name"] for i in instances) == [f"orders-postgres-shard-{i}" for i in range(3)]
    for inst in instances:
        inputs = inst["inputs"]
        assert inputs["storageEncrypted"] is True
        assert inputs["kmsKeyId"] == KEY_ARN
        assert inputs["publiclyAccessible"] is False
        assert inputs["iamDatabaseAuthenticationEnabled"] is True
        assert inputs["manageMasterUserPassword"] is True
        assert inputs["masterUserSecretKmsKeyId"] == KEY_ARN
        assert "password" not in inputs
        assert inputs["performanceInsightsEnabled"] is True
        assert inputs["performanceInsightsKmsKeyId"] == KEY_ARN
        assert inputs["backupRetentionPeriod"] == 35
        assert inputs["multiAz"] is True
        assert inputs["storageType"] == "gp3"
        assert inputs["maxAllocatedStorage"] == 80
        assert inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
        assert inputs["deletionProtection"] is True
        assert inputs["skipFinalSnapshot"] is False
        assert inputs["finalSnapshotIdentifier"] == f"{inputs['identifier']}-final"
        assert inputs["copyTagsToSnapshot"] is True
        assert inputs["tags"] == tags
        assert inst["protect"] and inst["retainOnDelete"]


def test_dev_rds_is_not_protected_and_keeps_seven_days(mocked, tags):
    registered = mocked(_build(tags, engine="rds", backup_retention_days=7))
    inst = registered.one("aws:rds/instance:Instance")
    assert inst["inputs"]["backupRetentionPeriod"] == 7
    assert inst["inputs"]["deletionProtection"] is False
    assert inst["inputs"]["skipFinalSnapshot"] is True
    assert not inst["protect"] and not inst["retainOnDelete"]


def test_parameter_group_forces_tls(mocked, tags):
    registered = mocked(_build(tags, engine="rds", engine_version="16.6"))
    group = registered.one("aws:rds/parameterGroup:ParameterGroup")
    assert group["inputs"]["family"] == "postgres16"
    params = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert params["ssl_min_protocol_version"] == "TLSv1.2"
    inst = registered.one("aws:rds/instance:Instance")
    assert inst["inputs"]["parameterGroupName"] == group["inputs"]["name"]


def test_security_group_admits_5432_from_private_subnets_only(mocked, tags):
    registered = mocked(_build(tags, engine="rds"))
    sg = registered.one("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"]
    rules = registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r["inputs"]["cidrIpv4"] for r in rules) == PRIVATE_CIDRS
    for rule in rules:
        assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (5432, 5432)
        assert rule["inputs"]["ipProtocol"] == "tcp"
        assert rule["inputs"]["tags"] == tags
    assert not registered.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    subnets = registered.one("aws:rds/subnetGroup:SubnetGroup")
    assert sorted(subnets["inputs"]["subnetIds"]) == ["net-isolated-eu-west-1a-id",
                                                      "net-isolated-eu-west-1b-id"]


def test_aurora_shards_have_writer_and_spread_readers(mocked, tags):
    registered = mocked(_build(tags, engine="aurora", shards=2, readers=2, protect=True,
                               availability_zones=["eu-west-1a", "eu-west-1b"],
                               serverless_min_acu=0.5, serverless_max_acu=8,
                               backup_retention_days=35))
    clusters = registered.of_type("aws:rds/cluster:Cluster")
    assert len(clusters) == 2
    for cluster in clusters:
        inputs = cluster["inputs"]
        assert inputs["engine"] == "aurora-postgresql"
        assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == KEY_ARN
        assert inputs["iamDatabaseAuthenticationEnabled"] is True
        assert inputs["manageMasterUserPassword"] is True
        assert inputs["masterUserSecretKmsKeyId"] == KEY_ARN
        assert inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5,
                                                              "maxCapacity": 8}
        assert inputs["deletionProtection"] is True and inputs["skipFinalSnapshot"] is False
        assert inputs["backupRetentionPeriod"] == 35
        assert cluster["protect"] and cluster["retainOnDelete"]
    instances = registered.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert sorted(i["name"] for i in instances) == sorted(
        f"orders-postgres-shard-{s}-{role}" for s in range(2)
        for role in ("writer", "reader-1", "reader-2"))
    for inst in instances:
        assert inst["inputs"]["instanceClass"] == "db.serverless"
        assert inst["inputs"]["publiclyAccessible"] is False
        assert inst["inputs"]["performanceInsightsKmsKeyId"] == KEY_ARN
        assert inst["inputs"]["tags"] == tags
    azs = {i["name"]: i["inputs"]["availabilityZone"] for i in instances}
    assert azs["orders-postgres-shard-0-writer"] == "eu-west-1a"
    assert azs["orders-postgres-shard-0-reader-1"] == "eu-west-1b"
    group = registered.one("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert group["inputs"]["family"] == "aurora-postgresql16"
    assert {p["name"]: p["value"] for p in group["inputs"]["parameters"]}["rds.force_ssl"] == "1"


def test_tenant_shard_map_names_the_hash_and_each_shard(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=2))
    param = registered.one("aws:ssm/parameter:Parameter")
    assert param["inputs"]["name"] == "/strata/test/orders/postgres/shard-map"
    assert param["inputs"]["type"] == "String" and param["inputs"]["tier"] == "Standard"
    assert param["inputs"]["tags"] == tags
    shard_map = json.loads(param["inputs"]["insecureValue"])
    assert shard_map["partitioning"] == {"by": "tenant", "shards": 2,
                                         "algorithm": "jump-consistent-hash/blake2b-64"}
    assert [s["index"] for s in shard_map["shards"]] == [0, 1]
    for shard in shard_map["shards"]:
        assert shard["writerEndpoint"] == "mock.rds.amazonaws.com"
        assert shard["port"] == 5432
        assert shard["secretArn"].startswith("arn:aws:secretsmanager:")


def test_region_shard_map_lists_regions_per_shard(mocked, tags):
    registered = mocked(_build(tags, engine="aurora", shards=2, partition_by="region",
                               regions=["eu", "us", "apac"]))
    shard_map = json.loads(registered.one("aws:ssm/parameter:Parameter")["inputs"]["insecureValue"])
    assert shard_map["partitioning"] == {"by": "region", "shards": 2}
    assert {s["index"]: s["regions"] for s in shard_map["shards"]} == {0: ["eu", "apac"],
                                                                       1: ["us"]}


def test_grants_reach_only_this_set_its_shard_map_and_key(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=2))
    policies = {p["name"]: json.loads(p["inputs"]["policy"])
                for p in registered.of_type("aws:iam/rolePolicy:RolePolicy")
                if p["name"].startswith("orders-postgres")}
    assert set(policies) == {"orders-postgres-read-orders-role",
                             "orders-postgres-write-orders-role"}
    for verb, user in (("read", "orders_ro"), ("write", "orders_rw")):
        by_sid = {s.get("Sid", "Key"): s for s in policies[f"orders-postgres-{verb}-orders-role"]
                  ["Statement"]}
        connect = f"arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-MOCKRESOURCEID/{user}"
        assert by_sid[f"ConnectAs{user[-2:].upper()}"]["Resource"] == [connect, connect]
        assert by_sid[f"ConnectAs{user[-2:].upper()}"]["Action"] == ["rds-db:connect"]
        assert by_sid["ReadShardMap"]["Resource"] == [
            "arn:aws:ssm:eu-west-1:123456789012:parameter//strata/test/orders/postgres/shard-map"]
        assert by_sid["Key"]["Resource"] == [KEY_ARN]
        assert "kms:Decrypt" in by_sid["Key"]["Action"]
        for stmt in by_sid.values():
            assert "*" not in stmt["Resource"]


def test_alarms_are_sized_from_the_instance(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, engine="rds", shards=2, instance_class="db.t4g.micro",
                  allocated_storage_gib=100))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds(cpu_percent=75,
                                                                     storage_free_percent=20))}
    assert specs["shard-1-cpu"].threshold == 75
    assert specs["shard-0-free-storage"].metric.name == "FreeStorageSpace"
    assert specs["shard-0-free-storage"].threshold == 20 * 2**30
    assert specs["shard-0-freeable-memory"].threshold == pytest.approx(0.1 * 2**30)
    assert specs["shard-0-connections"].threshold == int(112 * 0.8)
    assert "shard-0-replica-lag" not in specs
    assert all(s.description for s in specs.values())
    names = {m.name for m in holder[0].metrics()}
    assert names == {"CPUUtilization", "FreeableMemory", "FreeStorageSpace",
                     "DatabaseConnections", "ReadLatency", "WriteLatency"}


def test_aurora_alarms_use_local_storage_floor_and_replica_lag(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, engine="aurora", readers=1, serverless_max_acu=4))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds())}
    assert specs["shard-0-free-local-storage"].threshold == 2 * 2**30
    assert specs["shard-0-replica-lag"].metric.name == "AuroraReplicaLag"
    assert specs["shard-0-freeable-memory"].threshold == pytest.approx(0.1 * 8 * 2**30)
    assert "shard-0-free-storage" not in specs


def test_catalog_entry(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, engine="rds", shards=4))
    entry = holder[0].catalog_entry()
    assert entry["kind"] == "postgres" and entry["shards"] == 4
    assert entry["partitioning"] == "tenant"
    assert entry["shardMapParameter"] == "/strata/test/orders/postgres/shard-map"


def test_planning_numbers():
    assert parameter_family("rds", "16.6") == "postgres16"
    assert parameter_family("aurora", "15") == "aurora-postgresql15"
    assert max_connections(1) == 112
    assert max_connections(1024) == 5000
    assert sizing("aurora", "db.serverless", 2, 20).memory_gib == 4
    assert sizing("rds", "db.x9.huge", None, 20).memory_gib is None
