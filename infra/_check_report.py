"""Findings from the Analyzer responses, rendered as a table, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from infra._check_locations import Location

__all__ = ["Finding", "PolicyMeta", "collect", "render"]

_LEVEL_NAMES = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
                analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}
_SEVERITY_NAMES = {analyzer_pb2.POLICY_SEVERITY_LOW: "low",
                   analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
                   analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
                   analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}
# pulumi_policy's wording for an UnknownValueError during preview.
_CANNOT_VERIFY = "can't run policy"
_EXEMPTED = "exempted: "


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    severity: str
    enforcement: str
    remediation: str
    framework: str
    url: str
    tags: tuple[str, ...]

    @classmethod
    def from_info(cls, info: Any, effective: Mapping[str, Any]) -> dict[str, PolicyMeta]:
        metas = {}
        for p in info.policies:
            framework = p.framework.reference
            if p.framework.name == "fsbp":
                framework = f"FSBP {framework}"
            elif p.framework.name == "strata":
                framework = "Strata baseline"
            metas[p.name] = cls(
                p.name, p.description, _SEVERITY_NAMES.get(p.severity, "unspecified"),
                effective.get(p.name, {}).get("enforcementLevel",
                                              _LEVEL_NAMES.get(p.enforcementLevel, "advisory")),
                p.remediation_steps, framework or "-", p.url, tuple(p.tags))
        return metas


@dataclass(frozen=True)
class Finding:
    policy: str
    status: str  # violation | cannot-verify | exempted | remediated
    enforcement: str
    severity: str
    urn: str
    type: str
    name: str
    message: str
    remediation: str
    framework: str

    @property
    def blocking(self) -> bool:
        return self.status == "violation" and self.enforcement in ("mandatory", "remediate")


def _strip(message: str, description: str) -> str:
    if message.startswith(description):
        message = message[len(description):]
    return message.strip() or description


def collect(response: Any, resource_urn: str, metas: Mapping[str, PolicyMeta],
            types: Mapping[str, tuple[str, str]]) -> list[Finding]:
    """Findings from one AnalyzeResponse / RemediateResponse."""
    out: list[Finding] = []

    def make(policy: str, status: str, enforcement: str, severity: str | None, urn: str,
             message: str) -> Finding:
        meta = metas.get(policy)
        rtype, name = types.get(urn, ("", ""))
        return Finding(policy, status, enforcement,
                       severity or (meta.severity if meta else "unspecified"), urn, rtype, name,
                       message, meta.remediation if meta else "", meta.framework if meta else "-")

    for d in getattr(response, "diagnostics", []):
        urn = d.urn or resource_urn
        enforcement = _LEVEL_NAMES.get(d.enforcementLevel, "advisory")
        status = "cannot-verify" if d.message.startswith(_CANNOT_VERIFY) else "violation"
        severity = _SEVERITY_NAMES.get(d.severity)
        out.append(make(d.policyName, status, enforcement, severity, urn,
                        _strip(d.message, d.description)))
    for n in response.not_applicable:
        if n.reason.startswith(_EXEMPTED):
            for item in n.reason[len(_EXEMPTED):].split("; "):
                urn, _, reason = item.partition(": ")
                out.append(make(n.policy_name, "exempted", "-", None, urn or resource_urn,
                                reason or item))
    for r in getattr(response, "remediations", []):
        changed = json_format.MessageToDict(r.properties) if r.HasField("properties") else {}
        text = r.diagnostic or ("rewrote inputs: " + ", ".join(sorted(changed)) if changed
                                else r.description)
        out.append(make(r.policyName, "remediated", "remediate", None, resource_urn, text))
    return out


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {"mandatory": 0, "advisory": 0, "cannot-verify": 0, "exempted": 0, "remediated": 0}
    for f in findings:
        if f.status == "violation":
            counts["mandatory" if f.blocking else "advisory"] += 1
        else:
            counts[f.status] += 1
    return counts


# -- renderers -------------------------------------------------------------------------------

def render(fmt: str, findings: list[Finding], *, metas: Mapping[str, PolicyMeta],
           context: Mapping[str, Any], locations: Mapping[str, Location] | None = None) -> str:
    """The report; `locations` (urn -> where the stack file declares it) adds file and line."""
    where = locations or {}
    if fmt == "json":
        return json.dumps({**context, "summary": summary(findings),
                           "findings": [asdict(f) | {"blocking": f.blocking,
                                                     "location": _location_json(where, f.urn)}
                                        for f in findings]},
                          indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(_sarif(findings, metas, context, where), indent=2) + "\n"
    return _table(findings, context, where)


def _location_json(where: Mapping[str, Location], urn: str) -> dict[str, Any] | None:
    location = where.get(urn)
    if location is None or location.line is None:
        return None
    return {"file": location.uri, "line": location.line, "key": location.key}


def _table(findings: list[Finding], context: Mapping[str, Any],
           where: Mapping[str, Location]) -> str:
    lines = [f"strata check: {context['project']}/{context['stack']} - "
             f"{context['resources']} resources, {context['policies']} policies "
             f"(pack {context['pack']})"]
    by_urn: dict[str, list[Finding]] = {}
    for f in findings:
        by_urn.setdefault(f.urn, []).append(f)
    order = {"violation": 0, "cannot-verify": 1, "remediated": 2, "exempted": 3}
    for urn, items in by_urn.items():
        head = items[0]
        lines += ["", f"{head.type or 'stack'}  {head.name or urn or '(stack)'}", f"  {urn}"]
        location = where.get(urn)
        if location is not None and location.line is not None:
            lines.append(f"  declared at {location.uri}:{location.line} ({location.key})")
        for f in sorted(items, key=lambda f: (order.get(f.status, 9), f.policy)):
            label = ("MANDATORY" if f.blocking else f.status.upper()
                     if f.status != "violation" else "advisory")
            lines.append(f"  [{label}] {f.policy} ({f.severity}, {f.framework})")
            lines.append(f"      {f.message}")
            if f.status in ("violation", "cannot-verify") and f.remediation:
                lines.append(f"      fix: {f.remediation}")
    counts = summary(findings)
    lines += ["", "summary: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
              "result: " + ("FAILED (mandatory violations)" if counts["mandatory"] else "passed")]
    return "\n".join(lines) + "\n"


_SARIF_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}


def _physical(where: Mapping[str, Location], urn: str,
              context: Mapping[str, Any]) -> dict[str, Any]:
    """The stack-file line declaring the resource's service or section, else the artifact."""
    location = where.get(urn)
    if location is None or location.line is None:
        return {"artifactLocation": _artifact(str(context["artifactUri"]))}
    return {"artifactLocation": _artifact(location.uri), "region": {"startLine": location.line}}


def _artifact(uri: str) -> dict[str, str]:
    # A relative URI resolves against the repository root (code scanning's %SRCROOT%);
    # SARIF allows uriBaseId only on relative references.
    return {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _sarif(findings: list[Finding], metas: Mapping[str, PolicyMeta],
           context: Mapping[str, Any], where: Mapping[str, Location]) -> dict[str, Any]:
    names = sorted(metas)
    index = {n: i for i, n in enumerate(names)}
    rules = []
    for n in names:
        m = metas[n]
        rule: dict[str, Any] = {
            "id": n, "name": n,
            "shortDescription": {"text": m.description.split(". ")[0]},
            "fullDescription": {"text": m.description},
            "help": {"text": m.remediation or m.description},
            "defaultConfiguration": {"level": _SARIF_LEVEL.get(m.enforcement, "none"),
                                     "enabled": m.enforcement != "disabled"},
            "properties": {"severity": m.severity, "enforcement": m.enforcement,
                           "framework": m.framework, "tags": list(m.tags)},
        }
        if m.url:
            rule["helpUri"] = m.url
        rules.append(rule)
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.policy,
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": _physical(where, f.urn, context),
                "logicalLocations": [{"fullyQualifiedName": f.urn or "(stack)",
                                      "name": f.name or "(stack)", "kind": "resource"}],
            }],
            "properties": {"status": f.status, "severity": f.severity,
                           "enforcement": f.enforcement, "resourceType": f.type},
        }
        if f.policy in index:
            result["ruleIndex"] = index[f.policy]
        if f.status == "violation":
            result["level"] = _SARIF_LEVEL.get(f.enforcement, "warning")
            result["kind"] = "fail"
        elif f.status == "cannot-verify":
            result["level"] = "note"
            result["kind"] = "review"
        else:
            result["level"] = "none"
            result["kind"] = "informational" if f.status == "remediated" else "fail"
        if f.status == "exempted":
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f.message}]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "strata-check", "version": context.get("version", ""),
                                "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                                "rules": rules}},
            "automationDetails": {"id": f"strata-check/{context['stack']}/"},
            "results": results,
        }],
    }
