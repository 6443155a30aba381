"""`strata diff` on small hand-built manifests: each table says exactly what changed.

`manifest()` and `resource()` build manifests in the shape `strata synth` writes; the other
diff tests reuse them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from infra._diff_resources import ABSENT, InputChange
from infra._ownership import UNOWNED, service_owners
from infra.diff import DiffReport, diff_manifests
from infra.urns import child_urn

STACK, PROJECT = "test", "strata"
ROOT = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::strata-test"


def resource(name: str, type_: str, inputs: dict[str, Any] | None = None, *,
             parent: str = ROOT, custom: bool = True, deps: dict[str, list[str]] | None = None,
             **options: Any) -> dict[str, Any]:
    return {"urn": child_urn(STACK, PROJECT, parent, type_, name), "type": type_, "name": name,
            "custom": custom, "parent": parent, "provider": "", "inputs": inputs or {},
            "dependencies": [], "propertyDependencies": deps or {},
            "protect": options.get("protect", False),
            "retainOnDelete": options.get("retainOnDelete", False),
            "aliases": options.get("aliases", [])}


def manifest(*resources: dict[str, Any]) -> dict[str, Any]:
    stack = {"urn": ROOT, "type": "pulumi:pulumi:Stack", "name": "strata-test", "custom": False,
             "parent": "", "inputs": {}}
    return {"project": PROJECT, "stack": STACK, "resources": [stack, *resources],
            "outputs": {}}


def tags(service: str) -> dict[str, str]:
    return {"service": service, "owner": "team", "environment": "test"}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def diff(old: dict[str, Any], new: dict[str, Any], *accept: str) -> DiffReport:
    return diff_manifests(old, new, accept_patterns=accept)


def _bucket(name: str = "orders-bucket", **inputs: Any) -> dict[str, Any]:
    return resource(name, "aws:s3/bucket:Bucket", {"tags": tags("orders"), **inputs})


# --- resources per service -----------------------------------------------------------------


def test_identical_manifests_report_nothing_and_exit_0():
    m = manifest(_bucket(), resource("role", "aws:iam/role:Role", {"tags": tags("orders")}))
    report = diff(m, copy.deepcopy(m))
    assert (report.resources, report.iam, report.security_groups, report.stateful) == \
        ([], [], [], [])
    assert report.exit_code == 0


def test_added_removed_and_changed_resources_with_their_input_paths():
    old = manifest(_bucket(forceDestroy=False, tags=tags("orders")),
                   resource("gone", "aws:sns/topic:Topic", {"tags": tags("payments")}))
    new = manifest(_bucket(forceDestroy=True, tags={**tags("orders"), "owner": "team-b"}),
                   resource("fresh", "aws:sns/topic:Topic", {"tags": tags("ledger")}))
    report = diff(old, new)
    kinds = {(c.kind, c.name, c.service) for c in report.resources}
    assert kinds == {("changed", "orders-bucket", "orders"), ("removed", "gone", "payments"),
                     ("added", "fresh", "ledger")}
    (changed,) = [c for c in report.resources if c.kind == "changed"]
    assert changed.changes == (InputChange("forceDestroy", False, True),
                               InputChange("tags.owner", "team", "team-b"))
    assert list(report.by_service()) == ["ledger", "orders", "payments"]


def test_list_elements_absent_keys_and_secrets_are_reported_as_the_manifest_holds_them():
    old = manifest(resource("db", "aws:rds/cluster:Cluster", {
        "tags": tags("orders"), "vpcSecurityGroupIds": ["sg-1", "sg-2"],
        "masterPassword": "[secret]", "port": 5432.0}))
    new = manifest(resource("db", "aws:rds/cluster:Cluster", {
        "tags": tags("orders"), "vpcSecurityGroupIds": ["sg-1", "sg-3"],
        "masterPassword": "[secret]", "backupRetentionPeriod": 35.0}))
    (changed,) = diff(old, new).resources
    assert changed.changes == (InputChange("backupRetentionPeriod", ABSENT, 35.0),
                               InputChange("port", 5432.0, ABSENT),
                               InputChange("vpcSecurityGroupIds[1]", "sg-2", "sg-3"))


def test_a_secret_that_appears_stays_masked():
    old = manifest(_bucket())
    new = manifest(_bucket(password="[secret]"))
    (changed,) = diff(old, new).resources
    assert changed.changes == (InputChange("password", ABSENT, "[secret]"),)


def test_a_reformatted_json_document_is_no_change_but_a_new_value_is():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                    "Resource": "*"}]}
    old = manifest(resource("p", "aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(doc)}))
    same = manifest(resource("p", "aws:iam/rolePolicy:RolePolicy",
                             {"policy": json.dumps(doc, indent=4, sort_keys=True)}))
    assert diff(old, same).resources == []
    doc["Statement"][0]["Resource"] = "arn:aws:s3:::b/*"
    other = manifest(resource("p", "aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(doc)}))
    assert [c.path for c in diff(old, other).resources[0].changes] == ["policy"]


def test_protect_and_retain_changes_are_shown_as_options():
    old = manifest(_bucket())
    old["resources"][1]["protect"] = True
    new = manifest(_bucket())
    (changed,) = diff(old, new).resources
    assert changed.changes == (InputChange("options.protect", True, False),)


def test_a_rename_with_an_alias_is_a_change_not_a_removal_and_an_addition():
    old = manifest(_bucket("orders-store"))
    renamed = _bucket("orders-bucket")
    renamed["aliases"] = [{"spec": {"name": "orders-store"}}]
    report = diff(old, manifest(renamed))
    (change,) = report.resources
    assert (change.kind, change.name) == ("changed", "orders-bucket")
    assert change.renamed_from == old["resources"][1]["urn"]
    assert report.stateful == []


def test_components_are_not_listed_as_resource_changes():
    component = resource("orders", "strata:index:ServiceData", custom=False)
    child = resource("orders-table", "aws:dynamodb/table:Table",
                     {"tags": tags("orders"), "name": "t"}, parent=component["urn"])
    report = diff(manifest(), manifest(component, child))
    assert [(c.kind, c.name) for c in report.resources] == [("added", "orders-table")]


# --- ownership -----------------------------------------------------------------------------


def test_owner_comes_from_tag_label_attachment_or_unanimous_ancestor():
    service = resource("orders", "strata:index:ServiceData", custom=False)
    table = resource("orders-table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=service["urn"])
    topic = resource("orders.events", "aws:msk/topic:Topic", {"name": "events"},
                     parent=service["urn"])
    kafka = resource("kafka", "strata:index:KafkaCluster", custom=False)
    cluster = resource("kafka-cluster", "aws:msk/cluster:Cluster", {"tags": tags("platform")},
                       parent=kafka["urn"])
    role = resource("ledger-role", "aws:iam/role:Role", {"tags": tags("ledger")})
    grant = resource("ledger-consume", "aws:iam/rolePolicy:RolePolicy", {"role": "ledger"},
                     parent=kafka["urn"], deps={"role": [role["urn"]]})
    namespace = resource("ns", "kubernetes:core/v1:Namespace",
                         {"metadata": {"labels": {"strata.io/service": "payments"}}})
    dashboard = resource("dashboard", "aws:cloudwatch/dashboard:Dashboard")
    owners = service_owners(manifest(service, table, topic, kafka, cluster, role, grant,
                                     namespace, dashboard)["resources"])
    assert owners[table["urn"]] == "orders"            # own tag
    assert owners[topic["urn"]] == "orders"            # untagged, under a one-service component
    assert owners[grant["urn"]] == "ledger"            # attached to ledger's role, not the
    assert owners[cluster["urn"]] == "platform"        # platform component it sits under
    assert owners[namespace["urn"]] == "payments"      # Kubernetes label
    assert owners[dashboard["urn"]] == UNOWNED         # nothing names a service
    assert owners[ROOT] == UNOWNED                     # the stack spans several services


# --- IAM statements ------------------------------------------------------------------------

READ = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"}


def _grant(*statements: dict[str, Any]) -> dict[str, Any]:
    return resource("orders-read", "aws:iam/rolePolicy:RolePolicy",
                    {"role": "orders", "policy": policy(*statements)})


def test_a_widened_grant_shows_its_old_statement_removed_and_its_new_one_added():
    wider = {**READ, "Action": [*READ["Action"], "dynamodb:Scan"]}
    report = diff(manifest(_grant(READ)), manifest(_grant(wider)))
    assert [(c.sign, c.statement.actions) for c in report.iam if c.statement] == [
        ("-", ("dynamodb:GetItem", "dynamodb:Query")),
        ("+", ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"))]
    assert {c.document for c in report.iam} == {"policy"}


def test_reordered_statements_single_strings_and_sids_are_no_iam_change():
    other = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    old = manifest(_grant(READ, other))
    shuffled = {**READ, "Sid": "Read", "Action": list(reversed(READ["Action"])),
                "Resource": [READ["Resource"]]}
    new = manifest(_grant({**other, "Action": ["kms:Decrypt"]}, shuffled))
    assert diff(old, new).iam == []


def test_statements_of_added_and_removed_resources_and_trust_and_inline_policies():
    trust = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:TagSession"]}
    role = resource("orders-role", "aws:iam/role:Role", {
        "tags": tags("orders"), "assumeRolePolicy": policy(trust),
        "inlinePolicies": [{"name": "logs", "policy": policy(
            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"})}]})
    report = diff(manifest(_grant(READ)), manifest(role))
    rows = {(c.sign, c.resource_name, c.document, c.statement.principals if c.statement else ())
            for c in report.iam}
    assert rows == {("-", "orders-read", "policy", ()),
                    ("+", "orders-role", "assumeRolePolicy",
                     ("Service:pods.eks.amazonaws.com",)),
                    ("+", "orders-role", "inlinePolicies[logs]", ())}


def test_principals_conditions_and_negations_are_normalised():
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::b/*",
              "Condition": {"StringEquals": {"aws:SourceVpce": ["vpce-2", "vpce-1"]}}}
    same = {**public, "Principal": {"AWS": "*"},
            "Condition": {"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}}
    bucket = "aws:s3/bucketPolicy:BucketPolicy"
    old = manifest(resource("bp", bucket, {"policy": policy(public)}))
    assert diff(old, manifest(resource("bp", bucket, {"policy": policy(same)}))).iam == []
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
            "NotAction": "s3:Get*", "Resource": "*"}
    (added,) = diff(old, manifest(resource("bp", bucket, {"policy": policy(public, deny)}))).iam
    assert added.statement is not None
    assert (added.sign, added.statement.effect, added.statement.principals,
            added.statement.actions) == ("+", "Deny", ("NOT AWS:arn:aws:iam::1:root",),
                                         ("NOT s3:Get*",))
    assert diff(manifest(), old).iam[0].statement.conditions == (  # type: ignore[union-attr]
        "StringEquals aws:SourceVpce: vpce-1, vpce-2",)


def test_an_unreadable_document_is_shown_raw_instead_of_dropped():
    old = manifest(_grant(READ))
    new = manifest(resource("orders-read", "aws:iam/rolePolicy:RolePolicy",
                            {"policy": "{not json"}))
    rows = [(c.sign, c.statement is None, c.raw) for c in diff(old, new).iam]
    assert ("+", True, "{not json") in rows


# --- security-group rules ------------------------------------------------------------------


def _group(name: str = "db-sg", **inputs: Any) -> dict[str, Any]:
    return resource(name, "aws:ec2/securityGroup:SecurityGroup", {"tags": tags("orders"),
                                                                  **inputs})


def _ingress(name: str, group: dict[str, Any], peer: dict[str, Any] | None = None,
             **inputs: Any) -> dict[str, Any]:
    return resource(name, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    {"tags": tags("orders"), "securityGroupId": f"{group['name']}-id",
                     "ipProtocol": "tcp", **inputs},
                    deps={"securityGroupId": [group["urn"]],
                          "referencedSecurityGroupId": [peer["urn"]] if peer else []})


def test_rule_resources_and_inline_blocks_become_rows_with_named_groups_and_peers():
    db, app = _group("db-sg"), _group("app-sg")
    old = manifest(db, app, _ingress("db-from-vpc", db, fromPort=5432.0, toPort=5432.0,
                                     cidrIpv4="10.0.0.0/16", description="vpc"))
    from_app = _ingress("db-from-app", db, fromPort=5432.0, toPort=5432.0,
                        referencedSecurityGroupId="app-sg-id", peer=app)
    inline_app = _group("app-sg", egress=[{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
                                            "cidrBlocks": ["0.0.0.0/0", "10.1.0.0/16"]}])
    new = manifest(db, inline_app, from_app)
    rows = {(c.sign, c.rule.group, c.rule.direction, c.rule.protocol, c.rule.ports, c.rule.peer)
            for c in diff(old, new).security_groups}
    assert rows == {("-", "db-sg", "ingress", "tcp", "5432", "cidr 10.0.0.0/16"),
                    ("+", "db-sg", "ingress", "tcp", "5432", "sg app-sg"),
                    ("+", "app-sg", "egress", "all", "all", "cidr 0.0.0.0/0"),
                    ("+", "app-sg", "egress", "all", "all", "cidr 10.1.0.0/16")}


def test_a_description_change_or_a_rule_moving_resources_is_no_rule_change():
    db = _group()
    old = manifest(db, _ingress("a", db, fromPort=443.0, toPort=443.0, cidrIpv4="10.0.0.0/8",
                                description="old words"))
    new = manifest(db, _ingress("b", db, fromPort=443.0, toPort=443.0, cidrIpv4="10.0.0.0/8",
                                description="new words"))
    assert diff(old, new).security_groups == []
    wider = manifest(db, _ingress("b", db, fromPort=443.0, toPort=444.0, cidrIpv4="10.0.0.0/8"))
    assert {(c.sign, c.rule.ports) for c in diff(old, wider).security_groups} == \
        {("-", "443"), ("+", "443-444")}


# --- stateful ------------------------------------------------------------------------------


def _table(name: str = "orders-table", aliases: list[Any] | None = None,
           **inputs: Any) -> dict[str, Any]:
    return resource(name, "aws:dynamodb/table:Table",
                    {"tags": tags("orders"), "name": "prod-orders", "hashKey": "id", **inputs},
                    protect=True, aliases=aliases or [])


def test_removing_a_stateful_resource_is_a_deletion_and_exit_1():
    report = diff(manifest(_table(), _bucket()), manifest(_bucket()))
    (deletion,) = report.stateful
    assert (deletion.action, deletion.name, deletion.service, deletion.protect) == \
        ("delete", "orders-table", "orders", True)
    assert deletion.loses.startswith("items")
    assert report.exit_code == 1


def test_removing_a_stateless_resource_is_not_a_stateful_change():
    alarm = resource("alarm", "aws:cloudwatch/metricAlarm:MetricAlarm", {"tags": tags("orders")})
    assert diff(manifest(alarm), manifest()).stateful == []


def test_a_stateful_rename_claimed_by_an_alias_is_not_a_deletion():
    renamed = _table("orders-items", aliases=[{"spec": {"name": "orders-table"}}])
    report = diff(manifest(_table()), manifest(renamed))
    assert report.stateful == [] and report.exit_code == 0
    unclaimed = diff(manifest(_table()), manifest(_table("orders-items")))
    assert [c.action for c in unclaimed.stateful] == ["delete"]


def test_a_replace_on_change_property_is_a_replacement_with_its_source():
    report = diff(manifest(_table()), manifest(_table(hashKey="tenantId")))
    (replacement,) = report.stateful
    assert replacement.action == "replace"
    assert replacement.reasons == ("hashKey: id -> tenantId",)
    assert "dynamodb/table.go" in replacement.source
    assert report.exit_code == 1
    in_place = diff(manifest(_table()), manifest(_table(billingMode="PAY_PER_REQUEST")))
    assert in_place.stateful == [] and in_place.exit_code == 0


def test_nested_replace_on_change_properties_are_read_through_their_path():
    def msk(subnets: list[str], instance: str) -> dict[str, Any]:
        return resource("kafka", "aws:msk/cluster:Cluster", {
            "clusterName": "k", "brokerNodeGroupInfo": {"clientSubnets": subnets,
                                                        "instanceType": instance}})
    resize = diff(manifest(msk(["a", "b"], "kafka.m7g.large")),
                  manifest(msk(["a", "b"], "kafka.m7g.xlarge")))
    assert resize.stateful == []
    moved = diff(manifest(msk(["a", "b"], "kafka.m7g.large")),
                 manifest(msk(["a", "c"], "kafka.m7g.large")))
    assert [c.reasons for c in moved.stateful] == \
        [('brokerNodeGroupInfo.clientSubnets: ["a", "b"] -> ["a", "c"]',)]


def test_a_replacement_follows_property_dependencies_to_stateful_dependents():
    def key(spec: str) -> dict[str, Any]:
        return resource("orders-key", "aws:kms/key:Key", {"customerMasterKeySpec": spec,
                                                          "tags": tags("orders")})
    old_key, new_key = key("SYMMETRIC_DEFAULT"), key("RSA_2048")
    # A replaced key keeps its mock ARN offline; the table's key input still changes for real.
    table = _table(serverSideEncryption={"kmsKeyArn": "arn:aws:kms:::key/orders-key-id"})
    db = resource("orders-db", "aws:rds/cluster:Cluster",
                  {"kmsKeyId": "arn:aws:kms:::key/orders-key-id", "tags": tags("orders")},
                  deps={"kmsKeyId": [old_key["urn"]]})
    report = diff(manifest(old_key, table, db), manifest(new_key, table, db))
    assert {(c.name, c.reasons[0]) for c in report.stateful} == {
        ("orders-key", "customerMasterKeySpec: SYMMETRIC_DEFAULT -> RSA_2048"),
        ("orders-db", "kmsKeyId: comes from orders-key (aws:kms/key:Key), which is replaced")}


def test_accept_replacement_patterns_acknowledge_matching_urns_only():
    old = manifest(_table(), _table("payments-table"))
    new = manifest()
    report = diff(old, new, "*::orders-table", "*::no-such-thing")
    assert {(c.name, c.accepted_by) for c in report.stateful} == {
        ("orders-table", "*::orders-table"), ("payments-table", None)}
    assert report.unused_acceptances == ["*::no-such-thing"]
    assert report.exit_code == 1
    assert diff(old, new, "*-table").exit_code == 0
