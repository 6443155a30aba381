"""Private networking: no public endpoints, no open ingress, flow logs, IMDSv2."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Res, StackView, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, as_list, get, is_unknown, not_true

__all__ = ["CONTROLS"]

_OPEN = ("0.0.0.0/0", "::/0")


def _check_rds_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "publiclyAccessible", not_true, False,
                 "publiclyAccessible is {value}: the database gets a public DNS name and IP")


def _check_influx_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "publiclyAccessible", not_true, False,
                 "publiclyAccessible is {value}: the InfluxDB endpoint is reachable from the "
                 "internet")


def _check_msk_public(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return judge(res.props, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type",
                 lambda v: v == "DISABLED", "DISABLED",
                 "{path} is {value}: brokers get public IP addresses")


def _check_eks_endpoint(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return [
        *judge(res.props, "vpcConfig.endpointPublicAccess", not_true, True,
               "{path} is {value}: the Kubernetes API is reachable from the internet"),
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


def _check_flow_logs(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    logs = stack.of_type("aws:ec2/flowLog:FlowLog")
    for vpc in stack.of_type("aws:ec2/vpc:Vpc"):
        covering = [f for f in logs if vpc.urn in f.property_dependencies.get("vpcId", [])]
        if not covering:
            yield fail("no aws:ec2/flowLog:FlowLog takes this VPC's id as vpcId", vpc.urn)
        elif all(get(f.props, "trafficType") not in ("ALL", "REJECT") for f in covering):
            yield fail("flow logs do not capture REJECT or ALL traffic", vpc.urn)


def _check_s3_public_access(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocks = stack.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for bucket in stack.of_type(_aws.S3_BUCKET):
        mine = [b for b in blocks if bucket.urn in b.property_dependencies.get("bucket", [])]
        if not mine:
            yield fail("no BucketPublicAccessBlock for this bucket", bucket.urn)
            continue
        for block in mine:
            for flag in flags:
                value = get(block.props, flag)
                if is_unknown(value):
                    yield cannot_verify(flag, bucket.urn)
                elif as_bool(value) is not True:
                    shown = "absent (provider default False)" if value is ABSENT else repr(value)
                    yield fail(f"public access block {flag} is {shown}", bucket.urn)


def _check_s3_ownership(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    controls = stack.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    for bucket in stack.of_type(_aws.S3_BUCKET):
        mine = [c for c in controls if bucket.urn in c.property_dependencies.get("bucket", [])]
        owners = [get(c.props, "rule.objectOwnership") for c in mine]
        if any(is_unknown(o) for o in owners):
            yield cannot_verify("rule.objectOwnership", bucket.urn)
        elif "BucketOwnerEnforced" not in owners:
            yield fail("no BucketOwnershipControls with objectOwnership BucketOwnerEnforced: "
                       "ACLs stay enabled", bucket.urn)


_LT = ("aws:ec2/launchTemplate:LaunchTemplate",)

CONTROLS = [
    Control(
        "strata-rds-no-public-access",
        "RDS instances are not publicly accessible; data stores live in private subnets only.",
        severity="critical", enforcement="mandatory", check=_check_rds_public,
        types=(_aws.RDS_INSTANCE, "aws:rds/clusterInstance:ClusterInstance"), fsbp="RDS.2",
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
        "The EKS API endpoint is private only.",
        severity="high", enforcement="mandatory", check=_check_eks_endpoint,
        types=("aws:eks/cluster:Cluster",), fsbp="EKS.1",
        remediation="Set vpcConfig.endpointPublicAccess=False and endpointPrivateAccess=True; "
                    "operate through a bastion, VPN or SSM.",
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
        severity="high", enforcement="mandatory", check=_check_lt_public_ip, types=_LT,
        fsbp="EC2.25",
        remediation="Set networkInterfaces[*].associatePublicIpAddress=\"false\" or omit it.",
        tags=("network",)),
    Control(
        "strata-launch-template-imdsv2",
        "Launch templates require IMDSv2 session tokens.",
        severity="high", enforcement="mandatory", check=_check_imdsv2, types=_LT,
        fsbp="EC2.170",
        remediation="Set metadataOptions={httpTokens: \"required\", httpPutResponseHopLimit: 2}.",
        tags=("network",)),
    Control(
        "strata-vpc-flow-logs",
        "Every VPC has flow logs capturing at least rejected traffic.",
        severity="medium", enforcement="mandatory", check=_check_flow_logs, scope="stack",
        fsbp="EC2.6",
        remediation="Create an aws.ec2.FlowLog with vpcId=vpc.id and trafficType \"ALL\" to an "
                    "encrypted log group.",
        tags=("network", "logging")),
    Control(
        "strata-s3-block-public-access",
        "Every S3 bucket has a public access block with all four settings on.",
        severity="critical", enforcement="mandatory", check=_check_s3_public_access,
        scope="stack", fsbp="S3.8",
        remediation="Add a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, "
                    "ignorePublicAcls and restrictPublicBuckets all True.",
        tags=("network",)),
    Control(
        "strata-s3-acls-disabled",
        "S3 buckets disable ACLs (BucketOwnerEnforced), so access is governed by policy only.",
        severity="medium", enforcement="mandatory", check=_check_s3_ownership, scope="stack",
        fsbp="S3.12",
        remediation="Add BucketOwnershipControls with rule.objectOwnership "
                    "\"BucketOwnerEnforced\".",
        tags=("network",)),
]
