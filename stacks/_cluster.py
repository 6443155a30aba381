"""EKS wiring: the shared cluster, and each service's tenancy on it.

The deployer reaches the API through the route the stack file declares (deployer CIDRs or a
restricted public endpoint) and signs as the cluster's admin role. Each service gets a namespace
whose pods run, where the nodes support it, in a security group of their own, which only that
service's stores admit.
"""

from __future__ import annotations

import pulumi

from components.eks import EksCluster, EksClusterArgs, NodeAmi, UpgradePolicy
from components.network import Network
from components.tenancy import ClusterDns, ServiceTenancy, ServiceTenancyArgs
from stacks.catalog import Catalog
from stacks.conventions import Names, lifecycle
from stacks.service import ServiceData

__all__ = ["build_cluster", "build_tenancy"]


def build_cluster(catalog: Catalog, network: Network, key_arn: pulumi.Input[str],
                  tags: dict[str, str], opts: pulumi.ResourceOptions) -> EksCluster:
    env, spec = catalog.environment, catalog.cluster
    args: EksClusterArgs = {
        "cluster_name": Names(env.name).stack,
        "vpc_id": network.vpc_id,
        "subnet_ids": network.private_subnet_ids,
        "kms_key_arn": key_arn,
        "tags": tags,
        "kubernetes_version": spec.kubernetes_version,
        "log_retention_days": env.log_days,
        "auto_mode": spec.compute == "auto",
        "api_access": {"public_cidrs": spec.public_access_cidrs,
                       "deployer_cidrs": spec.deployer_cidrs},
        "lifecycle": lifecycle(env),
    }
    args.update(spec.given(upgrade_policy=UpgradePolicy))
    if spec.node_groups:
        args["node_groups"] = {name: {
            "instance_types": group.instance_types, "min_size": group.min_size,
            "max_size": group.max_size,
            **group.given("desired_size", "disk_gib", ami=NodeAmi),
        } for name, group in spec.node_groups.items()}
    if spec.admin_role_arn:
        args["admin_role_arn"] = spec.admin_role_arn
    return EksCluster("eks", args, opts=opts)


def build_tenancy(catalog: Catalog, name: str, data: ServiceData, cluster: EksCluster,
                  network: Network, opts: pulumi.ResourceOptions) -> ServiceTenancy:
    """The service's namespace, allowed to reach its own stores' ports and Kafka; and its
    stores admitting the security group its pods run in."""
    service = catalog.services[name]
    args: ServiceTenancyArgs = {
        "namespace": name,
        "labels": {"strata.io/owner": service.owner, "strata.io/service": name,
                   "strata.io/data-classification": service.classification},
        "tags": data.tags,
        "cluster_name": cluster.name,
        "kubernetes_version": catalog.cluster.kubernetes_version,
        "role_arn": data.role.arn,
        "quota": service.workload.model_dump(),  # type: ignore[typeddict-item]
        "vpc_cidr": catalog.network.cidr,
        "store_cidrs": network.isolated_cidrs,
        "store_ports": sorted({port for store in data.stores for port in store.ports}),
        "cluster_dns": ClusterDns.NODE_LOCAL if cluster.auto_mode else ClusterDns.COREDNS_PODS,
        "lifecycle": lifecycle(catalog.environment),
    }
    if service.produces or service.consumes:
        args["kafka_cidrs"] = network.private_cidrs
    if cluster.enforces_pod_security_groups:
        args["pod_security_group"] = {"vpc_id": network.vpc_id,
                                      "cluster_security_group_id": cluster.security_group_id}
    tenancy = ServiceTenancy(f"{name}-tenancy", args, opts=pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(providers=[cluster.provider])))
    if cluster.enforces_pod_security_groups:
        cluster.allow_from(name, tenancy.pod_security_group_id)
        data.admit_workloads(tenancy.pod_security_group_id)
    else:
        # Auto Mode and node types without branch ENIs: pods share their node's group, the
        # EKS cluster security group (the EKS component warns at synth). Narrower than the
        # private subnets (no MSK, Grafana or collector interfaces), but shared by every pod.
        data.admit_workloads(cluster.security_group_id)
    return tenancy
