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

Each block's contribution to every column depends only on that block's four choices, so the
columns are a sum (a maximum for ``peak_activation``) over blocks of entries of a small table
built once from the closed-form cost model: a lookup per block instead of the model's dozens of
array operations, which matters for a query of one architecture. Every entry is an integer
count below 2**53, so the sums are exact in any order and equal the closed form bit for bit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from configurationspaces.efficientnet_cost import N_BLOCKS, architecture_cost, block_costs
from configurationspaces.efficientnet_encoding import FIELDS, block_values, default_layout, encode

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
_PEAK = COST_COLUMNS.index("peak_activation")
# Rows per gather of the block table: 2,048 x 7 x 18 shares (2 MB) stay in the cache.
_LOOKUP_ROWS = 2048
# Counts in millions, except the layer counts.
COST_SCALE = np.array([1.0 if name.startswith("n_") else 1e6 for name in COST_COLUMNS])


def _closed_form_counts(encoded: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Whole-network (macs, params) as exact integer counts, and the ``(n, 7)`` block terms."""
    values = block_values(encoded)
    e, k, l, se = values["e"], values["k"], values["l"], values["se"]
    # architecture_cost divides integer counts below 2**53 by 1e6 once; rint undoes that exactly.
    counts = np.rint(np.column_stack(architecture_cost(e, k, l, se)) * 1e6)
    return counts, block_costs(e, k, l, se)


class BlockTable:
    """Per block and per combination of its four choice indices, its share of every cost column."""

    def __init__(self):
        layout = default_layout()
        # columns[b, f]: the encoded column of block b's field f (FIELDS order).
        columns = np.array([[layout.column[f"block{b}_{f}"] for f in FIELDS] for b in range(N_BLOCKS)])
        sizes = layout.n_choices[columns].max(axis=0)
        # Mixed-radix weights: combo = ((e * nk + k) * nl + l) * nse + se.
        radix = np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]]).astype(np.float64)
        grid = np.stack(np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij"), axis=-1).reshape(-1, len(FIELDS))
        n_combos = len(grid)
        values = np.zeros((N_BLOCKS, n_combos, len(COST_COLUMNS)))
        baseline = np.zeros((1, len(layout.names)))
        base_counts, _ = _closed_form_counts(baseline)
        for b in range(N_BLOCKS):
            valid = (grid < layout.n_choices[columns[b]]).all(axis=1)
            encoded = np.repeat(baseline, valid.sum(), axis=0)
            encoded[:, columns[b]] = grid[valid]
            counts, terms = _closed_form_counts(encoded)
            # Only block b differs from the baseline, so the difference is block b's share.
            share = counts - base_counts + (base_counts if b == 0 else 0)
            table = values[b, valid]
            table[:, :2] = share
            table[:, 2 + b] = sum(terms[name][:, b] for name in _MACS_TERMS)
            for name in _MACS_TERMS + ("activation_traffic", "peak_activation", "n_layers", "n_se_layers",
                                       "n_expand_layers"):
                table[:, COST_COLUMNS.index(name)] = terms[name][:, b]
            values[b, valid] = table
        # Block b's combination c is row b * n_combos + c of the blocks' tables one after another;
        # encoded @ combination_weights gives every block's c in one product.
        self.flat_values = values.reshape(-1, len(COST_COLUMNS))
        self.first_row = np.arange(N_BLOCKS) * n_combos
        self.combination_weights = np.zeros((len(layout.names), N_BLOCKS))
        for b in range(N_BLOCKS):
            self.combination_weights[columns[b], b] = radix

    def totals(self, encoded: np.ndarray) -> np.ndarray:
        """``(n, len(COST_COLUMNS))``: the blocks' shares summed (the peak column: their maximum).

        One gather of every block's shares per chunk of rows: one call for a single architecture,
        and no ``(n, 7, len(COST_COLUMNS))`` array beyond the cache for many (on 100,000 rows,
        a fifth of the time of one piece). The shares are integer counts, so the sums are exact.
        """
        rows = (encoded @ self.combination_weights).astype(np.intp) + self.first_row
        totals = np.empty((len(encoded), len(COST_COLUMNS)))
        for start in range(0, len(encoded), _LOOKUP_ROWS):
            shares = self.flat_values[rows[start:start + _LOOKUP_ROWS]]
            totals[start:start + _LOOKUP_ROWS] = shares.sum(axis=1)
            totals[start:start + _LOOKUP_ROWS, _PEAK] = shares[:, :, _PEAK].max(axis=1)
        return totals


@lru_cache(maxsize=1)
def block_table() -> BlockTable:
    """The one block table of the process (also read by :mod:`anb.optimum`, which bounds the cost
    columns block by block)."""
    return BlockTable()


def cost_features(encoded: np.ndarray) -> np.ndarray:
    """``(n, len(COST_COLUMNS))`` analytic cost columns of a valid encoded matrix."""
    return block_table().totals(np.asarray(encoded, dtype=np.float64)) / COST_SCALE


def features_from_encoded(encoded: np.ndarray) -> np.ndarray:
    """``(n, 28)`` encoded matrix -> ``(n, 28 + len(COST_COLUMNS))`` features."""
    encoded = np.asarray(encoded, dtype=np.float64)
    out = np.empty((len(encoded), encoded.shape[1] + len(COST_COLUMNS)))
    out[:, :encoded.shape[1]] = encoded
    if len(encoded):
        out[:, encoded.shape[1]:] = cost_features(encoded)
    return out


def build_features(samples) -> np.ndarray:
    """Features of any input :func:`configurationspaces.efficientnet_encoding.encode` accepts."""
    return features_from_encoded(encode(samples))
