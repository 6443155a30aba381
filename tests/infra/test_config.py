"""Bad stack config is rejected with the key path, all problems at once, before any resource,
and the message teaches: the expected shape, the rule in words, the real file."""

from __future__ import annotations

import re

import pytest

from infra.config import catalog_from_raw
from infra.errors import CODES, ConfigError
from stacks.catalog import PATTERN_WORDS, Catalog
from tests.stacks._config_fixtures import DELETE, problems_of_raw, raw_with


def _render(raw) -> str:
    with pytest.raises(ConfigError) as caught:
        catalog_from_raw(raw, "Pulumi.dev.yaml")
    return caught.value.render()


BAD_CONFIGS = [
    # (case, edits, expected key path, expected fragment of the rendered text)
    ("unknown key with hint", [("services.orders.postgres.shard", 3)],
     "strata:services.orders.postgres.shard", "did you mean 'shards'"),
    ("snake_case key", [("network.nat_mode", "single")], "strata:network.nat_mode",
     "did you mean 'natMode'"),
    ("unknown section", [("servics", {})], "strata:servics", "did you mean 'services'"),
    ("too many shards", [("services.orders.postgres.shards", 65)],
     "strata:services.orders.postgres.shards", "allowed: 1..64"),
    ("zero shards", [("services.orders.postgres.shards", 0)],
     "strata:services.orders.postgres.shards", "allowed: 1..64"),
    ("cidr too wide", [("network.cidr", "10.0.0.0/8")], "strata:network.cidr", "/16../24"),
    ("cidr too small for the AZs", [("network.azCount", 6), ("network.cidr", "10.0.0.0/24"),
                                    ("kafka.mode", "serverless"), ("kafka.brokers", DELETE)],
     "strata:network.azCount", "below /28"),
    ("service name not DNS-safe", [("services.Orders_Svc", {"owner": "a-team",
                                                             "classification": "public"})],
     "strata:services.Orders_Svc", "2-32 lower-case letters"),
    ("bad classification", [("services.orders.classification", "secret")],
     "strata:services.orders.classification", "'restricted'"),
    ("missing owner", [("services.orders.owner", DELETE)], "strata:services.orders.owner",
     "required key is missing"),
    ("missing environment", [("environment", DELETE)], "strata:environment",
     "allowed: environment: {name, tier, owner, costCenter, protect?"),
    ("rds with serverless", [("services.orders.postgres.serverless", {"maxAcu": 4})],
     "strata:services.orders.postgres.engine", "Aurora"),
    ("provisioned without capacity",
     [("services.payments.keyvalue.payment-intents.billingMode", "provisioned")],
     "strata:services.payments.keyvalue.payment-intents.capacity", "capacity"),
    ("consumer of a missing topic", [("services.payments.consumes.0.topic", "orders.nope")],
     "strata:services.payments.consumes[0].topic", "no service produces 'orders.nope'"),
    ("the same topic consumed twice", [("services.payments.consumes.1",
                                        {"topic": "orders.order-events"})],
     "strata:services.payments.consumes[1].topic", "already consumed at consumes[0]"),
    ("parallelism above partitions", [("services.payments.consumes.0.parallelism", 7)],
     "strata:services.payments.consumes[0].parallelism", "6 partitions"),
    ("region partitioning without regions", [("services.inventory.postgres.regions", ["eu"])],
     "strata:services.inventory.postgres.regions", "geography per shard"),
    ("an attribute declared with two types",
     [("services.payments.keyvalue.payment-intents.globalIndexes.by-order.partitionKey",
       {"name": "tenantId", "type": "N"})],
     "strata:services.payments.keyvalue.payment-intents.globalIndexes.by-order.partitionKey"
     ".type", "is N here but S at services.payments.keyvalue.payment-intents.partitionKey"),
    ("the sort key repeats the partition key",
     [("services.payments.keyvalue.payment-intents.sortKey", {"name": "tenantId"})],
     "strata:services.payments.keyvalue.payment-intents.sortKey", "DynamoDB refuses it"),
]


@pytest.mark.parametrize(("edits", "path", "fragment"), [case[1:] for case in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_rejects_bad_config_naming_the_key(edits, path, fragment):
    text = _render(raw_with("dev", *edits))
    assert text.startswith("Pulumi.dev.yaml:")
    assert [line for line in text.splitlines() if f"{path}:" in line], text
    assert fragment in text, text


def test_reports_every_problem_at_once():
    raw = raw_with("dev", ("services.orders.postgres.shards", 99), ("network.cidr", "10.0.0.0/8"),
                   ("servces", {}))
    with pytest.raises(ConfigError) as caught:
        catalog_from_raw(raw, "Pulumi.dev.yaml")
    paths = {p.path for p in caught.value.problems}
    assert paths == {("servces",), ("network", "cidr"),
                     ("services", "orders", "postgres", "shards")}


def test_the_sample_stacks_are_valid():
    dev = catalog_from_raw(raw_with("dev"), "Pulumi.dev.yaml")
    assert not dev.environment.is_prod and dev.environment.backup_days == 7
    prod = catalog_from_raw(raw_with("prod"), "Pulumi.prod.yaml")
    assert prod.environment.protected and prod.environment.backup_days == 35
    kinds = {kind for s in dev.services.values() for kind, present in
             (("postgres", s.postgres), ("keyvalue", s.keyvalue), ("timeseries", s.timeseries))
             if present}
    assert kinds == {"postgres", "keyvalue", "timeseries"}


# --- messages that teach -------------------------------------------------------------------

SHAPES = [
    ("a string where a key attribute goes",
     ("services.payments.keyvalue.payment-intents.partitionKey", "tenantId"),
     "partitionKey: {name, type?}"),
    ("a string where a section goes", ("network", "10.0.0.0/16"),
     "network: {cidr?, azCount?, availabilityZones?, natMode?, acknowledgeReplacement?}"),
    ("a mapping where a list goes", ("services.orders.consumes", {"topic": "a.b"}),
     "a YAML list"),
    ("a missing required mapping", ("services.payments.keyvalue.payment-intents.partitionKey",
                                    DELETE), "partitionKey: {name, type?}"),
    ("a version as a number", ("cluster.kubernetesVersion", 1.3), "quote it"),
]


@pytest.mark.parametrize(("edit", "fragment"), [c[1:] for c in SHAPES],
                         ids=[c[0] for c in SHAPES])
def test_a_wrong_shape_names_the_expected_shape(edit, fragment):
    assert fragment in _render(raw_with("dev", edit))


PATTERNS = [
    ("services.orders.owner", "Team Checkout"),
    ("environment.costCenter", "-"),
    ("services.payments.consumes.0.topic", "orders"),
    ("services.payments.consumes.0.group", "Group!"),
    ("services.orders.postgres.engineVersion", "16.6"),
    ("services.orders.postgres.databaseName", "1app"),
    ("services.orders.produces.order-events.configs", {"Retention": "1"}),
    ("services.orders.workload.cpu", "4 cores"),
    ("services.orders.workload.memory", "8GB"),
    ("kafka.kafkaVersion", "latest"),
    ("cluster.adminRoleArn", "admin"),
    ("monitoring.alarmEmails", ["oncall"]),
    ("network.availabilityZones", ["a", "b"]),
]


@pytest.mark.parametrize(("path", "value"), PATTERNS, ids=[p for p, _ in PATTERNS])
def test_a_pattern_error_states_the_rule_in_words_never_the_regex(path, value):
    text = _render(raw_with("dev", (path, value)))
    assert not re.search(r"\^|\$|\\d|\[a-z|\{0,|pattern", text), text
    assert any(words in text for words in PATTERN_WORDS.values()), text


def test_every_pattern_of_the_catalog_has_words():
    schema = str(Catalog.model_json_schema())
    used = set(re.findall(r"'pattern': '((?:[^'\\]|\\.)*)'", schema))
    assert used, schema[:200]
    known = {words.encode("unicode_escape").decode() for words in PATTERN_WORDS} | \
        set(PATTERN_WORDS)
    assert used <= known, used - known


def test_a_secret_value_is_never_echoed():
    raw = raw_with("prod", ("monitoring.alarmHttpsEndpoints",
                            ["https://events.example.com/key-Zx81 with space"]))
    text = _render(raw)
    assert "Zx81" not in text and "[secret]" in text


def test_every_code_used_is_documented():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = "".join(p.read_text() for p in [*root.glob("stacks/*.py"), *root.glob("infra/*.py")])
    used = set(re.findall(r"STRATA-E\d{3}", source))
    assert used <= set(CODES), used - set(CODES)
    documented = (root / "docs" / "config.md").read_text()
    assert all(code in documented for code in CODES), [c for c in CODES if c not in documented]


def test_problems_name_their_code_and_rule():
    for problem in problems_of_raw(raw_with("prod", ("network.natMode", "single"))):
        assert problem.code in CODES and problem.allowed


def test_every_key_is_documented():
    import typing
    from pathlib import Path

    from pydantic import BaseModel

    from stacks.catalog import user_fields

    docs = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    missing, todo, seen = [], [Catalog], set()
    while todo:
        model = todo.pop()
        for name, field in user_fields(model):
            key = field.alias or name
            if f"`{key}`" not in docs:
                missing.append(f"{model.__name__}.{key}")
            stack = [field.annotation]
            while stack:
                tp = stack.pop()
                stack += typing.get_args(tp)
                if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
                    seen.add(tp)
                    todo.append(tp)
    assert not missing, missing
