"""A fitted scikit-learn random forest as flat arrays: saved without pickling, walked by a compiled kernel.

scikit-learn can only pickle a forest, and a pickle is neither portable across its versions nor
safe to load from a download. The arrays here hold everything a regression forest predicts
from: per node its children, split feature, threshold and value, the trees one after another.
They are written as an ``.npz`` (numpy's own zip of ``.npy`` arrays, read with
``allow_pickle=False``), which any numpy reads.

The walk is scikit-learn's: the row is compared in float32 (``X`` is cast to float32 before a tree
sees it) against the float64 threshold, ``x <= threshold`` goes left, and the forest's answer is
the trees' values summed in tree order and divided by their number. scikit-learn sums the trees
in whatever order its threads finish, so the two can differ in the last bits; this order is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from anb.models.compile_cache import caching
from anb.models.npz_arrays import load_arrays, save_arrays
from anb.models.tree_kernel import PARALLEL_ROWS

# numba's cache when it can write one (see anb.models.compile_cache), else compiled in memory.
CACHE = caching(__file__)

LEAF = -1  # scikit-learn's children of a leaf
# Rows that walk a tree together (their float32 copy, 750 KB for 46 features).
ROW_BLOCK = 4096


@numba.njit(cache=CACHE, nogil=True)
def _walk_block(X32, start, stop, first_node, left, right, feature, threshold, value, out, splits):
    """Rows ``start:stop``: ``out[i]``, the forest's prediction of row ``i``; ``splits[i]``, the split
    nodes it passed.

    Tree by tree over the block's rows: a tree's nodes stay in cache while every row walks it
    (row by row over all trees was about 20x slower on 20,600 rows, the forest being larger than
    the cache); each row's sum still takes the trees in order, whatever the number of threads."""
    n_trees = first_node.shape[0] - 1
    out[start:stop] = 0.0
    splits[start:stop] = 0
    for tree in range(n_trees):
        root = first_node[tree]
        for i in range(start, stop):
            node = root
            passed = 0
            while left[node] != LEAF:
                passed += 1
                if X32[i, feature[node]] <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            out[i] += value[node]
            splits[i] += passed
    for i in range(start, stop):
        out[i] /= n_trees


@numba.njit(cache=CACHE, nogil=True)
def _walk(X32, first_node, left, right, feature, threshold, value, out, splits):
    for start in range(0, X32.shape[0], ROW_BLOCK):
        _walk_block(X32, start, min(start + ROW_BLOCK, X32.shape[0]), first_node, left, right, feature, threshold,
                    value, out, splits)


@numba.njit(cache=CACHE, parallel=True)
def _walk_parallel(X32, first_node, left, right, feature, threshold, value, out, splits):
    """:func:`_walk`, its row blocks shared among numba's threads."""
    n_blocks = (X32.shape[0] + ROW_BLOCK - 1) // ROW_BLOCK
    for block in numba.prange(n_blocks):
        start = block * ROW_BLOCK
        _walk_block(X32, start, min(start + ROW_BLOCK, X32.shape[0]), first_node, left, right, feature, threshold,
                    value, out, splits)


@dataclass(frozen=True)
class ForestArrays:
    """The nodes of every tree; ``left``/``right`` index the flat arrays (``-1``: a leaf)."""

    first_node: np.ndarray  # (n_trees + 1,) where each tree's nodes start; the root comes first
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray

    @classmethod
    def from_estimator(cls, forest) -> ForestArrays:
        """The arrays of a fitted single-output ``RandomForestRegressor``."""
        trees = [estimator.tree_ for estimator in forest.estimators_]
        sizes = np.array([tree.node_count for tree in trees], np.int64)
        first_node = np.concatenate([[0], np.cumsum(sizes)])
        if first_node[-1] > np.iinfo(np.int32).max:
            raise ValueError(f"a forest of {first_node[-1]:,} nodes is too large to store (at most 2**31 - 1)")

        def children(side: str) -> np.ndarray:
            # A child's index within its tree, moved to the flat arrays; a leaf keeps -1.
            return np.concatenate([np.where(getattr(tree, side) == LEAF, LEAF, getattr(tree, side) + start)
                                   for tree, start in zip(trees, first_node[:-1])]).astype(np.int32)

        return cls(first_node, children("children_left"), children("children_right"),
                   np.concatenate([tree.feature for tree in trees]).astype(np.int32),
                   np.concatenate([tree.threshold for tree in trees]).astype(np.float64),
                   np.concatenate([tree.value[:, 0, 0] for tree in trees]).astype(np.float64))

    def _run(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        out = np.empty(len(X32))
        splits = np.empty(len(X32), np.int64)
        walk = _walk_parallel if len(X32) >= PARALLEL_ROWS else _walk
        walk(X32, self.first_node, self.left, self.right, self.feature, self.threshold, self.value, out, splits)
        return out, splits

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._run(X)[0]

    def split_nodes_per_row(self, X: np.ndarray) -> np.ndarray:
        """Split nodes each row passes through, summed over the trees."""
        return self._run(X)[1]

    def save(self, path: str | Path) -> None:
        save_arrays(self, path)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ForestArrays:
        """The arrays :meth:`save` wrote; ``ValueError`` for anything else (a pickle included)."""
        return load_arrays(cls, raw, "a forest")
