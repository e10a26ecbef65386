"""The compiled evaluation behind :class:`anb.models.tree_table.TreeTable` (see there for the layout).

Two ways through the trees, both giving xgboost's predictions bit for bit (float32 comparisons,
``x >= threshold`` goes right, leaves added in float32 in tree order after the base score):

* **Every split compared, for blocks of rows and shallow trees.** A block's rows are copied
  feature-major, so each split's comparison is one contiguous loop over the rows, which the
  compiler turns into SIMD instructions. All ``2**depth - 1`` splits of a tree are compared
  (instead of the ``depth`` a walk takes), and the leaf each row reaches is found bottom-up: a
  split's leaf offset is its left child's, or, when the row goes right, its right subtree's width
  plus the right child's offset. The two lowest levels of splits go in one pass (three
  comparisons per row, no offsets stored for the lowest). Measured on one core, 20,000 rows,
  against the walk below: 3.5-5x faster for depths 2-4, 2.5x for depth 6; from depth 7 the
  comparisons, doubling with every level, cost more than they save.
* **A walk per row, for a few rows or deep trees**, four trees at a time: their walks are
  independent, so the processor overlaps their loads (measured on one row and 10,000 depth-3
  trees: 59 us, against 89 us one tree at a time).

Each tree is stored at its booster's depth, but its work is that of its own depth (``tree_depth``):
the splits below it are fillers that lead to copies of its leaves, so a tree of depth ``d`` in
slots of depth ``D`` compares only its top ``d`` levels and reads leaf ``offset << (D - d)``, and
a single-leaf tree adds its value without a comparison. Tuned boosters are ragged: of the a100
throughput ensemble's 3,220 trees, 2,794 are single leaves and 422 are 6 deep; on one core, 20,000
rows, it takes 0.043 s instead of 0.309 s with every tree worked at depth 6, and one row 30 us
instead of 54 us. The order of the additions, and so every prediction, stays xgboost's.

The depth is a run-time value: unrolling the walk for each depth made it at most 10 % faster and
tripled the compilation of a machine's first run.

Compiled with numba's cache: numba writes the machine code beside this file (or to its user
cache when the package folder is read-only, or to a private temporary folder when that cannot be
written either: :mod:`anb.models.compile_cache`), so only the first process on a machine pays the
compilation; later ones load it in milliseconds.
"""

from __future__ import annotations

import numba
import numpy as np

from anb.models.compile_cache import caching

# numba's cache when it can write one (see anb.models.compile_cache), else compiled in memory.
CACHE = caching(__file__)

# Rows per block: a block's feature-major copy (n_features x 128 float32, 23 KB for 46 features)
# and its leaf offsets stay in the L1 and L2 caches; measured against 64 and 256 rows, 128 was
# the fastest or level at depths 2-6.
ROW_BLOCK = 128
# Trees up to this depth compare every split for blocks of at least max(VECTOR_ROWS,
# 2**(depth - 1)) rows; measured break-even points: about 8 rows at depth 3, over 16 at depth 6.
VECTOR_MAX_DEPTH = 6
VECTOR_ROWS = 8
# Walked trees go this many at a time through all rows of a block, so that their slots stay in
# the cache while each row passes through them.
WALK_CHUNK = 16
# From this many rows the blocks are shared among threads; below it, starting them costs more
# than they save.
PARALLEL_ROWS = 256


@numba.njit(cache=CACHE, nogil=True, inline="always")
def _walk_row(x, first_split, first_leaf, first_tree, n_trees, ragged, tree_depth, feature, threshold, leaf, levels,
              total):
    """``total`` plus the leaves of a NaN-free row ``x`` in ``n_trees`` trees stored at depth
    ``levels``, walked four trees at a time and added in tree order. Unless ``ragged``, every tree
    is ``levels`` deep, and reading the trees' depths (8 % of a one-row call through 10,000 depth-3
    trees) is skipped."""
    slots = (1 << levels) - 1
    tree = 0
    while tree + 4 <= n_trees:
        s0 = first_split + tree * slots
        s1, s2, s3 = s0 + slots, s0 + 2 * slots, s0 + 3 * slots
        # The four walks go as deep as the deepest of the four trees; in a shallower one the
        # extra steps pass filler splits, all of whose ways lead to copies of the leaf reached.
        steps = levels
        if ragged:
            steps = max(max(tree_depth[first_tree + tree], tree_depth[first_tree + tree + 1]),
                        max(tree_depth[first_tree + tree + 2], tree_depth[first_tree + tree + 3]))
        n0 = n1 = n2 = n3 = 0
        for _ in range(steps):
            n0 = 2 * n0 + 1 + (x[feature[s0 + n0]] >= threshold[s0 + n0])
            n1 = 2 * n1 + 1 + (x[feature[s1 + n1]] >= threshold[s1 + n1])
            n2 = 2 * n2 + 1 + (x[feature[s2 + n2]] >= threshold[s2 + n2])
            n3 = 2 * n3 + 1 + (x[feature[s3 + n3]] >= threshold[s3 + n3])
        if steps < levels:
            # A walk of ``steps`` ends in slot ``node`` of level ``steps``; the first copy of its leaf
            # on the last level is slot ``slots + ((node - 2**steps + 1) << (levels - steps))``.
            shift, above = levels - steps, (1 << steps) - 1
            n0, n1 = slots + ((n0 - above) << shift), slots + ((n1 - above) << shift)
            n2, n3 = slots + ((n2 - above) << shift), slots + ((n3 - above) << shift)
        # A walk ends in slot ``node`` >= slots: leaf ``node - slots`` of the tree's ``slots + 1``.
        leaves = first_leaf + tree * (slots + 1) - slots
        total += leaf[leaves + n0]
        total += leaf[leaves + slots + 1 + n1]
        total += leaf[leaves + 2 * (slots + 1) + n2]
        total += leaf[leaves + 3 * (slots + 1) + n3]
        tree += 4
    while tree < n_trees:
        split = first_split + tree * slots
        steps = tree_depth[first_tree + tree] if ragged else levels
        node = 0
        for _ in range(steps):
            node = 2 * node + 1 + (x[feature[split + node]] >= threshold[split + node])
        total += leaf[first_leaf + tree * (slots + 1) + ((node - (1 << steps) + 1) << (levels - steps))]
        tree += 1
    return total


@numba.njit(cache=CACHE, nogil=True)
def _compare_block(columns, first_split, first_leaf, first_tree, n_trees, tree_depth, feature, threshold, leaf, levels,
                   offset, total):
    """Add to ``total`` the leaves of ``n_trees`` trees stored at depth ``levels`` for the NaN-free
    rows whose feature-major copy is ``columns``; ``offset`` is scratch of at least
    ``2**levels - 1`` rows."""
    n = columns.shape[1]
    slots = (1 << levels) - 1
    for tree in range(n_trees):
        split, leaves = first_split + tree * slots, first_leaf + tree * (slots + 1)
        depth = tree_depth[first_tree + tree]
        if depth == 0:
            value = leaf[leaves]
            for row in range(n):
                total[row] += value
            continue
        reached = offset[0]
        if depth == 1:
            x, cut = columns[feature[split]], threshold[split]
            for row in range(n):
                reached[row] = np.int32(x[row] >= cut)
        else:
            # Each split of the second-lowest level with its two children (the lowest splits, above
            # leaves) in one pass: three comparisons give its leaf offset, 0 to 3.
            for node in range((1 << (depth - 2)) - 1, (1 << (depth - 1)) - 1):
                x, cut, out = columns[feature[split + node]], threshold[split + node], offset[node]
                left_child, right_child = split + 2 * node + 1, split + 2 * node + 2
                xl, cl = columns[feature[left_child]], threshold[left_child]
                xr, cr = columns[feature[right_child]], threshold[right_child]
                for row in range(n):
                    left, right = np.int32(xl[row] >= cl), np.int32(xr[row] >= cr)
                    out[row] = left + np.int32(x[row] >= cut) * (2 + right - left)
            width = 4
            for level in range(depth - 3, -1, -1):
                for node in range((1 << level) - 1, (1 << (level + 1)) - 1):
                    x, cut, out = columns[feature[split + node]], threshold[split + node], offset[node]
                    left, right = offset[2 * node + 1], offset[2 * node + 2]
                    for row in range(n):
                        out[row] = left[row] + np.int32(x[row] >= cut) * (width + right[row] - left[row])
                width *= 2
        if depth < levels:
            # The first copy of the leaf reached, on the last level.
            for row in range(n):
                reached[row] <<= levels - depth
        for row in range(n):
            total[row] += leaf[leaves + reached[row]]


@numba.njit(cache=CACHE, nogil=True)
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


@numba.njit(cache=CACHE, nogil=True)
def _predict_block(X, start, stop, base_score, depth, n_trees, ragged, tree_depth, feature, threshold, default_left, leaf,
                   out):
    """Every output's predictions for rows ``start:stop`` of ``X`` into ``out[:, start:stop]``."""
    n = stop - start
    has_nan = np.zeros(n, np.bool_)
    columns = np.empty((X.shape[1], n), np.float32)
    for row in range(n):
        for column in range(X.shape[1]):
            value = X[start + row, column]
            columns[column, row] = value
            if np.isnan(value):
                has_nan[row] = True
    offset = np.empty(((1 << VECTOR_MAX_DEPTH) - 1, n), np.int32)
    first_split = 0
    first_leaf = 0
    first_tree = 0
    for output in range(len(base_score)):
        total = np.full(n, base_score[output], np.float32)
        levels, trees = depth[output], n_trees[output]
        slots = (1 << levels) - 1
        if 1 <= levels <= VECTOR_MAX_DEPTH and n >= max(VECTOR_ROWS, 1 << (levels - 1)):
            _compare_block(columns, first_split, first_leaf, first_tree, trees, tree_depth, feature, threshold, leaf,
                           levels, offset, total)
        else:
            for chunk in range(0, trees, WALK_CHUNK):
                chunk_trees = min(WALK_CHUNK, trees - chunk)
                for row in range(n):
                    total[row] = _walk_row(X[start + row], first_split + chunk * slots, first_leaf + chunk * (slots + 1),
                                           first_tree + chunk, chunk_trees, ragged[output], tree_depth, feature,
                                           threshold, leaf, levels, total[row])
        # The comparisons above sent NaNs left; such rows are walked again with the default directions.
        for row in range(n):
            if has_nan[row]:
                total[row] = _row_with_nan(X[start + row], first_split, first_leaf, trees, feature, threshold,
                                           default_left, leaf, levels, base_score[output])
        out[output, start:stop] = total
        first_split += trees * slots
        first_leaf += trees * (slots + 1)
        first_tree += trees


@numba.njit(cache=CACHE, nogil=True)
def predict(X, base_score, depth, n_trees, ragged, tree_depth, feature, threshold, default_left, leaf, out):
    """xgboost's prediction of each row of float32 ``X`` by each output into ``out[output, row]``,
    on one thread.

    ``x < threshold`` goes left, a NaN follows the split's default direction, and the leaves are
    added in float32 in tree order to the base score.
    """
    for start in range(0, X.shape[0], ROW_BLOCK):
        _predict_block(X, start, min(start + ROW_BLOCK, X.shape[0]), base_score, depth, n_trees, ragged, tree_depth,
                       feature, threshold, default_left, leaf, out)


@numba.njit(cache=CACHE, parallel=True)
def predict_parallel(X, base_score, depth, n_trees, ragged, tree_depth, feature, threshold, default_left, leaf, out):
    """:func:`predict`, its row blocks shared among numba's threads."""
    n_blocks = (X.shape[0] + ROW_BLOCK - 1) // ROW_BLOCK
    for block in numba.prange(n_blocks):
        start = block * ROW_BLOCK
        _predict_block(X, start, min(start + ROW_BLOCK, X.shape[0]), base_score, depth, n_trees, ragged, tree_depth,
                       feature, threshold, default_left, leaf, out)
