"""What a stack asks of its account and region, read from the synthesized manifest.

Everything here is found by resource type, inputs and property dependencies (a node group's
`subnetIds` lead to subnets and their `availabilityZone`), never by Strata's component names, so
it keeps working as components are renamed, nested or split, and for any program that produces a
manifest of the same shape.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AddonNeed", "ClusterNeed", "DatabaseNeed", "EndpointNeed", "InfluxNeed", "KafkaNeed",
    "NodeGroupNeed", "StackNeeds", "stack_needs",
]

Resource = Mapping[str, Any]

SUBNET = "aws:ec2/subnet:Subnet"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
# Launching a managed node group without instanceTypes gets t3.medium (EKS CreateNodegroup API).
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
HTTPS = 443


@dataclass(frozen=True)
class EndpointNeed:
    """How the deployer reaches the cluster's Kubernetes API (EKS `vpcConfig`)."""

    cluster: str
    public: bool
    public_cidrs: tuple[str, ...]
    """`publicAccessCidrs`; EKS defaults to 0.0.0.0/0 when the endpoint is public and none given."""
    private: bool
    deployer_cidrs: tuple[str, ...]
    """Sources admitted on 443 by the cluster security group(s): the declared deployer networks."""
    vpc_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterNeed:
    name: str
    kubernetes_version: str
    support_type: str
    """`upgradePolicy.supportType`; EKS defaults to EXTENDED when absent."""
    endpoint: EndpointNeed


@dataclass(frozen=True)
class NodeGroupNeed:
    name: str
    instance_types: tuple[str, ...]
    azs: tuple[str, ...]


@dataclass(frozen=True)
class AddonNeed:
    name: str
    version: str
    kubernetes_version: str


@dataclass(frozen=True)
class DatabaseNeed:
    """One RDS/Aurora resource: a cluster (no class) or an instance (with class)."""

    resource: str
    engine: str
    version: str
    instance_class: str
    auto_minor_upgrade: bool
    pinned_azs: tuple[str, ...]
    """AZs the resource must be placed in (`availabilityZone`)."""
    candidate_azs: tuple[str, ...]
    """AZs of its DB subnet group: RDS places it in one of them (two for Multi-AZ)."""
    multi_az: bool = False


@dataclass(frozen=True)
class KafkaNeed:
    name: str
    kafka_version: str
    instance_type: str
    brokers: int
    client_azs: tuple[str, ...]


@dataclass(frozen=True)
class InfluxNeed:
    name: str
    instance_type: str
    azs: tuple[str, ...]


@dataclass(frozen=True)
class StackNeeds:
    stack: str
    azs: tuple[str, ...] = ()
    clusters: tuple[ClusterNeed, ...] = ()
    node_groups: tuple[NodeGroupNeed, ...] = ()
    addons: tuple[AddonNeed, ...] = ()
    databases: tuple[DatabaseNeed, ...] = ()
    kafka: tuple[KafkaNeed, ...] = ()
    influx: tuple[InfluxNeed, ...] = ()
    liveanalytics_databases: tuple[str, ...] = ()
    grafana_sso_workspaces: tuple[str, ...] = ()
    """Grafana workspaces whose `authenticationProviders` include AWS_SSO."""
    physical: Mapping[str, Mapping[str, Mapping[str, int]]] = field(default_factory=dict)
    """Quota kind -> group (AZ for per-AZ quotas, "" otherwise) -> physical key -> units.

    The physical key (a DB identifier, an MSK cluster name, an EC2 `Name` tag) lets the quota
    check tell the stack's own already-deployed resources from new ones."""


class _Index:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r["urn"]: r for r in self.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r["type"] == type_]

    def deps(self, resource: Resource, key: str) -> list[Resource]:
        urns = (resource.get("propertyDependencies") or {}).get(key, [])
        return [self.by_urn[u] for u in urns if u in self.by_urn]

    def subnet_azs(self, resource: Resource, key: str) -> tuple[str, ...]:
        """AZs of the subnets behind `key`, directly or through a DB subnet group."""
        azs: list[str] = []
        for dep in self.deps(resource, key):
            if dep["type"] == SUBNET:
                azs.append(str(_inputs(dep).get("availabilityZone", "")))
            elif dep["type"] == SUBNET_GROUP:
                azs.extend(self.subnet_azs(dep, "subnetIds"))
        return tuple(sorted({az for az in azs if az}))


def _inputs(resource: Resource) -> Mapping[str, Any]:
    return resource.get("inputs") or {}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def stack_needs(manifest: Mapping[str, Any]) -> StackNeeds:
    """Extract every need preflight checks from one manifest (offline, pure)."""
    index = _Index(manifest.get("resources", []))
    clusters = _clusters(index)
    versions = {c.name: c.kubernetes_version for c in clusters}
    by_urn_version = {r["urn"]: str(_inputs(r).get("version", ""))
                      for r in index.of_type(EKS_CLUSTER)}
    return StackNeeds(
        stack=str(manifest.get("stack", "")),
        azs=_all_azs(index),
        clusters=clusters,
        node_groups=tuple(
            NodeGroupNeed(r["name"], _node_instance_types(index, r),
                          index.subnet_azs(r, "subnetIds"))
            for r in index.of_type("aws:eks/nodeGroup:NodeGroup")),
        addons=tuple(
            AddonNeed(str(_inputs(r).get("addonName", r["name"])),
                      str(_inputs(r)["addonVersion"]),
                      _addon_cluster_version(index, r, by_urn_version, versions))
            for r in index.of_type("aws:eks/addon:Addon") if _inputs(r).get("addonVersion")),
        databases=_databases(index),
        kafka=tuple(
            KafkaNeed(str(_inputs(r).get("clusterName", r["name"])),
                      str(_inputs(r).get("kafkaVersion", "")),
                      str((_inputs(r).get("brokerNodeGroupInfo") or {}).get("instanceType", "")),
                      _int(_inputs(r).get("numberOfBrokerNodes")),
                      index.subnet_azs(r, "brokerNodeGroupInfo"))
            for r in index.of_type("aws:msk/cluster:Cluster")),
        influx=tuple(
            InfluxNeed(str(_inputs(r).get("name", r["name"])),
                       str(_inputs(r).get("dbInstanceType", "")),
                       index.subnet_azs(r, "vpcSubnetIds"))
            for r in index.of_type("aws:timestreaminfluxdb/dbInstance:DbInstance")),
        liveanalytics_databases=tuple(
            str(_inputs(r).get("databaseName", r["name"]))
            for r in index.of_type("aws:timestreamwrite/database:Database")),
        grafana_sso_workspaces=tuple(
            str(_inputs(r).get("name", r["name"]))
            for r in index.of_type("aws:grafana/workspace:Workspace")
            if "AWS_SSO" in (_inputs(r).get("authenticationProviders") or [])),
        physical=_physical(index),
    )


def _node_instance_types(index: _Index, group: Resource) -> tuple[str, ...]:
    """`instanceTypes`, else the launch template's `instanceType`, else the EKS default."""
    listed = _inputs(group).get("instanceTypes")
    if listed:
        return tuple(str(t) for t in listed)
    for template in index.deps(group, "launchTemplate"):
        if _inputs(template).get("instanceType"):
            return (str(_inputs(template)["instanceType"]),)
    return (EKS_DEFAULT_INSTANCE_TYPE,)


def _all_azs(index: _Index) -> tuple[str, ...]:
    """Every AZ a resource names: `availabilityZone` (subnets, DB instances) and
    `availabilityZones` (Aurora clusters)."""
    named: set[str] = set()
    for r in index.resources:
        if not r.get("custom"):
            continue
        one, many = _inputs(r).get("availabilityZone"), _inputs(r).get("availabilityZones")
        if isinstance(one, str):
            named.add(one)
        if isinstance(many, list):
            named.update(str(az) for az in many)
    return tuple(sorted(az for az in named if az))


def _clusters(index: _Index) -> tuple[ClusterNeed, ...]:
    vpc_cidrs = tuple(str(_inputs(v)["cidrBlock"]) for v in index.of_type("aws:ec2/vpc:Vpc")
                      if _inputs(v).get("cidrBlock"))
    clusters = []
    for r in index.of_type(EKS_CLUSTER):
        inputs = _inputs(r)
        vpc = inputs.get("vpcConfig") or {}
        # EKS defaults: public endpoint on, private off (CreateCluster vpcConfig).
        endpoint = EndpointNeed(
            cluster=str(inputs.get("name", r["name"])),
            public=bool(vpc.get("endpointPublicAccess", True)),
            public_cidrs=tuple(vpc.get("publicAccessCidrs") or ()),
            private=bool(vpc.get("endpointPrivateAccess", False)),
            deployer_cidrs=_deployer_cidrs(index, r),
            vpc_cidrs=vpc_cidrs)
        clusters.append(ClusterNeed(endpoint.cluster, str(inputs.get("version", "")),
                                    str((inputs.get("upgradePolicy") or {})
                                        .get("supportType", "EXTENDED")),
                                    endpoint))
    return tuple(clusters)


def _covers_https(rule: Mapping[str, Any]) -> bool:
    protocol = str(rule.get("ipProtocol", rule.get("protocol", ""))).lower()
    if protocol in ("-1", "all"):
        return True
    return protocol in ("tcp", "6") and \
        _int(rule.get("fromPort"), -1) <= HTTPS <= _int(rule.get("toPort"), -1)


def _deployer_cidrs(index: _Index, cluster: Resource) -> tuple[str, ...]:
    """IPv4 sources allowed on 443 by the EKS-created cluster security group (a rule whose
    `securityGroupId` depends on the cluster) or by a security group in `vpcConfig`."""
    cluster_sgs = {cluster["urn"]} | {d["urn"] for d in index.deps(cluster, "vpcConfig")
                                      if d["type"] == SECURITY_GROUP}
    cidrs: list[str] = []
    for r in index.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        on = {d["urn"] for d in index.deps(r, "securityGroupId")}
        if on & cluster_sgs and _covers_https(_inputs(r)) and _inputs(r).get("cidrIpv4"):
            cidrs.append(str(_inputs(r)["cidrIpv4"]))
    for r in index.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        on = {d["urn"] for d in index.deps(r, "securityGroupId")}
        if on & cluster_sgs and _inputs(r).get("type") == "ingress" and _covers_https(_inputs(r)):
            cidrs.extend(str(c) for c in _inputs(r).get("cidrBlocks") or [])
    for sg in index.of_type(SECURITY_GROUP):
        if sg["urn"] in cluster_sgs:
            for rule in _inputs(sg).get("ingress") or []:
                if _covers_https(rule):
                    cidrs.extend(str(c) for c in rule.get("cidrBlocks") or [])
    return tuple(sorted(set(cidrs), key=lambda c: ipaddress.ip_network(c, strict=False)))


def _addon_cluster_version(index: _Index, addon: Resource, by_urn: Mapping[str, str],
                           by_name: Mapping[str, str]) -> str:
    for dep in index.deps(addon, "clusterName"):
        if dep["urn"] in by_urn:
            return by_urn[dep["urn"]]
    return by_name.get(str(_inputs(addon).get("clusterName", "")), "")


def _databases(index: _Index) -> tuple[DatabaseNeed, ...]:
    found = []
    for type_ in ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
                  "aws:rds/clusterInstance:ClusterInstance"):
        for r in index.of_type(type_):
            inputs = _inputs(r)
            pinned = inputs.get("availabilityZone")
            found.append(DatabaseNeed(
                resource=r["name"],
                engine=str(inputs.get("engine", "")),
                version=str(inputs.get("engineVersion", "")),
                instance_class=str(inputs.get("instanceClass", "")),
                # The RDS API defaults AutoMinorVersionUpgrade to true.
                auto_minor_upgrade=bool(inputs.get("autoMinorVersionUpgrade", True)),
                pinned_azs=(str(pinned),) if isinstance(pinned, str) and pinned else (),
                candidate_azs=index.subnet_azs(r, "dbSubnetGroupName"),
                multi_az=bool(inputs.get("multiAz", False))))
    return tuple(found)


def _ec2_key(resource: Resource) -> str:
    tags = _inputs(resource).get("tags") or {}
    return f"{tags.get('environment', '')}/{tags.get('Name', resource['name'])}"


def _physical(index: _Index) -> dict[str, dict[str, dict[str, int]]]:
    def one_group(type_: str, key: Any) -> dict[str, dict[str, int]]:
        return {"": {key(r): 1 for r in index.of_type(type_)}}

    nat_by_az: dict[str, dict[str, int]] = {}
    for r in index.of_type("aws:ec2/natGateway:NatGateway"):
        azs = index.subnet_azs(r, "subnetId") or ("",)
        nat_by_az.setdefault(azs[0], {})[_ec2_key(r)] = 1
    msk = {str(_inputs(r).get("clusterName", r["name"])):
           _int(_inputs(r).get("numberOfBrokerNodes"))
           for r in index.of_type("aws:msk/cluster:Cluster")}
    instances = {
        str(_inputs(r).get("identifier", r["name"])): 1
        for t in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
        for r in index.of_type(t)}
    return {
        "vpcs": one_group("aws:ec2/vpc:Vpc", _ec2_key),
        "internet-gateways": one_group("aws:ec2/internetGateway:InternetGateway", _ec2_key),
        "elastic-ips": one_group("aws:ec2/eip:Eip", _ec2_key),
        "nat-gateways-per-az": nat_by_az,
        "rds-clusters": one_group("aws:rds/cluster:Cluster",
                                  lambda r: str(_inputs(r).get("clusterIdentifier", r["name"]))),
        "rds-instances": {"": instances},
        "msk-brokers": {"": msk},
    }
