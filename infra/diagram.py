"""`strata diagram STACK`: the environment as a picture, drawn from the synthesized manifest.

Each service is a box holding what it owns (workload, stores, topics, key), edges run from
producers to topics to consumers and from stores to keys, and the shared platform is one box.
The DOT text is a pure function of the manifest (same input, same text); Graphviz's `dot`
turns it into SVG or PNG.
"""

from __future__ import annotations

import itertools
import math
import shutil
import sys
from html import escape
from pathlib import Path

import graphviz

from infra._diagram_model import Box, Diagram, Edge, Node
from infra._diagram_read import build_diagram

__all__ = ["FORMATS", "INSTALL_HINT", "GraphvizMissing", "build_diagram", "dot_source",
           "render", "run_diagram"]

FORMATS = ("svg", "png", "dot")
INSTALL_HINT = ("Graphviz's `dot` program is needed to render SVG or PNG: install "
                "Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`, macOS: `brew install "
                "graphviz`; `./dev` installs it when run as root), or write DOT text with "
                "--format dot")
FLOW_MAX_SERVICES = 12
"""Up to this many services the picture follows the data flow left to right; beyond, services
are laid out as a grid of boxes with the consumer edges drawn over it."""
FONT = "Helvetica,Arial,sans-serif"

# Fill and border per node kind: AWS-console-like hues, one per category of thing.
STYLE: dict[str, tuple[str, str]] = {
    "workload": ("#ffffff", "#404040"),
    "postgres": ("#dae8fc", "#6c8ebf"),
    "dynamodb": ("#e1d5e7", "#9673a6"),
    "influxdb": ("#d5e8d4", "#82b366"),
    "liveanalytics": ("#d5e8d4", "#82b366"),
    "key": ("#fff2cc", "#d6b656"),
    "topic": ("#ffe6cc", "#d79b00"),
    "network": ("#f5f5f5", "#666666"),
    "kubernetes": ("#f5f5f5", "#666666"),
    "kafka": ("#f5f5f5", "#666666"),
    "alarms": ("#f8cecc", "#b85450"),
    "prometheus": ("#f5f5f5", "#666666"),
    "grafana": ("#f5f5f5", "#666666"),
}
EDGE_STYLE: dict[str, dict[str, str]] = {
    "produces": {"color": "#d79b00", "penwidth": "1.8"},
    "consumes": {"color": "#2f6db5", "penwidth": "1.8"},
    "encrypted-by": {"color": "#b8961e", "style": "dashed", "arrowsize": "0.7"},
    "runs-in": {"color": "#888888", "style": "dotted", "label": "runs in"},
    "scrapes": {"color": "#888888", "style": "dotted", "label": "scrapes"},
    "queries": {"color": "#888888", "style": "dotted", "label": "queries"},
}
LEGEND_NODES = (("workload", "service workload (EKS namespace, IAM role)"),
                ("postgres", "PostgreSQL shard set (one node per set)"),
                ("dynamodb", "DynamoDB tables of a service"),
                ("influxdb", "Timestream (InfluxDB / LiveAnalytics)"),
                ("key", "KMS key"), ("topic", "Kafka topic on MSK"),
                ("alarms", "alarm notifications"))
LEGEND_EDGES = (("produces", "produces to the topic (owner or produce grant)"),
                ("consumes", "consumes (consume grant on the topic)"),
                ("encrypted-by", "encrypted with the key"),
                ("runs-in", "platform: runs in, scrapes, queries"))


class GraphvizMissing(RuntimeError):
    """`dot` is not installed: only DOT text can be written."""


def dot_source(diagram: Diagram) -> str:
    """The DOT text of the picture: a pure function of the model."""
    graph = graphviz.Digraph(
        f"strata_{diagram.stack}",
        graph_attr={"rankdir": "LR", "newrank": "true", "fontname": FONT,
                    "fontsize": "16", "labelloc": "t", "labeljust": "l", "nodesep": "0.5",
                    "ranksep": "0.7", "pad": "0.3",
                    "label": f"<<b>strata · {escape(diagram.stack)}</b>>"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT,
                   "fontsize": "10", "margin": "0.12,0.06"},
        edge_attr={"fontname": FONT, "fontsize": "9", "fontcolor": "#666666"})
    _box(graph, diagram.platform, fill="#eef2f7")
    for box in diagram.services:
        _box(graph, box, fill="#fafafa")
        _layout_edges(graph, box, diagram.edges)
    for topic in diagram.topics:
        _node(graph, topic)
    grid = len(diagram.services) > FLOW_MAX_SERVICES
    if grid:
        _grid(graph, diagram.services)
    for edge in diagram.edges:
        # In a grid, consumer edges are drawn over the layout rather than shaping it.
        loose = {"constraint": "false"} if grid and edge.kind == "consumes" else {}
        graph.edge(edge.tail, edge.head, **EDGE_STYLE[edge.kind], **loose)
    _legend(graph, diagram.platform.nodes[-1].id if diagram.platform.nodes else None)
    return graph.source


def _grid(graph: graphviz.Digraph, services: list[Box]) -> None:
    """Columns of service boxes, about three times as many rows as columns (boxes are wider
    than tall): each column's workloads share a rank, and an invisible edge keeps each
    column a box's depth (workload, stores and topics, key) plus a gap right of the last."""
    columns = max(1, round(math.sqrt(len(services) / 3)))
    rows = math.ceil(len(services) / columns)
    heads: list[str] = []
    for start in range(0, len(services), rows):
        workloads = [n.id for box in services[start:start + rows] for n in box.nodes
                     if n.kind == "workload"]
        if not workloads:
            continue
        with graph.subgraph() as column:
            column.attr(rank="same")
            for workload in workloads:
                column.node(workload)
        heads.append(workloads[0])
    for left, right in itertools.pairwise(heads):
        graph.edge(left, right, style="invis", minlen="4")


def _box(graph: graphviz.Digraph, box: Box, fill: str) -> None:
    title = f"<b>{escape(box.title)}</b>"
    if box.subtitle:
        title += f"  <font point-size='10' color='#555555'>{escape(box.subtitle)}</font>"
    with graph.subgraph(name=f"cluster_{box.id}") as cluster:
        cluster.attr(label=f"<{title}>", style="rounded,filled", fillcolor=fill,
                     color="#9aa5b1", fontsize="13", labeljust="l")
        for node in box.nodes:
            _node(cluster, node)


def _node(graph: graphviz.Digraph, node: Node) -> None:
    fill, border = STYLE[node.kind]
    lines = "".join(f"<br/><font point-size='9'>{escape(line)}</font>" for line in node.lines)
    graph.node(node.id, label=f"<<b>{escape(node.title)}</b>{lines}>", fillcolor=fill,
               color=border, **({"shape": "cds"} if node.kind == "topic" else {}))


def _layout_edges(graph: graphviz.Digraph, box: Box, edges: list[Edge]) -> None:
    """Invisible workload -> store edges (and -> a key no store uses): Graphviz ranks nodes by
    edges, so this puts the workload first in its box, then its stores, then its key."""
    stores = [n.id for n in box.nodes if n.kind not in ("workload", "key", "topic")]
    used = {e.head for e in edges if e.kind == "encrypted-by" and e.tail in stores}
    spare_keys = [n.id for n in box.nodes if n.kind == "key" and n.id not in used]
    for workload in (n.id for n in box.nodes if n.kind == "workload"):
        for target in stores + spare_keys:
            graph.edge(workload, target, style="invis")


def _legend(graph: graphviz.Digraph, anchor: str | None) -> None:
    rows = [f"<tr><td bgcolor='{STYLE[kind][0]}' border='1' color='{STYLE[kind][1]}' "
            f"width='24'></td><td align='left'>{escape(text)}</td></tr>"
            for kind, text in LEGEND_NODES]
    rows += [f"<tr><td><font color='{EDGE_STYLE[kind]['color']}'><b>"
             f"{'- - &gt;' if EDGE_STYLE[kind].get('style') else '——&gt;'}</b></font></td>"
             f"<td align='left'>{escape(text)}</td></tr>" for kind, text in LEGEND_EDGES]
    table = ("<<table border='0' cellborder='0' cellspacing='3' cellpadding='1'>"
             "<tr><td colspan='2' align='left'><b>legend</b></td></tr>"
             + "".join(rows) + "</table>>")
    graph.node("legend", label=table, shape="box", style="rounded", color="#bbbbbb",
               fontsize="9")
    if anchor:  # right of the platform box, where the flow leaves room
        graph.edge(anchor, "legend", style="invis")


def render(source: str, fmt: str) -> bytes:
    """SVG or PNG bytes of DOT text, rendered by Graphviz's `dot`."""
    try:
        data: bytes = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizMissing(INSTALL_HINT) from error
    return data


def output_format(fmt: str | None, out: Path | None) -> str:
    """--format if given, else the --out suffix when it names a format, else SVG."""
    suffix = out.suffix.lower().lstrip(".") if out else ""
    if fmt and suffix in FORMATS and suffix != fmt:
        raise ValueError(f"--format {fmt} does not match --out {out} (a .{suffix} file)")
    return fmt or (suffix if suffix in FORMATS else "svg")


def run_diagram(stack: str, fmt: str | None, out: Path | None) -> int:
    """Synthesize `stack`, draw it, write the file. Exit 0, or 2 for bad input or no Graphviz."""
    from infra._stackfile import find_project
    from infra.synth import synthesize

    try:
        fmt = output_format(fmt, out)
    except ValueError as error:
        print(f"strata diagram: {error}", file=sys.stderr)
        return 2
    if fmt != "dot" and shutil.which("dot") is None:  # fail before a long synth
        print(f"strata diagram: {INSTALL_HINT}", file=sys.stderr)
        return 2
    target = out or find_project().root / "build" / stack / f"diagram.{fmt}"
    source = dot_source(build_diagram(synthesize(stack)))
    try:
        data = source.encode() if fmt == "dot" else render(source, fmt)
    except GraphvizMissing as error:
        print(f"strata diagram: {error}", file=sys.stderr)
        return 2
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as error:
        print(f"strata diagram: cannot write {target}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {target}")
    return 0
