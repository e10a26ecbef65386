"""Draw a computation graph (``anb graph draw``): matplotlib always, Graphviz when it is installed.

The matplotlib layout puts each node in the column of its longest path from the input and
stacks parallel branches (squeeze-excite, NAS-Bench-101 cell vertices) in that column; a
network is a few hundred columns deep, so the columns wrap into rows like lines of text. Nodes
are coloured by op and labelled briefly (``c3`` a 3x3 conv, ``dw5`` a 5x5 depthwise conv).
The DOT text (``.dot`` output) carries each node's full shapes; with Graphviz's ``dot`` on the
PATH a ``.svg``/``.pdf`` output can be laid out by it instead (``--graphviz``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from anb.data.atomic import replace_atomically
from configurationspaces.computation_graph import ATTRIBUTES, OPS, ComputationGraphs

SPACES = ("mnasnet", "nasbench101")
SHORT = {"conv": "c", "depthwise_conv": "dw", "batch_norm": "bn", "relu": "re", "swish": "sw", "sigmoid": "sg",
         "max_pool": "mp", "global_avg_pool": "gap", "add": "+", "mul": "x", "concat": "cat", "linear": "fc",
         "input": "in"}
COLUMNS_PER_ROW = 40
GRAPHVIZ_FORMATS = ("svg", "pdf", "png")


def node_label(op: str, kernel: int) -> str:
    return f"{SHORT[op]}{kernel}" if op in ("conv", "depthwise_conv") else SHORT[op]


def _depths(graph: ComputationGraphs) -> np.ndarray:
    """Longest-path depth of every node; edges point to higher node indices."""
    depth = np.zeros(len(graph.nodes), dtype=np.int64)
    src, dst = graph.edges
    for s, d in zip(src[np.argsort(dst, kind="stable")], np.sort(dst)):
        depth[d] = max(depth[d], depth[s] + 1)
    return depth


def layout(graph: ComputationGraphs) -> np.ndarray:
    """(V, 2) positions: column = depth (wrapped every ``COLUMNS_PER_ROW``), rows stacked downwards."""
    depth = _depths(graph)
    lane = np.zeros(len(depth), dtype=np.int64)
    order = np.argsort(depth, kind="stable")
    first = np.searchsorted(depth[order], depth[order])
    lane[order] = np.arange(len(depth)) - first
    lanes_per_row = int(lane.max()) + 2
    row, column = np.divmod(depth, COLUMNS_PER_ROW)
    return np.column_stack([column, -(row * lanes_per_row + lane)]).astype(np.float64)


def draw(graph: ComputationGraphs, title: str = ""):
    """A matplotlib figure of one graph."""
    import matplotlib

    matplotlib.use("Agg")  # files only: this runs on machines without a display
    import matplotlib.pyplot as plt

    if len(graph) != 1:
        raise ValueError(f"draw takes one graph; got a batch of {len(graph)} (use graphs.graph(i))")
    position = layout(graph)
    ops = graph.column("op")
    colours = plt.get_cmap("tab20")(np.arange(len(OPS)) % 20)
    width = min(COLUMNS_PER_ROW, position[:, 0].max() + 1) * 0.45 + 1
    fig, ax = plt.subplots(figsize=(width, (-position[:, 1].min() + 1) * 0.45 + 1))
    src, dst = graph.edges
    for s, d in zip(src, dst):
        ax.annotate("", xy=position[d], xytext=position[s],
                    arrowprops={"arrowstyle": "-|>", "color": "0.6", "lw": 0.5, "shrinkA": 6, "shrinkB": 6})
    for i, name in enumerate(OPS):
        here = ops == i
        if here.any():
            ax.scatter(*position[here].T, s=170, color=colours[i], edgecolors="0.2", linewidths=0.4, label=name,
                       zorder=2)
    kernel = graph.column("kernel")
    for (x, y), op, k in zip(position, ops, kernel):
        ax.text(x, y, node_label(OPS[op], k), ha="center", va="center", fontsize=5, zorder=3)
    macs, params = graph.totals()
    ax.set_title(f"{title}{' - ' if title else ''}{len(graph.nodes)} nodes, {macs[0] / 1e6:.1f}M MACs, "
                 f"{params[0] / 1e6:.2f}M params ({graph.convention.name})", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_axis_off()
    return fig


def to_dot(graph: ComputationGraphs, name: str = "cg") -> str:
    """Graphviz DOT text of one graph, every node labelled with its op and shapes."""
    lines = [f"digraph {json.dumps(name)} {{", "  rankdir=TB; node [shape=box, fontsize=9];"]
    for i, row in enumerate(graph.nodes):
        values = dict(zip(ATTRIBUTES, row.tolist()))
        op = OPS[values["op"]]
        shape = f"{values['in_channels']}x{values['in_res']}^2 -> {values['out_channels']}x{values['out_res']}^2"
        label = node_label(op, values["kernel"]) + " " + op + "\n" + shape
        lines.append(f"  n{i} [label={json.dumps(label)}];")
    lines += [f"  n{s} -> n{d};" for s, d in graph.edges.T.tolist()]
    return "\n".join(lines + ["}"]) + "\n"


def save(graph: ComputationGraphs, path: str | Path, title: str = "", graphviz: bool = False) -> Path:
    """Write one graph to ``path``: DOT text for ``.dot``, else an image (matplotlib, or Graphviz's
    ``dot`` with ``graphviz=True``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "dot":
        replace_atomically(path, lambda tmp: tmp.write_text(to_dot(graph)))
    elif graphviz:
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("--graphviz needs Graphviz's `dot` on the PATH; without it the matplotlib drawing "
                               "is used (leave out --graphviz)")
        if fmt not in GRAPHVIZ_FORMATS:
            allowed = ["." + f for f in GRAPHVIZ_FORMATS]
            raise ValueError(f"Graphviz output must end in one of {allowed}; got {path.name}")
        text = to_dot(graph)
        replace_atomically(path, lambda tmp: subprocess.run([dot, f"-T{fmt}", "-o", str(tmp)], input=text,
                                                            text=True, check=True))
    else:
        import matplotlib.pyplot as plt

        fig = draw(graph, title)
        try:
            # The staging file's name has no image suffix: say the format.
            image_format = fmt or plt.rcParams["savefig.format"]
            replace_atomically(path, lambda tmp: fig.savefig(tmp, format=image_format, dpi=150, bbox_inches="tight"))
        finally:
            plt.close(fig)
    return path


# --- the `anb graph draw` command ----------------------------------------------------------------


def graph_of(space: str, architecture, seed: int) -> tuple[ComputationGraphs, str]:
    """The CG of ``architecture`` (parsed JSON, or None for a random one from ``seed``) and a title."""
    if space == "mnasnet":
        from configurationspaces.cg_mnasnet import mnasnet_graphs
        from configurationspaces.searchspaces import EfficientNetSS

        if architecture is None:
            architecture = EfficientNetSS(seed=seed).random_encoded(1)
        return mnasnet_graphs(architecture), "MnasNet"
    from configurationspaces.cg_nasbench101 import nasbench101_graphs
    from configurationspaces.nasbench101 import Cell, cells_to_arrays
    from configurationspaces.nasbench101_sampling import random_cell

    if architecture is None:
        cell = random_cell(seed)
    elif isinstance(architecture, dict) and {"matrix", "ops"} <= set(architecture):
        cell = Cell(architecture["matrix"], architecture["ops"])
    else:
        raise ValueError('a NAS-Bench-101 --input must hold {"matrix": [[...]], "ops": [...]}')
    return nasbench101_graphs(*cells_to_arrays([cell])), f"NAS-Bench-101 cell {cell.module_hash()[:8]}"


def add_parser(sub) -> None:
    """Register ``graph draw`` on the subparsers ``sub`` of the ``anb`` command."""
    from anb.data.validation import check_seed, cli_type

    graph = sub.add_parser("graph", help="computation graphs of architectures")
    actions = graph.add_subparsers(dest="graph_command", required=True)
    draw_cmd = actions.add_parser("draw", help="draw the computation graph of one architecture")
    draw_cmd.add_argument("--space", choices=SPACES, default="mnasnet")
    draw_cmd.add_argument("--input", help="JSON file of one architecture: a MnasNet {\"block0_e\": 6, ...} object or "
                                          "a NAS-Bench-101 {\"matrix\": ..., \"ops\": ...} object (default: random)")
    draw_cmd.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=0,
                          help="seed of the random architecture (default 0)")
    draw_cmd.add_argument("--output", required=True, help="image file (.png, .svg, .pdf) or .dot for Graphviz text")
    draw_cmd.add_argument("--graphviz", action="store_true", help="lay out with Graphviz's dot (must be installed)")
    draw_cmd.set_defaults(func=run_draw)


def run_draw(args) -> int:
    from anb.data.validation import read_json

    architecture = read_json(args.input, "--input") if args.input else None
    graph, title = graph_of(args.space, architecture, args.seed)
    path = save(graph, args.output, title, args.graphviz)
    macs, params = graph.totals()
    print(f"{title}: {len(graph.nodes)} nodes, {graph.n_edges[0]} edges, {macs[0]} MACs, {params[0]} params -> {path}")
    return 0
