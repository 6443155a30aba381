"""IAM statement changes between two manifests, as `cdk diff` shows them.

Every policy document a manifest carries (identity policies, role trust policies and inline
policies, key policies, bucket/topic/queue/secret resource policies) is parsed and its
statements normalised: list-or-string fields become sorted tuples, `Principal: "*"` and
`{"AWS": "*"}` are one principal, conditions become sorted `operator key: values` lines, and the
`Sid` is a label rather than part of the statement. Statements are compared as multisets per
document, so reordering or reformatting a document is no change while a widened grant shows as
its old statement removed and its new one added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from infra._diff_resources import Pairing
from policies._values import as_list, statements

__all__ = ["POLICY_DOCUMENTS", "NormalStatement", "StatementChange", "iam_changes",
           "policy_documents"]

POLICY_DOCUMENTS: dict[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:kms/key:Key": "policy",
    "aws:kms/replicaKey:ReplicaKey": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:msk/clusterPolicy:ClusterPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "policy",
}
"""Type -> the input holding its policy document (roles also carry `inlinePolicies`)."""


@dataclass(frozen=True, order=True)
class NormalStatement:
    effect: str
    principals: tuple[str, ...]
    """`AWS:<arn>`, `Service:<name>`, `*`; `NOT ...` for NotPrincipal."""
    actions: tuple[str, ...]
    """`NOT ...` for NotAction."""
    resources: tuple[str, ...]
    """`NOT ...` for NotResource."""
    conditions: tuple[str, ...]
    """`StringEquals aws:SourceAccount: 123456789012`."""


@dataclass(frozen=True)
class StatementChange:
    sign: str
    """`+` added, `-` removed."""
    service: str
    urn: str
    resource_type: str
    resource_name: str
    document: str
    """The input holding the document: `policy`, `assumeRolePolicy`, `inlinePolicies[name]`."""
    statement: NormalStatement | None
    """None when the document could not be parsed (then `raw` holds it)."""
    sid: str = ""
    raw: str = ""


def policy_documents(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Document location -> the document (JSON text or object) for one manifest resource."""
    inputs = resource.get("inputs") or {}
    key = POLICY_DOCUMENTS.get(str(resource.get("type")))
    documents: dict[str, Any] = {}
    if key and inputs.get(key) not in (None, ""):
        documents[key] = inputs[key]
    if resource.get("type") == "aws:iam/role:Role":
        for index, inline in enumerate(as_list(inputs.get("inlinePolicies"))):
            if isinstance(inline, Mapping) and inline.get("policy"):
                documents[f"inlinePolicies[{inline.get('name') or index}]"] = inline["policy"]
    return documents


def iam_changes(pairing: Pairing, old_owners: Mapping[str, str],
                new_owners: Mapping[str, str]) -> list[StatementChange]:
    out: list[StatementChange] = []
    for new_urn, old_urn in pairing.pairs.items():
        out += _resource_changes(pairing.old[old_urn], pairing.new[new_urn], new_owners[new_urn])
    for urn in pairing.added:
        out += _resource_changes(None, pairing.new[urn], new_owners[urn])
    for urn in pairing.removed:
        out += _resource_changes(pairing.old[urn], None, old_owners[urn])
    return sorted(out, key=lambda c: (c.service, c.resource_name, c.document, c.sign != "-",
                                      c.statement or NormalStatement("", (), (), (), ())))


def _resource_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                      service: str) -> Iterator[StatementChange]:
    shown = new or old
    assert shown is not None
    old_docs = policy_documents(old) if old else {}
    new_docs = policy_documents(new) if new else {}
    for document in sorted(set(old_docs) | set(new_docs)):
        before, after = old_docs.get(document), new_docs.get(document)
        if before == after:
            continue
        old_statements, new_statements = _parse(before), _parse(after)
        if old_statements is None or new_statements is None:
            if _canonical(before) != _canonical(after):
                raw = after if after is not None else before
                yield StatementChange("+" if after is not None else "-", service,
                                      str(shown["urn"]), str(shown["type"]), str(shown["name"]),
                                      document, None, raw=str(raw))
            continue
        olds, news = Counter(s for s, _ in old_statements), Counter(s for s, _ in new_statements)
        sids = {s: sid for s, sid in [*old_statements, *new_statements]}
        for sign, changed in (("-", olds - news), ("+", news - olds)):
            for statement in sorted(changed.elements()):
                yield StatementChange(sign, service, str(shown["urn"]), str(shown["type"]),
                                      str(shown["name"]), document, statement, sids[statement])


def _parse(document: Any) -> list[tuple[NormalStatement, str]] | None:
    """Normalised statements with their Sid; [] for no document, None if unreadable."""
    if document is None:
        return []
    parsed = statements(document)
    if parsed is None:
        return None
    return [(_normalise(s.raw), str(s.raw.get("Sid", ""))) for s in parsed]


def _normalise(raw: Mapping[str, Any]) -> NormalStatement:
    return NormalStatement(
        effect=str(raw.get("Effect", "Allow")),
        principals=_principals(raw.get("Principal")) + _negated(_principals(
            raw.get("NotPrincipal"))),
        actions=_strings(raw.get("Action")) + _negated(_strings(raw.get("NotAction"))),
        resources=_strings(raw.get("Resource")) + _negated(_strings(raw.get("NotResource"))),
        conditions=_conditions(raw.get("Condition")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in as_list(value)}))


def _negated(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"NOT {v}" for v in values)


def _principals(principal: Any) -> tuple[str, ...]:
    if principal is None:
        return ()
    if principal == "*":
        return ("*",)
    if isinstance(principal, Mapping):
        found = {"*" if (kind, str(v)) == ("AWS", "*") else f"{kind}:{v}"
                 for kind, values in principal.items() for v in as_list(values)}
        return tuple(sorted(found))
    return _strings(principal)


def _conditions(condition: Any) -> tuple[str, ...]:
    if not isinstance(condition, Mapping):
        return () if condition is None else (str(condition),)
    lines = []
    for operator, clauses in condition.items():
        if not isinstance(clauses, Mapping):
            lines.append(f"{operator} {clauses}")
            continue
        for key, values in clauses.items():
            lines.append(f"{operator} {key}: {', '.join(_strings(values))}")
    return tuple(sorted(lines))


def _canonical(document: Any) -> Any:
    return document if not isinstance(document, str) else document.strip()
