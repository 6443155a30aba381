"""Kafka sizing: brokers, storage per broker and replication, planned from declared load.

Pure (no Pulumi import) so it is unit-tested directly. The KafkaCluster component turns
`sizing_warnings` into `pulumi.log.warn` lines, so `strata synth` and `pulumi preview` print them.

Where the figures come from
---------------------------
- Partitions per broker (leaders + followers), `PARTITIONS_PER_BROKER`: AWS's "Best practices
  for Standard brokers", section "Right-size your cluster: Number of partitions per Standard
  broker", https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html
- Maximum provisioned storage throughput per broker, `MAX_STORAGE_THROUGHPUT_MIB_S`:
  https://docs.aws.amazon.com/msk/latest/developerguide/msk-provision-throughput-management.html
- Sustained ingress per broker, `INGRESS_MIB_S_PER_BROKER`: **assumptions**. AWS publishes no
  per-instance ingress table for Standard brokers (the best-practices page sends readers to a
  sizing spreadsheet and to performance testing); the figures below are conservative planning
  numbers for replication factor 3 with two consumer groups, roughly 40 % of the instance's
  EBS/network baseline. Replace them with your own load-test results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "INGRESS_MIB_S_PER_BROKER",
    "MAX_STORAGE_GIB",
    "PARTITIONS_PER_BROKER",
    "SizingProposal",
    "default_replication_factor",
    "min_insync_replicas",
    "propose",
    "sizing_warnings",
    "storage_gib_per_broker",
]

MAX_STORAGE_GIB = 16384
"""The largest EBS volume MSK attaches to a Standard broker."""

INGRESS_MIB_S_PER_BROKER: dict[str, float] = {
    # ASSUMPTIONS (see module docstring): sustained producer MiB/s one broker absorbs at RF 3.
    "kafka.t3.small": 5,        # burstable: CPU credits run out under sustained load
    "kafka.m5.large": 25,
    "kafka.m7g.large": 25,
    "kafka.m5.xlarge": 50,
    "kafka.m7g.xlarge": 50,
    "kafka.m5.2xlarge": 100,
    "kafka.m7g.2xlarge": 100,
    "kafka.m5.4xlarge": 200,
    "kafka.m7g.4xlarge": 200,
    "kafka.m5.8xlarge": 400,
    "kafka.m7g.8xlarge": 400,
    "kafka.m5.12xlarge": 600,
    "kafka.m7g.12xlarge": 600,
    "kafka.m5.16xlarge": 800,
    "kafka.m7g.16xlarge": 800,
    "kafka.m5.24xlarge": 1000,
}

PARTITIONS_PER_BROKER: dict[str, int] = {
    # AWS best practices: recommended partition replicas per Standard broker.
    "kafka.t3.small": 300,
    "kafka.m5.large": 1000,
    "kafka.m7g.large": 1000,
    "kafka.m5.xlarge": 1000,
    "kafka.m7g.xlarge": 1000,
    "kafka.m5.2xlarge": 2000,
    "kafka.m7g.2xlarge": 2000,
}
_PARTITIONS_LARGE = 4000
"""4xlarge and up."""


@dataclass(frozen=True)
class SizingProposal:
    brokers: int
    """A multiple of the AZ count, never fewer than one per AZ."""
    storage_gib_per_broker: int
    """Enough for the retention window at peak ingress, at the storage autoscaling target."""
    ingress_mib_s_per_broker: float
    """The planning figure used for the instance type."""


def default_replication_factor(production: bool, brokers: int) -> int:
    """3 in prod (capped by the broker count, so 2 for a 2-broker cluster), 2 elsewhere."""
    return max(1, min(3 if production else 2, brokers))


def min_insync_replicas(production: bool, replication_factor: int) -> int:
    """2 in prod so an acknowledged write survives a broker loss; always below the replication
    factor so one broker can restart (patching) without stopping producers."""
    if replication_factor <= 1:
        return 1
    return min(2 if production else 1, replication_factor - 1)


def partitions_per_broker(instance_type: str) -> int:
    return PARTITIONS_PER_BROKER.get(instance_type, _PARTITIONS_LARGE)


def storage_gib_per_broker(peak_ingress_mib_s: float, retention_hours: int, replication: int,
                           brokers: int, target_percent: int = 60) -> int:
    """Disk one broker needs to hold `retention_hours` of peak ingress, replicated, while
    staying at `target_percent` utilisation (where storage autoscaling aims)."""
    replicated_mib = peak_ingress_mib_s * 3600 * retention_hours * replication
    per_broker_gib = replicated_mib / 1024 / brokers
    return max(1, math.ceil(per_broker_gib * 100 / target_percent))


def propose(peak_ingress_mib_s: float, retention_hours: int, replication: int, azs: int,
            instance_type: str, target_percent: int = 60) -> SizingProposal:
    """Brokers and storage for the declared peak, tolerating the loss of one AZ."""
    per_broker = INGRESS_MIB_S_PER_BROKER.get(instance_type)
    if per_broker is None:
        raise ValueError(f"no throughput figure for {instance_type}; "
                         f"known: {', '.join(sorted(INGRESS_MIB_S_PER_BROKER))}")
    # With one AZ down, the remaining (azs-1)/azs of the brokers carry the whole load.
    surviving = (azs - 1) / azs if azs > 1 else 1.0
    needed = math.ceil(round(peak_ingress_mib_s / (per_broker * surviving), 6))  # float noise
    brokers = max(azs, math.ceil(needed / azs) * azs)
    storage = storage_gib_per_broker(peak_ingress_mib_s, retention_hours, replication,
                                     brokers, target_percent)
    return SizingProposal(brokers, storage, per_broker)


def sizing_warnings(*, instance_type: str, brokers: int, azs: int, storage_gib: int,
                    max_storage_gib: int, retention_hours: int, replication: int,
                    peak_ingress_mib_s: float | None = None, partition_replicas: int = 0,
                    target_percent: int = 60) -> list[str]:
    """Plain-language warnings when the configured cluster is below what the load needs."""
    warnings: list[str] = []
    if brokers % azs:
        warnings.append(f"{brokers} brokers do not spread evenly over {azs} AZs")
    limit = partitions_per_broker(instance_type) * brokers
    if partition_replicas > limit:
        warnings.append(f"{partition_replicas} partition replicas exceed the recommended "
                        f"{limit} for {brokers} x {instance_type} (AWS best practices)")
    if peak_ingress_mib_s is None:
        return warnings
    per_broker = INGRESS_MIB_S_PER_BROKER.get(instance_type)
    if per_broker is None:
        warnings.append(f"no throughput figure for {instance_type}: cannot check "
                        f"{peak_ingress_mib_s:g} MiB/s peak ingress")
        return warnings
    proposal = propose(peak_ingress_mib_s, retention_hours, replication, azs, instance_type,
                       target_percent)
    if proposal.brokers > brokers:
        warnings.append(f"peak ingress {peak_ingress_mib_s:g} MiB/s needs {proposal.brokers} "
                        f"x {instance_type} brokers to survive the loss of one AZ "
                        f"(planning figure {per_broker:g} MiB/s per broker); {brokers} configured")
    needed = storage_gib_per_broker(peak_ingress_mib_s, retention_hours, replication, brokers,
                                    target_percent)
    if needed > max_storage_gib:
        beyond = " (beyond MSK's 16 TiB per broker: add brokers or shorten retention)" \
            if needed > MAX_STORAGE_GIB else ""
        warnings.append(f"{retention_hours} h retention at a sustained "
                        f"{peak_ingress_mib_s:g} MiB/s x replication {replication} needs "
                        f"{needed} GiB per broker at {target_percent} % utilisation; "
                        f"storage autoscaling stops at "
                        f"{max_storage_gib} GiB{beyond}")
    elif needed > storage_gib:
        warnings.append(f"initial storage {storage_gib} GiB per broker is below the "
                        f"{needed} GiB the retention window needs at peak; autoscaling will "
                        f"grow it (up to {max_storage_gib} GiB), one step every 6 h at most")
    return warnings
