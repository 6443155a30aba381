"""Pulumi entry point: load the stack config, build the platform, export its outputs."""

from __future__ import annotations

import pulumi

from infra.config import load_catalog
from infra.zones import availability_zones
from stacks.platform import Platform

catalog = load_catalog()
zones = availability_zones(catalog, f"Pulumi.{pulumi.get_stack()}.yaml")
platform = Platform("strata", {"catalog": catalog, "availability_zones": zones})
pulumi.export("availabilityZones", zones)
pulumi.export("vpcId", platform.network.vpc_id)
pulumi.export("dataCatalog", platform.data_catalog)
pulumi.export("eksClusterName", platform.cluster.name)
pulumi.export("kafkaBootstrapBrokers", platform.kafka.bootstrap_brokers)
