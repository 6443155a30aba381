"""The mock runtime's stand-ins for providers: plausible outputs, and a monitor that records.

`RecordingMonitor` keeps every full RegisterResource request (parent, dependencies,
property dependencies, protect, aliases) so the manifest shows what the engine would be
sent, not what we guess. `StrataMocks` answers with deterministic fake IDs and ARNs.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_project, get_stack

from infra.urns import child_urn

__all__ = ["ACCOUNT_ID", "RecordingMonitor", "StrataMocks", "plain_inputs"]

ACCOUNT_ID = "123456789012"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SIG_KEY = "4dabf18193072939515e22adb298388d"
"""The key under which Pulumi marks special values (secrets, resource references)."""
MASK = "[secret]"

# Outputs a few resource types must expose for their dependents to build under mocks.
EXTRA_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:eks/cluster:Cluster": {
        "endpoint": "https://mock.eks.amazonaws.com",
        "certificateAuthority": {"data": "bW9jay1jYQ=="},
        "identities": [{"oidcs": [{"issuer": "https://oidc.eks.mock/id/MOCK"}]}],
        # The EKS-created security group that Kafka's ingress rule admits.
        "vpcConfig": {"clusterSecurityGroupId": "sg-mock-eks-cluster", "vpcId": "vpc-mock"},
    },
    "aws:msk/cluster:Cluster": {
        "bootstrapBrokersSaslIam": "b-1.mock:9098,b-2.mock:9098",
        "clusterName": "mock-msk",
        # Real MSK ARNs end in <cluster-name>/<uuid>; topic and group ARNs are derived from it.
        "arn": f"arn:aws:kafka:eu-west-1:{ACCOUNT_ID}:cluster/mock-msk/"
               "0a1b2c3d-4e5f-6789-abcd-ef0123456789-2",
        "clusterUuid": "0a1b2c3d-4e5f-6789-abcd-ef0123456789-2",
        "currentVersion": "K3AEGXETSR30VB",
    },
    "aws:msk/serverlessCluster:ServerlessCluster": {
        "bootstrapBrokersSaslIam": "boot-mock.c2.kafka-serverless.eu-west-1.amazonaws.com:9098",
        "arn": f"arn:aws:kafka:eu-west-1:{ACCOUNT_ID}:cluster/mock-msk-serverless/"
               "9f8e7d6c-5b4a-3210-fedc-ba9876543210-s1",
        "clusterUuid": "9f8e7d6c-5b4a-3210-fedc-ba9876543210-s1",
    },
    "aws:msk/configuration:Configuration": {"latestRevision": 1},
    "aws:ec2/launchTemplate:LaunchTemplate": {"latestVersion": 1},
    "aws:rds/cluster:Cluster": {
        "endpoint": "mock.cluster.rds.amazonaws.com", "port": 5432,
        # IAM database auth ARNs name the cluster resource id (set per resource in new_resource);
        # the shard map names the secret.
        "masterUserSecrets": [{"secretArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:"
                                            "secret:rds!cluster-mock", "secretStatus": "active"}],
    },
    "aws:rds/instance:Instance": {
        "address": "mock.rds.amazonaws.com", "port": 5432,
        "masterUserSecrets": [{"secretArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:"
                                            "secret:rds!db-mock", "secretStatus": "active"}],
    },
    "aws:timestreaminfluxdb/dbInstance:DbInstance": {
        "endpoint": "mock.influxdb.amazonaws.com", "port": 8086,
        # The secret the service creates with the initial credentials (grants point at it).
        "influxAuthParametersSecretArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:secret:"
                                         "READONLY-InfluxDB-auth-parameters-mock-AbCdEf"},
}


def _arn(typ: str, inputs: dict[str, Any], physical: str, region: str) -> str:
    """The ARN in the format AWS gives the type (the IAM catalog check judges grants by it)."""
    module = typ.split(":")[1].split("/")[0] if ":" in typ else "mock"
    kind = typ.rsplit(":", 1)[-1].lower()
    account = ACCOUNT_ID
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return f"arn:aws:logs:{region}:{account}:log-group:{physical}"
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix', '')}mock"
        return f"arn:aws:s3:::{bucket}"
    if typ == "aws:secretsmanager/secret:Secret":
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-AbCdEf"
    if typ == "aws:sns/topic:Topic":
        return f"arn:aws:sns:{region}:{account}:{physical}"
    if typ == "aws:ssm/parameter:Parameter":
        return f"arn:aws:ssm:{region}:{account}:parameter/{physical.lstrip('/')}"
    if typ == "aws:amp/workspace:Workspace":
        return f"arn:aws:aps:{region}:{account}:workspace/ws-{physical}"
    if typ == "aws:timestreamwrite/database:Database":
        return f"arn:aws:timestream:{region}:{account}:database/{inputs.get('databaseName')}"
    if typ == "aws:timestreamwrite/table:Table":
        return (f"arn:aws:timestream:{region}:{account}:database/{inputs.get('databaseName')}"
                f"/table/{inputs.get('tableName')}")
    if module == "iam":  # IAM ARNs carry no region
        return f"arn:aws:iam::{account}:{kind}/{physical}"
    return f"arn:aws:{module}:{region}:{account}:{kind}/{physical}"


AZ_NAMES: dict[str, list[str]] = {
    # What aws.get_availability_zones reports for a typical account: ca-central-1 has no `c`
    # (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
    "ca-central-1": ["ca-central-1a", "ca-central-1b", "ca-central-1d"],
    "us-west-1": ["us-west-1a", "us-west-1c"],
    "us-east-1": [f"us-east-1{c}" for c in "abcdef"],
}


def availability_zone_names(region: str) -> list[str]:
    return AZ_NAMES.get(region, [f"{region}{c}" for c in "abc"])


def _resource_id(name: str) -> str:
    """A stable, per-resource stand-in for RDS's 26-character resource id: one shard's dbuser
    ARN never equals another's, as with real databases."""
    return base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:26]


class StrataMocks(pulumi.runtime.Mocks):
    """Deterministic IDs and ARNs so that grant documents and key policies render."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        physical = args.inputs.get("name") or args.name
        state = {
            **args.inputs,
            "arn": _arn(args.typ, args.inputs, str(physical), self.region),
            "id": f"{args.name}-id",
            "name": physical,
            **EXTRA_OUTPUTS.get(args.typ, {}),
        }
        if args.typ == "aws:kms/key:Key":
            state["keyId"] = f"{args.name}-key-id"
        if args.typ == "aws:dynamodb/table:Table":
            state["streamArn"] = f"{state['arn']}/stream/mock"
        if args.typ == "aws:rds/cluster:Cluster":
            state["clusterResourceId"] = f"cluster-{_resource_id(args.name)}"
        if args.typ == "aws:rds/instance:Instance":
            state["resourceId"] = f"db-{_resource_id(args.name)}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        # A bare dict: the SDK's MockMonitor iterates the failures of a tuple, and None fails.
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mock",
                    "userId": "MOCK", "id": ACCOUNT_ID}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = availability_zone_names(self.region)
            return {"names": names, "zoneIds": [f"zone-{n}" for n in names],
                    "groupNames": [self.region] * len(names), "id": self.region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        return {}


class RecordingMonitor(MockMonitor):
    """A MockMonitor that also keeps each RegisterResource request, in registration order."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[tuple[str, Any]] = []
        self.stack_outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine assigns: the parent's whole type chain, without the root stack."""
        return child_urn(get_stack(), get_project(), parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.requests.append((response.urn, request))
        return response

    def record(self, urn: str, request: Any) -> dict[str, Any]:
        """The manifest entry for one request."""
        return {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "custom": bool(request.custom),
            "parent": request.parent,
            "provider": request.provider,
            "inputs": plain_inputs(json_format.MessageToDict(request.object)),
            # The SDK gathers dependencies in sets: sorted, two synths write the same bytes.
            "dependencies": sorted(set(request.dependencies)),
            "propertyDependencies": {
                key: sorted(set(deps.urns))
                for key, deps in sorted(request.propertyDependencies.items())
            },
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "aliases": [json_format.MessageToDict(a) for a in request.aliases],
        }


def plain_inputs(value: Any) -> Any:
    """Mask secrets as "[secret]" and reduce resource references to their URN."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return MASK
        if sig == RESOURCE_SIG:
            return value.get("urn", "")
        return {key: plain_inputs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_inputs(item) for item in value]
    return value
