"""Control metadata and verdicts, and the adapter that turns a control into a pulumi_policy Policy.

A control is a small pure function over plain inputs: `check(resource, config)` for one
resource, `check(stack, config)` for the whole stack. It yields `Finding`s; the adapter turns
them into what the engine understands:

- a violation -> `report_violation` (at the policy's enforcement level);
- a value unknown during preview -> "cannot verify", raised as pulumi_policy's
  `UnknownValueError`, which the engine records as an advisory "can't run policy ... during
  preview" diagnostic: visible, never a pass, and it does not block a preview;
- a violation waived by an active entry in `policies/exemptions.py` -> the policy's
  not-applicable reason "exempted: ...", so reports list it.

A control that raises is reported as a violation ("control error"): fail closed.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from ._servicer import JUDGED_TYPES
from ._values import ABSENT, get, is_unknown, plain
from .exemptions import EXEMPTIONS, Exemption, match_exemption

__all__ = [
    "Control",
    "Finding",
    "Node",
    "Res",
    "StackView",
    "cannot_verify",
    "fail",
    "judge",
]

FSBP = "AWS Foundational Security Best Practices"
FSBP_URL = "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html"
CANNOT_VERIFY = "cannot verify"
NOT_IN_FSBP = frozenset({"CloudWatch.16", "EC2.53", "EC2.54", "KMS.4", "MSK.2", "S3.14", "S3.17",
                         "SNS.1"})
"""Security Hub controls outside the FSBP standard (CIS, NIST 800-53 or PCI only; SNS.1 left
FSBP in April 2024), per Security Hub's control list: reports name them "Security Hub"."""
IGNORED_CONFIG_KEYS = ("enforcementLevel", "reason")
"""Policy-config keys every control accepts and does not read: the engine's enforcement level,
and the reason a stack deviates from the default (kept next to the setting it explains)."""


@dataclass(frozen=True)
class Finding:
    message: str
    urn: str | None = None
    """Stack controls name the offending resource; resource controls leave it to the engine."""
    unknown: bool = False


def fail(message: str, urn: str | None = None) -> Finding:
    return Finding(message, urn)


def cannot_verify(path: str, urn: str | None = None, what: str = "") -> Finding:
    detail = f" ({what})" if what else ""
    return Finding(f"{CANNOT_VERIFY}: {path} is unknown during preview{detail}", urn, True)


def judge(props: Mapping[str, Any], path: str, ok: Callable[[Any], bool], default: Any,
          message: str, urn: str | None = None) -> list[Finding]:
    """One property against a predicate; absent means `default` (the provider's default).

    `message` may use {value} and {path}; an absent value is shown as "absent (provider
    default X)" so both the engine form and the offline form read the same.
    """
    value = get(props, path)
    if is_unknown(value):
        return [cannot_verify(path, urn)]
    shown = _show(value)
    if value is ABSENT:
        value = default
        shown = f"absent (provider default {_show(default)})"
    if ok(value):
        return []
    return [fail(message.format(value=shown, path=path), urn)]


def _show(value: Any) -> str:
    # Numbers arrive as floats over the wire; 30.0 reads better as 30.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


@dataclass(frozen=True)
class Res:
    """One resource as a resource control sees it."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]


@dataclass
class Node:
    """One resource as a stack control sees it: inputs plus parent and dependencies."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def tags(self) -> dict[str, Any]:
        tags = self.props.get("tags")
        return tags if isinstance(tags, dict) else {}


class StackView:
    """Every resource of the stack, as stack controls see it."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = list(nodes)
        self.by_urn = {n.urn: n for n in self.nodes}
        self._by_type: dict[str, list[Node]] = {}
        for node in self.nodes:
            self._by_type.setdefault(node.type, []).append(node)
        self.memo: dict[Any, Any] = {}
        """Indexes derived from the stack once and shared by every control that asks."""

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> StackView:
        """A manifest (`strata synth`'s format) as stack controls see it, for tests that call
        a control's logic on a whole stack without the Analyzer protocol."""
        return cls(Node(str(r["type"]), str(r["name"]), str(r["urn"]),
                        plain(r.get("inputs") or {}), r.get("parent") or None,
                        list(r.get("dependencies") or []),
                        {k: list(v) for k, v in (r.get("propertyDependencies") or {}).items()})
                   for r in manifest["resources"])

    def of_type(self, *types: str) -> list[Node]:
        """Nodes of these types, in stack order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [n for n in self.nodes if n.type in types]

    def ancestors(self, node: Node) -> Iterable[Node]:
        seen: set[str] = set()
        current = self.by_urn.get(node.parent or "")
        while current is not None and current.urn not in seen:
            seen.add(current.urn)
            yield current
            current = self.by_urn.get(current.parent or "")

    def tag(self, node: Node, key: str) -> Any:
        """The node's own tag, else the nearest ancestor's (for resources that take no tags)."""
        if key in node.tags:
            return node.tags[key]
        for ancestor in self.ancestors(node):
            if key in ancestor.tags:
                return ancestor.tags[key]
        return ABSENT

    def dependents(self, urn: str, prop: str, type_: str) -> list[Node]:
        """Nodes of `type_` whose `prop` input depends on `urn` (indexed once per type/prop)."""
        key = ("dependents", type_, prop)
        index: dict[str, list[Node]] | None = self.memo.get(key)
        if index is None:
            index = {}
            for node in self.of_type(type_):
                for dependency in node.property_dependencies.get(prop, []):
                    index.setdefault(dependency, []).append(node)
            self.memo[key] = index
        return index.get(urn, [])

    def with_value(self, type_: str, prop: str, value: Any) -> list[Node]:
        """Nodes of `type_` whose top-level input `prop` equals `value` (indexed once)."""
        key = ("with_value", type_, prop)
        index: dict[Any, list[Node]] | None = self.memo.get(key)
        if index is None:
            index = {}
            for node in self.of_type(type_):
                found = node.props.get(prop)
                if isinstance(found, str | int | float | bool):
                    index.setdefault(found, []).append(node)
            self.memo[key] = index
        return index.get(value, []) if isinstance(value, str | int | float | bool) else []

    def deps_of(self, node: Node, prop: str) -> list[Node]:
        return [self.by_urn[u] for u in node.property_dependencies.get(prop, [])
                if u in self.by_urn]


Check = Callable[[Any, Mapping[str, Any]], Iterable[Finding]]

# The pack's servicer hands every policy the same props proxy (and every stack policy the same
# resource list) within one request: convert it once and let the next policy reuse it. One
# entry each, replaced atomically; a miss only costs a conversion.
_last_props: tuple[Any, dict[str, Any]] = (None, {})
_last_stack: tuple[Any, StackView | None] = (None, None)


def _shared_plain(props: Any) -> dict[str, Any]:
    global _last_props
    source, converted = _last_props
    if source is not props:
        converted = plain(props)
        _last_props = (props, converted)
    return converted


def _shared_stack(resources: Any) -> StackView:
    global _last_stack
    source, stack = _last_stack
    if source is not resources or stack is None:
        nodes = []
        for r in resources:
            parent = r.parent.urn if r.parent is not None else (r.opts.parent or None)
            nodes.append(Node(
                r.resource_type, r.name, r.urn, plain(r.props), parent,
                [d.urn for d in r.dependencies],
                {k: [d.urn for d in v] for k, v in r.property_dependencies.items()}))
        stack = StackView(nodes)
        _last_stack = (resources, stack)
    return stack

_SEVERITY = {s.value: s for s in Severity}
_LEVEL = {e.value: e for e in EnforcementLevel}


class CannotVerify(UnknownValueError):
    """pulumi_policy turns this into the engine's advisory "can't run policy during preview"."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.unknown_type_sentinel = ""
        self.props = []
        self.message = message


@dataclass(frozen=True)
class Control:
    name: str
    description: str
    severity: Literal["low", "medium", "high", "critical"]
    enforcement: Literal["advisory", "mandatory", "disabled"]
    remediation: str
    check: Check
    scope: Literal["resource", "stack"] = "resource"
    types: tuple[str, ...] = ()
    """Resource types judged (resource controls); empty means every type."""
    fsbp: str | None = None
    """AWS Security Hub control id(s), e.g. "RDS.3" (FSBP unless listed in NOT_IN_FSBP);
    None for a control with no Security Hub equivalent."""
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON-schema properties of the control's config; each has a `default`."""
    tags: tuple[str, ...] = ()
    family: Literal["security", "governance"] = "security"
    """security: AWS/Kubernetes best practice, no assumption about the stack; governance: a
    platform convention (tag schema, ownership), configurable or disabled per stack."""

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def settings(self, configured: Mapping[str, Any] | None) -> dict[str, Any]:
        """Schema defaults overlaid with the stack's policy config.

        `enforcementLevel` is the engine's and `reason` documents a deviation (both ignored
        here). Any other key the control does not declare is refused: the CLI's schema check
        lets unknown keys through, and a misspelt threshold must not silently fall back to
        its default.
        """
        merged = self.defaults()
        given = plain(configured or {})
        unknown = sorted(set(given) - set(self.config) - set(IGNORED_CONFIG_KEYS))
        if unknown:
            known = ", ".join(sorted(self.config)) or "none"
            raise ValueError(f"policy config for {self.name} has unknown key(s) "
                             f"{', '.join(unknown)}; known: {known} (plus "
                             f"{', '.join(IGNORED_CONFIG_KEYS)})")
        merged.update(given)
        for key in IGNORED_CONFIG_KEYS:
            merged.pop(key, None)
        return merged

    def _ids(self) -> tuple[list[str], list[str]]:
        ids = [i.strip() for i in (self.fsbp or "").split(",") if i.strip()]
        return ([i for i in ids if i not in NOT_IN_FSBP], [i for i in ids if i in NOT_IN_FSBP])

    @property
    def framework(self) -> str:
        """"FSBP RDS.2", "Security Hub KMS.4" (a Security Hub control outside FSBP), both, or
        "Strata baseline"."""
        if not self.fsbp:
            return "Strata baseline"
        fsbp, other = self._ids()
        parts = ([f"FSBP {', '.join(fsbp)}"] if fsbp else []) + (
            [f"Security Hub {', '.join(other)}"] if other else [])
        return "; ".join(parts)

    def _compliance_framework(self) -> PolicyComplianceFramework:
        if not self.fsbp:
            return PolicyComplianceFramework(name="strata", version="1.0.0", reference=self.name,
                                             specification="Strata platform baseline")
        fsbp, _ = self._ids()
        if fsbp:  # reports print "FSBP <reference>"
            return PolicyComplianceFramework(name="fsbp", version="1.0.0",
                                             reference=self.framework.removeprefix("FSBP "),
                                             specification=FSBP)
        return PolicyComplianceFramework(name="securityhub", version="1.0.0",
                                         reference=self.framework,
                                         specification="AWS Security Hub controls")

    def to_policy(self, exemptions: tuple[Exemption, ...] = EXEMPTIONS,
                  today: _dt.date | None = None,
                  ) -> ResourceValidationPolicy | StackValidationPolicy:
        meta: dict[str, Any] = {
            "enforcement_level": _LEVEL[self.enforcement],
            "severity": _SEVERITY[self.severity],
            "remediation_steps": self.remediation,
            "tags": list(self.tags) or None,
            "framework": self._compliance_framework(),
            "url": FSBP_URL if self.fsbp else None,
        }
        if self.config:
            meta["config_schema"] = PolicyConfigSchema(properties={k: dict(v) for k, v in
                                                                   self.config.items()})
        if self.scope == "resource":
            policy = ResourceValidationPolicy(
                self.name, self.description,
                validate=lambda args, report: self._validate_resource(args, report, exemptions,
                                                                      today),
                **meta)
            setattr(policy, JUDGED_TYPES, frozenset(self.types))
            return policy
        return StackValidationPolicy(
            self.name, self.description,
            validate=lambda args, report: self._validate_stack(args, report, exemptions, today),
            **meta)

    # -- adapters -------------------------------------------------------------------------

    def _validate_resource(self, args: ResourceValidationArgs, report: Callable[..., None],
                           exemptions: tuple[Exemption, ...], today: _dt.date | None) -> None:
        if self.types and args.resource_type not in self.types:
            return
        res = Res(args.resource_type, args.name, args.urn, _shared_plain(args.props))
        self._run(lambda: self.check(res, self.settings(args.get_config())), args.urn,
                  report, args.not_applicable, exemptions, today)

    def _validate_stack(self, args: StackValidationArgs, report: Callable[..., None],
                        exemptions: tuple[Exemption, ...], today: _dt.date | None) -> None:
        stack = _shared_stack(args.resources)
        self._run(lambda: self.check(stack, self.settings(args.get_config())), None, report,
                  args.not_applicable, exemptions, today)

    def _run(self, evaluate: Callable[[], Iterable[Finding]], urn: str | None,
             report: Callable[..., None], not_applicable: Callable[[str], None],
             exemptions: tuple[Exemption, ...], today: _dt.date | None) -> None:
        try:
            findings = list(evaluate())
        except Exception as exc:  # fail closed: a broken control must not pass a resource
            report(f"control error: {type(exc).__name__}: {exc}", urn)
            return
        unknown: list[str] = []
        exempted: list[str] = []
        for finding in findings:
            target = finding.urn or urn or ""
            if finding.unknown:
                unknown.append(finding.message + (f" [{finding.urn}]" if finding.urn else ""))
                continue
            active, expired = match_exemption(self.name, target, exemptions, today)
            if active is not None:
                # The engine gets one not-applicable reason: items are "; "-separated and each
                # is "<urn>: <text>", so neither separator may appear inside an item.
                text = (f"{active.reason} (approved by {active.approved_by}, expires "
                        f"{active.expires.isoformat()}) waives: {finding.message}")
                exempted.append(f"{target}: " + text.replace("; ", ", "))
                continue
            message = finding.message
            if expired is not None:
                message += (f" (exemption expired {expired.expires.isoformat()}, not honoured:"
                            f" {expired.reason})")
            report(message, finding.urn)
        if unknown:
            raise CannotVerify("; ".join(unknown))
        if exempted:
            not_applicable("exempted: " + "; ".join(exempted))
