"""XGBoost boosters as flat node arrays, walked by a compiled kernel for small queries.

xgboost 3.2 spends time in proportion to the model's size on every ``predict`` call, before it
looks at a row (upstream describes a walk over every node to precompute tree depths,
dmlc/xgboost#12307): measured on ~5,000-tree members, a call for one row costs 4-7 ms per
member, as much as ~30 rows. :class:`TreeTable` holds the same trees as node arrays read
straight from the UBJSON model, and :mod:`anb.models.tree_kernel` walks them with no per-call
setup. Its predictions equal xgboost's exactly: inputs and thresholds are compared in float32
(``x < threshold`` goes left, a NaN follows the node's default direction) and the leaves are
summed in float32 in tree order after the base score, as xgboost's predictor accumulates them.
"""

from __future__ import annotations

import json

import numpy as np
import xgboost as xgb

# The node arrays of every tree in xgboost's UBJSON model format: the key (its length byte
# first), then a typed array "[$<type>#L<int64 count>" of big-endian values.
_UBJ_TYPES = {b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8", b"U": "u1", b"i": "i1", b"I": ">i2"}
_NODE_ARRAYS = ("left_children", "right_children", "split_indices", "split_conditions", "default_left", "split_type")


class UnsupportedModel(ValueError):
    """The booster uses something the table does not reproduce (e.g. categorical splits)."""


def _array_markers(buffer: np.ndarray) -> np.ndarray:
    """Offsets of every "[$?#L" (a typed array with an int64 length) in a UBJSON document."""
    marker = np.frombuffer(b"[$?#L", np.uint8)
    found = np.ones(len(buffer) - 4, bool)
    for i in (0, 1, 3, 4):
        found &= buffer[i:len(buffer) - 4 + i] == marker[i]
    return np.flatnonzero(found)


def _typed_arrays(buffer: np.ndarray, markers: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Every typed array stored under ``key`` in a UBJSON document, concatenated in document
    order, and the length of each: found and gathered with array operations, as a model holds
    thousands of trees."""
    name = np.frombuffer(bytes([len(key)]) + key.encode(), np.uint8)
    at = markers[markers >= len(name)]
    at = at[(buffer[at - len(name)] == name[0]) & (buffer[at - 1] == name[-1])]
    at = at[(buffer[at[:, None] - len(name) + np.arange(len(name))] == name).all(axis=1)]
    if not len(at):
        return np.zeros(0), np.zeros(0, np.int64)
    types = set(buffer[at + 2].tobytes())
    if len(types) != 1:
        raise UnsupportedModel(f"the {key!r} arrays of the model have several types: {sorted(types)}")
    dtype = np.dtype(_UBJ_TYPES[bytes([types.pop()])])
    counts = buffer[at[:, None] + 5 + np.arange(8)].copy().view(">i8").ravel().astype(np.int64)
    element = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    byte_at = np.repeat(at + 13, counts) + element * dtype.itemsize
    values = buffer[byte_at[:, None] + np.arange(dtype.itemsize)].view(dtype).ravel()
    return values, counts


def _check_supported(booster: xgb.Booster) -> float:
    """The base score of a booster the table reproduces; :class:`UnsupportedModel` otherwise."""
    learner = json.loads(booster.save_config())["learner"]
    if learner["gradient_booster"]["name"] != "gbtree":
        raise UnsupportedModel(f"booster type {learner['gradient_booster']['name']!r}; only gbtree is supported")
    model_param = learner["learner_model_param"]
    if int(model_param.get("num_target", 1)) > 1 or int(model_param.get("num_class", 0)) > 1:
        raise UnsupportedModel("multi-output boosters are not supported")
    if learner["objective"]["name"] != "reg:squarederror":
        raise UnsupportedModel(f"objective {learner['objective']['name']!r}; only reg:squarederror is supported")
    # xgboost 3 writes the base score as a one-element list, "[6.0177223E1]"; older ones as a number.
    return float(np.float32(np.ravel(json.loads(model_param["base_score"].replace("E", "e")))[0]))


class TreeTable:
    """The trees of one xgboost booster as flat node arrays; ``predict`` equals the booster's
    ``inplace_predict`` bit for bit.

    ``raw``: the booster's UBJSON model, when the caller has it already (as read from its file);
    else it is taken from the booster.
    """

    def __init__(self, booster: xgb.Booster, raw: bytes | None = None):
        self.base_score = np.float32(_check_supported(booster))
        raw = bytes(booster.save_raw("ubj")) if raw is None else raw
        buffer = np.frombuffer(raw, np.uint8)
        markers = _array_markers(buffer)
        columns = {key: _typed_arrays(buffer, markers, key) for key in _NODE_ARRAYS}
        sizes = columns["left_children"][1]
        # split_type is absent from models of xgboost < 1.6, which had numerical splits only.
        if any(not np.array_equal(counts, sizes) for key, (_, counts) in columns.items()
               if key != "split_type" or len(counts)):
            raise UnsupportedModel("could not read the same number of nodes from every node array of each tree")
        if len(sizes) != booster.num_boosted_rounds():
            raise UnsupportedModel(f"{len(sizes)} trees for {booster.num_boosted_rounds()} rounds; only one tree per "
                                   "round is supported")
        if columns["split_type"][0].any():
            raise UnsupportedModel("categorical splits are not supported")
        self.roots = (np.cumsum(sizes) - sizes).astype(np.int64)
        offsets = np.repeat(self.roots, sizes)
        left, right = (columns[key][0].astype(np.int64) for key in ("left_children", "right_children"))
        # Leaves keep -1 for both children; inner nodes point into the concatenated arrays.
        self.children = np.column_stack([np.where(left >= 0, left + offsets, -1),
                                         np.where(right >= 0, right + offsets, -1)]).astype(np.int32)
        self.feature = columns["split_indices"][0].astype(np.int32)
        # A split's threshold, or a leaf's value.
        self.threshold = columns["split_conditions"][0].astype(np.float32)
        self.default_left = columns["default_left"][0].astype(np.bool_)
        self.n_features = booster.num_features()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for an ``(n, n_features)`` matrix."""
        from anb.models.tree_kernel import predict_float32

        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}); got {X.shape}")
        out = np.empty(len(X))
        predict_float32(X, self.roots, self.base_score, self.feature, self.threshold, self.children,
                        self.default_left, out)
        return out
