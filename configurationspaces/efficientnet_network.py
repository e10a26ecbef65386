"""The network behind an architecture of the MnasNet/EfficientNet space, as a PyTorch module.

`build_network(sample)` gives the EfficientNet-B0 skeleton that
[`configurationspaces.efficientnet_cost`][configurationspaces.efficientnet_cost] counts: a 3x3 stride-2 stem conv (3 -> 32), the
seven MBConv blocks of the sample (expansion 1x1 conv when the ratio is not 1, kxk depthwise
conv, squeeze-excite when chosen, 1x1 projection; the block's first layer strides and changes
channels, a residual joins every other layer), a 1x1 head conv (320 -> 1280), global average
pooling and a 1,000-class classifier, for 224x224 images. Every conv is followed by BatchNorm
and, but for the projection, by SiLU, as in EfficientNet; convs have no bias except the
squeeze-excite ones, whose squeeze width is a quarter of the layer's *input* channels. The
weights are PyTorch's default initialisation: the network is for timing and exporting, not
for accuracy.

Its parameter count is [`architecture_cost`][configurationspaces.efficientnet_cost.architecture_cost]'s
exactly. Its multiply-accumulates are the analytic count's `conv_fc` part
([`macs_parts`][configurationspaces.efficientnet_cost.macs_parts]): PyTorch's
`torch.utils.flop_counter.FlopCounterMode` counts convolutions and matrix products only
(two FLOPs a multiply-accumulate), while the dataset's `model_info.macs` (thop's convention)
adds 4 ops per BatchNorm output element and one per element into and out of each average
pool; neither counts activations, the squeeze-excite gating product, residual additions or
biases.

PyTorch is an optional dependency: `pip install 'anb[network]'`.
"""

from __future__ import annotations

import numpy as np

from configurationspaces import efficientnet_cost as cost
from configurationspaces.efficientnet_encoding import block_values, encode

EXTRA = "network"
INPUT_SHAPE = (3, cost.IMAGE_SIZE, cost.IMAGE_SIZE)
# EfficientNet's BatchNorm epsilon (its TensorFlow reference); it changes no count or shape.
BN_EPS = 1e-3


def require_torch():
    """The `torch` module, or an ImportError that names the extra to install.

    Returns
    -------
    types.ModuleType
        `torch`.

    Raises
    ------
    ImportError
        Without PyTorch, naming `pip install 'anb[network]'`.
    """
    try:
        import torch
    except ImportError:
        raise ImportError(f"building the network of an architecture needs PyTorch: pip install 'anb[{EXTRA}]'") from None
    return torch


def one_architecture(sample) -> dict[str, list[int]]:
    """The raw (expansion, kernel, layers, se) values of one architecture.

    Parameters
    ----------
    sample : Configuration | dict | DataFrame | list | numpy.ndarray
        One architecture in any form
        [`encode`][configurationspaces.efficientnet_encoding.encode] takes.

    Returns
    -------
    dict of str to list
        `e`, `k`, `l` and `se`, 7 values each.

    Raises
    ------
    ValueError
        For an invalid architecture, or more than one.
    """
    encoded = encode(sample)
    if len(encoded) != 1:
        raise ValueError(f"build_network takes one architecture; got {len(encoded)}")
    values = block_values(encoded)
    return {field: values[field][0].tolist() for field in ("e", "k", "l", "se")}


def build_network(sample, device=None):
    """The network of one architecture, 224x224 in, 1,000 logits out.

    Parameters
    ----------
    sample : Configuration | dict | DataFrame | list | numpy.ndarray
        One architecture in any form
        [`encode`][configurationspaces.efficientnet_encoding.encode] takes (a Configuration, a
        dict of `block{i}_{e,k,l,se}`, `[[e x7], [k x7], [l x7], [se x7]]`, a one-row encoded
        matrix or DataFrame).
    device : torch.device | str | None, default None
        Where the weights are made (a torch device or its name; `"meta"` makes no weights at
        all, for counting); `None` is PyTorch's default.

    Returns
    -------
    torch.nn.Module
        The network, in eval mode, with PyTorch's default initialisation.

    Raises
    ------
    ValueError
        For an invalid architecture, or more than one.
    ImportError
        Without PyTorch.

    Examples
    --------
    ```python
    from configurationspaces.efficientnet_network import build_network, random_input
    from configurationspaces.searchspaces import EfficientNetSS
    network = build_network(EfficientNetSS().efficientnet_b0())
    logits = network(random_input())          # shape (1, 1000)
    ```
    """
    arch = one_architecture(sample)
    torch = require_torch()
    nn = torch.nn

    def conv_bn(cin, cout, kernel, stride=1, groups=1, activation=True):
        layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False, device=device),
                  nn.BatchNorm2d(cout, eps=BN_EPS, device=device)]
        if activation:
            layers.append(nn.SiLU())
        return nn.Sequential(*layers)

    class SqueezeExcite(nn.Module):
        def __init__(self, channels, squeezed):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.reduce = nn.Conv2d(channels, squeezed, 1, device=device)
            self.act = nn.SiLU()
            self.expand = nn.Conv2d(squeezed, channels, 1, device=device)
            self.gate = nn.Sigmoid()

        def forward(self, x):
            return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))

    class MBConv(nn.Module):
        def __init__(self, cin, cout, expansion, kernel, stride, se):
            super().__init__()
            hidden = cin * expansion
            ops = [conv_bn(cin, hidden, 1)] if expansion != 1 else []
            ops.append(conv_bn(hidden, hidden, kernel, stride, groups=hidden))
            if se:
                ops.append(SqueezeExcite(hidden, cin // cost.SE_RATIO))
            ops.append(conv_bn(hidden, cout, 1, activation=False))
            self.ops = nn.Sequential(*ops)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.ops(x)
            return x + y if self.residual else y

    blocks = []
    for b in range(cost.N_BLOCKS):
        for layer in range(arch["l"][b]):
            first = layer == 0
            cin = cost.IN_CHANNELS[b] if first else cost.OUT_CHANNELS[b]
            blocks.append(MBConv(cin, cost.OUT_CHANNELS[b], arch["e"][b], arch["k"][b],
                                 cost.STRIDES[b] if first else 1, bool(arch["se"][b])))
    network = nn.Sequential(
        conv_bn(INPUT_SHAPE[0], cost.STEM_CHANNELS, 3, stride=2),
        *blocks,
        conv_bn(cost.OUT_CHANNELS[-1], cost.HEAD_CHANNELS, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(cost.HEAD_CHANNELS, cost.NUM_CLASSES, device=device),
    )
    return network.eval()


def random_input(batch: int = 1, seed: int = 0):
    """A float32 `(batch, 3, 224, 224)` tensor of standard normal values, the same for a seed.

    Parameters
    ----------
    batch : int, default 1
        The number of images.
    seed : int, default 0
        Seeds numpy's generator of the values.

    Returns
    -------
    torch.Tensor
        The input batch.

    Raises
    ------
    ImportError
        Without PyTorch.
    """
    torch = require_torch()
    values = np.random.default_rng(seed).standard_normal((batch, *INPUT_SHAPE), dtype=np.float32)
    return torch.from_numpy(values)
