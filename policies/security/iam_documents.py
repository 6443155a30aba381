"""IAM documents checked against AWS's own catalog of actions, resource types and condition keys.

Every policy document a stack declares (identity policies, trust policies, key policies and other
resource policies) must be well formed, name actions that exist, put each action on a resource
its resource types can match (`kafka-cluster:WriteDataIdempotently` is authorized on the cluster
ARN, so a statement that lists only topic ARNs never grants it), and use condition keys that
exist. AWS accepts many such mistakes silently: the grant simply never applies.

`iam_document_problems(document, kind)` is the check; `manifest_iam_problems(manifest)` runs it
over every document of a manifest for tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from .. import _aws
from .._control import Control, Finding, Res, cannot_verify, fail
from .._iam_catalog import (
    arn_could_match,
    condition_key_known,
    find_actions,
    formats_label,
)
from .._values import ABSENT, UNKNOWN_SENTINELS, as_list, get, is_unknown

__all__ = ["CONTROLS", "DocumentKind", "documents_of", "iam_document_problems",
           "manifest_iam_problems"]

DocumentKind = Literal["identity", "resource", "trust"]

_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                   "Resource", "NotResource", "Condition"}
_OPERATORS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}
_ACTION = re.compile(r"^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$")

# Where each type keeps its documents, and what kind they are.
_DOCUMENTS: dict[str, tuple[tuple[str, DocumentKind], ...]] = {
    "aws:iam/rolePolicy:RolePolicy": (("policy", "identity"),),
    "aws:iam/policy:Policy": (("policy", "identity"),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", "identity"),),
    "aws:iam/userPolicy:UserPolicy": (("policy", "identity"),),
    "aws:iam/role:Role": (("assumeRolePolicy", "trust"),),
    _aws.KMS_KEY: (("policy", "resource"),),
    "aws:kms/keyPolicy:KeyPolicy": (("policy", "resource"),),
    _aws.S3_BUCKET: (("policy", "resource"),),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", "resource"),),
    _aws.SNS_TOPIC: (("policy", "resource"),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", "resource"),),
    _aws.SECRET: (("policy", "resource"),),
    "aws:secretsmanager/secretPolicy:SecretPolicy": (("policy", "resource"),),
    "aws:sqs/queue:Queue": (("policy", "resource"),),
    "aws:sqs/queuePolicy:QueuePolicy": (("policy", "resource"),),
    "aws:amp/resourcePolicy:ResourcePolicy": (("policyDocument", "resource"),),
}
DOCUMENT_TYPES = tuple(sorted(_DOCUMENTS))


def documents_of(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any,
                                                                              DocumentKind]]:
    """(property path, document, kind) of every IAM document the resource declares."""
    found = [(path, get(props, path), kind) for path, kind in _DOCUMENTS.get(resource_type, ())]
    if resource_type == "aws:iam/role:Role":
        inline = props.get("inlinePolicies")
        if is_unknown(inline):
            found.append(("inlinePolicies", inline, "identity"))
        else:
            found += [(f"inlinePolicies[{i}].policy", get(p, "policy"), "identity")
                      for i, p in enumerate(as_list(inline))]
    return [(path, doc, kind) for path, doc, kind in found if doc is not ABSENT and doc != ""]


def iam_document_problems(document: Any, kind: DocumentKind = "identity") -> list[str]:
    """Everything wrong with one concrete policy document (JSON text or object), as sentences.

    The caller handles unknown values: a document holding an unknown is not concrete.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            return [f"not valid JSON: {exc}"]
    if not isinstance(document, dict):
        return [f"a policy document must be a JSON object, not {type(document).__name__}"]
    problems = [f"unknown top-level element {key!r}" for key in sorted(document)
                if key not in ("Version", "Id", "Statement")]
    version = document.get("Version")
    if version is not None and version not in ("2012-10-17", "2008-10-17"):
        problems.append(f"Version {version!r} is not 2012-10-17")
    raw = document.get("Statement")
    if raw is None:
        return [*problems, "no Statement"]
    if kind in ("identity", "trust"):
        problems += _sid_problems(as_list(raw))
    for index, statement in enumerate(as_list(raw)):
        label = f"Statement[{index}]"
        if not isinstance(statement, dict):
            problems.append(f"{label} is not an object")
            continue
        if isinstance(statement.get("Sid"), str) and statement["Sid"]:
            label += f" (Sid {statement['Sid']})"
        problems += [f"{label}: {p}" for p in _statement_problems(statement, kind)]
    return problems


_SID = re.compile(r"^[A-Za-z0-9]*$")


def _sid_problems(statements: list[Any]) -> list[str]:
    """IAM refuses (MalformedPolicyDocument) a Sid repeated within one policy or written with
    other characters than ASCII letters and digits:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
    Resource policies of other services have their own Sid rules, so they are not judged here."""
    sids = [s["Sid"] for s in statements if isinstance(s, dict) and isinstance(s.get("Sid"), str)]
    problems = [f"Sid {sid!r} appears {sids.count(sid)} times; IAM wants each Sid unique within "
                "a policy" for sid in sorted(set(sids)) if sid and sids.count(sid) > 1]
    problems += [f"Sid {sid!r} has characters other than ASCII letters and digits"
                 for sid in sids if not _SID.match(sid)]
    return problems


def _statement_problems(statement: Mapping[str, Any], kind: DocumentKind) -> list[str]:
    problems = [f"unknown element {key!r}" for key in sorted(statement)
                if key not in _STATEMENT_KEYS]
    if statement.get("Effect") not in ("Allow", "Deny"):
        problems.append(f"Effect is {statement.get('Effect')!r}, not Allow or Deny")
    problems += _exactly_one(statement, "Action", "NotAction")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if kind == "identity" and has_principal:
        problems.append("an identity policy must not name a Principal")
    if kind != "identity" and not has_principal:
        problems.append(f"a {kind} policy must name a Principal")
    if kind == "trust":
        if "Resource" in statement or "NotResource" in statement:
            problems.append("a trust policy takes no Resource")
    else:
        problems += _exactly_one(statement, "Resource", "NotResource")
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    problems += [f"Resource {r!r} is neither an ARN nor \"*\"" for r in resources
                 if r != "*" and not r.startswith("arn:")]
    for element in ("Action", "NotAction"):
        for action in (str(a) for a in as_list(statement.get(element))):
            problems += _action_problems(action, element, resources, statement, kind)
    problems += _condition_problems(statement.get("Condition"))
    return problems


def _exactly_one(statement: Mapping[str, Any], first: str, second: str) -> list[str]:
    present = [k for k in (first, second) if k in statement]
    if len(present) == 1:
        return []
    return [f"has both {first} and {second}" if present else f"has neither {first} nor "
            f"{second}"]


def _action_problems(action: str, element: str, resources: list[str],
                     statement: Mapping[str, Any], kind: DocumentKind) -> list[str]:
    if action == "*":
        return []
    if not _ACTION.match(action):
        return [f"{element} {action!r} is not of the form service:Action"]
    found = find_actions(action)
    if found is None:
        return [f"{element} {action}: unknown service prefix {action.split(':')[0]!r}"]
    if not found:
        return [f"{element} {action} matches no action of that service"]
    if element != "Action" or kind == "trust" or "Resource" not in statement:
        return []
    if "*" in resources:
        return []
    if not any(a.resource_formats for a in found):
        if kind == "resource":
            return []  # the resource the policy is attached to is the request's resource
        return [f"{action} supports no resource-level permissions: it is granted only with "
                f"Resource \"*\", not {', '.join(resources)}"]
    if any(arn_could_match(f, r) for a in found for f in a.resource_formats for r in resources):
        return []
    formats = formats_label(f for a in found for f in a.resource_formats)
    return [f"{action} is authorized on {formats}; no Resource of the statement is one, so "
            "the statement never grants it"]


def _operator_ok(operator: str) -> bool:
    base = operator.split(":", 1)[1] if operator.startswith(("ForAllValues:",
                                                             "ForAnyValue:")) else operator
    if base.endswith("IfExists") and base != "NullIfExists":
        base = base[: -len("IfExists")]
    return base in _OPERATORS


def _condition_problems(condition: Any) -> list[str]:
    if condition is None:
        return []
    if not isinstance(condition, dict):
        return ["Condition must be an object of operator -> {key: value}"]
    problems: list[str] = []
    for operator, block in condition.items():
        if not _operator_ok(str(operator)):
            problems.append(f"unknown condition operator {operator!r}")
        if not isinstance(block, dict):
            problems.append(f"Condition {operator} must map condition keys to values")
            continue
        for key, value in block.items():
            if not condition_key_known(str(key)):
                problems.append(f"unknown condition key {key!r} (not a global key nor one of "
                                f"its service's keys)")
            if not all(isinstance(v, str | bool | int | float) for v in as_list(value)):
                problems.append(f"Condition {operator} {key}: values must be strings, numbers "
                                "or booleans")
    return problems


def _contains_unknown(document: Any) -> bool:
    if is_unknown(document):
        return True
    if isinstance(document, str):
        return any(s in document for s in UNKNOWN_SENTINELS)
    return any(_contains_unknown(v) for v in (document.values() if isinstance(document, dict)
                                              else document if isinstance(document, list)
                                              else []))


def _check_documents(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for path, document, kind in documents_of(res.type, res.props):
        if _contains_unknown(document):
            yield cannot_verify(path, what="policy document")
            continue
        for problem in iam_document_problems(document, kind):
            yield fail(f"{path}: {problem}")


def manifest_iam_problems(manifest: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(urn, property path, problem) for every concrete IAM document of a manifest."""
    out: list[tuple[str, str, str]] = []
    for resource in manifest.get("resources", []):
        for path, document, kind in documents_of(resource["type"], resource.get("inputs", {})):
            if not _contains_unknown(document):
                out += [(resource["urn"], path, p) for p in iam_document_problems(document, kind)]
    return out


CONTROLS = [
    Control(
        "strata-iam-documents-valid",
        "IAM documents (identity, trust, key and resource policies) are well formed and match "
        "AWS's catalog: every action exists, every action is put on a resource type it is "
        "authorized on, every condition key exists, IAM policies' Sids are unique letters and "
        "digits. AWS accepts most such mistakes and the grant silently never applies; IAM "
        "refuses the Sid ones at deploy.",
        severity="high", enforcement="mandatory", check=_check_documents, types=DOCUMENT_TYPES,
        remediation="Fix the named statement: use an action from the service's Actions table in "
                    "the Service Authorization Reference, put it on a resource type it lists "
                    "(e.g. cluster-level Kafka actions on the cluster ARN, not topic ARNs), and "
                    "use only global or service condition keys.",
        tags=("iam",)),
]
