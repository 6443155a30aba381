"""VPC network: public, private and isolated subnets over N AZs, NAT for egress, gateway
endpoints for S3 and DynamoDB, the default security group emptied, and flow logs to a
KMS-encrypted log group with retention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components._plan import SubnetPlan, plan_subnets
from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey

__all__ = ["Network", "NetworkArgs"]


class NetworkArgs(TypedDict):
    cidr: str
    """VPC CIDR (/16 to /24)."""
    availability_zones: list[str]
    """AZ names to spread over; one subnet per tier per AZ."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    log_key: EncryptionKey
    """Key encrypting the flow-log group."""
    log_retention_days: int
    """Flow-log retention."""
    nat_mode: NotRequired[Literal["single", "per-az"]]
    """`per-az` keeps egress up when an AZ fails. Default: `single` (cheaper)."""
    protect: NotRequired[bool]
    """Protect the flow-log group (audit data). Default: off."""


class Network(pulumi.ComponentResource):
    """A three-tier VPC; data stores go in `isolated_subnet_ids`, which have no route out."""

    vpc_id: pulumi.Output[str]
    cidr: str
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    isolated_subnet_ids: list[pulumi.Output[str]]
    private_cidrs: list[str]
    isolated_cidrs: list[str]

    def __init__(self, name: str, args: NetworkArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:Network", name, None, opts)
        tags = require_tags(args["tags"], name)
        child = pulumi.ResourceOptions(parent=self)
        azs = args["availability_zones"]
        plans = plan_subnets(args["cidr"], azs)
        self.cidr = args["cidr"]

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

        per_az = args.get("nat_mode", "single") == "per-az"
        nat_azs = azs if per_az else azs[:1]
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

        self._flow_logs(name, vpc, args, tags)
        self.register_outputs({"vpcId": self.vpc_id})

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

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, args: NetworkArgs,
                   tags: dict[str, str]) -> None:
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=f"/strata/{name}/vpc-flow-logs",
            kms_key_id=args["log_key"].arn, retention_in_days=args["log_retention_days"],
            tags=tags, opts=stateful_options(self, args.get("protect", False)))
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
