"""PostgresShardSet: plain inputs, shards protected with their helpers, nothing admitted unless
named, enhanced monitoring, a major engine version, a shard map and grants that stay within
AWS's limits at 64 shards."""

from __future__ import annotations

import functools
import json
import re

import pulumi_aws as aws
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from components._args import ComponentArgsError
from components._perms import Grant
from components._postgres_plan import (
    SSM_STANDARD_VALUE_MAX_CHARS,
    connect_arn_max_chars,
    engine_version_problem,
    max_connections,
    parameter_family,
    shard_map_layout,
    sizing,
)
from components._store import AlarmThresholds
from components.iam import MANAGED_POLICY_MAX_CHARS, pack_grants
from components.postgres import (
    REPLACE_ON_CHANGE,
    PostgresShardSet,
    PostgresShardSetArgs,
    physical_names,
)
from components.sharding import load_shard_map, writer_for_tenant
from tests.conftest import Registered, run_mocked

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-orders"
SUBNETS = ["subnet-isolated-a", "subnet-isolated-b"]
PROTECTED = {"protect": True, "retain_on_delete": True, "deletion_protection": True,
             "final_snapshot": True}
UNPROTECTED = {"protect": False, "retain_on_delete": False, "deletion_protection": False,
               "final_snapshot": False}
RDS_ONLY = {"engine": "rds"}
CONNECT = "rds-db:connect"


def _args(tags, **extra):
    return {"identifier_prefix": "test-orders-postgres", "vpc_id": "vpc-1",
            "subnet_ids": SUBNETS, "kms_key_arn": KEY_ARN, "tags": tags,
            "database_user_prefix": "orders", **extra}


def _build(tags, holder=None, grant=True, **extra):
    def build():
        role = aws.iam.Role("orders-role", assume_role_policy="{}")
        store = PostgresShardSet("orders-postgres", _args(tags, **extra))
        if grant:
            store.grant_read(role)
            store.grant_write(role)
        if holder is not None:
            holder.append(store)
    return build


def _monitoring_role(registered):
    return next(r for r in registered.of_type("aws:iam/role:Role")
                if r["name"] == "orders-postgres-monitoring")


def _documents(registered, verb):
    return {p["name"]: json.loads(p["inputs"]["policy"])
            for p in registered.of_type("aws:iam/policy:Policy")
            if p["name"].startswith(f"orders-postgres-{verb}-")}


# --- shards -------------------------------------------------------------------------------------

def test_rds_shards_are_encrypted_private_iam_authenticated_and_monitored(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=3, backup_retention_days=35,
                               multi_az=True, lifecycle=PROTECTED))
    instances = registered.of_type("aws:rds/instance:Instance")
    assert sorted(i["name"] for i in instances) == [f"orders-postgres-shard-{i}" for i in range(3)]
    role = _monitoring_role(registered)
    for inst in instances:
        inputs = inst["inputs"]
        assert inputs["identifier"].startswith("test-orders-postgres-")
        assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == KEY_ARN
        assert inputs["publiclyAccessible"] is False
        assert inputs["iamDatabaseAuthenticationEnabled"] is True          # RDS.10
        assert inputs["autoMinorVersionUpgrade"] is True                   # RDS.13
        assert inputs["copyTagsToSnapshot"] is True                        # RDS.17
        assert inputs["manageMasterUserPassword"] is True and "password" not in inputs
        assert inputs["masterUserSecretKmsKeyId"] == KEY_ARN
        assert inputs["username"] == "dbadmin"                             # RDS.25
        assert inputs["performanceInsightsKmsKeyId"] == KEY_ARN
        assert inputs["monitoringInterval"] == 60                          # RDS.6
        assert inputs["monitoringRoleArn"] == \
            "arn:aws:iam::123456789012:role/test-orders-postgres-monitoring"
        assert role["urn"] in inst["propertyDependencies"]["monitoringRoleArn"]
        assert inputs["backupRetentionPeriod"] == 35 and inputs["multiAz"] is True
        assert inputs["vpcSecurityGroupIds"] == ["orders-postgres-sg-id"]
        assert inputs["dbSubnetGroupName"] == "test-orders-postgres"
        assert inputs["tags"] == tags


def test_enhanced_monitoring_role_is_rds_only_and_exists_before_the_shards(mocked, tags):
    registered = mocked(_build(tags, engine="rds"))
    role = _monitoring_role(registered)
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust == [{
        "Sid": "RdsEnhancedMonitoring", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "monitoring.rds.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                      "StringLike": {"aws:SourceArn": "arn:aws:rds:eu-west-1:123456789012:db:"
                                                      "test-orders-postgres-*"}}}]
    attachment = next(r for r in registered.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r["name"] == "orders-postgres-monitoring")
    assert attachment["inputs"]["policyArn"] == \
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    # RDS refuses a monitoring role it cannot use yet: every shard waits for the attachment.
    for inst in registered.of_type("aws:rds/instance:Instance"):
        assert attachment["urn"] in inst["dependencies"]


def test_a_given_monitoring_role_is_used_and_none_is_created(mocked, tags):
    given = "arn:aws:iam::123456789012:role/shared-rds-monitoring"
    registered = mocked(_build(tags, engine="rds", monitoring_role_arn=given,
                               monitoring_interval_seconds=15))
    assert not [r for r in registered.of_type("aws:iam/role:Role")
                if r["name"] == "orders-postgres-monitoring"]
    inst = registered.one("aws:rds/instance:Instance")["inputs"]
    assert (inst["monitoringRoleArn"], inst["monitoringInterval"]) == (given, 15)


def test_lifecycle_protects_shards_and_every_helper_they_need(mocked, tags):
    registered = mocked(_build(tags, shards=2, readers=1, lifecycle=PROTECTED))
    helpers = ["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance",
               "aws:rds/subnetGroup:SubnetGroup", "aws:ec2/securityGroup:SecurityGroup",
               "aws:rds/clusterParameterGroup:ClusterParameterGroup"]
    for type_ in helpers:
        found = registered.of_type(type_)
        assert found, type_
        assert all(r["protect"] and r["retainOnDelete"] for r in found), type_
    for cluster in registered.of_type("aws:rds/cluster:Cluster"):
        inputs = cluster["inputs"]
        assert inputs["deletionProtection"] is True and inputs["skipFinalSnapshot"] is False
        assert inputs["finalSnapshotIdentifier"] == f"{inputs['clusterIdentifier']}-final"
        assert inputs["deleteAutomatedBackups"] is False


def test_unprotected_shards_can_be_deleted_without_a_snapshot(mocked, tags):
    registered = mocked(_build(tags, engine="rds", lifecycle=UNPROTECTED))
    inst = registered.one("aws:rds/instance:Instance")
    assert inst["inputs"]["deletionProtection"] is False
    assert inst["inputs"]["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in inst["inputs"]
    assert not inst["protect"] and not inst["retainOnDelete"]
    assert not registered.one("aws:rds/subnetGroup:SubnetGroup")["protect"]


def test_engine_version_is_a_major_version_by_default(mocked, tags):
    """Issue 8, item 11: a minor version with automatic minor upgrades breaks the next update."""
    registered = mocked(_build(tags, readers=1))
    assert registered.one("aws:rds/cluster:Cluster")["inputs"]["engineVersion"] == "16"
    # Instances follow their cluster's version (upgrades are made on the cluster).
    for inst in registered.of_type("aws:rds/clusterInstance:ClusterInstance"):
        assert "engineVersion" not in inst["inputs"]
        assert inst["inputs"]["autoMinorVersionUpgrade"] is True
        assert inst["inputs"]["monitoringInterval"] == 60


def test_a_minor_engine_version_is_refused(tags):
    with pytest.raises(ComponentArgsError, match=r"engine_version '16\.6' is not a major "
                                                 r"version.*major version only \(e\.g\. '16'\)"):
        PostgresShardSet("pg", _args(tags, engine_version="16.6"))


def test_parameter_group_forces_tls_for_the_major_version(mocked, tags):
    registered = mocked(_build(tags, engine="rds", engine_version="15"))
    group = registered.one("aws:rds/parameterGroup:ParameterGroup")
    assert group["inputs"]["family"] == "postgres15"
    assert group["inputs"]["name"] == "test-orders-postgres-postgres15"
    params = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert params == {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2"}
    assert group["protect"] is False


def test_aurora_spreads_writer_and_readers_over_the_given_azs(mocked, tags):
    registered = mocked(_build(tags, shards=2, readers=2,
                               availability_zones=["eu-west-1a", "eu-west-1b"],
                               serverless_min_acu=0.5, serverless_max_acu=8))
    for cluster in registered.of_type("aws:rds/cluster:Cluster"):
        inputs = cluster["inputs"]
        assert inputs["engine"] == "aurora-postgresql"
        assert inputs["iamDatabaseAuthenticationEnabled"] is True         # RDS.12
        assert inputs["copyTagsToSnapshot"] is True                       # RDS.16
        assert inputs["masterUsername"] == "dbadmin"                      # RDS.24
        assert inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5,
                                                              "maxCapacity": 8}
    instances = {i["name"]: i["inputs"]
                 for i in registered.of_type("aws:rds/clusterInstance:ClusterInstance")}
    assert sorted(instances) == sorted(f"orders-postgres-shard-{s}-{role}" for s in range(2)
                                       for role in ("writer", "reader-1", "reader-2"))
    assert instances["orders-postgres-shard-0-writer"]["availabilityZone"] == "eu-west-1a"
    assert instances["orders-postgres-shard-0-reader-1"]["availabilityZone"] == "eu-west-1b"
    assert instances["orders-postgres-shard-0-reader-1"]["promotionTier"] == 1
    assert all(i["instanceClass"] == "db.serverless" and i["publiclyAccessible"] is False
               for i in instances.values())


# --- network ------------------------------------------------------------------------------------

def test_nothing_is_admitted_unless_named(mocked, tags):
    """Issue 8, item 8: no whole-subnet ingress by default."""
    registered = mocked(_build(tags, engine="rds"))
    group = registered.one("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in group["inputs"] and "egress" not in group["inputs"]
    assert group["inputs"]["name"] == "test-orders-postgres"
    assert not registered.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")


def test_allowed_groups_cidrs_and_allow_from_admit_5432_only(mocked, tags):
    def build():
        store = PostgresShardSet("orders-postgres", _args(
            tags, engine="rds", allowed_security_group_ids=["sg-batch"],
            allowed_cidrs=["10.9.0.0/24"]))
        store.allow_from("orders-pods", "sg-pods", "orders pods")
    rules = {r["name"]: r["inputs"] for r in mocked(build).of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert set(rules) == {"orders-postgres-allow-sg-0", "orders-postgres-from-10.9.0.0-24",
                          "orders-postgres-allow-orders-pods"}
    assert rules["orders-postgres-allow-orders-pods"]["referencedSecurityGroupId"] == "sg-pods"
    assert rules["orders-postgres-allow-sg-0"]["referencedSecurityGroupId"] == "sg-batch"
    assert rules["orders-postgres-from-10.9.0.0-24"]["cidrIpv4"] == "10.9.0.0/24"
    for rule in rules.values():
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 5432, 5432)
        assert rule["securityGroupId"] == "orders-postgres-sg-id"


def test_allow_from_refuses_a_name_that_cannot_name_a_rule(mocked, tags):
    errors = []

    def build():
        store = PostgresShardSet("orders-postgres", _args(tags, engine="rds"))
        try:
            store.allow_from("orders pods", "sg-1")
        except ComponentArgsError as error:
            errors.append(str(error))
    mocked(build)
    assert errors and "allow_from name 'orders pods'" in errors[0]


# --- shard map ----------------------------------------------------------------------------------

def test_small_shard_map_is_one_standard_parameter(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=2,
                               shard_map_parameter_name="/team/orders/shard-map"))
    param = registered.one("aws:ssm/parameter:Parameter")["inputs"]
    assert (param["name"], param["type"], param["tier"]) == ("/team/orders/shard-map", "String",
                                                             "Standard")
    shard_map = json.loads(param["insecureValue"])
    assert shard_map["version"] == 1
    assert shard_map["partitioning"] == {"by": "tenant", "shards": 2,
                                         "algorithm": "jump-consistent-hash/blake2b-64"}
    assert [s["index"] for s in shard_map["shards"]] == [0, 1]
    assert all(s["writerEndpoint"] == "mock.rds.amazonaws.com" and s["port"] == 5432
               for s in shard_map["shards"])


def test_region_map_lists_each_shards_regions(mocked, tags):
    registered = mocked(_build(tags, engine="rds", shards=2, partition_by="region",
                               regions=["eu", "us", "apac"]))
    shard_map = json.loads(registered.one("aws:ssm/parameter:Parameter")["inputs"]
                           ["insecureValue"])
    assert shard_map["partitioning"] == {"by": "region", "shards": 2}
    assert [s["regions"] for s in shard_map["shards"]] == [["eu", "apac"], ["us"]]


@functools.cache
def _sixty_four_shards() -> tuple[Registered, PostgresShardSet]:
    """One 64-shard Aurora set with its grants, shared by the tests of AWS's size limits."""
    holder: list[PostgresShardSet] = []
    tags = {"owner": "team-a", "service": "orders"}
    return run_mocked(_build(tags, holder, shards=64)), holder[0]


def test_sixty_four_shards_fit_standard_parameters():
    """A Standard parameter holds 4 KB, ~14 shards; the catalog allows 64."""
    registered, _store = _sixty_four_shards()
    params = {p["inputs"]["name"]: p for p in registered.of_type("aws:ssm/parameter:Parameter")}
    main = params.pop("/test-orders-postgres/shard-map")
    header = json.loads(main["inputs"]["insecureValue"])
    assert header["version"] == 2 and sorted(header["pages"]) == sorted(params)
    seen = []
    for name in header["pages"]:
        page = params[name]
        # The main parameter is written after its pages: a reader never finds one missing.
        assert page["urn"] in main["dependencies"]
        seen += [s["index"] for s in json.loads(page["inputs"]["insecureValue"])["shards"]]
    assert seen == list(range(64))
    for param in [main, *params.values()]:
        assert param["inputs"]["tier"] == "Standard"
        assert len(param["inputs"]["insecureValue"]) <= SSM_STANDARD_VALUE_MAX_CHARS
    # Services read it back whole with the reader they import.
    values = {p["inputs"]["name"]: p["inputs"]["insecureValue"]
              for p in registered.of_type("aws:ssm/parameter:Parameter")}
    shard_map = load_shard_map(values.__getitem__, "/test-orders-postgres/shard-map")
    assert [s["index"] for s in shard_map["shards"]] == list(range(64))
    assert writer_for_tenant(shard_map, "acme") == "mock.cluster.rds.amazonaws.com"


# --- grants -------------------------------------------------------------------------------------

def test_grants_name_each_shard_user_the_map_and_the_key(mocked, tags):
    holder: list[PostgresShardSet] = []
    registered = mocked(_build(tags, holder, engine="rds", shards=2))
    for verb, user in (("read", "orders_ro"), ("write", "orders_rw")):
        (document,) = _documents(registered, verb).values()
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        connect = by_sid[f"ConnectAs{user[-2:].upper()}"]
        assert connect["Action"] == [CONNECT]
        # One ARN per shard, each naming that shard's instance resource id.
        assert len(set(connect["Resource"])) == 2
        assert all(re.fullmatch(
            rf"arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-[A-Z2-7]{{26}}/{user}", arn)
            for arn in connect["Resource"])
        assert by_sid["ReadShardMap"]["Resource"] == [
            "arn:aws:ssm:eu-west-1:123456789012:parameter/test-orders-postgres/shard-map"]
        assert by_sid["Key"] == {"Sid": "Key", "Effect": "Allow", "Resource": [KEY_ARN],
                                 "Action": ["kms:Decrypt", "kms:DescribeKey"]}
        assert all("*" not in s["Resource"] for s in document["Statement"])
    attachments = registered.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert sorted(a["name"] for a in attachments if a["name"].startswith("orders-postgres-r")
                  or a["name"].startswith("orders-postgres-w")) == [
        "orders-postgres-read-orders-role-own-0", "orders-postgres-write-orders-role-own-0"]


def _policy_chars(document: dict) -> int:
    """IAM does not count whitespace against the size quota."""
    return len("".join(json.dumps(document).split()))


def test_sixty_four_shard_grants_fit_managed_policies_within_their_bound():
    """Issue 8, item 13: 64 shards exceeded a role's 10,240 inline characters."""
    registered, store = _sixty_four_shards()
    for verb, grants in (("read", store.read_grants()), ("write", store.write_grants())):
        packed = pack_grants({"own": grants})
        documents = _documents(registered, verb)
        assert len(documents) == len(packed) == 2
        for index, (_group, members) in enumerate(packed):
            planned = len('{"Version":"2012-10-17","Statement":[]}') + sum(
                g.max_chars + 1 for g in members)
            resolved = _policy_chars(documents[f"orders-postgres-{verb}-orders-role-own-{index}"])
            assert resolved <= planned <= MANAGED_POLICY_MAX_CHARS
        arns = [arn for d in documents.values() for s in d["Statement"]
                if s["Action"] == [CONNECT] for arn in s["Resource"]]
        assert len(arns) == 64


def test_grant_bounds_cover_the_longest_real_arns():
    """The plan-time bound holds for a real-length ARN, not only for the short mock ids."""
    longest = ("arn:aws-us-gov:rds-db:ap-southeast-5:123456789012:dbuser:"
               "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ/orders_rw")
    assert len(longest) <= connect_arn_max_chars("orders_rw")


# --- arguments ----------------------------------------------------------------------------------

def test_own_key_admits_rds_and_secrets_manager_as_callers(mocked, tags):
    args = _args(tags, engine="rds", lifecycle=PROTECTED)
    del args["kms_key_arn"]
    registered = mocked(lambda: PostgresShardSet("orders-postgres", args))
    key = registered.named("orders-postgres-key-key")
    assert key["protect"] and key["retainOnDelete"]
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "rds.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"]
    inst = registered.one("aws:rds/instance:Instance")
    assert key["urn"] in inst["propertyDependencies"]["kmsKeyId"]


def test_misspelt_argument_is_refused(tags):
    with pytest.raises(ComponentArgsError, match=r"'shard' \(did you mean 'shards'"):
        PostgresShardSet("pg", _args(tags, shard=2))


def test_wrong_shape_is_refused(tags):
    with pytest.raises(ComponentArgsError, match=r"'subnet_ids' expects list of str"):
        PostgresShardSet("pg", _args(tags, subnet_ids="subnet-a"))


@pytest.mark.parametrize(("extra", "message"), [
    ({"engine": "rds", "readers": 1}, "readers: Aurora only"),
    ({"multi_az": True}, "multi_az: RDS only"),
    ({"monitoring_interval_seconds": 0}, "monitoring_interval_seconds must be one of"),
    ({"database_user_prefix": "Orders-App"}, "database user prefix 'Orders-App'"),
    ({"partition_by": "region", "shards": 3, "regions": ["eu"]}, "at least one region per shard"),
    ({"subnet_ids": ["subnet-a"]}, "at least two AZs"),
    ({"identifier_prefix": "Orders_PG"}, "rds-identifier name 'Orders_PG-0'"),
])
def test_combinations_aws_cannot_serve_are_refused(tags, extra, message):
    with pytest.raises(ComponentArgsError, match=message):
        PostgresShardSet("pg", _args(tags, **extra))


def test_physical_names_cover_every_name_the_component_builds():
    names = physical_names("dev-orders-pg", shards=2, engine="aurora", readers=1,
                           shard_map_parameter_name="/dev/orders/map")
    assert ("rds-identifier", "dev-orders-pg-1-reader-1") in names
    assert ("rds-group", "dev-orders-pg-aurora-postgresql16") in names
    assert ("ssm-parameter", "/dev/orders/map") in names
    assert ("iam-role", "dev-orders-pg-monitoring") in names
    # Per shard: the cluster, its writer and its reader.
    assert len([n for n in names if n[0] == "rds-identifier"]) == 2 * 3


def test_the_provider_host_can_analyze_the_component():
    result = Analyzer("strata").analyze([PostgresShardSet])
    component = result["component_definitions"]["PostgresShardSet"]
    assert {"identifierPrefix", "vpcId", "subnetIds", "kmsKeyArn", "lifecycle",
            "allowedSecurityGroupIds", "allowedCidrs", "engineVersion"} <= set(component.inputs)
    assert component.inputs["kmsKeyArn"].optional
    assert set(component.outputs) == {"securityGroupId", "shardMapParameterName",
                                      "writerEndpoints", "kmsKeyArn"}
    assert [e.value for e in result["type_definitions"]["Engine"].enum] == ["rds", "aurora"]


def test_grants_are_grant_objects_with_bounds(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, grant=False, engine="rds"))
    grants = holder[0].read_grants()
    assert all(isinstance(g, Grant) and 0 < g.max_chars < MANAGED_POLICY_MAX_CHARS
               for g in grants)


# --- monitoring and planning ---------------------------------------------------------------------

def test_alarms_are_sized_from_the_instance(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, grant=False, engine="rds", shards=2,
                  instance_class="db.t4g.micro", allocated_storage_gib=100))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds(cpu_percent=75,
                                                                     storage_free_percent=20))}
    assert specs["shard-1-cpu"].threshold == 75
    assert specs["shard-0-free-storage"].metric.name == "FreeStorageSpace"
    assert specs["shard-0-free-storage"].threshold == 20 * 2**30
    assert specs["shard-0-freeable-memory"].threshold == pytest.approx(0.1 * 2**30)
    assert specs["shard-0-connections"].threshold == int(112 * 0.8)
    assert "shard-0-replica-lag" not in specs
    assert all(s.description for s in specs.values())
    assert {m.name for m in holder[0].metrics()} == {
        "CPUUtilization", "FreeableMemory", "FreeStorageSpace", "DatabaseConnections",
        "ReadLatency", "WriteLatency"}


def test_aurora_alarms_use_local_storage_floor_and_replica_lag(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, grant=False, readers=1, serverless_max_acu=4))
    specs = {s.key: s for s in holder[0].alarm_specs(AlarmThresholds())}
    assert specs["shard-0-free-local-storage"].threshold == 2 * 2**30
    assert specs["shard-0-replica-lag"].metric.name == "AuroraReplicaLag"
    assert specs["shard-0-freeable-memory"].threshold == pytest.approx(0.1 * 8 * 2**30)
    assert "shard-0-free-storage" not in specs


def test_catalog_entry(mocked, tags):
    holder: list[PostgresShardSet] = []
    mocked(_build(tags, holder, grant=False, engine="rds", shards=4))
    entry = holder[0].catalog_entry()
    assert entry["kind"] == "postgres" and entry["shards"] == 4
    assert entry["partitioning"] == "tenant" and entry["engineVersion"] == "16"
    assert entry["shardMapParameter"] == "/test-orders-postgres/shard-map"


def test_planning_numbers():
    assert parameter_family("rds", "16") == "postgres16"
    assert parameter_family("aurora", "15") == "aurora-postgresql15"
    assert max_connections(1) == 112
    assert max_connections(1024) == 5000
    assert sizing("aurora", "db.serverless", 2, 20).memory_gib == 4
    assert sizing("rds", "db.x9.huge", None, 20).memory_gib is None
    assert engine_version_problem("16") is None
    assert engine_version_problem("16.6") and engine_version_problem("latest")


def test_shard_map_layout_pages_only_when_one_parameter_cannot_hold_the_bound():
    header = {"engine": "aurora", "database": "app",
              "partitioning": {"by": "tenant", "shards": 0}}
    small = shard_map_layout("/m", header, [f"p-{i}" for i in range(4)], [None] * 4)
    assert small.pages == () and small.max_chars[0] <= SSM_STANDARD_VALUE_MAX_CHARS
    ids = [f"{'x' * 50}-{i}" for i in range(64)]
    large = shard_map_layout("/m", header, ids, [None] * 64)
    assert [i for page in large.pages for i in page] == list(range(64))
    assert all(size <= SSM_STANDARD_VALUE_MAX_CHARS for size in large.max_chars)
    assert large.page_names("/m")[0] == "/m-page-0"


def test_replace_on_change_inputs_are_real_arguments():
    fields = PostgresShardSetArgs.__required_keys__ | PostgresShardSetArgs.__optional_keys__
    assert set(REPLACE_ON_CHANGE) <= fields
    assert {"identifier_prefix", "kms_key_arn", "master_username"} <= set(REPLACE_ON_CHANGE)


def test_allow_from_refuses_a_description_ec2_would_refuse(mocked, tags):
    """EC2 refuses an apostrophe in a rule description at deploy (InvalidParameterValue)."""
    errors = []

    def build():
        store = PostgresShardSet("orders-postgres", _args(tags, engine="rds"))
        try:
            store.allow_from("workloads", "sg-1", "the service's own workloads")
        except ComponentArgsError as error:
            errors.append(str(error))
    mocked(build)
    assert errors and "allow_from description \"the service's own workloads\"" in errors[0]
