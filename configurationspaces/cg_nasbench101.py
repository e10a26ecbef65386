"""Computation graphs of NAS-Bench-101 networks: the cell stacked as the benchmark's skeleton.

The network is that of :mod:`configurationspaces.nasbench101_cost`: a 3x3 conv-BN-ReLU stem,
3 stacks of 3 cells with a 2x2 max-pool before the second and third stack, global average
pooling and a dense layer. Inside a cell (the official model builder):

* an interior vertex sums its inputs (an ``add`` node when there are several): the outputs of
  its interior predecessors and a 1x1 conv-BN-ReLU projection of the cell input if it has an
  edge from the input; then it applies its op (conv-BN-ReLU nodes, or one 3x3 max-pool);
* the output concatenates the vertices that feed it (a ``concat`` node when there are
  several) and adds a 1x1 conv-BN-ReLU projection of the cell input if the input feeds it.

Channels per vertex are those of the cost model; a predecessor with one channel more is sliced
on the edge (free). Costs follow NASLib's convention (:data:`NASLIB`), so the graph's parameter
count is the official ``trainable_parameters`` and its MACs NASLib's ``flops``.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.computation_graph import (
    NASLIB,
    SEGMENT_INPUT,
    ComputationGraphs,
    SegmentBuilder,
    link_segments,
)
from configurationspaces.nasbench101 import CONV1X1, CONV3X3, MAX_VERTICES, MAXPOOL3X3, OP_LABELS, output_last
from configurationspaces.nasbench101_cost import (
    CELLS_PER_STACK,
    IMAGE_CHANNELS,
    IMAGE_SIZE,
    NUM_CLASSES,
    NUM_STACKS,
    OUTPUT,
    STEM_CHANNELS,
    STEM_KERNEL,
    _vertex_channels,
)

N_INTERIOR = OUTPUT - 1  # interior vertices 1..5 of output-last cells


def _conv_bn_relu(b: SegmentBuilder, cin, cout, res: int, kernel, when) -> list[int]:
    return [
        b.node("conv", in_channels=cin, out_channels=cout, in_res=res, kernel=kernel, when=when),
        b.node("batch_norm", in_channels=cout, in_res=res, when=when),
        b.node("relu", in_channels=cout, in_res=res, when=when),
    ]


def _stem(n: int):
    b = SegmentBuilder(n)
    image = b.node("input", in_channels=IMAGE_CHANNELS, in_res=IMAGE_SIZE)
    slots = _conv_bn_relu(b, IMAGE_CHANNELS, STEM_CHANNELS, IMAGE_SIZE, STEM_KERNEL, True)
    b.chain([image, *slots])
    return b.build(slots[-1])


def _cell(adjacency, labels, in_channels: int, out_channels: int, res: int):
    """One cell at one stage for every row of output-last ``adjacency``/``labels``."""
    n = len(adjacency)
    b = SegmentBuilder(n)
    channels = _vertex_channels(adjacency, out_channels)
    edge = adjacency.astype(bool)
    from_input = edge[:, 0, 1:OUTPUT]
    feeds_output = edge[:, 1:OUTPUT, OUTPUT]
    direct = edge[:, 0, OUTPUT]
    n_feeding = feeds_output.sum(axis=1)
    entry, exit = [], []
    for i in range(N_INTERIOR):
        v = i + 1
        c = channels[:, i]
        label = labels[:, v]
        is_conv = (label == OP_LABELS[CONV3X3]) | (label == OP_LABELS[CONV1X1])
        is_pool = label == OP_LABELS[MAXPOOL3X3]
        n_inputs = from_input[:, i] + edge[:, 1:v, v].sum(axis=1)
        projection = _conv_bn_relu(b, in_channels, c, res, 1, from_input[:, i])
        b.chain([SEGMENT_INPUT, *projection], from_input[:, i])
        summed = b.node("add", in_channels=c, in_res=res, when=n_inputs > 1)
        op = _conv_bn_relu(b, c, c, res, np.where(label == OP_LABELS[CONV3X3], 3, 1), is_conv)
        pool = b.node("max_pool", in_channels=c, in_res=res, kernel=3, when=is_pool)
        b.chain(op, is_conv)
        entry.append(np.where(n_inputs > 1, summed, np.where(is_conv, op[0], pool)))
        exit.append(np.where(is_conv, op[-1], pool))
        b.edge(summed, np.where(is_conv, op[0], pool), n_inputs > 1)
        b.edge(projection[-1], entry[i], from_input[:, i])
        for u in range(i):
            b.edge(exit[u], entry[i], edge[:, u + 1, v])
    concat = b.node("concat", in_channels=out_channels, in_res=res, when=n_feeding > 1)
    projection = _conv_bn_relu(b, in_channels, out_channels, res, 1, direct)
    b.chain([SEGMENT_INPUT, *projection], direct)
    add = b.node("add", in_channels=out_channels, in_res=res, when=direct & (n_feeding > 0))
    joined = np.where(n_feeding > 1, concat, exit[0])
    for i in range(N_INTERIOR):
        b.edge(exit[i], concat, feeds_output[:, i] & (n_feeding > 1))
        if i:
            # The one feeding vertex when there is only one.
            joined = np.where((n_feeding == 1) & feeds_output[:, i], exit[i], joined)
    b.edge(joined, add, direct & (n_feeding > 0))
    b.edge(projection[-1], add, direct & (n_feeding > 0))
    return b.build(np.where(n_feeding == 0, projection[-1], np.where(direct, add, joined)))


def _downsample(n: int, channels: int, res: int):
    b = SegmentBuilder(n)
    pool = b.node("max_pool", in_channels=channels, in_res=res, out_res=res // 2, kernel=2, stride=2)
    b.edge(SEGMENT_INPUT, pool)
    return b.build(pool)


def _head(n: int, channels: int, res: int):
    b = SegmentBuilder(n)
    slots = [
        b.node("global_avg_pool", in_channels=channels, in_res=res, out_res=1),
        b.node("linear", in_channels=channels, out_channels=NUM_CLASSES, in_res=1, bias=1),
    ]
    b.chain([SEGMENT_INPUT, *slots])
    return b.build(slots[-1])


def nasbench101_graphs(adjacency, labels) -> ComputationGraphs:
    """The CGs of the networks of pruned cells given as ``cells_to_arrays`` arrays (N, 7, 7) and
    (N, 7); padding may sit anywhere."""
    adjacency, labels = np.asarray(adjacency), np.asarray(labels)
    if adjacency.ndim != 3 or adjacency.shape[1:] != (MAX_VERTICES, MAX_VERTICES) or len(adjacency) == 0:
        raise ValueError(f"adjacency must have shape (N, {MAX_VERTICES}, {MAX_VERTICES}) with N >= 1; "
                         f"got {adjacency.shape}")
    if labels.shape != adjacency.shape[:2]:
        raise ValueError(f"labels must have shape {adjacency.shape[:2]}; got {labels.shape}")
    adjacency, labels = output_last(adjacency, labels)
    n = len(adjacency)
    segments = [_stem(n)]
    in_channels, out_channels, res = STEM_CHANNELS, STEM_CHANNELS, IMAGE_SIZE
    for stack in range(NUM_STACKS):
        if stack > 0:
            segments.append(_downsample(n, in_channels, res))
            res //= 2
            out_channels *= 2
        for _ in range(CELLS_PER_STACK):
            segments.append(_cell(adjacency, labels, in_channels, out_channels, res))
            in_channels = out_channels
    segments.append(_head(n, out_channels, res))
    return link_segments(segments, NASLIB, IMAGE_SIZE)
