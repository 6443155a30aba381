"""What `strata synth` tells a person: per service what it owns and what its role may use, and
progress while a long synth runs."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from infra._progress import Progress
from infra.manifest import manifest_problems
from infra.synth import summary, synthesize
from tests.conftest import synthesized
from tests.infra._renamed import renamed_components
from tests.infra.test_cli import _project


def _block(text: str, service: str) -> list[str]:
    """The lines of one service's block in the summary."""
    lines = text.splitlines()
    start = lines.index(f"  {service}")
    end = next((i for i in range(start + 1, len(lines))
                if not lines[i].startswith("    ")), len(lines))
    return [line.strip() for line in lines[start + 1:end]]


def _row(block: list[str], label: str) -> str:
    """The actions of the row whose target label is `label`."""
    rows = [line for line in block if line.split("  ")[0] == label]
    assert len(rows) == 1, (label, block)
    return rows[0][len(label):].strip()


@pytest.fixture(scope="module")
def dev_summary() -> str:
    return summary(synthesized("dev"))


def test_service_lists_what_it_owns(dev_summary: str) -> None:
    orders = _block(dev_summary, "orders")
    assert orders[0] == "owns"
    assert "key    orders-key-key             kms/key, alias/strata/dev/orders" in orders
    assert "store  orders-postgres-shard-0    rds/instance" in orders
    assert "topic  orders.order-events-topic  msk/topic" in orders
    assert not any("payments" in line for line in orders[:orders.index(
        "may use (role orders-role)")])


def test_service_lists_what_its_role_may_use_per_target(dev_summary: str) -> None:
    orders, payments = _block(dev_summary, "orders"), _block(dev_summary, "payments")
    assert _row(orders, "orders.order-events-topic") == "kafka-cluster: DescribeTopic, WriteData"
    assert _row(orders, "orders-postgres-shard-1") == "rds-db: connect"
    # Idempotent writes are authorised on the cluster, not the topic.
    assert _row(orders, "kafka-cluster [platform]") == \
        "kafka-cluster: Connect, DescribeCluster, WriteDataIdempotently"
    # A consumer reads another service's topic: labelled with its owner, read-only.
    assert _row(payments, "orders.order-events-topic [orders]") == \
        "kafka-cluster: DescribeTopic, ReadData"
    assert _row(payments, "group payments") == "kafka-cluster: AlterGroup, DescribeGroup"
    assert _row(payments, "payments-key-key").startswith("kms: Decrypt, DescribeKey, Encrypt")


def test_managed_policies_and_wildcards_are_named(dev_summary: str) -> None:
    platform = _block(dev_summary, "platform")
    assert "may use (role eks-cluster-role)" in platform
    assert _row(platform, "policy AmazonEKSClusterPolicy (AWS managed)") == \
        "its actions (not listed offline)"
    assert _row(platform, "* (every resource)").startswith("cloudwatch: DescribeAlarmHistory")


def test_a_widened_grant_shows_up(dev_summary: str) -> None:
    manifest = copy.deepcopy(synthesized("dev"))
    grant = next(r for r in manifest["resources"]
                 if r["name"] == "payments-grants-own-0"
                 and r["type"] == "aws:iam/policy:Policy")
    document = json.loads(grant["inputs"]["policy"])
    document["Statement"].append({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    grant["inputs"]["policy"] = json.dumps(document)
    assert "* (every resource)" not in "\n".join(_block(dev_summary, "payments"))
    assert _row(_block(summary(manifest), "payments"), "* (every resource)") == "dynamodb: *"


def test_summary_does_not_depend_on_component_names_or_types(dev_summary: str) -> None:
    refactored = renamed_components(synthesized("dev"))
    assert manifest_problems(refactored) == []
    assert not any(r["type"].startswith("strata:") for r in refactored["resources"])
    services = dev_summary.split("\nby component:")[0]
    assert summary(refactored).split("\nby component:")[0] == services


def test_counts_stay_beside_the_services(dev_summary: str) -> None:
    manifest = synthesized("dev")
    custom = [r for r in manifest["resources"] if r["custom"]]
    assert f"{len(custom)} custom" in dev_summary.splitlines()[0]
    tables = sum(r["type"] == "aws:dynamodb/table:Table" for r in custom)
    assert f"  {tables:5d}  aws:dynamodb/table:Table" in dev_summary


class _Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_progress_prints_a_line_every_interval_then_the_total() -> None:
    stream = io.StringIO()
    progress = Progress("strata synth dev", enabled=True, stream=stream, interval_seconds=2,
                        clock=_Clock(0.0, 0.5, 2.1, 2.2, 4.5, 5.0))
    for count in (1, 2, 3, 4):
        progress(count)
    progress.done()
    assert stream.getvalue().splitlines() == [
        "strata synth dev: 2 resources registered (2 s)",
        "strata synth dev: 4 resources registered (4 s)",
        "strata synth dev: 4 resources registered in 5.0 s"]


def test_progress_is_quiet_off_a_terminal_unless_asked() -> None:
    stream = io.StringIO()  # not a terminal
    quiet = Progress("x", stream=stream, interval_seconds=0)
    quiet(1)
    quiet.done()
    assert stream.getvalue() == ""
    asked = Progress("x", stream=stream, interval_seconds=0, enabled=True)
    asked(1)
    assert stream.getvalue() == "x: 1 resources registered (0 s)\n"


def test_synth_reports_every_registration(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", "import pulumi_aws as aws\n\nfor i in range(5):\n"
                       "    aws.sns.Topic(f't{i}')\n", pack=False)
    counts: list[int] = []
    manifest: dict[str, Any] = synthesize("dev", project, progress=counts.append)
    assert counts == list(range(1, len(manifest["resources"]) + 1))
    assert len(manifest["resources"]) == 6  # the stack and five topics
