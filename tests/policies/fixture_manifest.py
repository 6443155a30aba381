"""A small engine-shaped manifest of a compliant Strata stack, and helpers to mutate it.

Two services own their stores (orders: RDS + topic; payments: DynamoDB), the platform owns
the network, the MSK cluster and the EKS cluster. Shapes follow pulumi-aws v7 inputs.
"""

from __future__ import annotations

import copy
import json
from typing import Any

PROJECT, STACK = "strata", "dev"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def _tags(service: str, classification: str = "confidential") -> dict[str, str]:
    return {"owner": "team-" + service, "service": service, "environment": "dev",
            "data-classification": classification, "cost-center": "cc-42"}


class Builder:
    def __init__(self) -> None:
        self.resources: list[dict[str, Any]] = [{
            "urn": STACK_URN, "type": "pulumi:pulumi:Stack", "name": f"{PROJECT}-{STACK}",
            "custom": False, "parent": "", "provider": "", "inputs": {}, "dependencies": [],
            "propertyDependencies": {}, "protect": False, "retainOnDelete": False,
            "aliases": []}]
        self.by_name: dict[str, dict[str, Any]] = {}

    def add(self, type_: str, name: str, inputs: dict[str, Any] | None = None, *,
            parent: str | None = None, deps: dict[str, list[str]] | None = None,
            custom: bool = True) -> str:
        parent_res = self.by_name[parent] if parent else self.resources[0]
        chain = parent_res["urn"].split("::")[2]
        qualified = type_ if parent_res["type"] == "pulumi:pulumi:Stack" else f"{chain}${type_}"
        urn = f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"
        prop_deps = {k: [self.urn(v) for v in vs] for k, vs in (deps or {}).items()}
        resource = {
            "urn": urn, "type": type_, "name": name, "custom": custom,
            "parent": parent_res["urn"], "provider": "", "inputs": copy.deepcopy(inputs or {}),
            "dependencies": sorted({u for us in prop_deps.values() for u in us}),
            "propertyDependencies": prop_deps, "protect": False, "retainOnDelete": False,
            "aliases": []}
        self.resources.append(resource)
        self.by_name[name] = resource
        return urn

    def urn(self, name: str) -> str:
        return str(self.by_name[name]["urn"])

    def manifest(self) -> dict[str, Any]:
        return {"project": PROJECT, "stack": STACK, "resources": self.resources, "outputs": {}}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _service(b: Builder, service: str) -> None:
    tags = _tags(service)
    b.add("strata:index:ServiceData", service, custom=False)
    b.add("aws:kms/key:Key", f"{service}-key", {
        "description": f"{service} data key", "enableKeyRotation": True, "tags": tags,
        "policy": _doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:root"},
                        "Action": "kms:*", "Resource": "*"})}, parent=service)
    b.add("aws:iam/role:Role", f"{service}-role", {
        "assumeRolePolicy": _doc({"Effect": "Allow", "Principal": {
            "Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        "tags": tags}, parent=service)


def compliant_manifest() -> dict[str, Any]:
    b = Builder()
    platform = _tags("platform", "internal")
    b.add("strata:index:Platform", "platform", custom=False)
    b.add("aws:kms/key:Key", "platform-key", {
        "enableKeyRotation": True, "tags": platform, "policy": _doc(
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Logs", "Effect": "Allow",
             "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                        "kms:Describe*"], "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                       "arn:aws:logs:eu-west-1:123:*"}}},
            {"Sid": "Alarms", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})},
        parent="platform")
    b.add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "tags": platform},
          parent="platform")
    b.add("aws:cloudwatch/logGroup:LogGroup", "flow-logs", {
        "retentionInDays": 365, "kmsKeyId": "arn:aws:kms:eu-west-1:123:key/p", "tags": platform},
        parent="platform", deps={"kmsKeyId": ["platform-key"]})
    b.add("aws:ec2/flowLog:FlowLog", "vpc-flow", {"vpcId": "vpc-1", "trafficType": "ALL",
                                                  "tags": platform},
          parent="platform", deps={"vpcId": ["vpc"]})
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg",
          {"vpcId": "vpc-1", "tags": platform}, parent="platform", deps={"vpcId": ["vpc"]})
    b.add("aws:ec2/subnet:Subnet", "public-a", {"cidrBlock": "10.0.0.0/24",
                                                "mapPublicIpOnLaunch": True,
                                                "tags": {**platform, "tier": "public"}},
          parent="platform")
    b.add("aws:ec2/subnet:Subnet", "private-a", {"cidrBlock": "10.0.1.0/24",
                                                 "mapPublicIpOnLaunch": False,
                                                 "tags": {**platform, "tier": "private"}},
          parent="platform")
    b.add("aws:ec2/routeTableAssociation:RouteTableAssociation", "private-a-rt",
          {"subnetId": "subnet-1", "routeTableId": "rtb-1"}, parent="platform")
    b.add("aws:msk/cluster:Cluster", "kafka", {
        "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3, "enhancedMonitoring": "PER_BROKER",
        "brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": ["a"]},
        "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
        "encryptionInfo": {"encryptionAtRestKmsKeyArn": "arn:aws:kms:eu-west-1:123:key/p",
                           "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}},
        "loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True,
                                                          "logGroup": "kafka"}}},
        "tags": platform}, parent="platform", deps={"encryptionInfo": ["platform-key"]})
    b.add("aws:sns/topic:Topic", "alerts", {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:123:key/p",
                                            "tags": platform},
          parent="platform", deps={"kmsMasterKeyId": ["platform-key"]})

    _service(b, "orders")
    orders = _tags("orders")
    b.add("aws:rds/parameterGroup:ParameterGroup", "orders-pg", {
        "family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}],
        "tags": orders}, parent="orders")
    b.add("aws:rds/instance:Instance", "orders-db", {
        "engine": "postgres", "engineVersion": "16.4", "instanceClass": "db.t4g.medium",
        "allocatedStorage": 20, "storageEncrypted": True, "kmsKeyId": "[secret]",
        "publiclyAccessible": False, "backupRetentionPeriod": 7, "deletionProtection": True,
        "multiAz": True, "skipFinalSnapshot": False, "finalSnapshotIdentifier": "orders-final",
        "manageMasterUserPassword": True, "username": "strata",
        "iamDatabaseAuthenticationEnabled": True, "monitoringInterval": 60,
        "copyTagsToSnapshot": True, "port": 6432,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"], "tags": orders},
        parent="orders", deps={"kmsKeyId": ["orders-key"]})
    b.add("aws:msk/topic:Topic", "orders-events", {
        "clusterArn": "arn:aws:kafka:eu-west-1:123:cluster/kafka/1", "partitionCount": 6,
        "replicationFactor": 3, "name": "orders.events"},
        parent="orders", deps={"clusterArn": ["kafka"]})
    b.add("aws:iam/rolePolicy:RolePolicy", "orders-role-data", {
        "role": "orders-role", "policy": _doc(
            {"Effect": "Allow", "Action": ["rds-db:connect"],
             "Resource": "arn:aws:rds-db:eu-west-1:123:dbuser:db-1/orders"},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": "arn:aws:kms:eu-west-1:123:key/o"},
            {"Effect": "Allow", "Action": ["kafka-cluster:Connect", "kafka-cluster:WriteData",
                                           "kafka-cluster:DescribeTopic"],
             "Resource": ["arn:aws:kafka:eu-west-1:123:cluster/kafka/1",
                          "arn:aws:kafka:eu-west-1:123:topic/kafka/1/orders.events"]})},
        parent="orders",
        deps={"role": ["orders-role"], "policy": ["orders-db", "orders-key", "kafka",
                                                  "orders-events"]})

    _service(b, "payments")
    payments = _tags("payments")
    b.add("aws:dynamodb/table:Table", "payments-table", {
        "billingMode": "PAY_PER_REQUEST", "hashKey": "pk",
        "attributes": [{"name": "pk", "type": "S"}],
        "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:eu-west-1:123:key/x"},
        "pointInTimeRecovery": {"enabled": True}, "deletionProtectionEnabled": True,
        "tags": payments}, parent="payments", deps={"serverSideEncryption": ["payments-key"]})
    b.add("aws:iam/rolePolicy:RolePolicy", "payments-role-data", {
        "role": "payments-role", "policy": _doc(
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
             "Resource": "arn:aws:dynamodb:eu-west-1:123:table/payments"})},
        parent="payments", deps={"role": ["payments-role"], "policy": ["payments-table"]})
    b.add("aws:iam/rolePolicy:RolePolicy", "payments-role-consume-orders", {
        "role": "payments-role", "policy": _doc(
            {"Effect": "Allow", "Action": ["kafka-cluster:Connect", "kafka-cluster:ReadData",
                                           "kafka-cluster:DescribeTopic",
                                           "kafka-cluster:AlterGroup",
                                           "kafka-cluster:DescribeGroup"],
             "Resource": ["arn:aws:kafka:eu-west-1:123:cluster/kafka/1",
                          "arn:aws:kafka:eu-west-1:123:topic/kafka/1/orders.events",
                          "arn:aws:kafka:eu-west-1:123:group/kafka/1/payments"]})},
        parent="payments", deps={"role": ["payments-role"], "policy": ["kafka", "orders-events"]})

    for store in ("orders-db", "payments-table", "kafka"):
        b.add("aws:cloudwatch/metricAlarm:MetricAlarm", f"{store}-alarm", {
            "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3,
            "threshold": 80, "dimensions": {"id": "x"}, "tags": platform},
            parent="platform", deps={"dimensions": [store], "alarmActions": ["alerts"]})

    b.add("kubernetes:core/v1:Namespace", "orders-ns", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "orders", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        parent="orders")
    b.add("kubernetes:networking.k8s.io/v1:NetworkPolicy", "orders-default-deny", {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "orders"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        parent="orders", deps={"metadata": ["orders-ns"]})
    for kind in ("ResourceQuota", "LimitRange"):
        b.add(f"kubernetes:core/v1:{kind}", f"orders-{kind.lower()}", {
            "apiVersion": "v1", "kind": kind, "metadata": {"namespace": "orders"}, "spec": {}},
            parent="orders", deps={"metadata": ["orders-ns"]})
    return b.manifest()


def mutate(manifest: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    """A deep copy with `changes` applied to resource `name`'s inputs ("a.b" paths allowed;
    None deletes)."""
    out = copy.deepcopy(manifest)
    resource = next(r for r in out["resources"] if r["name"] == name)
    for path, value in changes.items():
        target = resource["inputs"]
        *parents, leaf = path.split("__")
        for p in parents:
            target = target.setdefault(p, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return out
