"""Analytic parameter count and FLOPs of the full NAS-Bench-101 network built from a cell.

The network is the one NAS-Bench-101 trained on CIFAR-10: a 3x3 conv-BN-ReLU stem with 128
channels at 32x32, then 3 stacks of 3 copies of the cell, a 2x2 max-pool halving the
resolution and the cell's output channels doubling between stacks (128, 256, 512), global
average pooling and a 10-way dense layer.

Inside a cell (the official model builder's rules):

* the output's channels are split over the vertices that feed it (concatenation), the first
  ``channels % k`` of them in index order getting one extra channel;
* any other interior vertex gets the largest channel count of its interior successors (the
  extra channel is sliced off on the way, which costs nothing);
* an edge from the input is a 1x1 conv-BN-ReLU projection to the destination's channels, as
  is an input -> output edge (to the output channels);
* conv vertices map their channels to themselves; max-pool has no parameters.

Parameters count conv weights (no biases), 2 per BatchNorm channel (gamma and beta) and the
dense layer's weights and biases: this reproduces ``trainable_parameters`` of the official
records exactly (and NASLib's ``params``). FLOPs follow the convention of NASLib's ``flops``,
which they reproduce exactly:

* convolutions and the dense layer: multiply-accumulates, counted at every output position
  ("same" padding keeps the resolution inside a stack), no bias terms;
* every conv-BN-ReLU costs 3 more per output element (BatchNorm 2, ReLU 1);
* a 3x3 max-pool vertex costs 9 per output element (one comparison per window element) and
  the 2x2 downsampling max-pool 4 per output element;
* additions, concatenation, channel slicing and global average pooling cost nothing.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.nasbench101 import (
    CONV1X1,
    CONV3X3,
    MAX_VERTICES,
    MAXPOOL3X3,
    OP_LABELS,
    Cell,
    cells_to_arrays,
    output_last,
)

IMAGE_SIZE = 32
IMAGE_CHANNELS = 3
STEM_CHANNELS = 128
STEM_KERNEL = 3
NUM_STACKS = 3
CELLS_PER_STACK = 3
NUM_CLASSES = 10
BN_PARAMS = 2  # gamma and beta; running statistics are not trainable
KERNEL_AREA = {OP_LABELS[CONV3X3]: 9, OP_LABELS[CONV1X1]: 1}  # max-pool: no weights
BN_RELU_FLOPS = 3  # per output element of a conv-BN-ReLU
MAXPOOL_FLOPS = 9  # per output element of the 3x3 max-pool vertex
DOWNSAMPLE_FLOPS = 4  # per output element of the 2x2 max-pool between stacks
OUTPUT = MAX_VERTICES - 1  # index of the output once cells are re-indexed by output_last
INTERIOR = slice(1, OUTPUT)


def _vertex_channels(adjacency: np.ndarray, out_channels: int) -> np.ndarray:
    """(N, 5) channels of interior vertices 1..5 (0 for padding) of output-last cells."""
    feeds_output = adjacency[:, INTERIOR, OUTPUT].astype(bool)
    fan_in = np.maximum(feeds_output.sum(axis=1), 1)  # 0 only for input -> output cells
    share, extra = np.divmod(out_channels, fan_in)
    rank = np.cumsum(feeds_output, axis=1) - 1
    channels = np.where(feeds_output, share[:, None] + (rank < extra[:, None]), 0)
    # Backwards, so every successor is final before its predecessors read it; vertex 5 can
    # only feed the output, so the sweep starts at 4.
    for v in range(OUTPUT - 2, 0, -1):
        successors = adjacency[:, v, v + 1 : OUTPUT] * channels[:, v:]
        channels[:, v - 1] = np.where(feeds_output[:, v - 1], channels[:, v - 1], successors.max(axis=1))
    return channels


def _cell_cost(adjacency, labels, in_channels: int, out_channels: int, area: int):
    """Parameters and FLOPs of one cell at one stage, for every row."""
    channels = _vertex_channels(adjacency, out_channels).astype(np.int64)
    kernel = np.zeros_like(channels)
    for label, k2 in KERNEL_AREA.items():
        kernel[labels[:, INTERIOR] == label] = k2
    is_conv = (kernel > 0).astype(np.int64)
    from_input = adjacency[:, 0, INTERIOR].astype(np.int64)
    direct = adjacency[:, 0, OUTPUT].astype(np.int64)
    weights = (
        (kernel * channels * channels).sum(axis=1)
        + (from_input * in_channels * channels).sum(axis=1)
        + direct * in_channels * out_channels
    )
    # Channels leaving a conv-BN-ReLU: conv vertices, input projections, output projection.
    bn_channels = ((is_conv + from_input) * channels).sum(axis=1) + direct * out_channels
    params = weights + BN_PARAMS * bn_channels
    pool_channels = ((labels[:, INTERIOR] == OP_LABELS[MAXPOOL3X3]) * channels).sum(axis=1)
    # Every conv weight is applied once per output position.
    flops = (weights + BN_RELU_FLOPS * bn_channels + MAXPOOL_FLOPS * pool_channels) * area
    return params, flops


def network_cost(adjacency, labels) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (int64) and FLOPs (float64, conventions above) of the network of each cell.

    ``adjacency`` (N, 7, 7) and ``labels`` (N, 7) are pruned cells in the layout of
    :func:`configurationspaces.nasbench101.cells_to_arrays`.
    """
    adjacency, labels = np.asarray(adjacency), np.asarray(labels)
    if adjacency.ndim != 3 or adjacency.shape[1:] != (MAX_VERTICES, MAX_VERTICES):
        raise ValueError(f"adjacency must have shape (N, {MAX_VERTICES}, {MAX_VERTICES}); got {adjacency.shape}")
    if labels.shape != adjacency.shape[:2]:
        raise ValueError(f"labels must have shape {adjacency.shape[:2]}; got {labels.shape}")
    adjacency, labels = output_last(adjacency, labels)
    stem_weights = STEM_KERNEL**2 * IMAGE_CHANNELS * STEM_CHANNELS
    params = np.full(len(adjacency), stem_weights + BN_PARAMS * STEM_CHANNELS, dtype=np.int64)
    stem_flops = (stem_weights + BN_RELU_FLOPS * STEM_CHANNELS) * IMAGE_SIZE**2
    flops = np.full(len(adjacency), stem_flops, dtype=np.int64)
    in_channels, out_channels, size = STEM_CHANNELS, STEM_CHANNELS, IMAGE_SIZE
    for stack in range(NUM_STACKS):
        if stack > 0:
            size //= 2
            flops += DOWNSAMPLE_FLOPS * in_channels * size * size
            out_channels *= 2
        # Only the first cell of a stack sees other input channels (the previous stack's) on
        # its input projections; the others are identical.
        p, f = _cell_cost(adjacency, labels, in_channels, out_channels, size * size)
        params += p
        flops += f
        p, f = _cell_cost(adjacency, labels, out_channels, out_channels, size * size)
        params += (CELLS_PER_STACK - 1) * p
        flops += (CELLS_PER_STACK - 1) * f
        in_channels = out_channels
    dense_weights = out_channels * NUM_CLASSES
    params += dense_weights + NUM_CLASSES
    flops += dense_weights
    return params, flops.astype(np.float64)


def cell_cost(cell: Cell) -> tuple[int, float]:
    """Parameters and FLOPs of the network of one cell."""
    params, flops = network_cost(*cells_to_arrays([cell]))
    return int(params[0]), float(flops[0])
