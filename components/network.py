"""VPC network: public, private and isolated subnets over the given AZs, NAT for egress, gateway
endpoints for S3 and DynamoDB, the default security group emptied, and flow logs to a
KMS-encrypted log group with retention.

Data stores go in the isolated subnets (no route out), workloads in the private subnets (egress
through NAT), load balancers and NAT gateways in the public subnets. AZ names are an input, never
made up: take them from configuration or the `aws.get_availability_zones` data source, and keep
them stable (subnets, and everything placed in them, are replaced when their AZ changes).
"""

import enum
import json
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args
from components._logs import DEFAULT_LOG_RETENTION_DAYS, log_retention_days
from components._names import name_problem
from components._plan import SubnetPlan, plan_subnets
from components._tags import with_name
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = ["DEFAULT_FLOW_LOG_RETENTION_DAYS", "NatMode", "Network", "NetworkArgs",
           "physical_names"]

DEFAULT_FLOW_LOG_RETENTION_DAYS = DEFAULT_LOG_RETENTION_DAYS
"""A year of flow logs: enough to investigate an incident found late."""


class NatMode(enum.StrEnum):
    """How many NAT gateways carry the private subnets' egress."""

    SINGLE = "single"
    """One NAT gateway: cheaper, but egress stops when its AZ fails."""
    PER_AZ = "per-az"
    """One NAT gateway per AZ: egress survives the loss of an AZ."""


DEFAULT_NAT_MODE = NatMode.SINGLE


class NetworkArgs(TypedDict):
    """Inputs of a Network."""

    cidr: str
    """VPC CIDR, /16 to /24; split into private (half), public and isolated (a quarter each)."""
    availability_zones: list[str]
    """AZ names, one subnet per tier in each, e.g. `["eu-west-1a", "eu-west-1b"]`."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    nat_mode: NotRequired[NatMode]
    """Default: `single`."""
    flow_log_group_name: NotRequired[str]
    """Name of the flow-log group. Default: `/vpc/<resource name>/flow-logs`."""
    flow_log_retention_days: NotRequired[int]
    """Flow-log retention. Default: 365 days."""
    flow_log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key encrypting the flow-log group; it must admit CloudWatch Logs for that group.
    Default: a key of its own."""
    lifecycle: NotRequired[LifecycleArgs]
    """Flow logs are audit data: protect the group (and its own key). Default: see
    LifecycleArgs."""


def physical_names(name: str, flow_log_group_name: str | None = None) -> list[tuple[str, str]]:
    """The physical names a Network creates (the flow-log group)."""
    return [("log-group", flow_log_group_name or f"/vpc/{name}/flow-logs")]


class Network(pulumi.ComponentResource):
    """A three-tier VPC; data stores go in `isolated_subnet_ids`, which have no route out."""

    vpc_id: pulumi.Output[str]
    """The VPC id."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Public subnets (load balancers, NAT), one per AZ in order."""
    private_subnet_ids: list[pulumi.Output[str]]
    """Private subnets (workloads), one per AZ in order."""
    isolated_subnet_ids: list[pulumi.Output[str]]
    """Isolated subnets (data stores, no route out), one per AZ in order."""
    cidr: str
    """The VPC CIDR."""
    private_cidrs: list[str]
    """CIDRs of the private subnets."""
    isolated_cidrs: list[str]
    """CIDRs of the isolated subnets."""
    availability_zones: list[str]
    """The AZs, in subnet order."""

    def __init__(self, name: str, args: NetworkArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Network", name, None, opts)
        args = _args.validate("Network", name, args, NetworkArgs)
        group_name = args.get("flow_log_group_name") or physical_names(name)[0][1]
        problem = name_problem("log-group", group_name)
        if problem:
            raise _args.ComponentArgsError(f"Network {name!r}: flow_log_group_name: {problem}")
        args["flow_log_retention_days"] = log_retention_days(
            "Network", name, "flow_log_retention_days", args.get("flow_log_retention_days"))
        try:
            plans = plan_subnets(args["cidr"], args["availability_zones"])
        except ValueError as exc:
            raise _args.ComponentArgsError(f"Network {name!r}: {exc}") from None
        tags = dict(args.get("tags", {}))
        child = pulumi.ResourceOptions(parent=self)
        azs = list(args["availability_zones"])
        self.cidr = args["cidr"]
        self.availability_zones = azs

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args["cidr"], enable_dns_hostnames=True,
                          enable_dns_support=True, tags=with_name(tags, name), opts=child)
        self.vpc_id = vpc.id
        # FSBP EC2.2: the default security group must allow nothing.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags=with_name(tags, f"{name}-default"), opts=child)
        subnets: dict[str, list[aws.ec2.Subnet]] = {"public": [], "private": [], "isolated": []}
        for plan in plans:
            subnets[plan.tier].append(self._subnet(name, vpc, plan, tags))
        self.public_subnet_ids = [s.id for s in subnets["public"]]
        self.private_subnet_ids = [s.id for s in subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in subnets["isolated"]]
        self.private_cidrs = [p.cidr for p in plans if p.tier == "private"]
        self.isolated_cidrs = [p.cidr for p in plans if p.tier == "isolated"]

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id,
                                      tags=with_name(tags, name), opts=child)
        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id,
                                       tags=with_name(tags, f"{name}-public"), opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=igw.id, opts=child)
        for az, subnet in zip(azs, subnets["public"], strict=True):
            aws.ec2.RouteTableAssociation(f"{name}-public-{az}", subnet_id=subnet.id,
                                          route_table_id=public_rt.id, opts=child)

        nat_azs = azs if args.get("nat_mode", DEFAULT_NAT_MODE) is NatMode.PER_AZ else azs[:1]
        nats = {}
        for az, subnet in zip(nat_azs, subnets["public"], strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc",
                              tags=with_name(tags, f"{name}-nat-{az}"), opts=child)
            nats[az] = aws.ec2.NatGateway(f"{name}-nat-{az}", allocation_id=eip.id,
                                          subnet_id=subnet.id, connectivity_type="public",
                                          tags=with_name(tags, f"{name}-nat-{az}"),
                                          opts=pulumi.ResourceOptions(parent=self,
                                                                      depends_on=[igw]))
        route_tables = []
        for az, subnet in zip(azs, subnets["private"], strict=True):
            rt = aws.ec2.RouteTable(f"{name}-private-{az}", vpc_id=vpc.id,
                                    tags=with_name(tags, f"{name}-private-{az}"), opts=child)
            nat = nats.get(az) or nats[nat_azs[0]]
            aws.ec2.Route(f"{name}-private-{az}-default", route_table_id=rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{az}", subnet_id=subnet.id,
                                          route_table_id=rt.id, opts=child)
            route_tables.append(rt)
        # Isolated subnets: local routes only. Data stores never reach the internet.
        isolated_rt = aws.ec2.RouteTable(f"{name}-isolated-rt", vpc_id=vpc.id,
                                         tags=with_name(tags, f"{name}-isolated"), opts=child)
        for az, subnet in zip(azs, subnets["isolated"], strict=True):
            aws.ec2.RouteTableAssociation(f"{name}-isolated-{az}", subnet_id=subnet.id,
                                          route_table_id=isolated_rt.id, opts=child)
        route_tables.append(isolated_rt)

        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint", vpc_id=vpc.id, vpc_endpoint_type="Gateway",
                service_name=pulumi.Output.concat("com.amazonaws.", region.region, f".{service}"),
                route_table_ids=[rt.id for rt in route_tables],
                tags=with_name(tags, f"{name}-{service}"), opts=child)

        self._flow_logs(name, vpc, group_name, args, tags)
        self.register_outputs({"vpcId": self.vpc_id, "privateSubnetIds": self.private_subnet_ids,
                               "isolatedSubnetIds": self.isolated_subnet_ids,
                               "publicSubnetIds": self.public_subnet_ids})

    def _subnet(self, name: str, vpc: aws.ec2.Vpc, plan: SubnetPlan,
                tags: dict[str, str]) -> aws.ec2.Subnet:
        public = plan.tier == "public"
        tier_tags = {**tags, "tier": plan.tier}
        if public:
            tier_tags["kubernetes.io/role/elb"] = "1"
        elif plan.tier == "private":
            tier_tags["kubernetes.io/role/internal-elb"] = "1"
        return aws.ec2.Subnet(
            f"{name}-{plan.tier}-{plan.az}", vpc_id=vpc.id, cidr_block=plan.cidr,
            availability_zone=plan.az, map_public_ip_on_launch=False,
            tags=with_name(tier_tags, f"{name}-{plan.tier}-{plan.az}"),
            opts=pulumi.ResourceOptions(parent=self))

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, group_name: str, args: NetworkArgs,
                   tags: dict[str, str]) -> None:
        lifecycle = args.get("lifecycle")
        key_arn = args.get("flow_log_kms_key_arn")
        if key_arn is None:
            key_args: EncryptionKeyArgs = {"description": f"VPC flow logs of {name}",
                                           "tags": tags, "log_group_names": [group_name]}
            if lifecycle is not None:
                key_args["lifecycle"] = lifecycle
            key_arn = EncryptionKey(f"{name}-key", key_args,
                                    opts=pulumi.ResourceOptions(parent=self)).arn
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=group_name, kms_key_id=key_arn,
            retention_in_days=args["flow_log_retention_days"],
            tags=tags, opts=lifecycle_options(self, lifecycle))
        role = aws.iam.Role(
            f"{name}-flow-logs", tags=tags, opts=pulumi.ResourceOptions(parent=self),
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}}]}))
        aws.iam.RolePolicy(
            f"{name}-flow-logs", role=role.name, opts=pulumi.ResourceOptions(parent=self),
            policy=group.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                           "logs:DescribeLogStreams"],
                "Resource": [arn, f"{arn}:*"]}]})))
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL",
                        log_destination_type="cloud-watch-logs", log_destination=group.arn,
                        iam_role_arn=role.arn, max_aggregation_interval=60, tags=tags,
                        opts=pulumi.ResourceOptions(parent=self))
