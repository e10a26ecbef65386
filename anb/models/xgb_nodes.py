"""The node arrays of an xgboost booster, read straight from its UBJSON model with array operations.

A model of thousands of trees parses in milliseconds this way, where ``get_dump`` or a JSON
round trip takes seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

# The node arrays of every tree in xgboost's UBJSON model format: the key (its length byte
# first), then a typed array "[$<type>#L<int64 count>" of big-endian values.
_UBJ_TYPES = {b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8", b"U": "u1", b"i": "i1", b"I": ">i2"}
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
    types = set(buffer[at + 2].tobytes())
    if len(types) != 1:
        raise UnsupportedModel(f"the {key!r} arrays of the model have several types: {sorted(types)}")
    dtype = np.dtype(_UBJ_TYPES[bytes([types.pop()])])
    counts = buffer[at[:, None] + 5 + np.arange(8)].copy().view(">i8").ravel().astype(np.int64)
    element = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    byte_at = np.repeat(at + 13, counts) + element * dtype.itemsize
    values = buffer[byte_at[:, None] + np.arange(dtype.itemsize)].view(dtype).ravel()
    return values, counts


def _check_supported(booster: xgb.Booster) -> np.float32:
    """The base score of a booster the kernel reproduces; :class:`UnsupportedModel` otherwise."""
    learner = json.loads(booster.save_config())["learner"]
    if learner["gradient_booster"]["name"] != "gbtree":
        raise UnsupportedModel(f"booster type {learner['gradient_booster']['name']!r}; only gbtree is supported")
    model_param = learner["learner_model_param"]
    if int(model_param.get("num_target", 1)) > 1 or int(model_param.get("num_class", 0)) > 1:
        raise UnsupportedModel("multi-output boosters are not supported")
    if learner["objective"]["name"] != "reg:squarederror":
        raise UnsupportedModel(f"objective {learner['objective']['name']!r}; only reg:squarederror is supported")
    # xgboost 3 writes the base score as a one-element list, "[6.0177223E1]"; older ones as a number.
    return np.float32(np.ravel(json.loads(model_param["base_score"].replace("E", "e")))[0])


def read_nodes(booster: xgb.Booster, raw: bytes | None = None) -> BoosterNodes:
    """The booster's nodes; ``raw``: its UBJSON model when the caller has it (as read from its
    file), else it is taken from the booster."""
    base_score = _check_supported(booster)
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
    roots = (np.cumsum(sizes) - sizes).astype(np.int64)
    offsets = np.repeat(roots, sizes)
    left, right = (columns[key][0].astype(np.int64) for key in ("left_children", "right_children"))
    children = np.column_stack([np.where(left >= 0, left + offsets, -1), np.where(right >= 0, right + offsets, -1)])
    return BoosterNodes(base_score, roots, children, columns["split_indices"][0].astype(np.int32),
                        columns["split_conditions"][0].astype(np.float32), columns["default_left"][0].astype(np.bool_),
                        booster.num_features())
