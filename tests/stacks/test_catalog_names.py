"""Every physical name is checked at config time, with the key path that produced it: AWS's
limits, collisions between two names of one kind (every side reported), reserved namespaces."""

from __future__ import annotations

import pytest

from infra.config import catalog_from_raw
from stacks._physical import planned_names
from tests.conftest import synthesized
from tests.stacks._config_fixtures import find, problems_of_raw, raw_with

LONG_ENV = "abcdefghijklmnopqrstuvwxyzabcdef"  # 32 characters, the most a name may have
LONG_SERVICE = "reservations-and-fulfilment-svc1"  # 32 as well
TABLE = {"owner": "team-x", "classification": "internal",
         "keyvalue": {"items": {"partitionKey": {"name": "id"}}}}


def _service(name, spec=None):
    return (f"services.{name}", spec or TABLE)


REFUSED = [
    # (case, edits, key path, fragment)
    ("a service named platform takes the platform key's alias", [_service("platform")],
     ("services", "platform"), "kms-alias name 'strata/dev/platform' is also what "
                               "strata:environment.name names"),
    ("... reported on the platform's side too", [_service("platform")],
     ("environment", "name"), "is also what strata:services.platform names"),
    ("a service named admin takes the EKS admin role's name", [_service("admin")],
     ("services", "admin"), "iam-role name 'strata-dev-admin'"),
    ("two services' tables map to one DynamoDB name",
     [_service("orders-x", {**TABLE, "keyvalue": {"tt": {"partitionKey": {"name": "id"}}}}),
      ("services.orders.keyvalue", {"x-tt": {"partitionKey": {"name": "id"}}})],
     ("services", "orders-x", "keyvalue", "tt"),
     "dynamodb-table name 'dev-orders-x-tt' is also what strata:services.orders.keyvalue.x-tt"),
    ("... and the other side", [
        _service("orders-x", {**TABLE, "keyvalue": {"tt": {"partitionKey": {"name": "id"}}}}),
        ("services.orders.keyvalue", {"x-tt": {"partitionKey": {"name": "id"}}})],
     ("services", "orders", "keyvalue", "x-tt"), "strata:services.orders-x.keyvalue.tt"),
    ("namespace default", [_service("default")], ("services", "default"), "reserved"),
    ("namespace kube-system", [_service("kube-system")], ("services", "kube-system"),
     "reserved"),
    ("any kube- namespace", [_service("kube-jobs")], ("services", "kube-jobs"), "reserved"),
    ("an EKS add-on namespace", [_service("amazon-cloudwatch")],
     ("services", "amazon-cloudwatch"), "reserved"),
    ("the Fargate logging namespace", [_service("aws-observability")],
     ("services", "aws-observability"), "reserved"),
    ("a service role past IAM's 64 characters",
     [("environment.name", LONG_ENV), _service(LONG_SERVICE)],
     ("services", LONG_SERVICE), "iam-role name 'strata-abcdefghijklmnopqrstuvwxyzabcdef-"),
    ("an Aurora identifier past RDS's 63 characters",
     [("environment.name", LONG_ENV), _service(LONG_SERVICE, {**TABLE, "postgres": {}})],
     ("services", LONG_SERVICE, "postgres"), "rds-identifier name"),
    ("an InfluxDB name past 40 characters", [("environment.name", LONG_ENV)],
     ("services", "telemetry", "timeseries"), "AWS allows 3-40"),
]


@pytest.mark.parametrize(("edits", "path", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refuses_names_aws_would_refuse_or_that_collide(edits, path, fragment):
    find(problems_of_raw(raw_with("dev", *edits)), path, "STRATA-E107", fragment)


def test_a_given_admin_role_frees_the_admin_name():
    raw = raw_with("dev", _service("admin"),
                   ("cluster.adminRoleArn", "arn:aws:iam::123456789012:role/ops-admin"))
    assert problems_of_raw(raw) == []


def test_many_too_long_shard_names_are_reported_once_per_kind():
    raw = raw_with("dev", ("environment.name", LONG_ENV),
                   _service(LONG_SERVICE, {**TABLE, "postgres": {"engine": "rds", "shards": 16}}))
    problems = [p for p in problems_of_raw(raw) if p.path == ("services", LONG_SERVICE,
                                                              "postgres")
                and "rds-identifier" in p.message]
    assert len(problems) == 1, problems
    assert "-15'" in problems[0].message  # the longest of them is the one shown


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_names_checked_are_the_names_the_program_creates(stack):
    """Config-time names come from the components' own `physical_names`: every name of the
    checked kinds in the synthesized manifest is one of them (drift fails here)."""
    catalog = catalog_from_raw(raw_with(stack), f"Pulumi.{stack}.yaml")
    planned = {(kind, name) for kind, name, _ in planned_names(catalog)}
    inputs = {  # resource type -> (kind, the input holding its physical name)
        "aws:dynamodb/table:Table": ("dynamodb-table", "name"),
        "aws:rds/cluster:Cluster": ("rds-identifier", "clusterIdentifier"),
        "aws:rds/clusterInstance:ClusterInstance": ("rds-identifier", "identifier"),
        "aws:rds/instance:Instance": ("rds-identifier", "identifier"),
        "aws:timestreaminfluxdb/dbInstance:DbInstance": ("influxdb-instance", "name"),
        "aws:timestreamwrite/database:Database": ("timestream-database", "databaseName"),
        "aws:msk/cluster:Cluster": ("msk-cluster", "clusterName"),
        "aws:eks/cluster:Cluster": ("eks-cluster", "name"),
        "aws:kms/alias:Alias": ("kms-alias", "name"),
        "aws:ssm/parameter:Parameter": ("ssm-parameter", "name"),
        "aws:sns/topic:Topic": ("sns-topic", "name"),
        "kubernetes:core/v1:Namespace": ("k8s-namespace", "metadata"),
    }
    seen = 0
    for resource in synthesized(stack)["resources"]:
        if resource["type"] not in inputs:
            continue
        kind, key = inputs[resource["type"]]
        name = resource["inputs"].get(key)
        if isinstance(name, dict):
            name = name["name"]
        if kind == "kms-alias":
            name = name.removeprefix("alias/")
            if not name.startswith(("strata/",)):
                continue  # aliases of keys the components create for themselves
        if name is None or (kind == "sns-topic" and not name.endswith("-alarms")):
            continue
        seen += 1
        assert (kind, name) in planned, (resource["type"], name)
    assert seen >= 20
