"""Pulumi entry point: load the stack config, build the platform, export its outputs."""

from __future__ import annotations

import pulumi

from infra.config import load_catalog
from stacks.platform import Platform

platform = Platform("strata", {"catalog": load_catalog()})
pulumi.export("vpcId", platform.network.vpc_id)
pulumi.export("dataCatalog", platform.data_catalog)
pulumi.export("eksClusterName", platform.cluster.name)
pulumi.export("kafkaBootstrapBrokers", platform.kafka.bootstrap_brokers)
