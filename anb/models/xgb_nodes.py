"""The node arrays of an xgboost booster, read from its UBJSON model file with no xgboost.

A shipped model answers a query on an install without xgboost (the ``xgboost-cpu`` extra). The
node arrays of every tree are found by their keys and read with array operations: a model of
thousands of trees reads in milliseconds this way, where walking the document value by value
(:mod:`anb.models.ubjson`) takes a tenth of a second per thousand trees. The few
settings that say whether the kernel reproduces the booster are objects whose keys occur once
in a model, each read by :func:`anb.models.ubjson.read_value` where its key stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from anb.models.ubjson import NUMBER_TYPES, UBJSONError, read_value

# The per-tree node arrays the kernel needs; split_type is absent from models of xgboost < 1.6,
# which had numerical splits only.
_NODE_ARRAYS = ("left_children", "right_children", "split_indices", "split_conditions", "default_left", "split_type")


class UnsupportedModel(ValueError):
    """The booster uses something anb's kernel does not reproduce (e.g. categorical splits)."""


@dataclass(frozen=True)
class BoosterNodes:
    """Every tree's nodes, concatenated: tree ``t`` starts at ``roots[t]``; ``children`` holds the
    (left, right) node of each split and (-1, -1) for a leaf; ``threshold`` is a split's threshold
    or a leaf's value."""

    base_score: np.float32
    roots: np.ndarray
    children: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    default_left: np.ndarray
    n_features: int


def _array_markers(buffer: np.ndarray) -> np.ndarray:
    """Offsets of every "[$?#L" (a typed array with an int64 length) in a UBJSON document."""
    marker = np.frombuffer(b"[$?#L", np.uint8)
    found = np.ones(len(buffer) - 4, bool)
    for i in (0, 1, 3, 4):
        found &= buffer[i:len(buffer) - 4 + i] == marker[i]
    return np.flatnonzero(found)


def _typed_arrays(buffer: np.ndarray, markers: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Every typed array stored under ``key`` in a UBJSON document, concatenated in document
    order, and the length of each."""
    name = np.frombuffer(bytes([len(key)]) + key.encode(), np.uint8)
    at = markers[markers >= len(name)]
    at = at[(buffer[at - len(name)] == name[0]) & (buffer[at - 1] == name[-1])]
    at = at[(buffer[at[:, None] - len(name) + np.arange(len(name))] == name).all(axis=1)]
    if not len(at):
        return np.zeros(0), np.zeros(0, np.int64)
    types = set(buffer[at + 2].tolist())
    if len(types) != 1 or not types <= set(NUMBER_TYPES):
        raise UnsupportedModel(f"the {key!r} arrays of the model have types {sorted(map(chr, types))}")
    dtype = NUMBER_TYPES[types.pop()]
    counts = buffer[at[:, None] + 5 + np.arange(8)].copy().view(">i8").ravel().astype(np.int64)
    if (counts < 0).any() or (at + 13 + counts * dtype.itemsize > len(buffer)).any():
        raise ValueError(f"not an xgboost UBJSON model (a {key!r} array runs past the end)")
    element = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    byte_at = np.repeat(at + 13, counts) + element * dtype.itemsize
    values = buffer[byte_at[:, None] + np.arange(dtype.itemsize)].view(dtype).ravel()
    return values, counts


def _setting(raw: bytes, key: str, opener: bytes = b"{") -> object | None:
    """The value under ``key``, a key that occurs at most once in a model, whose value starts with
    ``opener`` (``{`` an object, ``[`` an array); None when it is absent."""
    name = bytes([len(key)]) + key.encode() + opener
    count = raw.count(name)
    if count > 1:
        raise UnsupportedModel(f"the model holds {key!r} {count} times")
    if not count:
        return None
    try:
        return read_value(raw, raw.find(name) + len(name) - 1)[0]
    except UBJSONError as exc:
        raise ValueError(f"not an xgboost UBJSON model ({key!r}: {exc})") from None


def _check_supported(raw: bytes) -> tuple[np.float32, int, int]:
    """(base score, number of features, number of trees) of a model the kernel reproduces;
    :class:`UnsupportedModel` otherwise, ValueError when ``raw`` is no xgboost model."""
    model_param, objective = _setting(raw, "learner_model_param"), _setting(raw, "objective")
    if not isinstance(model_param, dict) or not isinstance(objective, dict):
        raise ValueError("not an xgboost UBJSON model (it has no learner_model_param or objective)")
    if _setting(raw, "weight_drop", b"[") is not None:
        raise UnsupportedModel("booster type 'dart'; only gbtree is supported")
    tree_param = _setting(raw, "gbtree_model_param")
    if not isinstance(tree_param, dict):
        raise UnsupportedModel("a booster without trees (gblinear); only gbtree is supported")
    if int(model_param.get("num_target", 1)) > 1 or int(model_param.get("num_class", 0)) > 1:
        raise UnsupportedModel("multi-output boosters are not supported")
    if objective.get("name") != "reg:squarederror":
        raise UnsupportedModel(f"objective {objective.get('name')!r}; only reg:squarederror is supported")
    if int(tree_param.get("num_parallel_tree", 1)) != 1:
        raise UnsupportedModel("several trees per round; only one tree per round is supported")
    # xgboost 3 writes the base score as a one-element list, "[6.0177223E1]"; older ones as a number.
    base_score = np.float32(np.ravel(json.loads(model_param["base_score"].replace("E", "e")))[0])
    return base_score, int(model_param["num_feature"]), int(tree_param["num_trees"])


def read_nodes(raw: bytes) -> BoosterNodes:
    """The nodes of the booster saved as the UBJSON model ``raw`` (``Booster.save_raw("ubj")``, a
    ``.ubj`` file's bytes)."""
    raw = bytes(raw)
    base_score, n_features, n_trees = _check_supported(raw)
    buffer = np.frombuffer(raw, np.uint8)
    markers = _array_markers(buffer)
    columns = {key: _typed_arrays(buffer, markers, key) for key in _NODE_ARRAYS}
    sizes = columns["left_children"][1]
    if any(not np.array_equal(counts, sizes) for key, (_, counts) in columns.items()
           if key != "split_type" or len(counts)):
        raise UnsupportedModel("could not read the same number of nodes from every node array of each tree")
    if len(sizes) != n_trees or not n_trees:
        raise UnsupportedModel(f"{len(sizes)} trees read for the {n_trees} the model lists")
    if columns["split_type"][0].any():
        raise UnsupportedModel("categorical splits are not supported")
    roots = (np.cumsum(sizes) - sizes).astype(np.int64)
    offsets = np.repeat(roots, sizes)
    left, right = (columns[key][0].astype(np.int64) for key in ("left_children", "right_children"))
    children = np.column_stack([np.where(left >= 0, left + offsets, -1), np.where(right >= 0, right + offsets, -1)])
    return BoosterNodes(base_score, roots, children, columns["split_indices"][0].astype(np.int32),
                        columns["split_conditions"][0].astype(np.float32), columns["default_left"][0].astype(np.bool_),
                        n_features)
