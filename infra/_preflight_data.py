"""Preflight checks of the data services: RDS/Aurora, MSK, Timestream, and Grafana's sign-in.

Where AWS offers no API to ask (MSK broker types per region, InfluxDB instance types per region,
LiveAnalytics eligibility) the finding says so as a warning instead of passing silently.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from infra._preflight_compute import zone_ids
from infra._preflight_needs import DatabaseNeed, StackNeeds
from infra._preflight_report import Finding, Severity

__all__ = ["check_grafana_sso", "check_influxdb", "check_kafka", "check_liveanalytics",
           "check_rds_engine_versions", "check_rds_instance_classes"]

# Kafka's BrokerNodeGroupInfo.ClientSubnets (botocore kafka model): "Client subnets can't occupy
# the Availability Zone with ID use use1-az3."
MSK_FORBIDDEN_ZONE_IDS = frozenset({"use1-az3"})
# AWS::MSK::Cluster BrokerNodeGroupInfo.ClientSubnets: two or three subnets in distinct AZs,
# exactly two in US West (N. California).
MSK_TWO_SUBNET_REGIONS = frozenset({"us-west-1"})


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def _matches(available: str, pinned: str) -> bool:
    """RDS accepts a version prefix (`16` for 16.x): the pulumi-aws `engine_version` docs."""
    return available == pinned or available.startswith(pinned + ".")


def check_rds_engine_versions(rds: Any, needs: StackNeeds) -> list[Finding]:
    api = "rds:DescribeDBEngineVersions (Engine)"
    wanted = sorted({(d.engine, d.version, d.auto_minor_upgrade) for d in needs.databases
                     if d.engine and d.version})
    findings = []
    available: dict[str, list[str]] = {}
    for engine in sorted({e for e, _, _ in wanted}):
        pages = rds.get_paginator("describe_db_engine_versions").paginate(Engine=engine)
        available[engine] = sorted({v["EngineVersion"] for page in pages
                                    for v in page.get("DBEngineVersions", [])}, key=_version_key)
    for engine, version, auto_minor in wanted:
        subject = f"{engine} {version}"
        offered = available[engine]
        matching = [v for v in offered if _matches(v, version)]
        if not matching:
            newest = ", ".join(offered[-3:]) or "none"
            findings.append(Finding(
                "rds-engine-versions", Severity.BLOCKER, subject,
                f"not offered for new databases in this region (newest {engine}: {newest})",
                "pin an offered version; with automatic minor upgrades pin the major only", api))
            continue
        exact = version in offered
        major = version.split(".")[0]
        newer = [v for v in offered if v.split(".")[0] == major
                 and _version_key(v) > _version_key(version)]
        if exact and auto_minor:
            findings.append(Finding(
                "rds-engine-versions", Severity.WARNING, subject,
                "exact minor version pinned with automatic minor upgrades on: once AWS upgrades "
                f"the minor version, the next `pulumi up` asks to change it back to {version}, "
                "which RDS refuses" + (f" (newer already offered: {', '.join(newer[-3:])})"
                                       if newer else ""),
                f"pin the major only (engineVersion \"{major}\"), as the pulumi-aws "
                "engine_version docs allow with auto_minor_version_upgrade, or turn automatic "
                "minor upgrades off", api))
        else:
            findings.append(Finding("rds-engine-versions", Severity.OK, subject,
                                    f"offered ({', '.join(matching[-3:])})", api=api))
    return findings


def _placement_problem(db: DatabaseNeed, offered: set[str]) -> str:
    if db.pinned_azs:
        missing = [az for az in db.pinned_azs if az not in offered]
        return f"{db.resource} is pinned to {', '.join(missing)}" if missing else ""
    if db.candidate_azs:
        usable = [az for az in db.candidate_azs if az in offered]
        need = 2 if db.multi_az else 1
        if len(usable) < need:
            return (f"{db.resource} can use {len(usable)} of its subnet group's AZs "
                    f"({', '.join(db.candidate_azs)}), needs {need}")
    return ""


def _orderable(rds: Any, engine: str, version: str, instance_class: str) -> list[Any]:
    """Options for the class: asked for the exact version first (one small answer), then, for a
    version prefix such as `16`, for every version and matched here."""
    def ask(**version_filter: str) -> list[Any]:
        pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine=engine, DBInstanceClass=instance_class, Vpc=True, **version_filter)
        return [o for page in pages for o in page.get("OrderableDBInstanceOptions", [])
                if o.get("DBInstanceClass") == instance_class
                and (not version or _matches(o.get("EngineVersion", ""), version))]

    return (version and ask(EngineVersion=version)) or ask()


def check_rds_instance_classes(rds: Any, needs: StackNeeds) -> list[Finding]:
    """Each engine + version + class is orderable, in the AZs the databases are placed in."""
    api = "rds:DescribeOrderableDBInstanceOptions (Engine, DBInstanceClass, Vpc)"
    groups: dict[tuple[str, str, str], list[DatabaseNeed]] = defaultdict(list)
    for db in needs.databases:
        if db.instance_class and db.engine:
            groups[(db.engine, db.version, db.instance_class)].append(db)
    findings = []
    for (engine, version, instance_class), dbs in sorted(groups.items()):
        options = _orderable(rds, engine, version, instance_class)
        subject = f"{engine} {version or '(default)'} {instance_class} ({len(dbs)} resources)"
        if not options:
            findings.append(Finding(
                "rds-instance-classes", Severity.BLOCKER, subject,
                "not orderable in this region for this engine version",
                "choose a class `aws rds describe-orderable-db-instance-options` lists for the "
                "engine version", api))
            continue
        newest = max(options, key=lambda o: _version_key(o.get("EngineVersion", "")))
        chosen = [o for o in options if o.get("EngineVersion") == newest.get("EngineVersion")]
        offered = {az["Name"] for o in chosen for az in o.get("AvailabilityZones", [])}
        problems = [p for db in dbs if (p := _placement_problem(db, offered))] if offered else []
        if problems:
            findings.append(Finding(
                "rds-instance-classes", Severity.BLOCKER, subject,
                f"orderable only in {', '.join(sorted(offered))}: " + "; ".join(problems[:3])
                + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""),
                "place the databases in AZs that offer the class, or choose another class",
                api))
        else:
            where = f"in {', '.join(sorted(offered))}" if offered else "(AZs not reported)"
            findings.append(Finding("rds-instance-classes", Severity.OK, subject,
                                    f"orderable {where}", api=api))
    return findings


def check_kafka(kafka: Any, ec2: Any, needs: StackNeeds) -> list[Finding]:
    """Kafka version offered; subnet rules MSK documents; broker type: not checkable."""
    if not needs.kafka:
        return []
    region = ec2.meta.region_name
    versions = {v["Version"]: v.get("Status", "")
                for page in kafka.get_paginator("list_kafka_versions").paginate()
                for v in page.get("KafkaVersions", [])}
    active = sorted((v for v, s in versions.items() if s == "ACTIVE"), key=_version_key)
    zones = zone_ids(ec2)
    findings = []
    for cluster in needs.kafka:
        subject = f"{cluster.name}: Kafka {cluster.kafka_version}"
        status = versions.get(cluster.kafka_version)
        if status is None:
            findings.append(Finding(
                "msk-kafka-versions", Severity.BLOCKER, subject,
                f"MSK does not offer this version here (active: {', '.join(active[-4:])})",
                "set kafka.version to an active version", "kafka:ListKafkaVersions"))
        elif status != "ACTIVE":
            findings.append(Finding(
                "msk-kafka-versions", Severity.WARNING, subject, f"version status {status}",
                f"move to an active version ({', '.join(active[-4:])})",
                "kafka:ListKafkaVersions"))
        else:
            findings.append(Finding("msk-kafka-versions", Severity.OK, subject, "ACTIVE",
                                    api="kafka:ListKafkaVersions"))
        findings += _msk_subnet_rules(cluster.name, cluster.brokers, cluster.client_azs,
                                      zones, region)
        findings.append(Finding(
            "msk-broker-types", Severity.WARNING, f"{cluster.name}: {cluster.instance_type}",
            "not checked: MSK has no API that lists broker types per region or AZ (the kafka "
            "API offers ListKafkaVersions only); CreateCluster is the first to tell",
            "confirm the broker type in the MSK broker-types table for the region",
            "none available"))
    return findings


def _msk_subnet_rules(name: str, brokers: int, azs: tuple[str, ...],
                      zones: dict[str, dict[str, str]], region: str) -> list[Finding]:
    api = "ec2:DescribeAvailabilityZones (zone IDs)"
    problems = []
    forbidden = [f"{az} ({zones[az]['id']})" for az in azs
                 if az in zones and zones[az]["id"] in MSK_FORBIDDEN_ZONE_IDS]
    if forbidden:
        problems.append(f"client subnets in {', '.join(forbidden)}: MSK does not place brokers "
                        "in zone ID use1-az3")
    allowed = (2,) if region in MSK_TWO_SUBNET_REGIONS else (2, 3)
    if azs and len(azs) not in allowed:
        problems.append(f"{len(azs)} client-subnet AZs; MSK takes "
                        f"{' or '.join(map(str, allowed))} in {region}")
    if azs and brokers % len(azs):
        problems.append(f"{brokers} brokers over {len(azs)} AZs: MSK needs a multiple of the "
                        "client subnets")
    subject = f"{name}: {brokers} brokers in {', '.join(azs) or 'unknown AZs'}"
    if problems:
        return [Finding("msk-placement", Severity.BLOCKER, subject, "; ".join(problems),
                        "change network.azCount or kafka.brokers", api)]
    return [Finding("msk-placement", Severity.OK, subject, "subnet and broker rules hold",
                    api=api)]


def check_influxdb(influx: Any, needs: StackNeeds) -> list[Finding]:
    """The type is one the API accepts (its model's enum); regional availability cannot be asked."""
    if not needs.influx:
        return []
    api = "timestream-influxdb API model (DbInstanceType); no offerings call exists"
    accepted = influx.meta.service_model.shape_for("DbInstanceType").enum or []
    findings = []
    for instance in needs.influx:
        subject = f"{instance.name}: {instance.instance_type}"
        if instance.instance_type not in accepted:
            findings.append(Finding(
                "influxdb-instance-types", Severity.BLOCKER, subject,
                f"not an InfluxDB instance type (accepted: {', '.join(accepted)})",
                "set timeseries.instanceType to an accepted type", api))
        else:
            findings.append(Finding(
                "influxdb-instance-types", Severity.WARNING, subject,
                "a valid type, but its availability in this region and its AZs cannot be "
                "checked: Timestream for InfluxDB has no offerings API",
                "confirm the type on the Timestream for InfluxDB pricing page for the region",
                api))
    return findings


def check_liveanalytics(timestream: Any, needs: StackNeeds) -> list[Finding]:
    """LiveAnalytics closed to new customers on 2025-06-20, and no API says whether an account
    counts as existing. An account that already has databases in the region evidently does."""
    if not needs.liveanalytics_databases:
        return []
    api = "timestream-write:ListDatabases"
    names: list[str] = []
    token: str | None = None
    while True:
        response = timestream.list_databases(**({"NextToken": token} if token else {}))
        names += [d["DatabaseName"] for d in response.get("Databases", [])]
        token = response.get("NextToken")
        if not token:
            break
    subject = ", ".join(needs.liveanalytics_databases)
    if names:
        return [Finding("timestream-liveanalytics", Severity.OK, subject,
                        f"the account already has {len(names)} LiveAnalytics database(s) here: "
                        "existing customers keep access", api=api)]
    return [Finding(
        "timestream-liveanalytics", Severity.WARNING, subject,
        "cannot confirm eligibility: LiveAnalytics is closed to new customers since 2025-06-20, "
        "no API reports eligibility, and this account has no LiveAnalytics database here",
        "use engine influxdb for these services, or confirm with AWS Support that the account "
        "can still create LiveAnalytics databases", api)]


def check_grafana_sso(sso: Any, needs: StackNeeds) -> list[Finding]:
    """Grafana with AWS_SSO sign-in needs an IAM Identity Center instance in the region."""
    if not needs.grafana_sso_workspaces:
        return []
    api = "sso-admin:ListInstances"
    instances = [i for page in sso.get_paginator("list_instances").paginate()
                 for i in page.get("Instances", [])]
    active = [i for i in instances if i.get("Status", "ACTIVE") == "ACTIVE"]
    subject = ", ".join(needs.grafana_sso_workspaces)
    if active:
        return [Finding("grafana-identity-center", Severity.OK, subject,
                        f"IAM Identity Center instance {active[0]['InstanceArn']} is active",
                        api=api)]
    seen = f" ({len(instances)} not active)" if instances else ""
    return [Finding(
        "grafana-identity-center", Severity.BLOCKER, subject,
        f"no active IAM Identity Center instance visible to this account in the region{seen}",
        "enable IAM Identity Center in this region (or add it as a Region of a multi-Region "
        "instance), or set monitoring.grafanaAuth: SAML", api)]
