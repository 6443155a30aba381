r"""Which EC2 instance types can carry security groups for pods (branch network interfaces).

Security groups for pods need a trunk network interface on the node, and the VPC resource
controller creates one only on instance types its table marks `IsTrunkingCompatible: true`;
AWS's user guide points at that table as the complete list ("Your nodes must be one of the
listed instance types that have `IsTrunkingCompatible: true`"; no `t` family type qualifies):
https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html
https://github.com/aws/amazon-vpc-resource-controller-k8s/blob/master/pkg/aws/vpc/limits.go

The table below is that file's trunking-compatible types at commit
b8d425119bdba371202882b808f202c6073a46cc (file generated 2026-03-20), one family per entry.
Refresh it from a newer `limits.go` with:

    re.findall(r'^\t"([a-z0-9.-]+)": \{\n(.*?)^\t\},', text, re.S | re.M)

keeping the names whose body has `IsTrunkingCompatible:    true`. A type missing here (newer
than the table, or unsupported) is reported, never silently accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["TRUNK_COMPATIBLE_TYPES", "unsupported_for_pod_security_groups"]

_TABLE = """
    a1: large medium metal xlarge 2xlarge 4xlarge
    c5: large metal xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge
    c5a: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    c5ad: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    c5d: large metal xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge
    c5n: large metal xlarge 2xlarge 4xlarge 9xlarge 18xlarge
    c6a: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
        48xlarge
    c6g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c6gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c6gn: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c6i: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    c6id: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    c6in: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    c7a: large medium metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
        32xlarge 48xlarge
    c7g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c7gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c7gn: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c7i: large metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    c7i-flex: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c8a: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    c8g: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    c8gb: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    c8gd: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge
        16xlarge 24xlarge 48xlarge
    c8gn: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    c8i: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    c8i-flex: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    c8id: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    d3: xlarge 2xlarge 4xlarge 8xlarge
    d3en: xlarge 2xlarge 4xlarge 6xlarge 8xlarge 12xlarge
    dl1: 24xlarge
    dl2q: 24xlarge
    f2: 6xlarge 12xlarge 48xlarge
    g4ad: xlarge 2xlarge 4xlarge 8xlarge 16xlarge
    g4dn: metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    g5: xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    g5g: metal xlarge 2xlarge 4xlarge 8xlarge 16xlarge
    g6: xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    g6e: xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    g6f: large xlarge 2xlarge 4xlarge
    g7e: 2xlarge 4xlarge 8xlarge 12xlarge 24xlarge 48xlarge
    gr6: 4xlarge 8xlarge
    gr6f: 4xlarge
    i3: metal
    i3en: large metal xlarge 2xlarge 3xlarge 6xlarge 12xlarge 24xlarge
    i4g: large xlarge 2xlarge 4xlarge 8xlarge 16xlarge
    i4i: metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    i7i: large metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    i7ie: large metal-24xl metal-48xl xlarge 2xlarge 3xlarge 6xlarge 12xlarge 18xlarge
        24xlarge 48xlarge
    i8g: large metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    i8ge: large metal-24xl metal-48xl xlarge 2xlarge 3xlarge 6xlarge 12xlarge 18xlarge
        24xlarge 48xlarge
    im4gn: large xlarge 2xlarge 4xlarge 8xlarge 16xlarge
    inf1: xlarge 2xlarge 6xlarge 24xlarge
    inf2: xlarge 8xlarge 24xlarge 48xlarge
    is4gen: large medium xlarge 2xlarge 4xlarge 8xlarge
    m5: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5a: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5ad: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5d: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5dn: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5n: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    m5zn: large metal xlarge 2xlarge 3xlarge 6xlarge 12xlarge
    m6a: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
        48xlarge
    m6g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m6gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m6i: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    m6id: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    m6idn: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    m6in: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    m7a: large medium metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
        32xlarge 48xlarge
    m7g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m7gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m7i: large metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    m7i-flex: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m8a: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    m8azn: large medium metal-12xl metal-24xl xlarge 3xlarge 6xlarge 12xlarge 24xlarge
    m8g: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    m8gb: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    m8gd: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge
        16xlarge 24xlarge 48xlarge
    m8gn: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    m8i: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    m8i-flex: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    m8id: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    mac-m4: metal
    mac-m4max: metal
    mac-m4pro: metal
    mac1: metal
    mac2: metal
    mac2-m1ultra: metal
    mac2-m2: metal
    mac2-m2pro: metal
    p3dn: 24xlarge
    p4d: 24xlarge
    p4de: 24xlarge
    p5: 4xlarge 48xlarge
    p5e: 48xlarge
    p5en: 48xlarge
    p6-b200: 48xlarge
    p6-b300: 48xlarge
    r5: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5a: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5ad: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5b: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5d: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5dn: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r5n: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
    r6a: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
        48xlarge
    r6g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    r6gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    r6i: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    r6id: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    r6idn: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    r6in: large metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge
    r7a: large medium metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge
        32xlarge 48xlarge
    r7g: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    r7gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    r7i: large metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    r7iz: large metal-16xl metal-32xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        32xlarge
    r8a: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    r8g: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    r8gb: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    r8gd: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge
        16xlarge 24xlarge 48xlarge
    r8gn: large medium xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge
    r8i: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    r8i-flex: large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    r8id: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 96xlarge
    trn1: 2xlarge 32xlarge
    trn1n: 32xlarge
    u-3tb1: 56xlarge
    u7i-12tb: 224xlarge
    u7i-6tb: 112xlarge
    u7i-8tb: 112xlarge
    u7in-16tb: 224xlarge
    u7in-24tb: 224xlarge
    u7in-32tb: 224xlarge
    vt1: 3xlarge 6xlarge 24xlarge
    x2gd: large medium metal xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
    x2idn: metal 16xlarge 24xlarge 32xlarge
    x2iedn: metal xlarge 2xlarge 4xlarge 8xlarge 16xlarge 24xlarge 32xlarge
    x2iezn: metal 2xlarge 4xlarge 6xlarge 8xlarge 12xlarge
    x8aedz: large metal-12xl metal-24xl xlarge 3xlarge 6xlarge 12xlarge 24xlarge
    x8g: large medium metal-24xl metal-48xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 48xlarge
    x8i: large metal-48xl metal-96xl xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge
        24xlarge 32xlarge 48xlarge 64xlarge 96xlarge
    z1d: large metal xlarge 2xlarge 3xlarge 6xlarge 12xlarge
"""


def _parse(table: str) -> frozenset[str]:
    types: set[str] = set()
    family = ""
    for token in table.split():
        if token.endswith(":"):
            family = token[:-1]
        else:
            types.add(f"{family}.{token}")
    return frozenset(types)


TRUNK_COMPATIBLE_TYPES = _parse(_TABLE)
"""Instance types on which the VPC resource controller attaches a trunk interface."""


def unsupported_for_pod_security_groups(instance_types: Sequence[str]) -> list[str]:
    """The given instance types that cannot carry branch network interfaces, sorted."""
    return sorted({t for t in instance_types if t not in TRUNK_COMPATIBLE_TYPES})
