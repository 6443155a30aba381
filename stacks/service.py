"""ServiceData: one service's key, stores, topics and role, and nothing anyone else can reach.

The role is assumable only through EKS Pod Identity, for this service's namespace and service
account on this environment's cluster, and holds exactly the grants on the service's own stores
and topics plus read-only consumption of the topics it declares. Stores are encrypted with the
service's own key and admit, on their ports, only the security group its workloads run in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from components._perms import Grant
from components._store import AlarmThresholds, DataStore, NetworkStore
from components.eks import pod_identity_trust_policy
from components.iam import attach_grants
from components.kafka import Topic
from components.kms import EncryptionKey
from components.network import Network
from stacks._stores import build_stores, kms_needs
from stacks.catalog import Environment, MonitoringSpec, Service
from stacks.conventions import Names, lifecycle, ownership_tags

__all__ = ["ServiceData", "ServiceDataArgs"]


class ServiceDataArgs(TypedDict):
    service: Service
    """The service's catalog entry."""
    environment: Environment
    network: Network
    monitoring: MonitoringSpec
    cluster_arn: pulumi.Input[str]
    """The environment's EKS cluster, the only one whose pods may take the role."""


class ServiceData(pulumi.ComponentResource):
    """A service's data boundary: key, stores, and a pod-identity role granted only those."""

    role: aws.iam.Role
    key: EncryptionKey
    stores: list[DataStore]
    stores_by_label: dict[str, DataStore]
    """By their label in the stack file: `postgres`, each table's name, `timeseries`."""
    topics: dict[str, Topic]
    tags: dict[str, str]

    def __init__(self, name: str, args: ServiceDataArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:ServiceData", name, None, opts)
        service, env = args["service"], args["environment"]
        names = Names(env.name)
        self.service_name = name
        self.tags = ownership_tags(owner=service.owner, service=name, environment=env.name,
                                   classification=service.classification,
                                   cost_center=env.cost_center)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        trust = pulumi.Output.all(account, args["cluster_arn"], partition).apply(
            lambda v: json.dumps(pod_identity_trust_policy(
                v[0], v[1], v[2], namespace=name, service_account=name), sort_keys=True))
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.service_role(name),
            description=f"Workload role of {name}; reaches only {name}'s own data.",
            assume_role_policy=trust,
            max_session_duration=3600,
            tags=self.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        caller_services, service_principals = kms_needs(service)
        self.key = EncryptionKey(
            f"{name}-key",
            {
                "description": f"Data of service {name} ({env.name})",
                "alias": names.key_alias(name),
                "tags": self.tags,
                "user_arns": [self.role.arn],
                "caller_services": caller_services,
                "service_principals": service_principals,
                "lifecycle": lifecycle(env, service),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.stores_by_label = build_stores(name, service, env, args["network"], self.key.arn,
                                            self.tags, parent=self)
        self.stores = list(self.stores_by_label.values())
        self.topics = {}
        monitoring = args["monitoring"]
        self.thresholds = AlarmThresholds(cpu_percent=monitoring.cpu_alarm_percent,
                                          storage_free_percent=monitoring.storage_alarm_free_percent)
        self.catalog_entry: dict[str, Any] = {
            "owner": service.owner,
            "classification": service.classification,
            "key": self.key.arn,
            "role": self.role.arn,
            "stores": [store.catalog_entry() for store in self.stores],
        }
        self.register_outputs({"roleArn": self.role.arn, "keyArn": self.key.arn})

    def admit_workloads(self, security_group_id: pulumi.Input[str]) -> None:
        """Let the security group the service's pods run in reach its own stores' ports, and
        no other group: a service never reaches another service's database at the network
        layer (where its pods have a security group of their own)."""
        for store in self.stores:
            if isinstance(store, NetworkStore):
                store.allow_from("workloads", security_group_id, "workloads of the owning service")

    def grant(self, consumes: Sequence[tuple[Topic, str]]) -> None:
        """Attach every grant of the service's role as managed policies: its own stores and
        topics in one group, read-only consumption of other services' topics in another (no
        policy mixes another service's topic with this service's data, so each document shows
        plainly that it only consumes)."""
        own: list[Grant] = []
        for store in self.stores:
            own += store.read_grants() + store.write_grants()
        own += [topic.produce_grant() for topic in self.topics.values()]
        groups: dict[str, list[Grant]] = {"own": own} if own else {}
        if consumes:
            groups["consume"] = [topic.consume_grant(group) for topic, group in consumes]
        attach_grants(self, f"{self.service_name}-grants", self.role, groups, tags=self.tags,
                      description=f"What {self.service_name}'s workloads may reach")
