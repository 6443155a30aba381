"""Private networking: no public endpoints, no open ingress, no unrestricted egress, flow logs,
IMDSv2 with a hop limit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, StackView, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, as_list, get, is_unknown, not_true

__all__ = ["CONTROLS"]

_OPEN = ("0.0.0.0/0", "::/0")


def _check_rds_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    message = "publiclyAccessible is {value}: the database gets a public DNS name and IP"
    if res.type != _aws.RDS_CLUSTER:
        return judge(res.props, "publiclyAccessible", not_true, False, message)
    # pulumi-aws: valid only for Multi-AZ DB clusters (dbClusterInstanceClass set), where it
    # defaults to true unless a non-default dbSubnetGroupName is given. Aurora clusters take
    # it per instance, so only an explicit true is judged there.
    multi_az_cluster = get(res.props, "dbClusterInstanceClass") not in (ABSENT, None, "")
    subnet_group = get(res.props, "dbSubnetGroupName")
    if is_unknown(subnet_group):
        return [cannot_verify("dbSubnetGroupName")]
    default = multi_az_cluster and subnet_group in (ABSENT, None, "", "default")
    return judge(res.props, "publiclyAccessible", not_true, default, message)


def _check_influx_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "publiclyAccessible", not_true, False,
                 "publiclyAccessible is {value}: the InfluxDB endpoint is reachable from the "
                 "internet")


def _check_msk_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type",
                 lambda v: v == "DISABLED", "DISABLED",
                 "{path} is {value}: brokers get public IP addresses")


def _restricted_public(res: Res, cfg: Mapping[str, Any]) -> bool:
    """A public endpoint limited to named CIDRs, when the stack's config accepts one."""
    cidrs = get(res.props, "vpcConfig.publicAccessCidrs")
    return bool(cfg["allowRestrictedPublicEndpoint"]) and not is_unknown(cidrs) and bool(
        as_list(cidrs)) and not any(c in _OPEN or is_unknown(c) for c in as_list(cidrs))


def _check_eks_endpoint(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    public_ok = _restricted_public(res, cfg)
    return [
        *judge(res.props, "vpcConfig.endpointPublicAccess", lambda v: public_ok or not_true(v),
               True, "{path} is {value}: the Kubernetes API is reachable from the internet"),
        *judge(res.props, "vpcConfig.endpointPrivateAccess", lambda v: as_bool(v) is True, False,
               "{path} is {value}: nodes and operators reach the API over the public endpoint"),
    ]


def _open_cidrs(rule: Mapping[str, Any], *paths: str) -> list[str] | None:
    found: list[str] = []
    for path in paths:
        value = get(rule, path)
        if is_unknown(value):
            return None
        for cidr in as_list(value):
            if is_unknown(cidr):
                return None
            if cidr in _OPEN:
                found.append(str(cidr))
    return found


def _port(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) else str(value)  # numbers arrive as floats


def _check_open_ingress(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    if res.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rules = [("", res.props, ("cidrIpv4", "cidrIpv6"))]
    else:
        ingress = get(res.props, "ingress", default=[])
        if is_unknown(ingress):
            return [cannot_verify("ingress")]
        rules = [(f"ingress[{i}].", r, ("cidrBlocks", "ipv6CidrBlocks"))
                 for i, r in enumerate(as_list(ingress))]
    findings: list[Finding] = []
    for prefix, rule, paths in rules:
        opened = _open_cidrs(rule, *paths)
        if opened is None:
            findings.append(cannot_verify(f"{prefix}{'/'.join(paths)}"))
        elif opened:
            ports = "-".join(_port(get(rule, key, "?")) for key in ("fromPort", "toPort"))
            findings.append(fail(f"{prefix}{'/'.join(paths)} allows {', '.join(opened)} on "
                                 f"ports {ports}: open to the internet"))
    return findings


_EC2_TEXT = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")
"""What EC2 accepts in a security group's name and description and in a rule's description, at
most 255 characters (CreateSecurityGroup, IpRange/UserIdGroupPair `Description`):
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
Anything else (an apostrophe, a non-ASCII letter) fails the deploy with InvalidParameterValue."""
_SG_TYPES = ("aws:ec2/securityGroup:SecurityGroup",
             "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
             "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
             "aws:ec2/securityGroupRule:SecurityGroupRule")


def _ec2_texts(res: Res) -> list[tuple[str, Any]]:
    if res.type != "aws:ec2/securityGroup:SecurityGroup":
        return [("description", get(res.props, "description"))]
    texts = [(key, get(res.props, key)) for key in ("name", "description")]
    for direction in ("ingress", "egress"):
        rules = get(res.props, direction, default=[])
        if is_unknown(rules):
            texts.append((direction, rules))
            continue
        texts += [(f"{direction}[{i}].description", get(rule, "description"))
                  for i, rule in enumerate(as_list(rules))]
    return texts


def _check_ec2_text(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    findings: list[Finding] = []
    for path, text in _ec2_texts(res):
        if text is ABSENT or text is None:
            continue
        if is_unknown(text):
            findings.append(cannot_verify(path))
        elif not isinstance(text, str) or len(text) > 255 or not _EC2_TEXT.match(text):
            findings.append(fail(f"{path} {text!r}: EC2 accepts at most 255 of a-z A-Z 0-9, "
                                 "spaces and ._-:/()#,@[]+=&;{}!$*"))
    return findings


def _check_default_sg(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    findings: list[Finding] = []
    for direction in ("ingress", "egress"):
        rules = get(res.props, direction, default=[])
        if is_unknown(rules):
            findings.append(cannot_verify(direction))
        elif as_list(rules):
            findings.append(fail(f"{direction} has {len(as_list(rules))} rule(s): the default "
                                 "security group must allow no traffic"))
    return findings


def _check_subnet(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    tier = get(res.props, "tags.tier")
    if is_unknown(tier):
        return [cannot_verify("tags.tier")]
    if tier == "public":
        return []
    return judge(res.props, "mapPublicIpOnLaunch", not_true, False,
                 "mapPublicIpOnLaunch is {value} on a subnet not tagged tier=public")


def _check_lt_public_ip(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    interfaces = get(res.props, "networkInterfaces", default=[])
    if is_unknown(interfaces):
        return [cannot_verify("networkInterfaces")]
    findings: list[Finding] = []
    for i, nic in enumerate(as_list(interfaces)):
        # pulumi-aws v7 declares associatePublicIpAddress as a string.
        findings += judge(nic, "associatePublicIpAddress", not_true, "false",
                          f"networkInterfaces[{i}].associatePublicIpAddress is {{value}}")
    return findings


def _check_imdsv2(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "metadataOptions.httpTokens", lambda v: v == "required", "optional",
                 "{path} is {value}: instances accept IMDSv1 requests, which SSRF can abuse")


def _check_hop_limit(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    limit = cfg["maxHopLimit"]
    # pulumi-aws: httpPutResponseHopLimit defaults to 1.
    return judge(res.props, "metadataOptions.httpPutResponseHopLimit",
                 lambda v: isinstance(v, int | float) and v <= limit, 1,
                 f"{{path}} is {{value}}, above {limit:g}: containers on the instance can reach "
                 "its metadata service and take the instance role's credentials")


_ALL_PROTOCOLS = ("-1", "all")


def _unrestricted(rule: Mapping[str, Any], protocol_key: str, paths: tuple[str, ...]) -> (
        list[str] | None):
    """Open CIDRs of an egress rule that allows every protocol or every port."""
    opened = _open_cidrs(rule, *paths)
    protocol = get(rule, protocol_key)
    if opened is None or is_unknown(protocol):
        return None
    if not opened:
        return []
    ports = (get(rule, "fromPort", 0), get(rule, "toPort", 0))
    every_port = ports in ((0, 65535), (0.0, 65535.0))
    return opened if str(protocol).lower() in _ALL_PROTOCOLS or every_port else []


def _check_open_egress(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    if res.type == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
        rules = [("", res.props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))]
    else:
        egress = get(res.props, "egress", default=[])
        if is_unknown(egress):
            return [cannot_verify("egress")]
        rules = [(f"egress[{i}].", r, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
                 for i, r in enumerate(as_list(egress))]
    findings: list[Finding] = []
    for prefix, rule, protocol_key, paths in rules:
        opened = _unrestricted(rule, protocol_key, paths)
        if opened is None:
            findings.append(cannot_verify(f"{prefix}{protocol_key}/{'/'.join(paths)}"))
        elif opened:
            findings.append(fail(f"{prefix}allows all traffic to {', '.join(opened)}: a "
                                 "compromised workload can reach and exfiltrate to any host"))
    return findings


def _check_grafana_network(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    control = res.props.get("networkAccessControl", ABSENT)
    if is_unknown(control):
        return [cannot_verify("networkAccessControl")]
    vpces, prefixes = get(control, "vpceIds"), get(control, "prefixListIds")
    if is_unknown(vpces) or is_unknown(prefixes):
        return [cannot_verify("networkAccessControl")]
    if as_list(vpces) or as_list(prefixes):
        return []
    return [fail("networkAccessControl names no VPC endpoint or prefix list: the workspace "
                 "URL accepts connections from the whole internet")]


def _check_flow_logs(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    logs = stack.of_type("aws:ec2/flowLog:FlowLog")
    for vpc in stack.of_type("aws:ec2/vpc:Vpc"):
        covering = [f for f in logs if vpc.urn in f.property_dependencies.get("vpcId", [])]
        if not covering:
            yield fail("no aws:ec2/flowLog:FlowLog takes this VPC's id as vpcId", vpc.urn)
        elif all(get(f.props, "trafficType") not in ("ALL", "REJECT") for f in covering):
            yield fail("flow logs do not capture REJECT or ALL traffic", vpc.urn)


_LT = ("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate")

CONTROLS = [
    Control(
        "strata-rds-no-public-access",
        "RDS instances, Aurora instances and Multi-AZ DB clusters are not publicly accessible; "
        "data stores live in private subnets only.",
        severity="critical", enforcement="mandatory", check=_check_rds_public,
        types=(_aws.RDS_INSTANCE, _aws.RDS_CLUSTER, "aws:rds/clusterInstance:ClusterInstance"),
        fsbp="RDS.2",
        remediation="Set publiclyAccessible=False and use private subnets in the subnet group.",
        tags=("network",)),
    Control(
        "strata-timestream-influxdb-private",
        "Timestream for InfluxDB instances are not publicly accessible.",
        severity="critical", enforcement="mandatory", check=_check_influx_public,
        types=(_aws.INFLUX,),
        remediation="Set publiclyAccessible=False; reach the instance through the VPC.",
        tags=("network",)),
    Control(
        "strata-msk-no-public-access",
        "MSK brokers have no public IP addresses.",
        severity="critical", enforcement="mandatory", check=_check_msk_public,
        types=(_aws.MSK_CLUSTER,), fsbp="MSK.4",
        remediation="Leave brokerNodeGroupInfo.connectivityInfo.publicAccess.type \"DISABLED\".",
        tags=("network",)),
    Control(
        "strata-eks-private-endpoint",
        "The EKS API endpoint is private (or, when the config allows it, public only to named "
        "CIDRs) with private access for nodes.",
        severity="high", enforcement="mandatory", check=_check_eks_endpoint,
        types=("aws:eks/cluster:Cluster",), fsbp="EKS.1",
        config={"allowRestrictedPublicEndpoint": {
            "type": "boolean", "default": False,
            "description": "Accept a public endpoint whose publicAccessCidrs name only specific "
                           "ranges (FSBP EKS.1 does not)."}},
        remediation="Set vpcConfig.endpointPublicAccess=False and endpointPrivateAccess=True; "
                    "operate through a VPN, peering or a runner inside the VPC (or restrict "
                    "publicAccessCidrs and set allowRestrictedPublicEndpoint).",
        tags=("network", "kubernetes")),
    Control(
        "strata-no-open-ingress",
        "Security groups do not allow ingress from 0.0.0.0/0 or ::/0.",
        severity="critical", enforcement="mandatory", check=_check_open_ingress,
        types=("aws:ec2/securityGroup:SecurityGroup",
               "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
        fsbp="EC2.18, EC2.19, EC2.53, EC2.54",
        remediation="Allow ingress only from referenced security groups or VPC CIDRs.",
        tags=("network",)),
    Control(
        "strata-ec2-security-group-text",
        "Security group names and descriptions and rule descriptions use only the characters "
        "EC2 accepts, so the deploy is not refused.",
        severity="high", enforcement="mandatory", check=_check_ec2_text, types=_SG_TYPES,
        remediation="Rewrite the text with letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* "
                    "only (no apostrophes or accents), at most 255 characters.",
        tags=("network", "deployability")),
    Control(
        "strata-default-sg-no-rules",
        "Each VPC's default security group allows no traffic, so nothing uses it by accident.",
        severity="high", enforcement="mandatory", check=_check_default_sg,
        types=("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",), fsbp="EC2.2",
        remediation="Adopt the default security group with aws.ec2.DefaultSecurityGroup and no "
                    "ingress/egress rules.",
        tags=("network",)),
    Control(
        "strata-subnet-no-public-ip",
        "Only subnets tagged tier=public assign public IPs on launch.",
        severity="medium", enforcement="mandatory", check=_check_subnet,
        types=("aws:ec2/subnet:Subnet",), fsbp="EC2.15",
        remediation="Set mapPublicIpOnLaunch=False on private and data subnets.",
        tags=("network",)),
    Control(
        "strata-launch-template-no-public-ip",
        "Launch templates do not assign public IPs to network interfaces.",
        severity="high", enforcement="mandatory", check=_check_lt_public_ip,
        types=("aws:ec2/launchTemplate:LaunchTemplate",),
        fsbp="EC2.25",
        remediation="Set networkInterfaces[*].associatePublicIpAddress=\"false\" or omit it.",
        tags=("network",)),
    Control(
        "strata-launch-template-imdsv2",
        "Launch templates and instances require IMDSv2 session tokens (AWS rates the "
        "launch-template control low and the instance control EC2.8 high; both are "
        "mandatory here).",
        severity="high", enforcement="mandatory", check=_check_imdsv2, types=_LT,
        fsbp="EC2.170, EC2.8",
        remediation="Set metadataOptions={httpTokens: \"required\", httpPutResponseHopLimit: 1}.",
        tags=("network",)),
    Control(
        "strata-imds-hop-limit",
        "Launch templates and instances keep the instance metadata response hop limit at the "
        "configured maximum (1 by default), so containers cannot reach the node's credentials.",
        severity="medium", enforcement="mandatory", check=_check_hop_limit, types=_LT,
        config={"maxHopLimit": {"type": "number", "minimum": 1, "default": 1,
                                "description": "Largest accepted httpPutResponseHopLimit (2 "
                                               "when pods must reach IMDS themselves)."}},
        remediation="Set metadataOptions.httpPutResponseHopLimit=1 and give pods their own "
                    "credentials (EKS Pod Identity or IRSA).",
        tags=("network",)),
    Control(
        "strata-no-unrestricted-egress",
        "Security groups do not allow all traffic (every protocol or port) to 0.0.0.0/0 or "
        "::/0.",
        severity="low", enforcement="advisory", check=_check_open_egress,
        types=("aws:ec2/securityGroup:SecurityGroup",
               "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
        remediation="Allow egress only to the ports and destinations the workload needs (VPC "
                    "CIDRs, security groups, prefix lists of VPC endpoints).",
        tags=("network",)),
    Control(
        "strata-grafana-network-access-control",
        "Managed Grafana workspaces accept connections only through named VPC endpoints or "
        "prefix lists.",
        severity="medium", enforcement="mandatory", check=_check_grafana_network,
        types=("aws:grafana/workspace:Workspace",),
        remediation="Set networkAccessControl={vpceIds: [an interface endpoint for "
                    "com.amazonaws.REGION.grafana-workspace]} (or prefixListIds).",
        tags=("network",)),
    Control(
        "strata-vpc-flow-logs",
        "Every VPC has flow logs capturing at least rejected traffic.",
        severity="medium", enforcement="mandatory", check=_check_flow_logs, scope="stack",
        fsbp="EC2.6",
        remediation="Create an aws.ec2.FlowLog with vpcId=vpc.id and trafficType \"ALL\" to an "
                    "encrypted log group.",
        tags=("network", "logging")),
]
