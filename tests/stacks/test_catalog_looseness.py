"""Values that used to slip through a loose check are refused: booleans and text as numbers,
non-finite numbers, non-RFC 1918 VPC ranges, instance types a service does not offer,
retention without a bound; upper-case e-mail addresses are accepted (issue 9, "looseness")."""

from __future__ import annotations

import pytest

from tests.stacks._config_fixtures import find, problems_of_raw, raw_with

ORDERS_PG = "services.orders.postgres"
INVENTORY_PG = "services.inventory.postgres"
TOPIC = "services.orders.produces.order-events"
LIVE_ANALYTICS = ("services.analytics.timeseries", {"engine": "liveanalytics", "tables": {
    "order-metrics": {"memoryRetentionHours": 24, "magneticRetentionDays": 90}}})

REFUSED = [
    # (case, stack, edits, key path, code, fragment of message or allowed)
    ("a boolean as a shard count", "dev", [(f"{ORDERS_PG}.shards", True)],
     ("services", "orders", "postgres", "shards"), "STRATA-E002", "true/false is not a number"),
    ("a boolean as partitions", "dev", [(f"{TOPIC}.partitions", False)],
     ("services", "orders", "produces", "order-events", "partitions"), "STRATA-E002",
     "whole number"),
    ("a boolean as a float", "dev", [("kafka.peakIngressMibPerS", True)],
     ("kafka", "peakIngressMibPerS"), "STRATA-E002", "expected a number"),
    ("a number as text", "dev", [(f"{ORDERS_PG}.shards", "3")],
     ("services", "orders", "postgres", "shards"), "STRATA-E002", "a number without quotes"),
    ("a fractional shard count", "dev", [(f"{ORDERS_PG}.shards", 2.5)],
     ("services", "orders", "postgres", "shards"), "STRATA-E002", "whole number"),
    ("text as a boolean", "dev", [("services.payments.keyvalue.payment-intents.stream", "yes")],
     ("services", "payments", "keyvalue", "payment-intents", "stream"), "STRATA-E002",
     "true or false"),
    ("infinite ingress", "dev", [("kafka.peakIngressMibPerS", float("inf"))],
     ("kafka", "peakIngressMibPerS"), "STRATA-E002", "finite"),
    ("NaN ingress", "dev", [("kafka.peakIngressMibPerS", float("nan"))],
     ("kafka", "peakIngressMibPerS"), "STRATA-E002", "finite"),
    ("NaN capacity", "dev", [(f"{INVENTORY_PG}.serverless.maxAcu", float("nan"))],
     ("services", "inventory", "postgres", "serverless", "maxAcu"), "STRATA-E002", "finite"),
    ("capacity off the 0.5 ACU steps", "dev", [(f"{INVENTORY_PG}.serverless.maxAcu", 2.3)],
     ("services", "inventory", "postgres", "serverless", "maxAcu"), "STRATA-E002",
     "steps of 0.5"),
    ("a loopback VPC", "dev", [("network.cidr", "127.0.0.0/16")], ("network", "cidr"),
     "STRATA-E002", "RFC 1918"),
    ("a link-local VPC", "dev", [("network.cidr", "169.254.0.0/16")], ("network", "cidr"),
     "STRATA-E002", "RFC 1918"),
    ("a multicast VPC", "dev", [("network.cidr", "224.0.0.0/16")], ("network", "cidr"),
     "STRATA-E002", "RFC 1918"),
    ("a CGNAT VPC", "dev", [("network.cidr", "100.64.0.0/16")], ("network", "cidr"),
     "STRATA-E002", "RFC 1918"),
    ("a public VPC", "dev", [("network.cidr", "8.8.0.0/16")], ("network", "cidr"),
     "STRATA-E002", "RFC 1918"),
    ("a documentation-range VPC", "dev", [("network.cidr", "198.18.0.0/16")],
     ("network", "cidr"), "STRATA-E002", "RFC 1918"),
    ("a misspelt node type", "dev", [("cluster.nodeGroups.general.instanceTypes", ["t4g.lage"])],
     ("cluster", "nodeGroups", "general", "instanceTypes", 0), "STRATA-E108",
     "did you mean 't4g.large'"),
    ("a node type EC2 does not have", "dev",
     [("cluster.nodeGroups.general.instanceTypes", ["t4g.galactic"])],
     ("cluster", "nodeGroups", "general", "instanceTypes", 0), "STRATA-E108", "EC2 model"),
    ("an InfluxDB size that does not exist", "dev",
     [("services.telemetry.timeseries.instanceType", "db.influx.small")],
     ("services", "telemetry", "timeseries", "instanceType"), "STRATA-E108",
     "timestream-influxdb"),
    ("an RDS class that does not exist", "dev", [(f"{ORDERS_PG}.instanceClass", "db.t4g.mega")],
     ("services", "orders", "postgres", "instanceClass"), "STRATA-E108",
     "Concepts.DBInstanceClass.Support"),
    ("an RDS class Aurora does not offer", "prod",
     [(f"{ORDERS_PG}.instanceClass", "db.m7g.large")],
     ("services", "orders", "postgres", "instanceClass"), "STRATA-E108",
     "Aurora PostgreSQL instance class"),
    ("a burstable size too small for Aurora", "prod",
     [(f"{ORDERS_PG}.instanceClass", "db.t4g.micro")],
     ("services", "orders", "postgres", "instanceClass"), "STRATA-E108", "SupportAurora"),
    ("Serverless v2 as an instance class", "prod",
     [(f"{ORDERS_PG}.instanceClass", "db.serverless")],
     ("services", "orders", "postgres", "instanceClass"), "STRATA-E102",
     "serverless: {minAcu, maxAcu}"),
    ("a broker size MSK does not have", "dev", [("kafka.instanceType", "kafka.m7g.medium")],
     ("kafka", "instanceType"), "STRATA-E108", "MSK Standard broker size"),
    ("an Express broker", "dev", [("kafka.instanceType", "express.m7g.large")],
     ("kafka", "instanceType"), "STRATA-E108", "broker-instance-sizes"),
    ("storage-sizing retention past ten years", "dev", [("kafka.retentionHours", 10**9)],
     ("kafka", "retentionHours"), "STRATA-E002", "1..87600"),
    ("topic retention past ten years", "dev", [(f"{TOPIC}.retentionHours", 87_601)],
     ("services", "orders", "produces", "order-events", "retentionHours"), "STRATA-E002",
     "1..87600"),
    ("memory store past a year", "dev",
     [LIVE_ANALYTICS,
      ("services.analytics.timeseries.tables.order-metrics.memoryRetentionHours", 8767)],
     ("services", "analytics", "timeseries", "tables", "order-metrics",
      "memoryRetentionHours"), "STRATA-E002", "1..8766"),
    ("a lag threshold past Kafka's 64-bit offsets", "dev",
     [("services.payments.consumes.0.maxLagMessages", 2**64)],
     ("services", "payments", "consumes", 0, "maxLagMessages"), "STRATA-E002", "1.."),
    ("autoscaling capacity past 32 bits", "dev",
     [("services.inventory.keyvalue.reservations.capacity.readMax", 2**31)],
     ("services", "inventory", "keyvalue", "reservations", "capacity", "readMax"),
     "STRATA-E002", "2147483647"),
    ("more tables than a role's grants can hold", "dev",
     [("services.payments.keyvalue", {f"t{i}": {"partitionKey": {"name": "id"}}
                                      for i in range(11)})],
     ("services", "payments", "keyvalue"), "STRATA-E002", "has 11 items | at most 10"),
    ("more subscriptions than a role's grants can hold", "dev",
     [("services.payments.consumes", [{"topic": "orders.order-events"}] * 11)],
     ("services", "payments", "consumes"), "STRATA-E002", "at most 10"),
    ("the same address twice in different case", "dev",
     [("monitoring.alarmEmails", ["Oncall@Example.com", "oncall@example.COM"])],
     ("monitoring", "alarmEmails", 1), "STRATA-E002", "without case"),
]


@pytest.mark.parametrize(("stack", "edits", "path", "code", "fragment"),
                         [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refuses_loose_values(stack, edits, path, code, fragment):
    find(problems_of_raw(raw_with(stack, *edits)), path, code, fragment)


ACCEPTED = [
    ("an upper-case e-mail address", "prod",
     [("monitoring.alarmEmails", ["Platform-OnCall@Example.COM"])]),
    ("each RFC 1918 block", "dev", [("network.cidr", "172.16.0.0/16")]),
    ("a /24 of 192.168", "dev", [("network.cidr", "192.168.10.0/24"), ("network.azCount", 2)]),
    ("an Aurora Graviton4 class", "prod", [(f"{ORDERS_PG}.instanceClass", "db.r8g.2xlarge")]),
    ("an RDS general-purpose class", "dev", [(f"{ORDERS_PG}.instanceClass", "db.m7g.large")]),
    ("a whole number as a float", "dev", [(f"{INVENTORY_PG}.serverless.maxAcu", 3)]),
    ("x86 node types", "dev", [("cluster.nodeGroups.general.instanceTypes",
                                ["m7i.large", "c7i.xlarge"])]),
    ("retention at the bound", "dev", [("kafka.retentionHours", 87_600)]),
    ("liveanalytics for accounts that have it", "prod", [LIVE_ANALYTICS]),
]


@pytest.mark.parametrize(("stack", "edits"), [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepts_the_strict_neighbours(stack, edits):
    assert problems_of_raw(raw_with(stack, *edits)) == []
