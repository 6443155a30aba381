"""`examples/python`: another team's Pulumi project using the library on infrastructure it already
has (its VPC, subnets, KMS key, MSK cluster, security group and IAM role), without Strata's
catalog. Run as `strata synth` runs a program: the real `__main__.py` with its stack file, under
the mock runtime; the assertions are on what it registers.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

import components
from infra.synth import synthesize
from tests.conftest import Registered
from tests.provider._schemas import project_problems

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python"
CONFIG = {k.split(":", 1)[1]: v for k, v in yaml.safe_load(
    (EXAMPLE / "Pulumi.prod.yaml").read_text())["config"].items()}
TAGS = {"team": "orders", "cost-centre": "4711", "stack": "prod"}


@cache
def manifest() -> dict[str, Any]:
    return synthesize("prod", EXAMPLE)


def registered() -> Registered:
    return Registered(manifest()["resources"])


def _policy(name: str) -> dict[str, Any]:
    policy = next(r for r in manifest()["resources"]
                  if r["type"] == "aws:iam/policy:Policy" and r["name"] == name)
    document: dict[str, Any] = json.loads(policy["inputs"]["policy"])
    return document


def test_uses_only_the_public_library_and_no_catalog():
    tree = ast.parse((EXAMPLE / "__main__.py").read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for a in node.names}
    assert modules - {"__future__"} == {"pulumi", "pulumi_aws", "components"}
    imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for a in node.names if node.module == "components"}
    assert imported <= set(components.__all__)
    assert project_problems(yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())) == []


def test_creates_no_network_and_no_key_of_its_own():
    types = {r["type"] for r in manifest()["resources"]}
    assert not types & {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:kms/key:Key",
                        "strata:index:EncryptionKey", "aws:msk/cluster:Cluster"}
    assert {t for t in types if t.startswith("strata:")} == {
        "strata:index:PostgresShardSet", "strata:index:KeyValueTable", "strata:index:Topic"}


def test_postgres_sits_in_the_teams_subnets_with_its_key_and_admits_only_its_app():
    found = registered()
    assert found.named("orders-db-subnets")["inputs"]["subnetIds"] == CONFIG["dataSubnetIds"]
    group = found.named("orders-db-sg")
    assert group["inputs"]["vpcId"] == CONFIG["vpcId"]
    [rule] = found.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule["name"] == "orders-db-allow-orders-api"
    assert rule["parent"] == found.one("strata:index:PostgresShardSet")["urn"]
    assert (rule["inputs"]["referencedSecurityGroupId"], rule["inputs"]["fromPort"],
            rule["inputs"]["toPort"]) == (CONFIG["appSecurityGroupId"], 5432, 5432)
    assert rule["inputs"]["securityGroupId"] == "orders-db-sg-id"
    clusters = found.of_type("aws:rds/cluster:Cluster")
    assert [c["inputs"]["clusterIdentifier"] for c in clusters] == ["orders-prod-0",
                                                                     "orders-prod-1"]
    for cluster in clusters:
        assert cluster["inputs"]["kmsKeyId"] == CONFIG["kmsKeyArn"]
        assert cluster["inputs"]["masterUserSecretKmsKeyId"] == CONFIG["kmsKeyArn"]
        assert cluster["inputs"]["storageEncrypted"] is True


def test_the_lifecycle_protects_the_data_and_every_helper_it_needs():
    found = registered()
    for name in ("orders-db-shard-0", "orders-db-shard-1", "orders-db-shard-0-writer",
                 "orders-db-subnets", "orders-db-sg", "orders-db-params", "idempotency-table",
                 "order-events-topic"):
        entry = found.named(name)
        assert entry["protect"] and entry["retainOnDelete"], name
    assert found.named("orders-db-shard-0")["inputs"]["deletionProtection"] is True
    assert found.named("idempotency-table")["inputs"]["deletionProtectionEnabled"] is True


def test_table_and_topic_use_the_teams_key_cluster_and_tags():
    found = registered()
    table = found.named("idempotency-table")["inputs"]
    assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": CONFIG["kmsKeyArn"]}
    assert table["ttl"] == {"enabled": True, "attributeName": "expires_at"}
    assert table["tags"] == TAGS
    topic = found.named("order-events-topic")["inputs"]
    assert (topic["clusterArn"], topic["name"], topic["partitionCount"]) == (
        CONFIG["mskClusterArn"], "orders.events.v1", 12)
    assert json.loads(topic["configs"])["retention.ms"] == str(72 * 3_600_000)


def test_grants_attach_exact_arns_to_the_teams_role():
    attachments = registered().of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    granted = sorted(a["name"] for a in attachments if a["inputs"]["role"] == CONFIG["appRoleName"])
    assert granted == ["idempotency-write-orders-api-prod-own-0",
                       "order-events-produce-orders-api-prod-produce-0",
                       "orders-db-write-orders-api-prod-own-0"]
    cluster = CONFIG["mskClusterArn"]
    topic = cluster.replace(":cluster/", ":topic/") + "/orders.events.v1"
    produce = {s["Sid"]: s["Resource"] for s in _policy(
        "order-events-produce-orders-api-prod-produce-0")["Statement"]}
    assert produce == {"Connect": [cluster], "Produce": [topic]}
    table = {s["Sid"]: s["Resource"] for s in _policy(
        "idempotency-write-orders-api-prod-own-0")["Statement"]}
    assert table["Key"] == [CONFIG["kmsKeyArn"]]
    assert table["WriteTable"] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/"
                                   "orders-prod-idempotency"]
    database = {s["Sid"]: s for s in _policy(
        "orders-db-write-orders-api-prod-own-0")["Statement"]}
    assert database["ConnectAsRW"]["Action"] == ["rds-db:connect"]
    assert database["Key"]["Resource"] == [CONFIG["kmsKeyArn"]]
    assert all("*" not in r for s in database.values() for r in s["Resource"])


def test_exports_what_the_team_wires_into_its_workloads():
    assert manifest()["outputs"] == {
        "shardMapParameter": "/orders-prod/shard-map",
        "databaseSecurityGroupId": "orders-db-sg-id",
        "idempotencyTableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/"
                               "orders-prod-idempotency",
        "orderEventsTopicArn": CONFIG["mskClusterArn"].replace(":cluster/", ":topic/")
        + "/orders.events.v1",
    }
