"""Kubernetes tenancy: restricted pod security and default-deny networking per namespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._control import Control, Finding, Node, Res, StackView, cannot_verify, fail
from .._values import ABSENT, as_list, get, is_unknown

__all__ = ["CONTROLS"]

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
_ENFORCE = "pod-security.kubernetes.io/enforce"
_SYSTEM = ["kube-system", "kube-public", "kube-node-lease", "default"]


def _check_pod_security(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    name = get(res.props, "metadata.name")
    if name in cfg["exemptNamespaces"]:
        return []
    labels = get(res.props, "metadata.labels", default={})
    if is_unknown(labels):
        return [cannot_verify("metadata.labels")]
    level = labels.get(_ENFORCE, ABSENT) if isinstance(labels, dict) else ABSENT
    if is_unknown(level):
        return [cannot_verify(f"metadata.labels.{_ENFORCE}")]
    if level == "restricted":
        return []
    shown = "absent (Kubernetes default privileged)" if level is ABSENT else repr(level)
    return [fail(f"label {_ENFORCE} is {shown}: pods may run privileged, as root or with host "
                 "access")]


class _Placement:
    """Where the stack's objects of one kind sit, indexed once: by the namespace they depend
    on, by the namespace name they give, and those whose namespace is unknown."""

    def __init__(self, stack: StackView, kind: str) -> None:
        self.objects = stack.of_type(kind)
        self.by_dependency: dict[str, list[Node]] = {}
        self.by_name: dict[str, list[Node]] = {}
        self.unknown: list[Node] = []
        for obj in self.objects:
            for urn in dict.fromkeys(obj.property_dependencies.get("metadata", [])):
                self.by_dependency.setdefault(urn, []).append(obj)
            target = get(obj.props, "metadata.namespace")
            if is_unknown(target):
                self.unknown.append(obj)
            elif isinstance(target, str):
                self.by_name.setdefault(target, []).append(obj)

    def inside(self, ns: Node) -> tuple[list[Node], bool]:
        """(objects in the namespace, whether some object's placement cannot be known)."""
        linked = self.by_dependency.get(ns.urn, [])
        linked_urns = {o.urn for o in linked}
        name = get(ns.props, "metadata.name")
        if is_unknown(name):
            return linked, len(linked) < len(self.objects)
        named = self.by_name.get(name, []) if isinstance(name, str) else []
        inside = linked + [o for o in named if o.urn not in linked_urns]
        return inside, any(o.urn not in linked_urns for o in self.unknown)


def _placement(stack: StackView, kind: str) -> _Placement:
    key = ("kubernetes-placement", kind)
    if key not in stack.memo:
        stack.memo[key] = _Placement(stack, kind)
    placement: _Placement = stack.memo[key]
    return placement


def _is_default_deny(policy: Node, types: list[str]) -> bool:
    spec = policy.props.get("spec") or {}
    selector = spec.get("podSelector") or {}
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        return False
    declared = set(as_list(spec.get("policyTypes")))
    return all(t in declared and not spec.get(t.lower()) for t in types)


def _namespaces(stack: StackView, cfg: Mapping[str, Any]) -> list[Node]:
    return [ns for ns in stack.of_type(NAMESPACE)
            if get(ns.props, "metadata.name") not in cfg["exemptNamespaces"]]


def _check_default_deny(stack: StackView, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    placement = _placement(stack, NETWORK_POLICY)
    for ns in _namespaces(stack, cfg):
        inside, undetermined = placement.inside(ns)
        if any(_is_default_deny(p, cfg["policyTypes"]) for p in inside):
            continue
        if undetermined:
            yield cannot_verify("metadata.namespace", ns.urn)
        else:
            yield fail(f"no NetworkPolicy in this namespace selects all pods and denies "
                       f"{'/'.join(cfg['policyTypes'])} by default", ns.urn)


def _check_quotas(stack: StackView, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for ns in _namespaces(stack, cfg):
        for kind in ("kubernetes:core/v1:ResourceQuota", "kubernetes:core/v1:LimitRange"):
            inside, undetermined = _placement(stack, kind).inside(ns)
            if not inside and not undetermined:
                yield fail(f"no {kind.rsplit(':', 1)[-1]} in this namespace: one tenant can "
                           "starve the others", ns.urn)


_EXEMPT = {"exemptNamespaces": {"type": "array", "items": {"type": "string"}, "default": _SYSTEM,
                                "description": "Namespaces (by metadata.name) not judged."}}

CONTROLS = [
    Control(
        "strata-namespace-pod-security-restricted",
        "Tenant namespaces enforce the Pod Security Standard \"restricted\".",
        severity="high", enforcement="mandatory", check=_check_pod_security, types=(NAMESPACE,),
        config=_EXEMPT,
        remediation="Label the namespace pod-security.kubernetes.io/enforce: restricted.",
        tags=("kubernetes",)),
    Control(
        "strata-namespace-default-deny",
        "Every tenant namespace has a default-deny NetworkPolicy (empty podSelector, no rules "
        "for the denied directions); traffic is then allowed explicitly.",
        severity="high", enforcement="mandatory", check=_check_default_deny, scope="stack",
        config={**_EXEMPT,
                "policyTypes": {"type": "array", "items": {"enum": ["Ingress", "Egress"]},
                                "default": ["Ingress", "Egress"],
                                "description": "Directions the default policy must deny."}},
        remediation="Add a NetworkPolicy in the namespace with podSelector {} and policyTypes "
                    "[Ingress, Egress] and no rules, then allow DNS and named peers explicitly.",
        tags=("kubernetes", "network")),
    Control(
        "strata-namespace-quotas",
        "Every tenant namespace has a ResourceQuota and a LimitRange.",
        severity="low", enforcement="advisory", check=_check_quotas, scope="stack",
        config=_EXEMPT,
        remediation="Create a ResourceQuota and a LimitRange in the namespace.",
        tags=("kubernetes",)),
]
