from __future__ import annotations

import pytest

from components import _kafka_sizing as sizing


def test_replication_defaults_follow_tier_and_broker_count():
    assert sizing.default_replication_factor(True, 3) == 3
    assert sizing.default_replication_factor(True, 2) == 2
    assert sizing.default_replication_factor(False, 6) == 2
    assert sizing.default_replication_factor(False, 1) == 1


def test_min_insync_replicas_leaves_room_for_one_broker_restart():
    assert sizing.min_insync_replicas(True, 3) == 2
    assert sizing.min_insync_replicas(True, 2) == 1
    assert sizing.min_insync_replicas(False, 3) == 1


def test_storage_per_broker_holds_the_retention_window_at_target_utilisation():
    # 10 MiB/s x 24 h x RF 3 = 2,592,000 MiB = 2531.25 GiB over 3 brokers = 843.75 GiB, / 0.6
    assert sizing.storage_gib_per_broker(10, 24, 3, 3, 60) == 1407


def test_proposal_survives_the_loss_of_an_az_and_spreads_evenly():
    # 40 MiB/s on m7g.large (25 MiB/s planning figure), 3 AZs: 40 / (25 * 2/3) = 2.4 -> 3
    proposal = sizing.propose(40, 24, 3, 3, "kafka.m7g.large")
    assert proposal.brokers == 3
    assert proposal.ingress_mib_s_per_broker == 25
    # 100 MiB/s: 100 / 16.67 = 6 brokers, a multiple of 3
    assert sizing.propose(100, 24, 3, 3, "kafka.m7g.large").brokers == 6
    # 2 AZs: one AZ down leaves half: 30 / 12.5 = 2.4 -> 3 -> rounded to 4
    assert sizing.propose(30, 24, 2, 2, "kafka.m5.large").brokers == 4


def test_proposal_rejects_unknown_instance_types():
    with pytest.raises(ValueError, match="no throughput figure"):
        sizing.propose(1, 1, 1, 1, "kafka.x9.huge")


def test_warns_when_brokers_cannot_carry_the_peak():
    warnings = sizing.sizing_warnings(instance_type="kafka.t3.small", brokers=2, azs=2,
                                      storage_gib=100, max_storage_gib=10_000,
                                      retention_hours=1, replication=2, peak_ingress_mib_s=20)
    assert any("needs 8 x kafka.t3.small brokers" in w for w in warnings)


def test_warns_when_autoscaling_ceiling_is_below_the_retention_window():
    warnings = sizing.sizing_warnings(instance_type="kafka.m7g.large", brokers=3, azs=3,
                                      storage_gib=100, max_storage_gib=400, retention_hours=168,
                                      replication=3, peak_ingress_mib_s=1)
    assert warnings == ["168 h retention at a sustained 1 MiB/s x replication 3 needs 985 GiB "
                        "per broker at 60 % utilisation; storage autoscaling stops at 400 GiB"]


def test_warns_on_too_many_partition_replicas():
    warnings = sizing.sizing_warnings(instance_type="kafka.t3.small", brokers=2, azs=2,
                                      storage_gib=10, max_storage_gib=10, retention_hours=1,
                                      replication=2, partition_replicas=700)
    assert warnings == ["700 partition replicas exceed the recommended 600 for "
                        "2 x kafka.t3.small (AWS best practices)"]


def test_right_sized_cluster_has_no_warnings():
    assert sizing.sizing_warnings(instance_type="kafka.m7g.large", brokers=3, azs=3,
                                  storage_gib=2000, max_storage_gib=4000, retention_hours=24,
                                  replication=3, peak_ingress_mib_s=10,
                                  partition_replicas=300) == []
