"""The one ownership rule `infra/_ownership.py` gives the summary, SARIF locations, diff and
diagram: each step on a hand-built manifest, the grants it files under the grantee, and its
agreement with the policy pack's own copy on the sample stacks."""

from __future__ import annotations

from typing import Any

import pytest

from infra._ownership import UNOWNED, ManifestIndex, service_owners
from policies._control import StackView
from policies._values import ABSENT
from policies.governance.ownership import service_of
from tests.conftest import synthesized
from tests.infra.test_diff_tables import ROOT, manifest, policy, resource, tags

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def _index(*resources: dict[str, Any]) -> ManifestIndex:
    return ManifestIndex(manifest(*resources)["resources"])


def _component(name: str, parent: str = ROOT) -> dict[str, Any]:
    return resource(name, "strata:index:ServiceData", custom=False, parent=parent)


def test_own_tag_or_label_wins_and_a_blank_one_counts_as_none():
    data = _component("orders")
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=data["urn"])
    labelled = resource("ns", "kubernetes:core/v1:Namespace",
                        {"metadata": {"labels": {"strata.io/service": "payments"}}})
    blank = resource("blank", "aws:sqs/queue:Queue", {"tags": {"service": "  "}},
                     parent=data["urn"])
    index = _index(data, table, labelled, blank)
    assert index.service(table["urn"]) == "orders"
    assert index.service(labelled["urn"]) == "payments"
    assert index.service(blank["urn"]) == "orders"  # blank: the component's one tagged service


def test_an_attached_resource_follows_what_it_attaches_to_through_a_chain():
    """The bucket is untagged but under orders; its policy sits under the platform component."""
    data, platform = _component("orders"), _component("platform")
    key = resource("key", "aws:kms/key:Key", {"tags": tags("orders")}, parent=data["urn"])
    bucket = resource("bucket", "aws:s3/bucket:Bucket", parent=data["urn"])
    cluster = resource("cluster", "aws:msk/cluster:Cluster", {"tags": tags("platform")},
                       parent=platform["urn"])
    bucket_policy = resource("bucket-policy", "aws:s3/bucketPolicy:BucketPolicy",
                             parent=platform["urn"], deps={"bucket": [bucket["urn"]]})
    alias = resource("alias", "aws:kms/alias:Alias", parent=platform["urn"],
                     deps={"targetKeyId": [key["urn"]]})
    index = _index(data, platform, key, bucket, cluster, bucket_policy, alias)
    assert index.service(bucket_policy["urn"]) == "orders"
    assert index.service(alias["urn"]) == "orders"


def test_a_grant_belongs_to_the_grantee_not_to_the_component_it_sits_in():
    data = _component("orders")
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=data["urn"])
    role = resource("ledger-role", "aws:iam/role:Role", {"tags": tags("ledger")})
    grant = resource("ledger-read", "aws:iam/rolePolicy:RolePolicy",
                     {"role": "ledger", "policy": policy(ALLOW)}, parent=data["urn"],
                     deps={"role": [role["urn"]], "policy": [table["urn"]]})
    index = _index(data, table, role, grant)
    assert index.service(grant["urn"]) == "ledger"
    (held,) = index.grants()
    assert (held.role["urn"], held.service, held.name) == (role["urn"], "ledger", "ledger-read")
    assert [t["urn"] for t in held.targets] == [table["urn"]]


def test_an_attachment_to_several_or_unowned_targets_falls_back_to_the_tree():
    data = _component("orders")
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=data["urn"])
    a = resource("a", "aws:s3/bucket:Bucket", {"tags": tags("payments")})
    b = resource("b", "aws:s3/bucket:Bucket", {"tags": tags("ledger")})
    unowned = resource("c", "aws:s3/bucket:Bucket")
    ambiguous = resource("p", "aws:s3/bucketPolicy:BucketPolicy", parent=data["urn"],
                         deps={"bucket": [a["urn"], b["urn"]]})
    orphan = resource("q", "aws:s3/bucketPolicy:BucketPolicy", parent=data["urn"],
                      deps={"bucket": [unowned["urn"]]})
    index = _index(data, table, a, b, unowned, ambiguous, orphan)
    assert index.service(ambiguous["urn"]) == "orders"
    assert index.service(orphan["urn"]) == "orders"


def test_an_attachment_cycle_ends_instead_of_recursing():
    """A real program cannot declare one (dependencies are acyclic), a hand-edited manifest can."""
    first = resource("one", "aws:s3/bucketPolicy:BucketPolicy")
    second = resource("two", "aws:s3/bucketPolicy:BucketPolicy",
                      deps={"bucket": [first["urn"]]})
    first["propertyDependencies"] = {"bucket": [second["urn"]]}
    owners = service_owners(manifest(first, second)["resources"])
    assert owners[first["urn"]] == owners[second["urn"]] == UNOWNED


def test_the_nearest_tagged_ancestor_comes_before_the_enclosing_component():
    data = _component("orders")
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=data["urn"])
    tagged = resource("vpc", "aws:ec2/vpc:Vpc", {"tags": tags("platform")}, parent=data["urn"])
    child = resource("flow-logs", "aws:ec2/flowLog:FlowLog", parent=tagged["urn"])
    assert _index(data, table, tagged, child).service(child["urn"]) == "platform"


def test_the_nearest_component_holding_services_decides_and_several_mean_none():
    outer = _component("outer")
    orders, payments = _component("orders", outer["urn"]), _component("payments", outer["urn"])
    wrapper = resource("wrapper", "strata:index:Topic", custom=False, parent=orders["urn"])
    topic = resource("events", "aws:msk/topic:Topic", parent=wrapper["urn"])
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")},
                     parent=orders["urn"])
    ledger = resource("ledger", "aws:dynamodb/table:Table", {"tags": tags("payments")},
                      parent=payments["urn"])
    shared = resource("dashboard", "aws:cloudwatch/dashboard:Dashboard", parent=outer["urn"])
    index = _index(outer, orders, payments, wrapper, topic, table, ledger, shared)
    assert index.service(topic["urn"]) == "orders"  # through an empty wrapper component
    assert index.service(orders["urn"]) == "orders"  # a component is asked about itself first
    assert index.service(shared["urn"]) is None
    assert index.service(outer["urn"]) is None
    assert index.service(ROOT) is None


def test_enclosed_answers_for_another_label():
    outer = _component("platform")
    inner = _component("network", outer["urn"])
    vpc = resource("vpc", "aws:ec2/vpc:Vpc", parent=inner["urn"])
    route = resource("route", "aws:ec2/route:Route", parent=inner["urn"])
    index = _index(outer, inner, vpc, route)

    def kind(r: Any) -> str | None:
        return "network" if r["type"] == "aws:ec2/vpc:Vpc" else None

    assert index.enclosed(route["urn"], kind) == "network"
    assert index.enclosed(route["urn"], lambda r: None) is None


def test_grants_cover_role_policies_managed_policies_by_resource_or_arn_and_inline_ones():
    table = resource("table", "aws:dynamodb/table:Table", {"tags": tags("orders")})
    role = resource("orders-role", "aws:iam/role:Role",
                    {"tags": tags("orders"),
                     "inlinePolicies": [{"name": "inline", "policy": policy(ALLOW)}]},
                    deps={"inlinePolicies": [table["urn"]]})
    managed = resource("orders-data", "aws:iam/policy:Policy",
                       {"tags": tags("orders"), "policy": policy(ALLOW)},
                       deps={"policy": [table["urn"]]})
    attach = resource("attach-data", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                      {"role": "orders"}, deps={"role": [role["urn"]],
                                                "policyArn": [managed["urn"]]})
    aws_managed = resource("attach-aws", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                           {"role": "orders", "policyArn": "arn:aws:iam::aws:policy/ReadOnly"},
                           deps={"role": [role["urn"]]})
    index = _index(table, role, managed, attach, aws_managed)
    grants = {(g.holder["name"], g.name, g.policy_arn, tuple(t["name"] for t in g.targets))
              for g in index.grants_of(role)}
    assert grants == {("orders-data", "orders-data", None, ("table",)),
                      ("attach-aws", "attach-aws", "arn:aws:iam::aws:policy/ReadOnly", ()),
                      ("orders-role", "inline", None, ("table",))}
    assert {g.service for g in index.grants()} == {"orders"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_rule_agrees_with_the_policy_packs_copy_on_every_resource(stack):
    """The pack keeps its own copy (it must not import infra); the two may not drift. Components
    are left out: the pack never asks about them."""
    m = synthesized(stack)
    index, view = ManifestIndex(m["resources"]), StackView.from_manifest(m)
    custom_urns = {r["urn"] for r in m["resources"] if r["custom"]}
    custom = [n for n in view.nodes if n.urn in custom_urns]
    pack = {n.urn: service_of(view, n) for n in custom}
    ours = {n.urn: index.service(n.urn) for n in custom}
    assert ours == {urn: None if owner is ABSENT else owner for urn, owner in pack.items()}
    assert len(set(ours.values()) - {None}) >= 5  # the services of the sample stacks, at least
