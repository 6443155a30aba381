"""What `strata synth` prints: per service what it owns and what its role may use, then counts.

Owners and grants come from `infra/_ownership.py` (types, ownership tags, parent chains,
property dependencies), never from component names, so a refactor of the component tree
changes nothing here. A grant's targets are the resources its policy document depends on;
each statement's actions are attributed to the targets of the AWS service they act on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra._ownership import ROLE, ManifestIndex
from policies._aws import DATA_STORES, KEYS, OWNED, TOPICS
from policies._values import Statement, statements

__all__ = ["grants_of", "summary"]

ALIAS = "aws:kms/alias:Alias"

# pulumi-aws module -> IAM service prefixes of the actions on its resources, where they differ
# (AWS Service Authorization Reference: MSK data-plane actions are `kafka-cluster:`, RDS IAM
# authentication `rds-db:`, Timestream LiveAnalytics `timestream:`, Managed Prometheus `aps:`).
_IAM_PREFIXES: dict[str, tuple[str, ...]] = {
    "msk": ("kafka-cluster", "kafka"),
    "rds": ("rds-db", "rds"),
    "timestreamwrite": ("timestream",),
    "timestreaminfluxdb": ("timestream-influxdb",),
    "amp": ("aps",),
    "cloudwatch": ("logs", "cloudwatch"),
}
EVERYTHING = "* (every resource)"


def summary(manifest: Mapping[str, Any]) -> str:
    resources = manifest["resources"]
    custom = [r for r in resources if r["custom"]]
    index = ManifestIndex(resources)
    lines = [f"stack {manifest['stack']}: {len(resources)} resources registered "
             f"({len(custom)} custom, {len(resources) - len(custom)} components)"]
    lines += ["", "services: what each owns, and what its roles may use (from the policies "
                  "attached to them)"]
    for service in sorted({s for r in resources if (s := index.service(r["urn"]))}):
        lines += _service_block(index, service)
    groups = _groups(index)
    by_group = Counter(groups.get(r["urn"], "(stack)") for r in custom)
    lines += ["", "by component:"]
    lines += [f"  {count:5d}  {name}" for name, count in sorted(by_group.items())]
    lines += ["", "by type:"]
    lines += [f"  {count:5d}  {name}" for name, count in
              sorted(Counter(r["type"] for r in custom).items())]
    if manifest.get("placeholders"):
        lines += ["", "secure config values replaced by placeholders (only the Pulumi CLI can "
                      "decrypt them): " + ", ".join(manifest["placeholders"])]
    return "\n".join(lines)


def _service_block(index: ManifestIndex, service: str) -> list[str]:
    owned = [r for r in index.resources if r["type"] in OWNED and index.service(r["urn"]) ==
             service]
    roles = [r for r in index.resources if r["type"] == ROLE and index.service(r["urn"]) ==
             service]
    if not owned and not roles:
        return []
    lines = ["", f"  {service}"]
    if owned:
        lines.append("    owns")
        aliases = _aliases(index)
        rows = sorted((_kind(r["type"]), r["name"], _short_type(r["type"]) +
                       (f", {', '.join(aliases[r['urn']])}" if r["urn"] in aliases else ""))
                      for r in owned)
        width = max(len(name) for _, name, _ in rows)
        lines += [f"      {kind:<6} {name:<{width}}  {detail}" for kind, name, detail in rows]
    for role in roles:
        grants = grants_of(index, role)
        lines.append(f"    may use (role {role['name']})" + ("" if grants else ": nothing"))
        labelled = {_target_label(index, target, service): actions
                    for target, actions in grants.items()}
        width = max((len(label) for label in labelled), default=0)
        lines += [f"      {label:<{width}}  {_actions_text(actions)}"
                  for label, actions in sorted(labelled.items())]
    return lines


def grants_of(index: ManifestIndex, role: Mapping[str, Any]) -> dict[str, set[str]]:
    """Target (a URN, a managed policy ARN, or text naming resources) -> actions allowed."""
    out: dict[str, set[str]] = {}
    for grant in index.grants_of(role):
        if grant.policy_arn is not None:
            arn = grant.policy_arn
            owner = "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "managed"
            out.setdefault(f"policy {arn.rsplit('/', 1)[-1]} ({owner})", set()).add(
                "its actions (not listed offline)")
        else:
            _attribute(out, statements(grant.document), grant.targets, grant.name)
    return out


def _attribute(out: dict[str, set[str]], stmts: list[Statement] | None,
               targets: Sequence[Mapping[str, Any]], holder: str) -> None:
    if stmts is None:
        out.setdefault(f"policy {holder} (not readable offline)", set()).add("?")
        return
    for stmt in stmts:
        if not stmt.allows:
            continue
        for prefix, actions in _by_prefix(stmt.actions + [f"not {a}" for a in
                                                          stmt.not_actions]).items():
            for key in _targets_of(stmt, prefix, targets):
                out.setdefault(key, set()).update(actions)


def _targets_of(stmt: Statement, prefix: str, targets: Sequence[Mapping[str, Any]]) -> list[str]:
    if "*" in stmt.resources or not stmt.resources:
        return [EVERYTHING]
    candidates = [t for t in targets if prefix in _iam_prefixes(t["type"])]
    if len({t["type"] for t in candidates}) > 1:
        # Several kinds of target under one service (an MSK cluster and its topic): keep those
        # whose kind the statement's ARNs name (`...:topic/...`).
        kinds = {_arn_kind(arn) for arn in stmt.resources}
        candidates = [t for t in candidates if t["type"].rsplit(":", 1)[-1].lower() in kinds]
    if candidates:
        return [str(t["urn"]) for t in candidates]
    return [", ".join(_arn_tail(arn) for arn in stmt.resources)]


def _by_prefix(actions: Iterable[str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for action in actions:
        bare = action.removeprefix("not ")
        prefix = bare.split(":", 1)[0].lower() if ":" in bare else "*"
        grouped.setdefault(prefix, set()).add(action)
    return grouped


def _iam_prefixes(type_: str) -> tuple[str, ...]:
    module = type_.split(":")[1].split("/")[0] if type_.count(":") >= 2 else ""
    return _IAM_PREFIXES.get(module, (module,))


def _arn_kind(arn: str) -> str:
    """`arn:aws:kafka:r:a:topic/c/u/t` -> `topic` (the ARN's resource type)."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    return resource.split("/", 1)[0].split(":", 1)[0].lower()


def _arn_tail(arn: str) -> str:
    """`arn:aws:kafka:r:a:group/cluster/uuid/payments` -> `group payments`."""
    if not arn.startswith("arn:") or arn.count(":") < 5:
        return arn
    kind = _arn_kind(arn)
    last = arn.split(":", 5)[5].rsplit("/", 1)[-1]
    return f"{kind} {last}" if last != kind else kind


def _actions_text(actions: set[str]) -> str:
    grouped: dict[str, list[str]] = {}
    for action in sorted(actions):
        negated = action.startswith("not ")
        bare = action.removeprefix("not ")
        prefix, _, verb = bare.partition(":")
        grouped.setdefault(("NOT " if negated else "") + prefix, []).append(verb or prefix)
    return "; ".join(f"{prefix}: {', '.join(verbs)}" if verbs != [prefix] else prefix
                     for prefix, verbs in grouped.items())


def _target_label(index: ManifestIndex, target: str, service: str) -> str:
    resource = index.by_urn.get(target)
    if resource is None:
        return target
    owner = index.service(target)
    return resource["name"] + ("" if owner == service else f" [{owner or 'unowned'}]")


def _kind(type_: str) -> str:
    if type_ in KEYS:
        return "key"
    if type_ in TOPICS:
        return "topic"
    return "store" if type_ in DATA_STORES else "secret"


def _short_type(type_: str) -> str:
    """`aws:rds/instance:Instance` -> `rds/instance`."""
    parts = type_.split(":")
    return parts[1] if len(parts) == 3 else type_


def _aliases(index: ManifestIndex) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for alias in index.resources:
        if alias["type"] == ALIAS:
            for key in index.deps(alias, "targetKeyId"):
                found.setdefault(str(key["urn"]), []).append(str(alias["inputs"].get("name")))
    return found


def _groups(index: ManifestIndex) -> dict[str, str]:
    """urn -> the name of its top-level group: a child of the program's one top component
    (today the platform's network, kafka, orders, ...) or of the stack when there are several."""
    roots = index.children.get("", [])
    tops = [c for root in roots for c in index.children.get(str(root["urn"]), [])]
    components = [c for c in tops if not c["custom"]]
    heads = index.children.get(str(components[0]["urn"]), []) if len(components) == 1 else tops
    head_urns = {str(h["urn"]): str(h["name"]) for h in heads}
    groups: dict[str, str] = {}
    for r in index.resources:
        for node in (r, *index.ancestors(str(r["urn"]))):
            if node["urn"] in head_urns:
                groups[str(r["urn"])] = head_urns[str(node["urn"])]
                break
    return groups
