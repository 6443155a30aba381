"""Each store, key and topic belongs to exactly one service, and only that service's role may
reach it (a consumer may read another service's topic).

Judged at stack level from what the engine provides, no ARNs needed: a RolePolicy's `role`
property depends on the Role (whose `service` tag is the grantee) and its `policy` property
depends on every resource whose ARN the document uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Node, StackView, cannot_verify, fail
from .._values import ABSENT, is_unknown, statements

__all__ = ["CONSUME_ACTIONS", "CONTROLS", "role_grants", "service_of"]

# Read-only consumption of a topic (and the cluster/group calls a consumer needs).
# https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
CONSUME_ACTIONS = frozenset(a.lower() for a in (
    "kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeTopic",
    "kafka-cluster:ReadData", "kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:DescribeClusterDynamicConfiguration", "kafka:GetBootstrapBrokers",
    "kafka:DescribeCluster", "kafka:DescribeClusterV2",
))

# The MSK cluster is shared platform infrastructure: every producer and consumer connects to it.
# Ownership is carried by its topics.
_GRANT_TARGETS = _aws.OWNED - {_aws.MSK_CLUSTER, _aws.MSK_SERVERLESS}


def service_of(stack: StackView, node: Node, key: str = "service") -> Any:
    """Own tag, else the nearest tagged parent's, else the one service of the nearest enclosing
    component that holds tagged resources (components take no tags; an untaggable topic
    belongs to its component, or to the component around it when its own holds nothing
    tagged)."""
    service = stack.tag(node, key)
    if service is not ABSENT:
        return service
    by_component = _services_by_component(stack, key)
    for ancestor in stack.ancestors(node):
        if ancestor.type.startswith(("aws:", "kubernetes:", "random:", "pulumi:")):
            continue
        services = by_component.get(ancestor.urn, set())
        if services:
            return next(iter(services)) if len(services) == 1 else ABSENT
    return ABSENT


def _services_by_component(stack: StackView, key: str) -> dict[str, set[str]]:
    cache: dict[str, dict[str, set[str]]] = stack.memo.setdefault("services_by_component", {})
    if key in cache:
        return cache[key]
    result: dict[str, set[str]] = {}
    for node in stack.nodes:
        service = node.tags.get(key)
        component = _component(stack, node)
        if component is not None and isinstance(service, str) and not is_unknown(service):
            result.setdefault(component.urn, set()).add(service)
    cache[key] = result
    return result


def _component(stack: StackView, node: Node) -> Node | None:
    for ancestor in stack.ancestors(node):
        if not ancestor.type.startswith(("aws:", "kubernetes:", "random:", "pulumi:")):
            return ancestor
    return None


def _check_single_owner(stack: StackView, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    key = cfg["serviceTag"]
    services_by_component = _services_by_component(stack, key)
    for node in stack.nodes:
        if node.type not in _aws.OWNED:
            continue
        service = service_of(stack, node, key)
        if is_unknown(service):
            yield cannot_verify(f"tags.{key}", node.urn)
            continue
        if service is ABSENT or not isinstance(service, str) or not service.strip():
            yield fail(f"no {key} tag on the resource or its parents: it has no owning "
                       "service", node.urn)
            continue
        if any(sep in service for sep in (",", ";", " ", "/")):
            yield fail(f"{key} tag {service!r} names more than one service", node.urn)
            continue
        component = _component(stack, node)
        if component is not None:
            others = services_by_component.get(component.urn, set()) - {service}
            if others:
                yield fail(f"owned by {service!r} but its component {component.name} also holds "
                           f"resources of {', '.join(sorted(others))}", node.urn)


def _kafka_actions(document: Any) -> set[str] | None:
    stmts = statements(document)
    if stmts is None:
        return None
    return {a.lower() for s in stmts if s.allows for a in s.actions
            if a.lower().startswith(("kafka-cluster:", "kafka:")) or a == "*"}


def role_grants(stack: StackView) -> Iterable[tuple[Node, Node, Any, list[Node]]]:
    """(policy holder, role, document, resources the document uses) for every inline
    RolePolicy and every managed Policy attached to a role: what each role may reach."""
    for node in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        for role in stack.deps_of(node, "role"):
            if role.type == "aws:iam/role:Role":
                yield node, role, node.props.get("policy"), stack.deps_of(node, "policy")
    # Managed policies reach a role through an attachment: role <- attachment -> policy.
    for attachment in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        roles = [r for r in stack.deps_of(attachment, "role") if r.type == "aws:iam/role:Role"]
        policies = [p for p in stack.deps_of(attachment, "policyArn")
                    if p.type == "aws:iam/policy:Policy"]
        for role in roles:
            for policy in policies:
                yield policy, role, policy.props.get("policy"), stack.deps_of(policy, "policy")
    for role in stack.of_type("aws:iam/role:Role"):
        targets = stack.deps_of(role, "inlinePolicies")
        if targets:
            docs = [p.get("policy") for p in role.props.get("inlinePolicies") or []
                    if isinstance(p, dict)]
            merged = {"Statement": [s.raw for d in docs for s in (statements(d) or [])]}
            unknown = any(statements(d) is None for d in docs)
            yield role, role, (docs[0] if unknown else merged), targets


def _check_no_sharing(stack: StackView, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    key = cfg["serviceTag"]
    for holder, role, document, targets in role_grants(stack):
        grantee = service_of(stack, role, key)
        if is_unknown(grantee):
            yield cannot_verify(f"role tags.{key}", holder.urn)
            continue
        for target in targets:
            if target.type not in _GRANT_TARGETS:
                continue
            owner = service_of(stack, target, key)
            if is_unknown(owner):
                yield cannot_verify(f"{target.name} tags.{key}", holder.urn)
                continue
            if owner is ABSENT or owner == grantee:
                continue  # an unowned target is strata-single-owner's finding
            what = f"{target.type.rsplit(':', 1)[-1]} {target.name}"
            if target.type == _aws.MSK_TOPIC:
                actions = _kafka_actions(document)
                if actions is None:
                    yield cannot_verify("policy", holder.urn, f"grant on topic {target.name}")
                    continue
                extra = sorted(actions - CONSUME_ACTIONS)
                if not extra:
                    continue
                yield fail(f"grants service {grantee!r} {', '.join(extra)} on {owner!r}'s "
                           f"{what}: only read-only consumption of another service's topic is "
                           "allowed", holder.urn)
                continue
            yield fail(f"grants service {grantee!r}'s role {role.name} access to {owner!r}'s "
                       f"{what}: services share data through topics and APIs, never stores or "
                       "keys", holder.urn)


_SERVICE_TAG = {"serviceTag": {"type": "string", "default": "service",
                               "description": "Tag key that names the owning service (read "
                                              "from the resource or its nearest tagged "
                                              "parent)."}}

CONTROLS = [
    Control(
        "strata-single-owner",
        "Every data store, key, topic and secret has exactly one owning service: a single "
        "non-empty service tag (its own or, for untaggable resources, its nearest parent's) "
        "matching the other resources of its component.",
        severity="high", enforcement="mandatory", check=_check_single_owner, scope="stack",
        config=_SERVICE_TAG, family="governance",
        remediation="Tag each store, key, topic and secret with exactly one owning service "
                    "(or create it under a component whose resources carry that tag); do not "
                    "mix services' resources in one component.",
        tags=("governance", "ownership")),
    Control(
        "strata-no-shared-stores",
        "No role policy grants one service's role access to another service's store, key, "
        "topic or secret, except read-only consumption of a topic.",
        severity="critical", enforcement="mandatory", check=_check_no_sharing, scope="stack",
        config=_SERVICE_TAG, family="governance",
        remediation="Share data through a topic or an API of the owning service: grant another "
                    "service only read-only consumption of a topic, in a policy separate from "
                    "produce grants, and never access to a store, key or secret it does not own.",
        tags=("governance", "ownership", "iam")),
]
