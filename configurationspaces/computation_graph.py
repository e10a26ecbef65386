"""Computation graphs (CGs): one graph form for networks of any search space (GENNAPE style).

A node is one primitive operation: a convolution with its kernel, stride, groups and channels,
a batch norm, an activation, a pooling, an addition, a channel concatenation, a dense layer.
Every node carries its input and output tensor shapes (channels and a square resolution), so
its cost follows from the node alone; edges are the dataflow. Because MnasNet networks
(:mod:`configurationspaces.cg_mnasnet`) and NAS-Bench-101 networks
(:mod:`configurationspaces.cg_nasbench101`) become the same kind of graph over the same
vocabulary ``OPS``, one graph predictor can be trained on one family and evaluated on the other.

A batch of graphs is packed the way graph libraries pack them: all nodes in one ``(V, A)``
integer array (columns ``ATTRIBUTES``), graph ``g`` owning rows ``node_ptr[g]:node_ptr[g+1]``,
and all edges in one ``(2, E)`` array of global node indices (source, destination), graph ``g``
owning columns ``edge_ptr[g]:edge_ptr[g+1]``.

Builders describe a network as a chain of segments (a stem, one layer, one cell, a head), each
a fixed set of node and edge slots with a per-graph mask, evaluated for every graph at once;
:func:`link_segments` numbers the present slots and links every segment to its predecessor's
exit. So a batch of thousands of graphs costs a few dozen array operations per segment, not a
Python loop per graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPS = (
    "input",
    "conv",
    "depthwise_conv",
    "batch_norm",
    "relu",
    "swish",
    "sigmoid",
    "max_pool",
    "global_avg_pool",
    "add",
    "mul",
    "concat",
    "linear",
)
OP = {name: i for i, name in enumerate(OPS)}
# Integer columns of the node array. Resolutions are the side of a square feature map; a
# global pool's output and a dense layer's input and output have resolution 1.
ATTRIBUTES = ("op", "kernel", "stride", "groups", "in_channels", "out_channels", "in_res", "out_res", "bias")
COLUMN = {name: i for i, name in enumerate(ATTRIBUTES)}
# Edge slot source meaning "whatever the previous segment's exit node is".
SEGMENT_INPUT = -1


@dataclass(frozen=True)
class CostConvention:
    """How a profiler counts the cost of the operations that are not multiply-accumulates.

    Convolutions and dense layers always cost their multiply-accumulates over every output
    position (no bias terms); additions, multiplications and concatenations cost nothing.
    """

    name: str
    batch_norm: int  # ops per output element
    relu: int  # ops per output element
    max_pool_window: bool  # a max-pool costs its window size per output element
    global_pool_elements: bool  # a global average pool costs one per input and one per output element


# The thop profiler that measured Accel-NASBench's `model_info` (configurationspaces.efficientnet_cost).
THOP = CostConvention("thop", batch_norm=4, relu=0, max_pool_window=False, global_pool_elements=True)
# NASLib's NAS-Bench-101 `flops` (configurationspaces.nasbench101_cost).
NASLIB = CostConvention("naslib", batch_norm=2, relu=1, max_pool_window=True, global_pool_elements=False)
CONVENTIONS = {c.name: c for c in (THOP, NASLIB)}


@dataclass
class ComputationGraphs:
    """A batch of computation graphs, packed (see the module docstring)."""

    nodes: np.ndarray  # (V, len(ATTRIBUTES)) int64
    edges: np.ndarray  # (2, E) int64 global node indices
    node_ptr: np.ndarray  # (N + 1,) int64
    edge_ptr: np.ndarray  # (N + 1,) int64
    convention: CostConvention
    input_resolution: int  # side of the image the networks take

    def __len__(self) -> int:
        return len(self.node_ptr) - 1

    @property
    def n_nodes(self) -> np.ndarray:
        return np.diff(self.node_ptr)

    @property
    def n_edges(self) -> np.ndarray:
        return np.diff(self.edge_ptr)

    @property
    def node_graph(self) -> np.ndarray:
        """(V,) the graph each node belongs to."""
        return np.repeat(np.arange(len(self)), self.n_nodes)

    def column(self, name: str) -> np.ndarray:
        return self.nodes[:, COLUMN[name]]

    def node_costs(self) -> tuple[np.ndarray, np.ndarray]:
        """(V,) MACs and (V,) parameters of every node, int64, under the graphs' convention."""
        op, kernel, groups, c_in, c_out, res_in, res_out, bias = (
            self.column(name)
            for name in ("op", "kernel", "groups", "in_channels", "out_channels", "in_res", "out_res", "bias")
        )
        conv = (op == OP["conv"]) | (op == OP["depthwise_conv"])
        weights = np.where(conv, kernel * kernel * (c_in // np.maximum(groups, 1)) * c_out, 0)
        weights = np.where(op == OP["linear"], c_in * c_out, weights)
        out_elements = c_out * res_out * res_out
        convention = self.convention
        macs = weights * np.where(conv, res_out * res_out, 1)
        macs += np.where(op == OP["batch_norm"], convention.batch_norm * out_elements, 0)
        macs += np.where(op == OP["relu"], convention.relu * out_elements, 0)
        if convention.max_pool_window:
            macs += np.where(op == OP["max_pool"], kernel * kernel * out_elements, 0)
        if convention.global_pool_elements:
            macs += np.where(op == OP["global_avg_pool"], c_in * res_in * res_in + out_elements, 0)
        params = weights + bias * c_out + np.where(op == OP["batch_norm"], 2 * c_out, 0)
        return macs, params

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) MACs and (N,) parameters of every network: the sums over its nodes, int64."""
        macs, params = self.node_costs()
        graph = self.node_graph
        return (
            np.bincount(graph, weights=macs, minlength=len(self)).astype(np.int64),
            np.bincount(graph, weights=params, minlength=len(self)).astype(np.int64),
        )

    def graph(self, i: int) -> ComputationGraphs:
        """Graph ``i`` alone (node indices renumbered from 0)."""
        if not 0 <= i < len(self):
            raise IndexError(f"graph index {i} out of range for {len(self)} graphs")
        return self.subset([i])

    def select(self, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For the graphs at ``indices``: the rows of their nodes, their edges renumbered to
        those rows' order, and the new node and edge ptr (what :meth:`subset` and mini-batches
        of per-node arrays need)."""
        indices = np.asarray(indices, dtype=np.int64)
        node_index, node_ptr = _concatenated_ranges(self.node_ptr, indices)
        edge_index, edge_ptr = _concatenated_ranges(self.edge_ptr, indices)
        # Each kept edge moves by the shift of its graph's first node.
        shift = np.repeat(node_ptr[:-1] - self.node_ptr[indices], np.diff(edge_ptr))
        return node_index, self.edges[:, edge_index] + shift, node_ptr, edge_ptr

    def subset(self, indices) -> ComputationGraphs:
        """The graphs at ``indices``, in that order, renumbered."""
        node_index, edges, node_ptr, edge_ptr = self.select(indices)
        return ComputationGraphs(self.nodes[node_index], edges, node_ptr, edge_ptr, self.convention,
                                 self.input_resolution)


def _concatenated_ranges(ptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The concatenated ranges ``ptr[i]:ptr[i+1]`` for ``i`` in ``indices``, and their new ptr."""
    counts = ptr[indices + 1] - ptr[indices]
    new_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.repeat(ptr[indices] - new_ptr[:-1], counts) + np.arange(new_ptr[-1]), new_ptr


@dataclass
class Segment:
    """One piece of every network of a batch: ``S`` node slots and ``E`` edge slots.

    ``edges`` hold slot indices, ``SEGMENT_INPUT`` for the previous segment's exit; a graph
    with no node present skips the segment (its chain runs on from the previous exit).
    """

    nodes: np.ndarray  # (N, S, A) int64
    node_mask: np.ndarray  # (N, S) bool
    edges: np.ndarray  # (N, E, 2) int64
    edge_mask: np.ndarray  # (N, E) bool
    exit: np.ndarray  # (N,) int64 slot of the node the next segment reads


class SegmentBuilder:
    """Collects the node and edge slots of one :class:`Segment` for ``n`` graphs.

    Every value may be a scalar or an ``(n,)`` array; ``when`` says in which graphs the node or
    edge is present.
    """

    def __init__(self, n: int):
        self.n = n
        self._nodes, self._node_masks, self._edges, self._edge_masks = [], [], [], []

    def node(self, op: str, *, in_channels, out_channels=None, in_res, out_res=None, kernel=1, stride=1,
             groups=1, bias=0, when=True) -> int:
        """Add a node slot; returns its slot index. Output shape defaults to the input's."""
        out_channels = in_channels if out_channels is None else out_channels
        out_res = in_res if out_res is None else out_res
        values = (OP[op], kernel, stride, groups, in_channels, out_channels, in_res, out_res, bias)
        columns = [np.broadcast_to(np.asarray(v, dtype=np.int64), (self.n,)) for v in values]
        self._nodes.append(np.stack(columns, axis=1))
        self._node_masks.append(np.broadcast_to(np.asarray(when, dtype=bool), (self.n,)))
        return len(self._nodes) - 1

    def edge(self, src, dst, when=True) -> None:
        """Add an edge slot from slot ``src`` (or ``SEGMENT_INPUT``) to slot ``dst``."""
        pair = [np.broadcast_to(np.asarray(s, dtype=np.int64), (self.n,)) for s in (src, dst)]
        self._edges.append(np.stack(pair, axis=1))
        self._edge_masks.append(np.broadcast_to(np.asarray(when, dtype=bool), (self.n,)))

    def chain(self, slots, when=True) -> None:
        """Edges ``slots[0] -> slots[1] -> ...``, all present ``when``."""
        for src, dst in zip(slots, slots[1:]):
            self.edge(src, dst, when)

    def build(self, exit) -> Segment:
        edges = np.stack(self._edges, axis=1) if self._edges else np.zeros((self.n, 0, 2), dtype=np.int64)
        edge_mask = np.stack(self._edge_masks, axis=1) if self._edges else np.zeros((self.n, 0), dtype=bool)
        return Segment(
            np.stack(self._nodes, axis=1), np.stack(self._node_masks, axis=1), edges, edge_mask,
            np.broadcast_to(np.asarray(exit, dtype=np.int64), (self.n,)),
        )


def link_segments(segments: list[Segment], convention: CostConvention, input_resolution: int) -> ComputationGraphs:
    """Number the present slots of each graph's segments in order and link the segments."""
    n = len(segments[0].exit)
    rows = np.arange(n)
    count = np.zeros(n, dtype=np.int64)
    previous_exit = np.zeros(n, dtype=np.int64)
    node_parts, edge_parts = [], []
    for segment in segments:
        # local[g, s]: the index within graph g of slot s (meaningful where present).
        local = np.cumsum(segment.node_mask, axis=1) - 1 + count[:, None]
        g, s = np.nonzero(segment.node_mask)
        node_parts.append((g, local[g, s], segment.nodes[g, s]))
        g, e = np.nonzero(segment.edge_mask)
        src_slot, dst_slot = segment.edges[g, e, 0], segment.edges[g, e, 1]
        src = np.where(src_slot == SEGMENT_INPUT, previous_exit[g], local[g, np.maximum(src_slot, 0)])
        edge_parts.append((g, src, local[g, dst_slot]))
        present = segment.node_mask.any(axis=1)
        previous_exit = np.where(present, local[rows, segment.exit], previous_exit)
        count += segment.node_mask.sum(axis=1)
    node_ptr = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    nodes = np.empty((int(node_ptr[-1]), len(ATTRIBUTES)), dtype=np.int64)
    for g, local, values in node_parts:
        nodes[node_ptr[g] + local] = values
    g = np.concatenate([part[0] for part in edge_parts])
    src = np.concatenate([part[1] for part in edge_parts]) + node_ptr[g]
    dst = np.concatenate([part[2] for part in edge_parts]) + node_ptr[g]
    # Group the edges by graph, keeping each graph's edges in segment order.
    order = np.argsort(g, kind="stable")
    edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(g, minlength=n))]).astype(np.int64)
    edges = np.stack([src[order], dst[order]])
    return ComputationGraphs(nodes, edges, node_ptr, edge_ptr, convention, input_resolution)


# Node features a graph predictor reads: one-hot op, then the shape and cost columns below.
SHAPE_FEATURES = ("kernel", "stride", "log2_in_channels", "log2_out_channels", "downsampling", "log_macs",
                  "log_params", "macs_share", "params_share")
N_NODE_FEATURES = len(OPS) + len(SHAPE_FEATURES)


def node_features(graphs: ComputationGraphs) -> np.ndarray:
    """(V, N_NODE_FEATURES) float32 features, comparable across families.

    Resolutions enter relative to the network's input (``downsampling`` is log2 of input
    resolution over output resolution), because a CIFAR-10 network and an ImageNet network
    differ in absolute scale; costs enter both absolute (log10) and as the node's share of its
    network's total (log10), which is comparable across families.
    """
    features = np.zeros((len(graphs.nodes), N_NODE_FEATURES), dtype=np.float32)
    features[np.arange(len(graphs.nodes)), graphs.column("op")] = 1
    macs, params = graphs.node_costs()
    total_macs, total_params = graphs.totals()
    graph = graphs.node_graph
    shape = np.column_stack([
        graphs.column("kernel") / 3,
        graphs.column("stride") / 2,
        np.log2(np.maximum(graphs.column("in_channels"), 1)) / 10,
        np.log2(np.maximum(graphs.column("out_channels"), 1)) / 10,
        np.log2(graphs.input_resolution / graphs.column("out_res")) / 5,
        np.log10(1 + macs) / 10,
        np.log10(1 + params) / 8,
        # A node without cost sits one decade below the cheapest share a network here has.
        np.log10(np.maximum(macs / np.maximum(total_macs[graph], 1), 1e-7)) / 7 + 1,
        np.log10(np.maximum(params / np.maximum(total_params[graph], 1), 1e-7)) / 7 + 1,
    ])
    features[:, len(OPS):] = shape
    return features
