"""XGBoost boosters as complete binary trees in flat arrays, walked by a compiled kernel.

xgboost 3.2 spends time in proportion to the model's size on every ``predict`` call, before it
looks at a row (upstream describes a walk over every node to precompute tree depths,
dmlc/xgboost#12307): a call for one row costs as much as dozens of rows. A :class:`TreeTable`
holds the same trees and :mod:`anb.models.tree_kernel` walks them with no per-call setup.

Each tree is stored as a complete binary tree of its booster's depth (at most ``MAX_DEPTH``) in
heap order (slot ``i`` has children ``2i+1`` and ``2i+2``): a row's walk is ``depth`` steps of
index arithmetic, with no test for having reached a leaf, and every tree of a depth has the same
shape, so that the kernel can compare all splits of a tree for a block of rows in SIMD
instructions. A leaf above the last level is copied to every slot below it: whichever way the filler
splits send a row, it arrives at that leaf's value. Each tree's own depth is kept beside it, so that
the kernel skips a shallow tree's filler levels. Predictions equal xgboost's exactly: inputs
and thresholds are compared in float32 (``x < threshold`` goes left, a NaN follows the split's
default direction) and the leaves are summed in float32 in tree order after the base score, as
xgboost's predictor accumulates them.

A table holds one or more boosters ("outputs"); :func:`stack_tables` joins the members of an
ensemble so that one kernel call answers for all of them.
"""

from __future__ import annotations

import numpy as np

from anb.models.xgb_nodes import BoosterNodes, UnsupportedModel, read_nodes

# Complete trees double in size with every level: a booster's may be at most MAX_DEPTH deep and
# take at most MAX_SLOTS slots (~9 bytes each); deeper or larger boosters predict through xgboost.
MAX_DEPTH = 8
MAX_SLOTS = 1 << 22

__all__ = ["MAX_DEPTH", "MAX_SLOTS", "TreeTable", "UnsupportedModel", "stack_tables"]


def _tree_depth(nodes: BoosterNodes) -> int:
    """The number of splits on the longest root-to-leaf path of any tree."""
    level, depth = nodes.roots, 0
    while True:
        inner = level[nodes.children[level, 0] >= 0]
        if not len(inner):
            return depth
        level, depth = nodes.children[inner].ravel(), depth + 1


def _complete_trees(nodes: BoosterNodes, depth: int) -> tuple[np.ndarray, ...]:
    """Each tree's own depth; (feature, threshold, default_left) of the ``2**depth - 1`` split
    slots and the values of the ``2**depth`` leaf slots of every tree, one row per tree; built a
    level at a time over all trees at once."""
    n_trees, slots = len(nodes.roots), 2 ** depth - 1
    tree_depth = np.zeros(n_trees, np.int32)
    feature = np.zeros((n_trees, slots), np.int32)
    threshold = np.zeros((n_trees, slots), np.float32)
    default_left = np.ones((n_trees, slots), np.bool_)
    level = nodes.roots[:, None]
    for d in range(depth):
        inner = nodes.children[level, 0] >= 0
        tree_depth += inner.any(axis=1)
        at = slice(2 ** d - 1, 2 ** (d + 1) - 1)
        # A leaf's filler split: feature 0 against 0; both of its sides lead to copies of the leaf.
        feature[:, at] = np.where(inner, nodes.feature[level], 0)
        threshold[:, at] = np.where(inner, nodes.threshold[level], 0)
        default_left[:, at] = np.where(inner, nodes.default_left[level], True)
        left = np.where(inner, nodes.children[level, 0], level)
        right = np.where(inner, nodes.children[level, 1], level)
        level = np.stack([left, right], axis=-1).reshape(n_trees, -1)
    return tree_depth, feature, threshold, default_left, nodes.threshold[level]


class TreeTable:
    """The trees of one or more xgboost boosters; ``predict_outputs`` equals each booster's
    ``inplace_predict`` bit for bit.

    ``TreeTable(raw)``: one booster, from its UBJSON model (``Booster.save_raw("ubj")``, or a
    ``.ubj`` file's bytes), read without xgboost. Boosters with trees deeper than ``MAX_DEPTH`` (e.g. grown leaf-wise) or more
    complete-tree slots than ``MAX_SLOTS`` raise :class:`UnsupportedModel`, as do boosters with
    categorical splits, several trees per round or an objective other than squared error.
    """

    def __init__(self, raw: bytes):
        nodes = read_nodes(raw)
        depth = _tree_depth(nodes)
        if depth > MAX_DEPTH:
            raise UnsupportedModel(f"trees of depth {depth}; the table holds trees of depth up to {MAX_DEPTH}")
        if len(nodes.roots) << depth > MAX_SLOTS:
            raise UnsupportedModel(f"{len(nodes.roots)} trees of depth {depth} take more than {MAX_SLOTS:,} slots")
        tree_depth, *arrays = (array.ravel() for array in _complete_trees(nodes, depth))
        self._set(np.array([nodes.base_score], np.float32), np.array([depth], np.int64),
                  np.array([len(nodes.roots)], np.int64), np.array([(tree_depth < depth).any()]), tree_depth, *arrays,
                  nodes.n_features)

    def _set(self, base_score, depth, n_trees, ragged, tree_depth, feature, threshold, default_left, leaf,
             n_features) -> None:
        # Per output: base score, the depth its trees are stored at, their number, whether some are
        # shallower; per tree: its own depth.
        self.base_score, self.depth, self.n_trees, self.ragged = base_score, depth, n_trees, ragged
        self.tree_depth = tree_depth
        # Every output's trees, one after another: split slots and leaf slots, each tree's in heap order.
        self.feature, self.threshold, self.default_left, self.leaf = feature, threshold, default_left, leaf
        self.n_features = int(n_features)

    @property
    def n_outputs(self) -> int:
        return len(self.base_score)

    def predict_outputs(self, X: np.ndarray) -> np.ndarray:
        """Every output's predictions for an ``(n, n_features)`` matrix: an ``(n_outputs, n)`` array."""
        from anb.models import tree_kernel

        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}); got {X.shape}")
        out = np.empty((self.n_outputs, len(X)))
        predict = tree_kernel.predict_parallel if len(X) >= tree_kernel.PARALLEL_ROWS else tree_kernel.predict
        predict(X, self.base_score, self.depth, self.n_trees, self.ragged, self.tree_depth, self.feature,
                self.threshold, self.default_left, self.leaf, out)
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The predictions of a one-booster table for an ``(n, n_features)`` matrix."""
        if self.n_outputs != 1:
            raise ValueError(f"this table holds {self.n_outputs} boosters; use predict_outputs")
        return self.predict_outputs(X)[0]


def stack_tables(tables: list[TreeTable]) -> TreeTable:
    """One table whose outputs are the outputs of ``tables``, in order."""
    if len({table.n_features for table in tables}) != 1:
        raise ValueError("the tables read different numbers of features")
    stacked = TreeTable.__new__(TreeTable)
    stacked._set(*(np.concatenate([getattr(t, name) for t in tables]) for name in
                   ("base_score", "depth", "n_trees", "ragged", "tree_depth", "feature", "threshold", "default_left",
                    "leaf")),
                 tables[0].n_features)
    return stacked
