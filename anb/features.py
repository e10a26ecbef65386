"""The feature matrix a surrogate sees: the encoded architecture plus analytic cost terms.

Columns, in order (``COST_COLUMNS`` names the ones after the 28 encoded):

* 28 ConfigSpace-encoded choices (``Configuration.get_array()`` order): what the architecture
  is; accuracy depends on them in ways no cost model captures.
* ``macs``, ``params`` (millions): the exact profiler counts of the analytic cost model. Trees
  split on a sum of per-block costs poorly, and speed on every device is driven by such sums,
  so giving them as features lets a shallow model rank architectures by cost directly.
* ``block{i}_macs`` (millions, 7 columns): conv MACs of each block. Blocks run at different
  resolutions and channel widths, so a device's time per MAC differs between them (the early,
  high-resolution blocks are memory-bound on GPUs, the late narrow ones under-fill wide units);
  per-block MACs let the trees weight them separately.
* ``expand_macs``, ``depthwise_macs``, ``se_macs``, ``project_macs`` (millions): network MACs
  by operation type. Depthwise convs and squeeze-excite have a much lower arithmetic intensity
  than 1x1 convs, so they cost more time per MAC on every accelerator (and the FPGA DPUs run
  them on different engines).
* ``activation_traffic``, ``peak_activation`` (millions of elements): activation elements read
  and written by all ops, and the largest single activation tensor; memory bandwidth and
  on-chip buffer size bound many layers, independently of their MACs.
* ``n_layers``, ``n_se_layers``, ``n_expand_layers``: layer counts, for the fixed per-layer
  overheads (kernel launches, DPU instruction scheduling, SE's pooling barrier).

Measured on the default split with the published XGBoost configurations, these extra columns
raised the test Kendall tau of every device target (e.g. zcu102 throughput 0.954 -> 0.972,
vck190 throughput 0.949 -> 0.963, a100 0.973 -> 0.986) and did not hurt accuracy. Other
candidates that did not help on validation: per-block params and activation traffic, and MACs
with channels padded to 8/16/32/128 (TPU / DPU tile sizes).

Everything is computed in closed form over (n, 7) arrays, with no loop over architectures.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.efficientnet_cost import N_BLOCKS, architecture_cost, block_costs
from configurationspaces.efficientnet_encoding import block_values, encode

# Bump when the columns change: a saved surrogate records the version it was fitted on and is
# rebuilt rather than fed a matrix it does not understand.
FEATURE_VERSION = 3

COST_COLUMNS = (
    ("macs", "params")
    + tuple(f"block{i}_macs" for i in range(N_BLOCKS))
    + ("expand_macs", "depthwise_macs", "se_macs", "project_macs")
    + ("activation_traffic", "peak_activation")
    + ("n_layers", "n_se_layers", "n_expand_layers")
)

_MACS_TERMS = ("expand_macs", "depthwise_macs", "se_macs", "project_macs")


def cost_features(encoded: np.ndarray) -> np.ndarray:
    """``(n, len(COST_COLUMNS))`` analytic cost columns of an encoded matrix."""
    values = block_values(encoded)
    e, k, l, se = values["e"], values["k"], values["l"], values["se"]
    macs, params = architecture_cost(e, k, l, se)
    terms = block_costs(e, k, l, se)
    block_macs = sum(terms[name] for name in _MACS_TERMS)
    return np.column_stack(
        [macs, params, block_macs / 1e6]
        + [terms[name].sum(axis=1) / 1e6 for name in _MACS_TERMS]
        + [terms["activation_traffic"].sum(axis=1) / 1e6, terms["peak_activation"].max(axis=1) / 1e6]
        + [terms[name].sum(axis=1) for name in ("n_layers", "n_se_layers", "n_expand_layers")]
    )


def features_from_encoded(encoded: np.ndarray) -> np.ndarray:
    """``(n, 28)`` encoded matrix -> ``(n, 28 + len(COST_COLUMNS))`` features."""
    encoded = np.asarray(encoded, dtype=np.float64)
    if len(encoded) == 0:
        return np.empty((0, encoded.shape[1] + len(COST_COLUMNS)))
    return np.hstack([encoded, cost_features(encoded)])


def build_features(samples) -> np.ndarray:
    """Features of any input :func:`configurationspaces.efficientnet_encoding.encode` accepts."""
    return features_from_encoded(encode(samples))
