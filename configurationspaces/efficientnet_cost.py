"""Analytic MACs / parameter count for the MnasNet/EfficientNet-B0 search space.

An architecture is four (N, 7) integer arrays, one column per MBConv block:
expansion ratio, depthwise kernel size, number of layers and squeeze-excite
flag. The network is the EfficientNet-B0 skeleton at 224x224 input.

The counting conventions below were fitted to the `model_info` of the 5,138
Accel-NASBench architectures; with them both numbers are reproduced exactly
(to float rounding) for every architecture. They are those of the `thop`
profiler run on a PyTorch model:

* Parameters: conv weights without biases, 2 per BatchNorm channel (gamma and
  beta; running statistics are buffers), SE convs with biases, FC with bias.
* SE squeeze width is 1/4 of the MBConv layer's *input* channels (as in
  EfficientNet), not of the expanded channels; the latter misses params by
  up to 72%.
* MACs: conv and FC multiply-accumulates only (no bias terms), counted over
  every output position, so padding does not matter. BatchNorm costs
  4 ops per output element (thop: 2 per element, doubled when affine).
  Activations, the SE sigmoid and gating multiply, and residual additions
  cost nothing. Adaptive average pooling (SE and head) costs one op per
  input element plus one per output element.
"""

import numpy as np

STRIDES = (1, 2, 2, 2, 1, 2, 1)
IN_CHANNELS = (32, 16, 24, 40, 80, 112, 192)
OUT_CHANNELS = (16, 24, 40, 80, 112, 192, 320)
N_BLOCKS = len(STRIDES)

IMAGE_SIZE = 224
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000
SE_RATIO = 4  # squeeze channels = input channels // 4
BN_PARAMS = 2  # gamma, beta per channel
BN_MACS = 4  # per output element, thop convention for an affine BatchNorm


def _ceil_div(a, b):
    # "same" padding: output size is ceil(input / stride)
    return -(-a // b)


def _check(name, arr, shape, minimum=None):
    """Return `arr` as a 2-D array of the expected shape, or raise ValueError."""
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.shape[1] != N_BLOCKS:
        raise ValueError(
            f"{name} must have shape (N, {N_BLOCKS}), got {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(
            f"{name} has shape {arr.shape}, expected {shape} like expansion")
    if minimum is not None:
        if not (np.issubdtype(arr.dtype, np.integer)
                or np.all(arr == np.round(arr))):
            raise ValueError(f"{name} must hold integers")
        if arr.size and arr.min() < minimum:
            raise ValueError(f"{name} values must be >= {minimum}")
    return arr


MACS_PARTS = ("conv_fc", "batchnorm", "pooling")


def macs_parts(expansion, kernel, layers, se):
    """The MACs of [`architecture_cost`][configurationspaces.efficientnet_cost.architecture_cost] split by the kind of op, and the parameter count.

    Parameters
    ----------
    expansion : array_like
        `(N, 7)` integers >= 1: the expansion ratio of each block.
    kernel : array_like
        `(N, 7)` integers >= 1: the depthwise kernel size of each block.
    layers : array_like
        `(N, 7)` integers >= 1: the number of layers of each block.
    se : array_like
        `(N, 7)` bools: whether each block has squeeze-excite.

    Returns
    -------
    parts : dict of str to numpy.ndarray
        Maps each name of `MACS_PARTS` to an integer count (float64 array of shape (N,)):
        `conv_fc`, the multiply-accumulates of every conv and of the classifier (what a FLOP
        counter that knows only conv and matmul reports, halved); `batchnorm`, 4 per output
        element of each BatchNorm; `pooling`, one per input and per output element of each
        average pool.
    params : numpy.ndarray
        The parameter count (not in millions), shape (N,).

    Raises
    ------
    ValueError
        When an array is not `(N, 7)`, the shapes differ, or `expansion`, `kernel` or `layers`
        hold something other than integers >= 1.
    """
    expansion = _check("expansion", expansion, None, minimum=1)
    shape = expansion.shape
    kernel = _check("kernel", kernel, shape, minimum=1)
    layers = _check("layers", layers, shape, minimum=1)
    se = _check("se", se, shape).astype(bool)

    expansion = expansion.astype(np.float64)
    kernel = kernel.astype(np.float64)
    n = shape[0]
    conv_fc, batchnorm, pooling = np.zeros(n), np.zeros(n), np.zeros(n)
    params = np.zeros(n)

    # Stem: 3x3 stride-2 conv 3 -> 32, BN.
    res = _ceil_div(IMAGE_SIZE, 2)
    conv_fc += 3 * 9 * STEM_CHANNELS * res * res
    batchnorm += BN_MACS * STEM_CHANNELS * res * res
    params += 3 * 9 * STEM_CHANNELS + BN_PARAMS * STEM_CHANNELS

    for i in range(N_BLOCKS):
        out_res = _ceil_div(res, STRIDES[i])
        exp = expansion[:, i]
        k2 = kernel[:, i] ** 2
        has_se = se[:, i]
        has_expand = exp != 1
        cout = OUT_CHANNELS[i]
        n_layers = int(layers[:, i].max()) if n else 0
        for j in range(n_layers):
            # Only the block's first layer strides and changes channels.
            cin = IN_CHANNELS[i] if j == 0 else cout
            in_res = res if j == 0 else out_res
            hid = cin * exp
            sq = cin // SE_RATIO
            area = out_res * out_res

            # 1x1 expansion conv + BN, absent when the ratio is 1.
            c = np.where(has_expand, cin * hid * in_res * in_res, 0.0)
            b = np.where(has_expand, BN_MACS * hid * in_res * in_res, 0.0)
            p = np.where(has_expand, (cin + BN_PARAMS) * hid, 0.0)
            # kxk depthwise conv + BN.
            c += k2 * hid * area
            b += BN_MACS * hid * area
            p += (k2 + BN_PARAMS) * hid
            # Squeeze-excite: avg pool, 1x1 conv hid->sq, 1x1 conv sq->hid.
            c += np.where(has_se, 2 * hid * sq, 0.0)
            pool = np.where(has_se, hid * area + hid, 0.0)
            p += np.where(has_se, 2 * hid * sq + sq + hid, 0.0)
            # 1x1 projection conv + BN.
            c += hid * cout * area
            b += BN_MACS * cout * area
            p += hid * cout + BN_PARAMS * cout

            active = layers[:, i] > j
            conv_fc += np.where(active, c, 0.0)
            batchnorm += np.where(active, b, 0.0)
            pooling += np.where(active, pool, 0.0)
            params += np.where(active, p, 0.0)
        res = out_res

    # Head: 1x1 conv + BN, global average pool, fully connected with bias.
    last = OUT_CHANNELS[-1]
    area = res * res
    conv_fc += last * HEAD_CHANNELS * area + HEAD_CHANNELS * NUM_CLASSES
    batchnorm += BN_MACS * HEAD_CHANNELS * area
    pooling += HEAD_CHANNELS * area + HEAD_CHANNELS
    params += last * HEAD_CHANNELS + BN_PARAMS * HEAD_CHANNELS
    params += HEAD_CHANNELS * NUM_CLASSES + NUM_CLASSES

    return {"conv_fc": conv_fc, "batchnorm": batchnorm, "pooling": pooling}, params


def architecture_cost(expansion, kernel, layers, se):
    """The MACs and parameter count of architectures, in millions, exactly as the dataset's `model_info`.

    Row n of every array describes architecture n, column i block i.

    Parameters
    ----------
    expansion : array_like
        `(N, 7)` integers >= 1: the expansion ratio of each block.
    kernel : array_like
        `(N, 7)` integers >= 1: the depthwise kernel size of each block.
    layers : array_like
        `(N, 7)` integers >= 1: the number of layers of each block.
    se : array_like
        `(N, 7)` bools: whether each block has squeeze-excite.

    Returns
    -------
    macs_millions : numpy.ndarray
        float64, shape (N,).
    params_millions : numpy.ndarray
        float64, shape (N,).

    Raises
    ------
    ValueError
        When an array is not `(N, 7)`, the shapes differ, or `expansion`, `kernel` or `layers`
        hold something other than integers >= 1.

    Examples
    --------
    ```python
    from configurationspaces.efficientnet_cost import architecture_cost
    macs, params = architecture_cost([[1, 6, 6, 6, 6, 6, 6]], [[3, 3, 5, 3, 5, 5, 3]],
                                     [[1, 2, 2, 3, 3, 4, 1]], [[True] * 7])   # EfficientNet-B0
    ```
    """
    parts, params = macs_parts(expansion, kernel, layers, se)
    # Every part is an integer count below 2**53, so the sum is exact in any order.
    macs = parts["conv_fc"] + parts["batchnorm"] + parts["pooling"]
    return macs / 1e6, params / 1e6


# ---------------------------------------------------------------------------
# Per-block cost terms, for surrogate features (``anb.models.features``).
#
# ``architecture_cost`` above is the exact profiler count of the whole network. The terms
# below split the main part of it by block and by operation, because devices do not spend
# their time in proportion to total MACs: a depthwise conv or a squeeze-excite costs more
# time per MAC than a 1x1 conv on every accelerator here, and activation traffic rather than
# arithmetic bounds many layers on GPUs. They count conv/FC multiply-accumulates and
# activation elements only (no BatchNorm, no biases), so they are not meant to sum to
# ``architecture_cost``; they are computed in closed form over (N, 7) arrays (a block is its
# first layer, which strides and changes channels, plus ``layers - 1`` identical repeats),
# so they cost a few array operations per column whatever N is.
# ---------------------------------------------------------------------------

BLOCK_TERMS = (
    "expand_macs",  # 1x1 expansion conv (absent when the expansion ratio is 1)
    "depthwise_macs",  # kxk depthwise conv
    "se_macs",  # squeeze-excite: average pool plus its two 1x1 convs
    "project_macs",  # 1x1 projection conv
    "activation_traffic",  # activation elements read and written by the block's ops
    "peak_activation",  # largest activation tensor of any of the block's layers
    "n_layers",  # MBConv layers in the block
    "n_se_layers",  # layers with squeeze-excite
    "n_expand_layers",  # layers with an expansion conv
)


def _block_resolutions():
    """Input and output feature-map side of each block's first layer, shape (7,) each."""
    res_in, res_out = [], []
    res = _ceil_div(IMAGE_SIZE, 2)  # after the stem
    for stride in STRIDES:
        res_in.append(res)
        res = _ceil_div(res, stride)
        res_out.append(res)
    return np.array(res_in, dtype=np.float64), np.array(res_out, dtype=np.float64)


def _layer_terms(expansion, kernel, se, cin, in_res, out_res):
    """Every BLOCK_TERMS entry for one layer per block, each an (N, 7) float64 array.

    ``cin``, ``in_res`` and ``out_res`` are (7,) arrays broadcast over the rows.
    """
    cout = np.array(OUT_CHANNELS, dtype=np.float64)
    hid = cin * expansion
    sq = cin // SE_RATIO
    in_area, out_area = in_res * in_res, out_res * out_res
    has_expand = expansion != 1
    ones = np.ones_like(expansion)
    expanded = hid * in_area  # the expansion conv's output (or the input itself at ratio 1)
    return {
        "expand_macs": np.where(has_expand, cin * hid * in_area, 0.0),
        "depthwise_macs": kernel * kernel * hid * out_area,
        "se_macs": np.where(se, hid * out_area + 2 * hid * sq, 0.0),
        "project_macs": hid * cout * out_area,
        # expansion reads its input and writes the expanded map; the depthwise reads that and
        # writes the strided map; SE reads it twice (pool, gating); projection reads it and
        # writes the block output.
        "activation_traffic": (
            np.where(has_expand, cin * in_area + expanded, 0.0)
            + expanded + hid * out_area
            + np.where(se, 2 * hid * out_area, 0.0)
            + hid * out_area + cout * out_area
        ),
        "peak_activation": np.maximum(expanded, hid * out_area),
        "n_layers": ones,
        "n_se_layers": se * ones,
        "n_expand_layers": has_expand * ones,
    }


def block_costs(expansion, kernel, layers, se):
    """Per-block cost terms, for surrogate features.

    They split the main part of the cost by block and by operation (conv/FC
    multiply-accumulates and activation elements only, no BatchNorm, no biases), so they are
    not meant to sum to [`architecture_cost`][configurationspaces.efficientnet_cost.architecture_cost].
    `peak_activation` is the maximum over the block's layers, every other term the sum over
    them.

    Parameters
    ----------
    expansion : array_like
        `(N, 7)` integers >= 1: the expansion ratio of each block.
    kernel : array_like
        `(N, 7)` integers >= 1: the depthwise kernel size of each block.
    layers : array_like
        `(N, 7)` integers >= 1: the number of layers of each block.
    se : array_like
        `(N, 7)` bools: whether each block has squeeze-excite.

    Returns
    -------
    dict of str to numpy.ndarray
        Maps each name of `BLOCK_TERMS` (`expand_macs`, `depthwise_macs`, `se_macs`,
        `project_macs`, `activation_traffic`, `peak_activation`, `n_layers`, `n_se_layers`,
        `n_expand_layers`) to an (N, 7) float64 array.

    Raises
    ------
    ValueError
        When an array is not `(N, 7)`, the shapes differ, or `expansion`, `kernel` or `layers`
        hold something other than integers >= 1.
    """
    expansion = _check("expansion", expansion, None, minimum=1)
    shape = expansion.shape
    kernel = _check("kernel", kernel, shape, minimum=1).astype(np.float64)
    layers = _check("layers", layers, shape, minimum=1).astype(np.float64)
    se = _check("se", se, shape).astype(bool)
    expansion = expansion.astype(np.float64)

    res_in, res_out = _block_resolutions()
    first = _layer_terms(expansion, kernel, se, np.array(IN_CHANNELS, dtype=np.float64), res_in, res_out)
    repeat = _layer_terms(expansion, kernel, se, np.array(OUT_CHANNELS, dtype=np.float64), res_out, res_out)
    terms = {}
    for name in BLOCK_TERMS:
        if name == "peak_activation":
            terms[name] = np.where(layers > 1, np.maximum(first[name], repeat[name]), first[name])
        else:
            terms[name] = first[name] + (layers - 1) * repeat[name]
    return terms
