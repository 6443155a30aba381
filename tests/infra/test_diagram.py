"""`strata diagram`: what the picture shows is read from the manifest the way the tests expect
from the stack files, renders with Graphviz, stays small at 50 services, and is deterministic.

Expected nodes and edges come from the stack files (`Pulumi.<stack>.yaml`), not from the code
under test, so a wrong reading of the manifest fails here.
"""

from __future__ import annotations

import copy
import gc
import importlib.util
import json
import random
import re
import shutil
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml

from infra.cli import main
from infra.diagram import INSTALL_HINT, GraphvizMissing, build_diagram, dot_source, render
from tests.conftest import ROOT, synthesized

IMAGES = ROOT / "docs" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DOT_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)"(?: \[(.*)\])?$', re.M)


def _services(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    services: dict[str, Any] = config["strata:services"]
    return services


def _config(stack: str, key: str) -> Any:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][key]


def _expected_topic_edges(services: dict[str, Any]) -> set[tuple[str, str, str]]:
    edges = {(f"workload/{name}", f"topic/{name}.{topic}", "produces")
             for name, spec in services.items() for topic in spec.get("produces", {})}
    edges |= {(f"topic/{c['topic']}", f"workload/{name}", "consumes")
              for name, spec in services.items() for c in spec.get("consumes", [])}
    return edges


def _topic_edges(diagram: Any) -> set[tuple[str, str, str]]:
    return {(e.tail, e.head, e.kind) for e in diagram.edges
            if e.kind in ("produces", "consumes")}


def _expected_node_count(services: dict[str, Any], platform_nodes: int) -> int:
    """Workload + key + one node per topic + one per store kind, per service."""
    per_service = sum(2 + len(s.get("produces", {}))
                      + sum(kind in s for kind in ("postgres", "keyvalue", "timeseries"))
                      for s in services.values())
    return per_service + platform_nodes


@pytest.fixture(scope="module")
def catalog50() -> tuple[dict[str, Any], dict[str, Any]]:
    """The benchmark's generated 50-service catalog on the dev environment, synthesized once."""
    from infra.synth import synthesize

    spec = importlib.util.spec_from_file_location("synth_scale",
                                                  ROOT / "benchmarks" / "synth_scale.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    services = bench.generated_stack(50)["config"]["strata:services"]
    # Cyclic GC over the SDK's graph of Outputs is about half of a synth this size: hold it off.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        manifest = synthesize("dev", ROOT, {"strata:services": json.dumps(services)})
    finally:
        gc.enable()
        gc.unfreeze()
    return services, manifest


# --- what the model shows ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_topics_have_exactly_the_stack_files_producers_and_consumers(stack):
    diagram = build_diagram(synthesized(stack))
    assert _topic_edges(diagram) == _expected_topic_edges(_services(stack))
    assert ("topic/orders.order-events", "workload/payments", "consumes") in _topic_edges(diagram)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_service_box_holds_its_stores_topics_and_key(stack):
    diagram = build_diagram(synthesized(stack))
    services = _services(stack)
    assert [box.title for box in diagram.services] == sorted(services)
    for box in diagram.services:
        spec = services[box.title]
        kinds = sorted(n.kind for n in box.nodes)
        stores = {"postgres": ["postgres"], "keyvalue": ["dynamodb"],
                  "timeseries": ["influxdb" if spec.get("timeseries", {}).get("engine")
                                 == "influxdb" else "liveanalytics"]}
        expected = ["key", "workload", *["topic"] * len(spec.get("produces", {})),
                    *(kind for key, value in stores.items() if key in spec for kind in value)]
        assert kinds == sorted(expected), box.title
        assert all(n.service == box.title for n in box.nodes)
        assert box.subtitle == f"{spec['owner']} · {spec['classification']}"
    assert diagram.topics == []  # every topic sits in its owner's box


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shard_sets_show_their_shard_count_and_the_owners_key(stack):
    diagram = build_diagram(synthesized(stack))
    for name, spec in _services(stack).items():
        if "postgres" not in spec:
            continue
        (shard_set,) = diagram.find("postgres", name)
        assert shard_set.fact("shards") == spec["postgres"]["shards"]
        assert shard_set.fact("engine") == spec["postgres"]["engine"]
        (key,) = diagram.targets(shard_set.id, "encrypted-by")
        assert diagram.node(key).service == name
        assert diagram.node(key).fact("aliases") == (f"alias/strata/{stack}/{name}",)


def test_prod_orders_owns_eight_aurora_shards_encrypted_by_the_orders_key():
    diagram = build_diagram(synthesized("prod"))
    (orders,) = diagram.find("postgres", "orders")
    assert (orders.fact("shards"), orders.fact("instances_per_shard")) == (8, 2)
    assert "8 shards · Aurora PostgreSQL" in orders.lines
    assert diagram.targets(orders.id, "encrypted-by") == ["key/orders-key-key"]
    (inventory_key,) = diagram.find("key", "inventory")
    assert sorted(diagram.sources(inventory_key.id, "encrypted-by")) == [
        "dynamodb/inventory", "postgres/inventory-postgres"]
    (influx,) = diagram.find("influxdb", "telemetry")
    assert diagram.targets(influx.id, "encrypted-by") == []
    assert "no customer-managed key" in influx.lines


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_platform_box_shows_network_cluster_kafka_and_monitoring(stack):
    manifest = synthesized(stack)
    diagram = build_diagram(manifest)
    network, kafka = _config(stack, "strata:network"), _config(stack, "strata:kafka")
    (vpc,) = diagram.find("network")
    assert vpc.fact("az_count") == network["azCount"]
    assert vpc.fact("nat_gateways") == (network["azCount"] if network["natMode"] == "per-az"
                                        else 1)
    (eks,) = diagram.find("kubernetes")
    cluster = _config(stack, "strata:cluster")
    assert eks.fact("auto_mode") == (cluster["compute"] == "auto")
    assert eks.fact("node_groups") == len(cluster.get("nodeGroups", {}))
    (msk,) = diagram.find("kafka")
    assert msk.fact("brokers") == kafka["brokers"]
    (alarms,) = diagram.find("alarms")
    assert alarms.fact("alarms") == sum(r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"
                                        for r in manifest["resources"])
    assert len(diagram.find("prometheus")) == len(diagram.find("grafana")) == 1
    (platform_key,) = [n for n in diagram.platform.nodes if n.kind == "key"]
    for node in (eks, msk, alarms):
        assert diagram.targets(node.id, "encrypted-by") == [platform_key.id]
    assert sorted(diagram.sources(vpc.id, "runs-in")) == sorted(
        [eks.id, msk.id, *(n.id for n in diagram.find("grafana"))])
    (prometheus,) = diagram.find("prometheus")
    assert sorted(diagram.targets(prometheus.id, "scrapes")) == sorted([eks.id, msk.id])


# --- the reading relies on grants, tags, parents and dependencies, nothing else -----------------


def _resource(manifest: dict[str, Any], name: str,
              type_: str = "aws:iam/policy:Policy") -> dict[str, Any]:
    (found,) = [r for r in manifest["resources"] if r["name"] == name and r["type"] == type_]
    return found


def test_produce_and_consume_are_told_apart_by_the_documents_actions():
    manifest = copy.deepcopy(synthesized("prod"))
    grant = _resource(manifest, "payments-grants-consume-0")
    grant["inputs"]["policy"] = grant["inputs"]["policy"].replace("kafka-cluster:ReadData",
                                                                  "kafka-cluster:WriteData")
    edges = _topic_edges(build_diagram(manifest))
    assert ("workload/payments", "topic/orders.order-events", "produces") in edges
    assert ("topic/orders.order-events", "workload/payments", "consumes") not in edges


def test_a_grant_whose_policy_does_not_depend_on_the_topic_is_not_drawn():
    manifest = copy.deepcopy(synthesized("prod"))
    grant = _resource(manifest, "telemetry-grants-consume-0")
    grant["propertyDependencies"]["policy"] = [
        u for u in grant["propertyDependencies"]["policy"] if "msk/topic:Topic" not in u]
    edges = _topic_edges(build_diagram(manifest))
    assert ("topic/payments.payment-events", "workload/telemetry", "consumes") not in edges
    assert ("topic/payments.payment-events", "workload/analytics", "consumes") in edges


def test_topics_without_a_resource_are_read_from_grant_arns():
    """MSK Serverless: no aws.msk.Topic exists; grants still name the topics by ARN."""
    manifest = copy.deepcopy(synthesized("dev"))
    topics = {r["urn"] for r in manifest["resources"] if r["type"] == "aws:msk/topic:Topic"}
    manifest["resources"] = [r for r in manifest["resources"] if r["urn"] not in topics]
    for r in manifest["resources"]:
        r["propertyDependencies"] = {k: [u for u in v if u not in topics]
                                     for k, v in r["propertyDependencies"].items()}
    diagram = build_diagram(manifest)
    assert _topic_edges(diagram) == _expected_topic_edges(_services("dev"))
    (events,) = diagram.find("topic", "orders")
    assert events.fact("managed") is False


def test_component_types_and_nesting_do_not_change_the_picture():
    """The refactor renames components and adds a Topic component above each topic."""
    original = synthesized("prod")
    text = json.dumps(original)
    for token in sorted({r["type"] for r in original["resources"] if not r["custom"]
                         and r["type"].startswith("strata:")}):
        text = text.replace(token, token.replace("strata:index:", "acme:blocks:") + "V2")
    renamed = json.loads(text)
    for topic in [r for r in renamed["resources"] if r["type"] == "aws:msk/topic:Topic"]:
        wrapper = {**topic, "urn": topic["urn"] + "-wrapper", "type": "acme:blocks:Topic",
                   "custom": False, "inputs": {}, "dependencies": [],
                   "propertyDependencies": {}}
        renamed["resources"].append(wrapper)
        topic["parent"] = wrapper["urn"]
    assert dot_source(build_diagram(renamed)) == dot_source(build_diagram(original))


def test_dot_text_is_deterministic_whatever_the_manifest_order():
    manifest = copy.deepcopy(synthesized("prod"))
    first = dot_source(build_diagram(manifest))
    random.Random(7).shuffle(manifest["resources"])
    assert dot_source(build_diagram(manifest)) == first
    assert dot_source(build_diagram(synthesized("prod"))) == first


def test_dot_text_declares_every_model_node_and_edge():
    diagram = build_diagram(synthesized("prod"))
    source = dot_source(diagram)
    drawn = {(t, h) for t, h, attrs in DOT_EDGE.findall(source) if "invis" not in (attrs or "")}
    assert drawn == {(e.tail, e.head) for e in diagram.edges}
    for node in diagram.nodes:
        assert re.search(rf'^\s*"{re.escape(node.id)}" \[label=', source, re.M), node.id
    assert len(re.findall(r'subgraph "?cluster_', source)) == len(diagram.services) + 1


# --- rendering ---------------------------------------------------------------------------------


def _needs_dot() -> None:
    assert shutil.which("dot"), INSTALL_HINT  # a missing Graphviz fails, never skips


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_renders_svg_and_png(stack):
    _needs_dot()
    diagram = build_diagram(synthesized(stack))
    source = dot_source(diagram)
    svg = ET.fromstring(render(source, "svg"))
    titles = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")}
    assert {n.id for n in diagram.nodes} <= titles
    png = render(source, "png")
    assert png.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 1000 and height > 500 and len(png) > 50_000


def test_fifty_services_stay_a_few_nodes_each_and_render_as_a_grid(catalog50):
    _needs_dot()
    services, manifest = catalog50
    diagram = build_diagram(manifest)
    assert len(diagram.services) == 50
    assert len(diagram.nodes) == _expected_node_count(services, len(diagram.platform.nodes))
    assert len(diagram.nodes) <= 5 * 50 + 10 < len(manifest["resources"]) / 8
    assert _topic_edges(diagram) == _expected_topic_edges(services)
    source = dot_source(diagram)
    assert "rank=same" in source
    svg = ET.fromstring(render(source, "svg"))
    width, height = (float(svg.attrib[k].removesuffix("pt")) for k in ("width", "height"))
    assert 0.5 < width / height < 2, (width, height)  # a poster, not a 50-box strip


def test_render_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        render("digraph { a }", "svg")


# --- command line ------------------------------------------------------------------------------


@pytest.fixture
def cached_synth(monkeypatch):
    """The CLI synthesizes; reuse the process's cached manifests to keep the tests fast."""
    import infra.synth

    dev = synthesized("dev")  # before patching: `synthesized` itself calls synthesize
    monkeypatch.setattr(infra.synth, "synthesize", lambda stack: {"dev": dev}[stack])


def test_cli_writes_svg_png_and_dot(cached_synth, tmp_path):
    _needs_dot()
    assert main(["diagram", "dev", "--out", str(tmp_path / "dev.png")]) == 0
    assert (tmp_path / "dev.png").read_bytes().startswith(PNG_SIGNATURE)
    assert main(["diagram", "dev", "--format", "svg", "--out", str(tmp_path / "d")]) == 0
    assert ET.fromstring((tmp_path / "d").read_bytes()).tag.endswith("svg")
    assert main(["diagram", "dev", "--out", str(tmp_path / "dev.dot")]) == 0
    assert (tmp_path / "dev.dot").read_text() == dot_source(build_diagram(synthesized("dev")))


def test_cli_without_graphviz_exits_2_unless_asked_for_dot(cached_synth, monkeypatch, tmp_path,
                                                           capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["diagram", "dev", "--out", str(tmp_path / "x.svg")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
    assert main(["diagram", "dev", "--format", "dot", "--out", str(tmp_path / "x.dot")]) == 0


def test_cli_rejects_a_format_that_contradicts_the_file_name(tmp_path, capsys):
    assert main(["diagram", "dev", "--format", "png", "--out", str(tmp_path / "x.svg")]) == 2
    assert "does not match" in capsys.readouterr().err


def test_cli_reports_an_unknown_stack_without_a_traceback(capsys):
    assert main(["diagram", "nosuchstack", "--format", "dot"]) == 2
    assert "nosuchstack" in capsys.readouterr().err


# --- the committed README picture --------------------------------------------------------------


def test_committed_prod_picture_is_current():
    """DOT text is compared (rendered bytes differ between Graphviz versions); the SVG must
    draw the same nodes. Refresh: see docs/diagram.md."""
    expected = dot_source(build_diagram(synthesized("prod")))
    committed = (IMAGES / "prod.dot").read_text()
    assert committed == expected, ("docs/images/prod.dot is stale: run `strata diagram prod "
                                   "--out docs/images/prod.dot` (and .svg, .png)")
    nodes = {m for m in re.findall(r'^\s*"([^"]+)" \[label=', expected, re.M)}
    svg = ET.fromstring((IMAGES / "prod.svg").read_bytes())
    titles = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")}
    assert nodes <= titles, "docs/images/prod.svg is stale: refresh it with prod.dot"
    assert (IMAGES / "prod.png").read_bytes().startswith(PNG_SIGNATURE)
