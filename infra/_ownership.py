"""Which service owns a manifest resource, and what each role's policies grant: the one rule
`strata synth`'s summary, `strata check`'s SARIF locations, `strata diff` and `strata diagram`
share.

Component names and nesting change with refactors; the ownership tags do not. So a resource's
service is read only from tags, parent chains and property dependencies, the first of:

1. own: its `service` tag (AWS) or `strata.io/service` label (Kubernetes), when not blank;
2. attached: for an untaggable resource that only configures another (`ATTACHED_THROUGH`: a
   role policy or policy attachment to its role, an alias to its key, bucket companions to
   their bucket, a subscription or topic policy to its topic, ...), the service of the one
   resource its attaching input depends on. So a grant belongs to the grantee role's service
   wherever the program declares it;
3. inherited: its nearest tagged ancestor's;
4. enclosed: the one service tagged anywhere under its nearest enclosing component (itself when
   it is a component) that holds any: a topic under its producer's component, a key alias under
   its key's. Several services there (the stack, a component serving several) means none.

The policy pack keeps its own copy of this rule (`policies/governance/ownership.py`: the pack
must not import `infra`); tests/infra/test_ownership.py holds the two in agreement on the
sample stacks. What the callers need differently is a named entry point, not another rule:
`service()` (None when unowned), `service_owners()` (every URN filed under a service, `UNOWNED`
included, for the diff's per-service view), `grants()` (every policy a role holds, under the
grantee's service: the summary's "may use" lists, the diagram's produce/consume edges) and
`enclosed()` (rule 4 for another label, e.g. the stack-file section of a platform resource).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ATTACHED_THROUGH", "SERVICE_LABEL", "SERVICE_TAG", "UNOWNED", "ManifestIndex",
           "RoleGrant", "own_service", "service_owners"]

SERVICE_TAG = "service"
"""The AWS ownership tag (components/_tags.py REQUIRED_TAG_KEYS)."""
SERVICE_LABEL = "strata.io/service"
"""The Kubernetes label carrying the same (components/tenancy.py)."""
UNOWNED = "(unowned)"
"""What `service_owners` files a resource under when no rule names a service."""

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"

ATTACHED_THROUGH: dict[str, str] = {
    ROLE_POLICY: "role",
    ATTACHMENT: "role",
    "aws:kms/alias:Alias": "targetKeyId",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket",
    "aws:s3/bucketLogging:BucketLogging": "bucket",
    "aws:sns/topicPolicy:TopicPolicy": "arn",
    "aws:sns/topicSubscription:TopicSubscription": "topic",
    "aws:secretsmanager/secretVersion:SecretVersion": "secretId",
    "aws:appautoscaling/policy:Policy": "resourceId",
    "aws:ec2/route:Route": "routeTableId",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "routeTableId",
}
"""Untaggable type -> the input naming the resource it attaches to (that resource's URN is in
the input's propertyDependencies). tests/infra/test_diff_schema.py checks each input exists and
each type takes no tags against the installed SDK."""

Resource = Mapping[str, Any]
Label = Callable[[Resource], str | None]


def own_service(resource: Resource) -> str | None:
    """Rule 1: the resource's own `service` tag or label, None when absent or blank."""
    inputs = resource.get("inputs")
    if not isinstance(inputs, Mapping):
        return None
    tags = inputs.get("tags")
    metadata = inputs.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    for found in (tags.get(SERVICE_TAG) if isinstance(tags, Mapping) else None,
                  labels.get(SERVICE_LABEL) if isinstance(labels, Mapping) else None):
        if isinstance(found, str) and found.strip():
            return found
    return None


@dataclass(frozen=True)
class RoleGrant:
    """One policy a role holds, and the service it grants to (the role's)."""

    holder: Resource
    """The RolePolicy, the managed Policy, the role itself (an inline policy), or the
    attachment when the policy is not in the manifest."""
    role: Resource
    service: str | None
    """The grantee: the role's service."""
    name: str
    """The policy's name (the holder's, or the inline policy's)."""
    document: Any
    """The policy document input; None when the policy is not in the manifest."""
    targets: tuple[Resource, ...]
    """The resources the document's input depends on: what it really uses."""
    policy_arn: str | None = None
    """For a policy not in the manifest (AWS managed, or created elsewhere): its ARN."""


class ManifestIndex:
    """Parent/child links, dependencies, ownership and grants over one manifest's resources
    (validated shape)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {str(r["urn"]): r for r in self.resources}
        self.children: dict[str, list[Resource]] = {}
        for r in self.resources:
            self.children.setdefault(str(r["parent"]), []).append(r)
        self._services: dict[str, str | None] = {}
        self._resolving: set[str] = set()
        self._below: dict[Label, dict[str, frozenset[str]]] = {}
        self._grants: list[RoleGrant] | None = None

    def ancestors(self, urn: str) -> Iterator[Resource]:
        seen = {urn}
        parent = self.by_urn.get(urn, {}).get("parent", "")
        while parent in self.by_urn and parent not in seen:
            seen.add(parent)
            node = self.by_urn[parent]
            yield node
            parent = node.get("parent", "")

    def deps(self, resource: Resource, prop: str) -> list[Resource]:
        urns = (resource.get("propertyDependencies") or {}).get(prop) or []
        return [self.by_urn[u] for u in urns if u in self.by_urn]

    def service(self, urn: str) -> str | None:
        """The owning service by the module's rule, None when no rule names one."""
        if urn not in self._services:
            if urn in self._resolving:  # attachments cannot cycle in a real program; be safe
                return None
            self._resolving.add(urn)
            try:
                self._services[urn] = self._find_service(urn)
            finally:
                self._resolving.discard(urn)
        return self._services[urn]

    def _find_service(self, urn: str) -> str | None:
        resource = self.by_urn.get(urn)
        if resource is None:
            return None
        service = own_service(resource)
        if service is not None:
            return service
        through = ATTACHED_THROUGH.get(str(resource.get("type")))
        targets = self.deps(resource, through) if through else []
        if len(targets) == 1 and (service := self.service(str(targets[0]["urn"]))):
            return service
        for ancestor in self.ancestors(urn):
            if (service := own_service(ancestor)) is not None:
                return service
        return self.enclosed(urn, own_service)

    def enclosed(self, urn: str, label: Label) -> str | None:
        """Rule 4 for any label: the one label found on the resources under the nearest
        enclosing component (the resource itself when it is one) that holds any; None when that
        component holds several, or none holds any."""
        below = self._labels_below(label)
        for node in (self.by_urn[urn], *self.ancestors(urn)):
            if node.get("custom"):
                continue
            found = below.get(str(node["urn"]), frozenset())
            if len(found) == 1:
                return next(iter(found))
            if found:
                return None
        return None

    def _labels_below(self, label: Label) -> dict[str, frozenset[str]]:
        """urn -> the labels on it or anywhere below it (computed once per label)."""
        if label not in self._below:
            found: dict[str, set[str]] = {}
            for r in self.resources:
                value = label(r)
                if value is not None:
                    for node in (r, *self.ancestors(str(r["urn"]))):
                        found.setdefault(str(node["urn"]), set()).add(value)
            self._below[label] = {urn: frozenset(values) for urn, values in found.items()}
        return self._below[label]

    def grants(self) -> list[RoleGrant]:
        """Every policy held by a role: inline RolePolicies, managed policies attached through
        a RolePolicyAttachment (created here, or known only by ARN), and the role's own inline
        policies."""
        if self._grants is None:
            self._grants = list(self._find_grants())
        return self._grants

    def grants_of(self, role: Resource) -> list[RoleGrant]:
        return [g for g in self.grants() if g.role["urn"] == role["urn"]]

    def _find_grants(self) -> Iterator[RoleGrant]:
        for holder in self.resources:
            inputs = holder.get("inputs") or {}
            roles = [r for r in self.deps(holder, "role") if r["type"] == ROLE]
            if holder["type"] == ROLE_POLICY:
                for role in roles:
                    yield self._grant(holder, role)
            elif holder["type"] == ATTACHMENT:
                # role <- attachment -> policy; a policy this program creates carries its document.
                created = [p for p in self.deps(holder, "policyArn") if p["type"] == MANAGED_POLICY]
                for role in roles:
                    for policy in created:
                        yield self._grant(policy, role)
                    if not created:
                        yield RoleGrant(holder, role, self.service(str(role["urn"])),
                                        str(holder["name"]), None, (),
                                        str(inputs.get("policyArn", "?")))
            elif holder["type"] == ROLE:
                for inline in inputs.get("inlinePolicies") or []:
                    if isinstance(inline, Mapping):
                        yield RoleGrant(holder, holder, self.service(str(holder["urn"])),
                                        str(inline.get("name", "inline")), inline.get("policy"),
                                        tuple(self.deps(holder, "inlinePolicies")))

    def _grant(self, policy: Resource, role: Resource) -> RoleGrant:
        """A policy resource in the manifest (RolePolicy or managed Policy) held by `role`."""
        return RoleGrant(policy, role, self.service(str(role["urn"])), str(policy["name"]),
                         (policy.get("inputs") or {}).get("policy"),
                         tuple(self.deps(policy, "policy")))


def service_owners(resources: Sequence[Resource]) -> dict[str, str]:
    """URN -> owning service, `UNOWNED` when none, for every resource of one manifest: the
    diff files every change under some service."""
    index = ManifestIndex(resources)
    return {urn: index.service(urn) or UNOWNED for urn in index.by_urn}
