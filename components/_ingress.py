"""The security group of a store with one TCP port, admitting only the sources named for it.

Nothing is admitted by default: not the VPC, not a subnet. Clients are admitted by security group
(`allow_from`, `allowed_security_group_ids`), which with EKS security groups for pods reaches
exactly one service's pods; CIDRs (`allowed_cidrs`) remain for teams whose clients have no
security group. Every rule is a child of the store that owns the group: no component adds rules
to another component's group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components._args import ComponentArgsError
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["StoreIngress"]

_RULE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_EC2_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")
"""What EC2 accepts in a rule's description (an apostrophe fails the deploy):
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html"""


class StoreIngress:
    """A store's security group (no inline rules, no egress) and its ingress rules."""

    def __init__(self, parent: pulumi.Resource, name: str, *, group_name: str,
                 vpc_id: pulumi.Input[str], port: int, description: str,
                 tags: Mapping[str, str], lifecycle: LifecycleArgs | None,
                 allowed_security_group_ids: Sequence[pulumi.Input[str]] = (),
                 allowed_cidrs: Sequence[str] = ()) -> None:
        self._parent, self._name, self._port = parent, name, port
        self._tags = dict(tags)
        self.group = aws.ec2.SecurityGroup(
            f"{name}-sg", name=group_name, vpc_id=vpc_id, description=description,
            # No inline rules: rules are separate resources (below), and the provider revokes
            # AWS's default allow-all egress when it creates the group, so there is no egress.
            tags={**self._tags, "Name": group_name},
            # A group's description cannot change in place: a new text would replace the group,
            # and with it any resource that cannot change groups (an InfluxDB instance). The
            # description is therefore written once, at creation.
            opts=lifecycle_options(parent, lifecycle, ignore_changes=["description"]))
        for index, group_id in enumerate(allowed_security_group_ids):
            # Keyed by position: the list form exists for languages that cannot call methods;
            # reordering it replaces rules (a brief interruption), `allow_from` does not.
            self._rule(f"{name}-allow-sg-{index}", "from an allowed security group",
                       referenced_security_group_id=group_id)
        for cidr in allowed_cidrs:
            self._rule(f"{name}-from-{cidr.replace('/', '-')}", "from an allowed CIDR",
                       cidr_ipv4=cidr)

    @property
    def group_id(self) -> pulumi.Output[str]:
        return self.group.id

    def allow_from(self, key: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> aws.vpc.SecurityGroupIngressRule:
        """Admit `security_group_id` on the store's port; `key` names the rule
        (`<store>-allow-<key>`), so it survives reordering."""
        if not _RULE_KEY.fullmatch(key):
            raise ComponentArgsError(f"{self._name}: allow_from name {key!r} must be letters, "
                                     "digits, '.', '_' or '-', starting alphanumeric")
        if not _EC2_TEXT.fullmatch(description):
            raise ComponentArgsError(f"{self._name}: allow_from description {description!r}: "
                                     "EC2 accepts at most 255 of a-z A-Z 0-9, spaces and "
                                     "._-:/()#,@[]+=&;{}!$*")
        return self._rule(f"{self._name}-allow-{key}", description or f"from {key}",
                          referenced_security_group_id=security_group_id)

    def _rule(self, rule_name: str, description: str,
              **source: pulumi.Input[str]) -> aws.vpc.SecurityGroupIngressRule:
        return aws.vpc.SecurityGroupIngressRule(
            rule_name, security_group_id=self.group.id, ip_protocol="tcp",
            from_port=self._port, to_port=self._port, description=description,
            tags=self._tags, opts=pulumi.ResourceOptions(parent=self._parent), **source)
