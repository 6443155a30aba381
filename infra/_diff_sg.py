"""Security-group rule changes between two manifests, one row per rule and peer.

Rules come from standalone `aws:vpc` ingress/egress rule resources, legacy
`aws:ec2/securityGroupRule` resources, and the inline `ingress`/`egress` blocks of
`aws:ec2` security groups (each CIDR, prefix list or group in a block is its own rule, as AWS
stores them). A rule is its group, direction, protocol, ports and peer; its description is shown
but not part of it. Groups and referenced groups are named by the manifest resource behind the
ID when the manifest links them (propertyDependencies), else by the ID itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra._diff_resources import Pairing
from policies._values import as_list

__all__ = ["RULE_TYPES", "RuleChange", "SgRule", "sg_changes", "sg_rules"]

_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
_LEGACY = "aws:ec2/securityGroupRule:SecurityGroupRule"
_GROUPS = ("aws:ec2/securityGroup:SecurityGroup",
           "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
RULE_TYPES = (_INGRESS, _EGRESS, _LEGACY, *_GROUPS)

# IANA protocol numbers AWS accepts in place of names.
_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


@dataclass(frozen=True, order=True)
class SgRule:
    group: str
    direction: str
    """`ingress` or `egress`."""
    protocol: str
    ports: str
    """`443`, `11001-11002`, `all`."""
    peer: str
    """`cidr 10.0.0.0/16`, `sg kafka-sg`, `prefix-list pl-1234`, `self`."""
    description: str = field(default="", compare=False)


@dataclass(frozen=True)
class RuleChange:
    sign: str
    """`+` added, `-` removed."""
    service: str
    urn: str
    """The resource declaring the rule (the rule resource, or the group for inline rules)."""
    rule: SgRule


def sg_changes(pairing: Pairing, old_owners: Mapping[str, str],
               new_owners: Mapping[str, str]) -> list[RuleChange]:
    """Rules present on one side only (AWS keeps one copy of identical rules); a rule that
    moved between resources is no change."""
    old, new = _collect(pairing.old, old_owners), _collect(pairing.new, new_owners)
    out = [RuleChange("-", service, old[(service, rule)], rule)
           for service, rule in old.keys() - new.keys()]
    out += [RuleChange("+", service, new[(service, rule)], rule)
            for service, rule in new.keys() - old.keys()]
    return sorted(out, key=lambda c: (c.service, c.rule.group, c.rule, c.sign != "-"))


def _collect(resources: Mapping[str, Mapping[str, Any]],
             owners: Mapping[str, str]) -> dict[tuple[str, SgRule], str]:
    """(service, rule) -> the URN declaring it."""
    found: dict[tuple[str, SgRule], str] = {}
    for urn, resource in resources.items():
        for rule in sg_rules(resource, resources):
            found.setdefault((owners.get(urn, ""), rule), urn)
    return found


def sg_rules(resource: Mapping[str, Any],
             resources: Mapping[str, Mapping[str, Any]]) -> Iterator[SgRule]:
    type_, inputs = str(resource.get("type")), resource.get("inputs") or {}
    if type_ in (_INGRESS, _EGRESS):
        group = _named(resource, "securityGroupId", resources)
        direction = "ingress" if type_ == _INGRESS else "egress"
        protocol = _protocol(inputs.get("ipProtocol"))
        ports = _ports(protocol, inputs.get("fromPort"), inputs.get("toPort"))
        peers = [f"cidr {inputs[k]}" for k in ("cidrIpv4", "cidrIpv6") if inputs.get(k)]
        if inputs.get("prefixListId"):
            peers.append(f"prefix-list {inputs['prefixListId']}")
        if inputs.get("referencedSecurityGroupId"):
            peers.append(f"sg {_named(resource, 'referencedSecurityGroupId', resources)}")
        description = str(inputs.get("description", ""))
        for peer in peers or ["(none)"]:
            yield SgRule(group, direction, protocol, ports, peer, description)
    elif type_ == _LEGACY:
        group = _named(resource, "securityGroupId", resources)
        yield from _block(group, str(inputs.get("type", "")), inputs, resource, resources,
                          source_key="sourceSecurityGroupId")
    elif type_ in _GROUPS:
        group = str(resource.get("name"))
        for direction in ("ingress", "egress"):
            for block in as_list(inputs.get(direction)):
                if isinstance(block, Mapping):
                    yield from _block(group, direction, block, resource, resources)


def _block(group: str, direction: str, block: Mapping[str, Any], resource: Mapping[str, Any],
           resources: Mapping[str, Mapping[str, Any]],
           source_key: str | None = None) -> Iterator[SgRule]:
    protocol = _protocol(block.get("protocol"))
    ports = _ports(protocol, block.get("fromPort"), block.get("toPort"))
    description = str(block.get("description", ""))
    peers = [f"cidr {c}" for key in ("cidrBlocks", "ipv6CidrBlocks")
             for c in as_list(block.get(key))]
    peers += [f"prefix-list {p}" for p in as_list(block.get("prefixListIds"))]
    peers += [f"sg {g}" for g in as_list(block.get("securityGroups"))]
    if source_key and block.get(source_key):
        peers.append(f"sg {_named(resource, source_key, resources)}")
    if block.get("self"):
        peers.append("self")
    for peer in peers or ["(none)"]:
        yield SgRule(group, direction, protocol, ports, peer, description)


def _named(resource: Mapping[str, Any], key: str,
           resources: Mapping[str, Mapping[str, Any]]) -> str:
    """The security group behind an ID input, by resource name when the manifest links it."""
    deps = [resources[u] for u in (resource.get("propertyDependencies") or {}).get(key, [])
            if u in resources]
    groups = [d for d in deps if d.get("type") in _GROUPS]
    if len(groups) == 1:
        return str(groups[0]["name"])
    return str((resource.get("inputs") or {}).get(key, "?"))


def _protocol(value: Any) -> str:
    if value is None:
        return "all"
    text = str(int(value)) if isinstance(value, float) else str(value).lower()
    return _PROTOCOLS.get(text, text)


def _ports(protocol: str, start: Any, end: Any) -> str:
    if protocol == "all" or (start is None and end is None):
        return "all"
    low = int(start) if start is not None else int(end)
    high = int(end) if end is not None else low
    if (low, high) in ((-1, -1), (0, 65535)) and protocol in ("tcp", "udp"):
        return "all"
    return str(low) if low == high else f"{low}-{high}"
