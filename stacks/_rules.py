"""Rules that span fields of a shape-valid catalog: production safety, network layout, Kafka,
EKS access and monitoring. Every rule returns `Problem`s (key path, what is wrong, what is
allowed, a stable code) and all of them run, so a user sees every mistake at once.

Services (stores, topics, consumers) are judged in `stacks/_rules_services.py`, physical names
in `stacks/_physical.py`; `semantic_problems` runs them all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from components._eks_addons import ADDON_VERSIONS
from components._eks_nodes import ami_type
from components._plan import largest_az_count
from stacks._instance_types import (
    MSK_BROKER_TYPES,
    ec2_instance_types,
    instance_type_problem,
)
from stacks._physical import physical_name_problems
from stacks._rules_services import service_problems
from stacks.catalog import Catalog, Problem

__all__ = ["semantic_problems"]

MSK_AZ_COUNTS = (2, 3)
"""Provisioned MSK takes client subnets in two or three AZs:
https://docs.aws.amazon.com/msk/latest/developerguide/msk-create-cluster.html"""
MIN_CIDR_PREFIX = 8
"""A declared network wider than a /8 is not a network someone operates: it is a typo or the
internet."""


def semantic_problems(catalog: Catalog) -> list[Problem]:
    """Every cross-field rule, run once the shapes are valid."""
    return [*_production_problems(catalog), *_network_problems(catalog),
            *_kafka_problems(catalog), *_cluster_problems(catalog),
            *_monitoring_problems(catalog), *service_problems(catalog),
            *physical_name_problems(catalog)]


def _production_problems(catalog: Catalog) -> list[Problem]:
    """Dev-only settings a prod stack must not carry (STRATA-E101)."""
    env, problems = catalog.environment, []
    if not env.is_prod:
        return []

    def refuse(path: tuple[str | int, ...], message: str, allowed: str) -> None:
        problems.append(Problem(path, message, allowed, "STRATA-E101"))

    if env.protect is False:
        refuse(("environment", "protect"), "prod must protect stateful resources", "true")
    if catalog.network.nat_mode == "single":
        refuse(("network", "natMode"), "prod needs a NAT gateway per AZ: with a single one, "
               "losing its AZ cuts every private subnet off", "per-az")
    if catalog.cluster.public_access_cidrs:
        refuse(("cluster", "publicAccessCidrs"), "prod keeps the EKS API endpoint private",
               "[] (reach it through deployerCidrs)")
    kafka = catalog.kafka
    if kafka.mode == "serverless":
        refuse(("kafka", "mode"), "MSK Serverless is offered for dev only", "provisioned")
    elif kafka.instance_type.startswith("kafka.t3."):
        refuse(("kafka", "instanceType"), f"{kafka.instance_type} is a burstable broker: it "
               "runs out of CPU credits under sustained load (AWS recommends M5/M7g brokers "
               "for production)", "kafka.m7g.* or kafka.m5.*")
    monitoring = catalog.monitoring
    if not monitoring.alarm_emails and not monitoring.alarm_https_endpoints:
        refuse(("monitoring", "alarmEmails"), "prod alarms would notify nobody: no e-mail and "
               "no HTTPS endpoint", "alarmEmails: [...] and/or alarmHttpsEndpoints: [...]")
    return problems


def _network_problems(catalog: Catalog) -> list[Problem]:
    net, region = catalog.network, catalog.environment.region
    problems: list[Problem] = []
    if net.az_count > largest_az_count(net.cidr):
        problems.append(Problem(("network", "azCount"),
                                f"{net.cidr} leaves subnets below /28 for {net.az_count} AZs",
                                f"2..{largest_az_count(net.cidr)}, or a larger CIDR",
                                "STRATA-E101"))
    zones = net.availability_zones
    if zones is None:
        return problems
    at = ("network", "availabilityZones")
    for index, zone in enumerate(zones):
        if not zone.startswith(region) or len(zone) != len(region) + 1:
            problems.append(Problem((*at, index), f"{zone} is not an AZ of {region} (aws:region)",
                                    f"{region}a, {region}b, ...", "STRATA-E109"))
    repeated = sorted({z for z in zones if zones.count(z) > 1})
    if repeated:
        problems.append(Problem(at, f"{', '.join(repeated)} listed twice: each subnet tier needs "
                                "distinct AZs", "distinct AZ names", "STRATA-E109"))
    if len(zones) != net.az_count:
        problems.append(Problem(at, f"{len(zones)} AZs named but azCount is {net.az_count}",
                                f"{net.az_count} AZ names, or drop azCount", "STRATA-E109"))
    return problems


def _kafka_problems(catalog: Catalog) -> list[Problem]:
    kafka, azs = catalog.kafka, catalog.network.az_count
    problems: list[Problem] = []
    offered = instance_type_problem(kafka.instance_type, MSK_BROKER_TYPES,
                                    "an MSK Standard broker size",
                                    "docs.aws.amazon.com/msk/latest/developerguide/"
                                    "broker-instance-sizes.html")
    if offered:
        problems.append(Problem(("kafka", "instanceType"), *offered, code="STRATA-E108"))
    if kafka.mode == "serverless":
        return problems
    if azs not in MSK_AZ_COUNTS:
        problems.append(Problem(("network", "azCount"),
                                f"provisioned MSK (kafka.mode: provisioned) spreads its brokers "
                                f"over 2 or 3 AZs, not {azs}",
                                "azCount 2 or 3, or kafka.mode: serverless (dev only)",
                                "STRATA-E103"))
    if kafka.brokers is not None and kafka.brokers % azs:
        problems.append(Problem(("kafka", "brokers"),
                                f"{kafka.brokers} brokers do not spread evenly over {azs} AZs",
                                f"a multiple of {azs}", "STRATA-E103"))
    if kafka.max_storage_gib is not None and kafka.max_storage_gib < kafka.storage_gib:
        problems.append(Problem(("kafka", "maxStorageGib"), "below storageGib",
                                f">= {kafka.storage_gib}", "STRATA-E103"))
    has_topics = any(s.produces for s in catalog.services.values())
    major_minor = tuple(int(part) for part in kafka.kafka_version.split(".")[:2])
    if has_topics and major_minor < (3, 6):
        # aws.msk.Topic uses the MSK topic API, which needs Kafka 3.6 or later.
        problems.append(Problem(("kafka", "kafkaVersion"),
                                f"topics as code need Kafka 3.6 or later ({kafka.kafka_version})",
                                ">= 3.6", "STRATA-E103"))
    return problems


def _cluster_problems(catalog: Catalog) -> list[Problem]:
    cluster = catalog.cluster
    problems: list[Problem] = []

    def refuse(path: tuple[str | int, ...], message: str, allowed: str,
               code: str = "STRATA-E105") -> None:
        problems.append(Problem(path, message, allowed, code))

    if cluster.kubernetes_version not in ADDON_VERSIONS:
        refuse(("cluster", "kubernetesVersion"), f"Kubernetes {cluster.kubernetes_version} has "
               "no pinned add-on versions in this release", ", ".join(sorted(ADDON_VERSIONS)))
    if cluster.compute == "nodegroups" and not cluster.node_groups:
        refuse(("cluster", "nodeGroups"), "compute nodegroups needs a node group",
               "nodeGroups: {<name>: {instanceTypes, minSize, maxSize}}")
    if cluster.compute == "auto" and cluster.node_groups:
        refuse(("cluster", "nodeGroups"), "Auto Mode manages its own nodes",
               "compute: nodegroups, or remove nodeGroups")
    offered = ec2_instance_types()
    for name, group in cluster.node_groups.items():
        at = ("cluster", "nodeGroups", name)
        desired = group.desired_size if group.desired_size is not None else group.min_size
        if not group.min_size <= desired <= group.max_size:
            refuse(at, "sizes must satisfy minSize <= desiredSize <= maxSize",
                   f"{group.min_size}..{group.max_size}")
        for index, instance_type in enumerate(group.instance_types):
            unknown = instance_type_problem(instance_type, offered, "an EC2 instance type",
                                            "botocore's EC2 model (InstanceType)")
            if unknown:
                refuse((*at, "instanceTypes", index), *unknown, code="STRATA-E108")
        arches = {ami_type("AL2023", t).split("_", 1)[1] for t in group.instance_types}
        if len(arches) > 1:
            refuse((*at, "instanceTypes"), f"{', '.join(group.instance_types)} mix arm64 and "
                   "x86_64; a node group runs one AMI, so one architecture",
                   "instance types of one architecture (Graviton or x86)")
        if len(set(group.instance_types)) != len(group.instance_types):
            refuse((*at, "instanceTypes"), "an instance type is listed twice", "distinct types")
    if not cluster.public_access_cidrs and not cluster.deployer_cidrs:
        refuse(("cluster", "deployerCidrs"), "no route from the deployer to the EKS API: the "
               "program creates Kubernetes objects through it",
               "deployerCidrs: [<network of the deploy runners>], or publicAccessCidrs "
               "(not in prod)")
    vpc = ipaddress.IPv4Network(catalog.network.cidr)
    problems += _cidr_problems(("cluster", "publicAccessCidrs"), cluster.public_access_cidrs,
                               public=True, vpc=vpc)
    problems += _cidr_problems(("cluster", "deployerCidrs"), cluster.deployer_cidrs,
                               public=False, vpc=vpc)
    return problems


def _cidr_problems(at: tuple[str | int, ...], cidrs: Sequence[str], *, public: bool,
                   vpc: ipaddress.IPv4Network) -> list[Problem]:
    """Each CIDR a network address of at least /8; public ones public (EKS refuses private and
    reserved ranges for the public endpoint, userguide/cluster-endpoint.html); deployer networks
    outside the VPC (a runner inside a VPC this stack creates cannot run its first deploy)."""
    problems: list[Problem] = []
    for index, cidr in enumerate(cidrs):
        where: tuple[str | int, ...] = (*at, index)
        try:
            net = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            allowed = "an IPv4 network address with its prefix (10.100.0.0/24)"
            try:
                fixed = ipaddress.IPv4Network(cidr, strict=False)
                allowed = f"{fixed} (the network of {cidr})"
            except ValueError:
                pass
            problems.append(Problem(where, f"{cidr!r} is not an IPv4 network CIDR ({exc})",
                                    allowed, "STRATA-E105"))
            continue
        if net.prefixlen < MIN_CIDR_PREFIX:
            problems.append(Problem(where, f"{cidr} is wider than a /{MIN_CIDR_PREFIX}"
                                    + (" (the whole internet)" if net.prefixlen == 0 else "")
                                    + ": name the networks that deploy and operate the cluster",
                                    f"a prefix of /{MIN_CIDR_PREFIX} or longer", "STRATA-E105"))
        elif public and not net.is_global:
            problems.append(Problem(where, f"{cidr} is a private or reserved range, which the "
                                    "public endpoint never sees", "a public range; private "
                                    "networks go in deployerCidrs", "STRATA-E105"))
        elif not public and net.overlaps(vpc):
            problems.append(Problem(where, f"{cidr} overlaps the stack's own VPC ({vpc}): a "
                                    "runner inside a VPC this stack creates cannot run its "
                                    "first deploy, and routes to it would clash",
                                    "a network outside the VPC, routed to it (VPN, Transit "
                                    "Gateway, peering)", "STRATA-E105"))
    repeated = sorted({c for c in cidrs if cidrs.count(c) > 1})
    if repeated:
        problems.append(Problem(at, f"{', '.join(repeated)} listed twice", "distinct CIDRs",
                                "STRATA-E105"))
    return problems


def _monitoring_problems(catalog: Catalog) -> list[Problem]:
    """Subscriptions are named after the address: one listed twice (in any case: e-mail domains
    are case-insensitive, and the names are lower-cased) would be two identical resources."""
    spec, problems = catalog.monitoring, []
    emails = [e.lower() for e in spec.alarm_emails]
    for index, email in enumerate(emails):
        if email in emails[:index]:
            problems.append(Problem(("monitoring", "alarmEmails", index),
                                    f"{spec.alarm_emails[index]} repeats alarmEmails"
                                    f"[{emails.index(email)}] (addresses compare without case)",
                                    "distinct addresses", "STRATA-E002"))
    urls = [u.get_secret_value() for u in spec.alarm_https_endpoints]
    for index, url in enumerate(urls):
        if url in urls[:index]:
            problems.append(Problem(("monitoring", "alarmHttpsEndpoints", index),
                                    f"repeats alarmHttpsEndpoints[{urls.index(url)}]",
                                    "distinct endpoints", "STRATA-E002"))
    return problems
