"""The compiled walk behind :class:`anb.models.tree_table.TreeTable` (see there for the layout).

Rows go in blocks: each tree is walked for every row of a block while its few slots are in the
fastest cache, as xgboost's own predictor does. The walk of one tree is unrolled for its depth:
measured on members of ~1,700 depth-3 trees, the unrolled walk took half the time of a loop over
a depth known only at run time, and a block of rows about two thirds of one row at a time.

Compiled with ``cache=True``: numba writes the machine code beside this file (or to its user
cache when the package folder is read-only), so only the first process on a machine pays the
compilation; later ones load it in milliseconds.
"""

from __future__ import annotations

import numba
import numpy as np

# Rows per block; a block's rows are 64 x n_features float32 values, well inside the L1 cache.
ROW_BLOCK = 64
# From this many rows the blocks are shared among threads; below it, starting them costs more
# than they save.
PARALLEL_ROWS = 256


@numba.njit(cache=True, nogil=True, inline="always")
def _trees_at_depth(X, start, stop, first_split, first_leaf, n_trees, feature, threshold, leaf, levels, total):
    """Add the leaves of ``n_trees`` trees of depth ``levels`` for the rows ``start:stop`` of a
    NaN-free ``X`` to ``total``. Inlined where ``levels`` is a constant, so that the walk's loop is
    unrolled."""
    slots = (1 << levels) - 1
    for tree in range(n_trees):
        split = first_split + tree * slots
        tree_feature = feature[split:split + slots]
        tree_threshold = threshold[split:split + slots]
        tree_leaf = leaf[first_leaf + tree * (slots + 1):first_leaf + (tree + 1) * (slots + 1)]
        for row in range(start, stop):
            x = X[row]
            node = 0
            for _ in range(levels):
                node = 2 * node + 1 + (x[tree_feature[node]] >= tree_threshold[node])
            total[row - start] += tree_leaf[node - slots]


@numba.njit(cache=True, nogil=True)
def _row_with_nan(x, first_split, first_leaf, n_trees, feature, threshold, default_left, leaf, levels, base_score):
    """One output's prediction for a row with a NaN, which follows each split's default direction."""
    slots = (1 << levels) - 1
    total = base_score
    for tree in range(n_trees):
        split = first_split + tree * slots
        node = 0
        for _ in range(levels):
            value = x[feature[split + node]]
            right = not default_left[split + node] if np.isnan(value) else value >= threshold[split + node]
            node = 2 * node + 1 + right
        total += leaf[first_leaf + tree * (slots + 1) + node - slots]
    return total


@numba.njit(cache=True, nogil=True)
def _predict_block(X, start, stop, base_score, depth, n_trees, feature, threshold, default_left, leaf, out):
    """Every output's predictions for rows ``start:stop`` of ``X`` into ``out[:, start:stop]``."""
    has_nan = np.zeros(stop - start, np.bool_)
    for row in range(start, stop):
        for value in X[row]:
            if np.isnan(value):
                has_nan[row - start] = True
    first_split = 0
    first_leaf = 0
    for output in range(len(base_score)):
        total = np.full(stop - start, base_score[output], np.float32)
        levels, trees = depth[output], n_trees[output]
        if levels == 1:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 1, total)
        elif levels == 2:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 2, total)
        elif levels == 3:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 3, total)
        elif levels == 4:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 4, total)
        elif levels == 5:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 5, total)
        elif levels == 6:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 6, total)
        elif levels == 7:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 7, total)
        elif levels == 8:
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 8, total)
        else:
            # Trees without a split (a booster of stumps): each root is its leaf.
            _trees_at_depth(X, start, stop, first_split, first_leaf, trees, feature, threshold, leaf, 0, total)
        # The walk above sent NaNs right; such rows are walked again with the default directions.
        for row in range(start, stop):
            if has_nan[row - start]:
                total[row - start] = _row_with_nan(X[row], first_split, first_leaf, trees, feature, threshold,
                                                   default_left, leaf, levels, base_score[output])
        out[output, start:stop] = total
        first_split += trees * ((1 << levels) - 1)
        first_leaf += trees * (1 << levels)


@numba.njit(cache=True, nogil=True)
def predict(X, base_score, depth, n_trees, feature, threshold, default_left, leaf, out):
    """xgboost's prediction of each row of float32 ``X`` by each output into ``out[output, row]``,
    on one thread.

    ``x < threshold`` goes left, a NaN follows the split's default direction, and the leaves are
    added in float32 in tree order to the base score.
    """
    for start in range(0, X.shape[0], ROW_BLOCK):
        _predict_block(X, start, min(start + ROW_BLOCK, X.shape[0]), base_score, depth, n_trees, feature, threshold,
                       default_left, leaf, out)


@numba.njit(cache=True, parallel=True)
def predict_parallel(X, base_score, depth, n_trees, feature, threshold, default_left, leaf, out):
    """:func:`predict`, its row blocks shared among numba's threads."""
    n_blocks = (X.shape[0] + ROW_BLOCK - 1) // ROW_BLOCK
    for block in numba.prange(n_blocks):
        start = block * ROW_BLOCK
        _predict_block(X, start, min(start + ROW_BLOCK, X.shape[0]), base_score, depth, n_trees, feature, threshold,
                       default_left, leaf, out)
