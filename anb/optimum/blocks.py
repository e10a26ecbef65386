"""The space as seven independent block choices, each with its encoded values and cost shares.

An architecture is one choice per block: a block's (expansion, kernel, layers, squeeze-excite)
indices, 36 combinations (48 in block 5, which allows four layers). Every feature a surrogate
reads depends on the blocks through these choices only: the 28 encoded columns each belong to
one block, and the cost columns are sums (``peak_activation`` a maximum) over the blocks of a
per-block share. That is what makes the space a product the branch and bound can split block by
block, and what bounds a cost column over the blocks still free: the fixed shares plus the sum
of each free block's smallest (largest) share.

The shares are those of :mod:`anb.models.features`' own block table, so the decomposition is the one
the features are computed from, integer counts that add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from anb.models.features import COST_COLUMNS, COST_SCALE, block_table
from configurationspaces.efficientnet_encoding import FIELDS, N_BLOCKS, default_layout

PEAK_COLUMN = COST_COLUMNS.index("peak_activation")
N_ENCODED = 28
N_FEATURES = N_ENCODED + len(COST_COLUMNS)


@dataclass(frozen=True)
class BlockChoices:
    """Per block ``b`` and choice ``c`` (``c < n_choices[b]``; padded to the largest block):

    * ``encoded[b, c]``: the block's four encoded indices (columns ``columns[b]`` of a row);
    * ``shares[b, c]``: the block's share of every cost column, as integer counts (unscaled).
    """

    n_choices: np.ndarray
    columns: np.ndarray
    encoded: np.ndarray
    shares: np.ndarray
    scale: np.ndarray

    def rows(self, choices: np.ndarray) -> np.ndarray:
        """``(n, 7)`` choice indices -> the ``(n, 28)`` encoded matrix of those architectures."""
        choices = np.asarray(choices, dtype=np.int64).reshape(-1, N_BLOCKS)
        out = np.empty((len(choices), N_ENCODED))
        for b in range(N_BLOCKS):
            out[:, self.columns[b]] = self.encoded[b, choices[:, b]]
        return out

    def choices_of(self, encoded: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`rows`: ``(n, 28)`` encoded -> ``(n, 7)`` choice indices."""
        encoded = np.asarray(encoded, dtype=np.float64).reshape(-1, N_ENCODED)
        out = np.empty((len(encoded), N_BLOCKS), np.int64)
        for b in range(N_BLOCKS):
            block = encoded[:, self.columns[b]]
            match = (block[:, None, :] == self.encoded[b, None, :self.n_choices[b]]).all(axis=2)
            out[:, b] = match.argmax(axis=1)
        return out

    def size(self, fixed: dict[int, int] | None = None) -> int:
        """Architectures with the blocks of ``fixed`` set: the product of the free blocks' choices."""
        fixed = fixed or {}
        return int(np.prod([n for b, n in enumerate(self.n_choices) if b not in fixed], dtype=object))


@lru_cache(maxsize=1)
def block_choices() -> BlockChoices:
    layout = default_layout()
    table = block_table()
    columns = np.array([[layout.column[f"block{b}_{f}"] for f in FIELDS] for b in range(N_BLOCKS)])
    per_block = table.flat_values.reshape(N_BLOCKS, -1, len(COST_COLUMNS))
    widest = max(int(np.prod(layout.n_choices[columns[b]])) for b in range(N_BLOCKS))
    n_choices = np.zeros(N_BLOCKS, np.int64)
    encoded = np.zeros((N_BLOCKS, widest, len(FIELDS)))
    shares = np.zeros((N_BLOCKS, widest, len(COST_COLUMNS)))
    for b in range(N_BLOCKS):
        sizes = layout.n_choices[columns[b]]
        grid = np.stack(np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij"), axis=-1).reshape(-1, len(FIELDS))
        n_choices[b] = len(grid)
        encoded[b, :len(grid)] = grid
        # The table's row of a block's combination: the mixed-radix number its features use.
        rows = (grid.astype(np.float64) @ table.combination_weights[columns[b], b]).astype(np.int64)
        shares[b, :len(grid)] = per_block[b, rows]
        # Padding repeats the last choice, so a min or max over a padded row is the real one.
        encoded[b, len(grid):] = grid[-1]
        shares[b, len(grid):] = shares[b, len(grid) - 1]
    return BlockChoices(n_choices, columns, encoded, shares, np.asarray(COST_SCALE, np.float64))
