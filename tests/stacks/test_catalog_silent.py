"""Config that used to be accepted silently and would deploy something dangerous is refused,
with the key path of every side (issue 9, "silent acceptance")."""

from __future__ import annotations

import pytest

from tests.stacks._config_fixtures import DELETE, find, problems_of_raw, raw_with

TOPIC = "services|orders|produces|order-events"

REFUSED = [
    # (case, stack, edits, expected key path, code, fragment of message or allowed)
    ("group is another service's name", "dev",
     [("services.payments.consumes.0.group", "inventory")],
     ("services", "payments", "consumes", 0, "group"), "STRATA-E104", "service inventory's name"),
    ("group used by two services (this side)", "dev",
     [("services.payments.consumes.0.group", "inventory-reservations")],
     ("services", "payments", "consumes", 0, "group"), "STRATA-E104",
     "also used by strata:services.inventory.consumes[0]"),
    ("group used by two services (the other side)", "dev",
     [("services.payments.consumes.0.group", "inventory-reservations")],
     ("services", "inventory", "consumes", 0, "group"), "STRATA-E104",
     "also used by strata:services.payments.consumes[0]"),
    ("another service takes a default group (the default side)", "prod",
     [("services.analytics.consumes.1.group", "telemetry")],
     ("services", "telemetry", "consumes", 0, "group"), "STRATA-E104",
     "(the default: the service's name) is also used by"),
    ("another service takes a default group (the explicit side)", "prod",
     [("services.analytics.consumes.1.group", "telemetry")],
     ("services", "analytics", "consumes", 1, "group"), "STRATA-E104",
     "service telemetry's name"),
    ("prod with a single NAT gateway", "prod", [("network.natMode", "single")],
     ("network", "natMode"), "STRATA-E101", "per-az"),
    ("prod with burstable brokers", "prod", [("kafka.instanceType", "kafka.t3.small")],
     ("kafka", "instanceType"), "STRATA-E101", "burstable"),
    ("prod alarms notify nobody", "prod", [("monitoring", {})],
     ("monitoring", "alarmEmails"), "STRATA-E101", "notify nobody"),
    ("prod min.insync.replicas 1 through configs", "prod",
     [(f"{TOPIC}|configs|min.insync.replicas", "1")],
     ("services", "orders", "produces", "order-events", "configs", "min.insync.replicas"),
     "STRATA-E101", "losing it loses the write"),
    ("retention.ms contradicting retentionHours (dev)", "dev",
     [(f"{TOPIC}|configs|retention.ms", "86400000")],
     ("services", "orders", "produces", "order-events", "configs", "retention.ms"),
     "STRATA-E104", "silently override retentionHours"),
    ("cleanup.policy contradicting cleanupPolicy (prod)", "prod",
     [(f"{TOPIC}|configs|cleanup.policy", "compact")],
     ("services", "orders", "produces", "order-events", "configs", "cleanup.policy"),
     "STRATA-E104", "cleanupPolicy"),
    ("min.insync.replicas above the replication", "dev",
     [(f"{TOPIC}|configs|min.insync.replicas", "3")],
     ("services", "orders", "produces", "order-events", "configs", "min.insync.replicas"),
     "STRATA-E104", "1..2"),
    ("min.insync.replicas not a number", "dev",
     [(f"{TOPIC}|configs|min.insync.replicas", "two")],
     ("services", "orders", "produces", "order-events", "configs", "min.insync.replicas"),
     "STRATA-E104", "not a whole number"),
]


@pytest.mark.parametrize(("stack", "edits", "path", "code", "fragment"),
                         [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refuses_silently_dangerous_config(stack, edits, path, code, fragment):
    assert problems_of_raw(raw_with(stack)) == []  # the mutation alone is refused
    problem = find(problems_of_raw(raw_with(stack, *edits)), path, code)
    assert fragment in f"{problem.message} {problem.allowed}"


ACCEPTED = [
    ("prod with e-mail only", "prod", [("monitoring.alarmHttpsEndpoints", DELETE)]),
    ("prod with an HTTPS endpoint only", "prod", [("monitoring.alarmEmails", DELETE)]),
    ("dev with no alarm destination", "dev", [("monitoring", {})]),
    ("dev with a single NAT and burstable brokers", "dev", []),
    ("dev with min.insync.replicas 1", "dev", [(f"{TOPIC}|configs|min.insync.replicas", "1")]),
    ("prod with min.insync.replicas 2", "prod",
     [(f"{TOPIC}|configs|min.insync.replicas", "2")]),
    ("a group named after its own service", "dev",
     [("services.payments.consumes.0.group", "payments-orders")]),
    ("one group of one service reading two topics", "prod",
     [("services.analytics.consumes.0.group", "analytics-all"),
      ("services.analytics.consumes.1.group", "analytics-all")]),
]


@pytest.mark.parametrize(("stack", "edits"), [case[1:] for case in ACCEPTED],
                         ids=[case[0] for case in ACCEPTED])
def test_accepts_the_safe_neighbours(stack, edits):
    assert problems_of_raw(raw_with(stack, *edits)) == []
