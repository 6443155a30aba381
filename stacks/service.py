"""ServiceData: one service's key, stores and role, and nothing anyone else can reach.

The role is assumable only through EKS Pod Identity and is granted exactly the service's
own stores (and, once events exist, its declared topics). Stores are encrypted with the
service's own key, which only that role and the account's administrators may use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from components._perms import Grant
from components._store import AlarmThresholds, DataStore
from components._tags import ownership_tags
from components.dynamodb import KeyValueTable
from components.iam import attach_grants
from components.kafka import Topic
from components.kms import EncryptionKey
from components.network import Network
from components.postgres import PostgresShardSet
from components.timeseries import InfluxDbInstance, LiveAnalyticsDatabase
from stacks._context import ServiceContext, is_protected
from stacks._stores import build_stores
from stacks.catalog import Environment, MonitoringSpec, Service
from stacks.conventions import lifecycle

__all__ = ["ServiceData", "ServiceDataArgs"]


class ServiceDataArgs(TypedDict):
    service: Service
    """The service's catalog entry."""
    environment: Environment
    network: Network
    monitoring: MonitoringSpec


class ServiceData(pulumi.ComponentResource):
    """A service's data boundary: key, stores, and a pod-identity role granted only those."""

    role: aws.iam.Role
    key: EncryptionKey
    stores: list[DataStore]
    tags: dict[str, str]

    def __init__(self, name: str, args: ServiceDataArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:ServiceData", name, None, opts)
        service, env = args["service"], args["environment"]
        self.service_name = name
        self.tags = ownership_tags(owner=service.owner, service=name, environment=env.name,
                                   classification=service.classification,
                                   cost_center=env.cost_center)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"strata-{env.name}-{name}",
            description=f"Workload role of {name}; reaches only {name}'s own data.",
            assume_role_policy=_pod_identity_trust(),
            max_session_duration=3600,
            tags=self.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key = EncryptionKey(
            f"{name}-key",
            {
                "description": f"Data of service {name} ({env.name})",
                "alias": f"strata/{env.name}/{name}",
                "tags": self.tags,
                "user_arns": [self.role.arn],
                "caller_services": _caller_services(service),
                "service_principals": _service_principals(service),
                "lifecycle": lifecycle(env, service),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        context = ServiceContext(name, service, env, args["network"], self.key, self.tags)
        self.protect = is_protected(env, service)
        self.stores = build_stores(context, self)
        for store in self.stores:
            store.grant_read(self.role)
            store.grant_write(self.role)
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

    def grant_events(self, produces: Sequence[Topic],
                     consumes: Sequence[tuple[Topic, str]]) -> None:
        """Produce on the service's own topics and consume (as a group) the declared topics of
        others, as managed policies on its role. Consumption of each producer's topics is a
        group of its own, so no policy mixes the service's own topics with another's."""
        groups: dict[str, list[Grant]] = {}
        if produces:
            groups["produce"] = [topic.produce_grant() for topic in produces]
        for topic, group in consumes:
            producer = topic.pulumi_resource_name.split(".", 1)[0]
            groups.setdefault(f"consume-{producer}", []).append(topic.consume_grant(group))
        if groups:
            attach_grants(self, f"{self.service_name}-events", self.role, groups,
                          tags=self.tags, description=f"Kafka grants of {self.service_name}")


def _pod_identity_trust() -> str:
    """EKS Pod Identity assumes the role for the service account bound to it, nothing else."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "EksPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }]})


def _caller_services(service: Service) -> list[str]:
    """Services that use the owner's key on their caller's behalf (kms:ViaService): the ones
    each of the service's stores declares."""
    services: set[str] = set()
    for store in _store_classes(service):
        services |= set(store.KMS_CALLER_SERVICES)
    return sorted(services)


def _service_principals(service: Service) -> list[str]:
    """AWS services that use the owner's key as themselves (InfluxDB writing its log bucket)."""
    return sorted({p for store in _store_classes(service)
                   for p in getattr(store, "KMS_SERVICE_PRINCIPALS", ())})


def _store_classes(service: Service) -> list[Any]:
    classes: list[Any] = []
    if service.postgres is not None:
        classes.append(PostgresShardSet)
    if service.keyvalue:
        classes.append(KeyValueTable)
    if service.timeseries is not None:
        classes.append(InfluxDbInstance if service.timeseries.engine == "influxdb"
                       else LiveAnalyticsDatabase)
    return classes
