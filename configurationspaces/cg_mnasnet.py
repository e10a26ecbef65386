"""Computation graphs of MnasNet/EfficientNet architectures: the whole network, every layer.

The network is the EfficientNet-B0 skeleton of :mod:`configurationspaces.efficientnet_cost`:
a 3x3 stride-2 conv stem, the 7 blocks of MBConv layers and a 1x1 conv head with global pooling
and a dense classifier. One MBConv layer is

    [1x1 expand conv, BN, swish]   (absent at expansion 1)
    kxk depthwise conv, BN, swish
    [global pool, 1x1 conv, swish, 1x1 conv, sigmoid, mul]   (squeeze-excite, when chosen)
    1x1 project conv, BN
    [add with the layer's input]   (repeat layers, which keep stride 1 and the channels)

with the counting conventions of the thop profiler (:data:`THOP`), so the graph's MACs and
parameters, summed over its nodes, are the dataset's ``model_info`` and
:func:`configurationspaces.efficientnet_cost.architecture_cost` exactly.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.computation_graph import (
    SEGMENT_INPUT,
    THOP,
    ComputationGraphs,
    SegmentBuilder,
    link_segments,
)
from configurationspaces.efficientnet_cost import (
    HEAD_CHANNELS,
    IMAGE_SIZE,
    IN_CHANNELS,
    N_BLOCKS,
    NUM_CLASSES,
    OUT_CHANNELS,
    SE_RATIO,
    STEM_CHANNELS,
    _block_resolutions,
)
from configurationspaces.efficientnet_encoding import block_values, encode


def _stem(n: int):
    b = SegmentBuilder(n)
    image = b.node("input", in_channels=3, in_res=IMAGE_SIZE)
    conv = b.node("conv", in_channels=3, out_channels=STEM_CHANNELS, in_res=IMAGE_SIZE, out_res=IMAGE_SIZE // 2,
                  kernel=3, stride=2)
    bn = b.node("batch_norm", in_channels=STEM_CHANNELS, in_res=IMAGE_SIZE // 2)
    act = b.node("swish", in_channels=STEM_CHANNELS, in_res=IMAGE_SIZE // 2)
    b.chain([image, conv, bn, act])
    return b.build(act)


def _layer(expansion, kernel, has_se, active, cin: int, cout: int, stride: int, in_res: int, out_res: int):
    """One MBConv layer for every architecture; ``active`` says which have it."""
    b = SegmentBuilder(len(active))
    hid = cin * expansion
    sq = cin // SE_RATIO
    expand = active & (expansion != 1)
    se = active & has_se
    residual = active & (stride == 1) & (cin == cout)
    expand_slots = [
        b.node("conv", in_channels=cin, out_channels=hid, in_res=in_res, when=expand),
        b.node("batch_norm", in_channels=hid, in_res=in_res, when=expand),
        b.node("swish", in_channels=hid, in_res=in_res, when=expand),
    ]
    depthwise_slots = [
        b.node("depthwise_conv", in_channels=hid, in_res=in_res, out_res=out_res, kernel=kernel, stride=stride,
               groups=hid, when=active),
        b.node("batch_norm", in_channels=hid, in_res=out_res, when=active),
        b.node("swish", in_channels=hid, in_res=out_res, when=active),
    ]
    se_slots = [
        b.node("global_avg_pool", in_channels=hid, in_res=out_res, out_res=1, when=se),
        b.node("conv", in_channels=hid, out_channels=sq, in_res=1, bias=1, when=se),
        b.node("swish", in_channels=sq, in_res=1, when=se),
        b.node("conv", in_channels=sq, out_channels=hid, in_res=1, bias=1, when=se),
        b.node("sigmoid", in_channels=hid, in_res=1, when=se),
    ]
    gate = b.node("mul", in_channels=hid, in_res=out_res, when=se)
    project_slots = [
        b.node("conv", in_channels=hid, out_channels=cout, in_res=out_res, when=active),
        b.node("batch_norm", in_channels=cout, in_res=out_res, when=active),
    ]
    add = b.node("add", in_channels=cout, in_res=out_res, when=residual)

    b.chain([SEGMENT_INPUT, *expand_slots, depthwise_slots[0]], expand)
    b.edge(SEGMENT_INPUT, depthwise_slots[0], active & ~expand)
    b.chain(depthwise_slots, active)
    dw_out = depthwise_slots[-1]
    b.chain([dw_out, *se_slots, gate], se)
    b.chain([dw_out, gate, project_slots[0]], se)
    b.edge(dw_out, project_slots[0], active & ~se)
    b.chain(project_slots, active)
    b.edge(project_slots[-1], add, residual)
    b.edge(SEGMENT_INPUT, add, residual)
    return b.build(np.where(residual, add, project_slots[-1]))


def _head(n: int, res: int):
    b = SegmentBuilder(n)
    cin = OUT_CHANNELS[-1]
    slots = [
        b.node("conv", in_channels=cin, out_channels=HEAD_CHANNELS, in_res=res),
        b.node("batch_norm", in_channels=HEAD_CHANNELS, in_res=res),
        b.node("swish", in_channels=HEAD_CHANNELS, in_res=res),
        b.node("global_avg_pool", in_channels=HEAD_CHANNELS, in_res=res, out_res=1),
        b.node("linear", in_channels=HEAD_CHANNELS, out_channels=NUM_CLASSES, in_res=1, bias=1),
    ]
    b.chain([SEGMENT_INPUT, *slots])
    return b.build(slots[-1])


def mnasnet_graphs(samples) -> ComputationGraphs:
    """The CGs of MnasNet architectures: anything :func:`encode` accepts (a DataFrame with the
    ``block{i}_{e,k,l,se}`` columns, dicts, Configurations, an encoded matrix)."""
    values = block_values(encode(samples))
    expansion, kernel = values["e"].astype(np.int64), values["k"].astype(np.int64)
    layers, se = values["l"].astype(np.int64), values["se"].astype(bool)
    n = len(expansion)
    if n == 0:
        raise ValueError("no architectures to build graphs of")
    res_in, res_out = (r.astype(int) for r in _block_resolutions())
    stride = [1 if a == b else 2 for a, b in zip(res_in, res_out)]
    segments = [_stem(n)]
    for i in range(N_BLOCKS):
        for j in range(int(layers[:, i].max())):
            # Only a block's first layer strides and changes the channels.
            segments.append(_layer(
                expansion[:, i], kernel[:, i], se[:, i], layers[:, i] > j,
                cin=IN_CHANNELS[i] if j == 0 else OUT_CHANNELS[i], cout=OUT_CHANNELS[i],
                stride=stride[i] if j == 0 else 1, in_res=res_in[i] if j == 0 else res_out[i], out_res=res_out[i],
            ))
    segments.append(_head(n, res_out[-1]))
    return link_segments(segments, THOP, IMAGE_SIZE)
