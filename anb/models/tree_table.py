"""XGBoost ensembles as dense numpy tree tables, for queries of a few architectures at a time.

xgboost 3.2 spends time in proportion to the model's size on every ``predict`` call, before it
looks at a row (upstream describes a walk over every node to precompute tree depths,
dmlc/xgboost#12307). Measured on ~5,000-tree members, a call for one row costs as much as ~30
rows: 4-7 ms per member, so a search loop that asks for one architecture at a time pays that
for each of 10 members. :class:`TreeTable` holds the same trees as complete binary trees in
flat arrays (the heap layout: children of node ``i`` at ``2i+1`` and ``2i+2``), so evaluating a
few rows is ``depth`` vectorised steps over all trees of all members at once, with no per-call
setup. Its predictions equal xgboost's exactly: thresholds and inputs are compared in float32
as xgboost does, and each member's leaves are summed in float32 in tree order after the base
score, as xgboost's predictor accumulates them.
"""

from __future__ import annotations

import json
import re

import numpy as np
import xgboost as xgb

# Deeper trees make the dense table grow as 2**depth per tree; past this, leave it to xgboost.
MAX_DEPTH = 10
MAX_TABLE_BYTES = 512 * 2**20

# The node arrays of every tree in xgboost's UBJSON model format: the key (its length byte
# first), then a typed array "[$<type>#L<int64 count>" of big-endian values.
_UBJ_TYPES = {b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8", b"U": "u1", b"i": "i1", b"I": ">i2"}
_NODE_ARRAYS = ("left_children", "right_children", "split_indices", "split_conditions", "split_type")


class UnsupportedModel(ValueError):
    """The booster uses something the table does not reproduce (e.g. categorical splits)."""


def _typed_arrays(raw: bytes, key: str) -> list[np.ndarray]:
    """Every typed array stored under ``key`` in a UBJSON document, in document order."""
    pattern = re.compile(re.escape(bytes([len(key)]) + key.encode()) + rb"\[\$(.)#L(.{8})", re.DOTALL)
    arrays = []
    for match in pattern.finditer(raw):
        dtype = np.dtype(_UBJ_TYPES[match.group(1)])
        count = int.from_bytes(match.group(2), "big", signed=True)
        arrays.append(np.frombuffer(raw, dtype=dtype, count=count, offset=match.end()))
    return arrays


def booster_trees(booster: xgb.Booster) -> tuple[float, dict[str, list[np.ndarray]]]:
    """The base score and, per node array, that array of each tree of a single-output booster."""
    config = json.loads(booster.save_config())
    learner = config["learner"]
    if learner["gradient_booster"]["name"] != "gbtree":
        raise UnsupportedModel(f"booster type {learner['gradient_booster']['name']!r}; only gbtree is supported")
    model_param = learner["learner_model_param"]
    if int(model_param.get("num_target", 1)) > 1 or int(model_param.get("num_class", 0)) > 1:
        raise UnsupportedModel("multi-output boosters are not supported")
    if learner["objective"]["name"] != "reg:squarederror":
        raise UnsupportedModel(f"objective {learner['objective']['name']!r}; only reg:squarederror is supported")
    # xgboost 3 writes the base score as a one-element list, "[6.0177223E1]"; older ones as a number.
    base_score = float(np.float32(np.ravel(json.loads(model_param["base_score"].replace("E", "e")))[0]))
    raw = bytes(booster.save_raw("ubj"))
    columns = {key: _typed_arrays(raw, key) for key in _NODE_ARRAYS}
    n_trees = booster.num_boosted_rounds()
    if any(len(arrays) != n_trees for arrays in columns.values()):
        raise UnsupportedModel("could not read one node table per tree from the model")
    if np.concatenate(columns["split_type"] or [np.zeros(0)]).any():
        raise UnsupportedModel("categorical splits are not supported")
    return base_score, columns


class TreeTable:
    """Every tree of several boosters in heap layout; ``predict`` gives one column per booster."""

    def __init__(self, boosters: list[xgb.Booster]):
        if not boosters:
            raise ValueError("a tree table needs at least one booster")
        bases, columns, tree_counts = [], {key: [] for key in _NODE_ARRAYS}, []
        for booster in boosters:
            base, booster_columns = booster_trees(booster)
            bases.append(base)
            tree_counts.append(len(booster_columns["left_children"]))
            for key, arrays in booster_columns.items():
                columns[key].extend(arrays)
        nodes = _NodeArrays(columns)
        levels = list(nodes.levels())
        n_trees = sum(tree_counts)
        self.depth = levels[-1][0]
        if self.depth > MAX_DEPTH:
            raise UnsupportedModel(f"trees of depth {self.depth}; the table stops at {MAX_DEPTH}")
        n_inner, n_leaves = 2**self.depth - 1, 2**self.depth
        if n_trees * (n_inner * 12 + n_leaves * 4) > MAX_TABLE_BYTES:
            raise UnsupportedModel("the model is too large for a dense table")
        self.n_features = boosters[0].num_features()
        self.feature = np.zeros((n_trees, n_inner), np.intp)
        # +inf sends every row left at padding nodes; the leaves below them all hold the value.
        self.threshold = np.full((n_trees, n_inner), np.inf, np.float32)
        self.leaf = np.zeros((n_trees, n_leaves), np.float32)
        for level, node, slot in levels:
            tree = nodes.tree[node]
            inner = nodes.left[node] >= 0
            self.feature[tree[inner], slot[inner]] = nodes.split_feature[node[inner]]
            self.threshold[tree[inner], slot[inner]] = nodes.condition[node[inner]]
            # A leaf at this level covers 2**(depth - level) adjacent bottom slots.
            span = 2 ** (self.depth - level)
            first = (slot[~inner] + 1) * span - 1 - n_inner
            columns = (first[:, None] + np.arange(span)).ravel()
            self.leaf[np.repeat(tree[~inner], span), columns] = np.repeat(nodes.condition[node[~inner]], span)
        self.base_score = np.asarray(bases, np.float32)
        # Trees are grouped by booster, in boosting order: booster b owns [starts[b], starts[b+1]).
        self.starts = np.concatenate([[0], np.cumsum(tree_counts)])
        self._inner_offset = np.arange(n_trees, dtype=np.intp) * n_inner
        self._leaf_offset = np.arange(n_trees, dtype=np.intp) * n_leaves - n_inner

    @property
    def n_boosters(self) -> int:
        return len(self.base_score)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(n, n_boosters)`` predictions for a finite ``(n, n_features)`` matrix."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}); got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X must be finite: the table has no default directions for missing values")
        flat = X.ravel()
        row_offset = (np.arange(len(X), dtype=np.intp) * X.shape[1])[:, None]
        node = np.zeros((len(X), len(self._inner_offset)), np.intp)
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        for _ in range(self.depth):
            at = node + self._inner_offset
            node = 2 * node + 1 + (flat[feature[at] + row_offset] >= threshold[at])
        leaves = self.leaf.ravel()[node + self._leaf_offset]
        out = np.empty((len(X), self.n_boosters))
        for b in range(self.n_boosters):
            own = leaves[:, self.starts[b]:self.starts[b + 1]]
            running = np.cumsum(np.hstack([np.full((len(X), 1), self.base_score[b]), own]), axis=1, dtype=np.float32)
            out[:, b] = running[:, -1]
        return out


class _NodeArrays:
    """The nodes of many trees in one set of arrays, children as indices into them."""

    def __init__(self, columns: dict[str, list[np.ndarray]]):
        sizes = np.array([len(array) for array in columns["left_children"]])
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        offsets = np.repeat(self.roots, sizes)
        self.tree = np.repeat(np.arange(len(sizes)), sizes)
        left = np.concatenate(columns["left_children"]).astype(np.intp)
        right = np.concatenate(columns["right_children"]).astype(np.intp)
        self.left = np.where(left >= 0, left + offsets, -1)
        self.right = np.where(right >= 0, right + offsets, -1)
        self.split_feature = np.concatenate(columns["split_indices"]).astype(np.intp)
        self.condition = np.concatenate(columns["split_conditions"]).astype(np.float32)

    def levels(self):
        """``(level, nodes, heap slots)`` of every tree at once, level by level from the roots."""
        node, slot, level = self.roots, np.zeros(len(self.roots), np.intp), 0
        while len(node):
            yield level, node, slot
            inner = self.left[node] >= 0
            node = np.concatenate([self.left[node[inner]], self.right[node[inner]]])
            slot = np.concatenate([2 * slot[inner] + 1, 2 * slot[inner] + 2])
            level += 1
