"""Which service owns each manifest resource, for `strata diff`'s per-service view.

Relies only on what survives the library refactor: the `service` tag (Kubernetes objects carry
it as the `strata.io/service` label), parent chains, and the input through which an untaggable
resource attaches to another one. In order:
1. the resource's own `service` tag or label;
2. for a resource that takes no tags and attaches to another (a role policy to its role, an
   alias to its key, a bucket policy to its bucket), the owner of what it attaches to;
3. the nearest ancestor with a `service` tag, else the nearest ancestor whose tagged
   descendants all name one service (a `ServiceData` component, a topic under it);
4. otherwise `UNOWNED`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SERVICE_LABEL", "SERVICE_TAG", "UNOWNED", "service_owners"]

SERVICE_TAG = "service"
"""The ownership tag every taggable AWS resource carries (`components/_tags.py`)."""
SERVICE_LABEL = "strata.io/service"
"""The same, as a Kubernetes label (`components/tenancy.py`)."""
UNOWNED = "(unowned)"

# Untaggable resources -> the input naming the resource they attach to (its URN is in that
# input's propertyDependencies).
ATTACHED_THROUGH: dict[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
    "aws:kms/alias:Alias": "targetKeyId",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "bucket",
    "aws:sns/topicPolicy:TopicPolicy": "arn",
    "aws:sns/topicSubscription:TopicSubscription": "topic",
    "aws:secretsmanager/secretVersion:SecretVersion": "secretId",
    "aws:appautoscaling/policy:Policy": "resourceId",
    "aws:ec2/route:Route": "routeTableId",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "routeTableId",
}


def own_service(resource: Mapping[str, Any]) -> str | None:
    inputs = resource.get("inputs") or {}
    tags = inputs.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get(SERVICE_TAG), str):
        return str(tags[SERVICE_TAG])
    metadata = inputs.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if isinstance(labels, Mapping) and isinstance(labels.get(SERVICE_LABEL), str):
        return str(labels[SERVICE_LABEL])
    return None


def service_owners(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """URN -> owning service (or `UNOWNED`) for every resource of one manifest."""
    by_urn = {str(r["urn"]): r for r in resources}
    own = {urn: svc for urn, r in by_urn.items() if (svc := own_service(r)) is not None}
    below = _services_below(by_urn, own)
    owners: dict[str, str] = {}

    def owner(urn: str, visiting: frozenset[str]) -> str:
        if urn in owners:
            return owners[urn]
        resource = by_urn[urn]
        found = own.get(urn) or _attached_owner(resource, by_urn, owner, visiting | {urn}) \
            or _ancestor_owner(urn, by_urn, own, below) or UNOWNED
        owners[urn] = found
        return found

    for urn in by_urn:
        owner(urn, frozenset())
    return owners


def _attached_owner(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]],
                    owner: Any, visiting: frozenset[str]) -> str | None:
    key = ATTACHED_THROUGH.get(str(resource.get("type")))
    if key is None:
        return None
    targets = [u for u in (resource.get("propertyDependencies") or {}).get(key, [])
               if u in by_urn and u not in visiting]
    if len(targets) != 1:
        return None
    found: str = owner(targets[0], visiting)
    return None if found == UNOWNED else found


def _ancestor_owner(urn: str, by_urn: Mapping[str, Mapping[str, Any]], own: Mapping[str, str],
                    below: Mapping[str, set[str]]) -> str | None:
    node: str | None = urn
    seen: set[str] = set()
    while node and node in by_urn and node not in seen:
        seen.add(node)
        if node != urn and node in own:
            return own[node]
        services = below.get(node, set())
        if len(services) == 1:
            return next(iter(services))
        node = str(by_urn[node].get("parent") or "") or None
    return None


def _services_below(by_urn: Mapping[str, Mapping[str, Any]],
                    own: Mapping[str, str]) -> dict[str, set[str]]:
    """URN -> the services named by the tags of its descendants (itself excluded)."""
    below: dict[str, set[str]] = {}
    for urn, service in own.items():
        parent = str(by_urn[urn].get("parent") or "")
        seen: set[str] = set()
        while parent in by_urn and parent not in seen:
            seen.add(parent)
            below.setdefault(parent, set()).add(service)
            parent = str(by_urn[parent].get("parent") or "")
    return below
