"""The node arrays of an xgboost booster, read from its UBJSON model file with no xgboost.

A shipped model answers a query on an install without xgboost (the ``xgboost-cpu`` extra): the
model file is read by :mod:`anb.models.ubjson`, its node arrays as numpy arrays, and the checks
that the kernel reproduces the booster read the learner's own fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from anb.models.ubjson import UBJSONError, load_ubjson

# The per-tree node arrays the kernel needs; split_type is absent from models of xgboost < 1.6,
# which had numerical splits only.
_NODE_ARRAYS = ("left_children", "right_children", "split_indices", "split_conditions", "default_left")


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


def _learner(raw: bytes) -> dict:
    """The ``learner`` object of a UBJSON model; ValueError when ``raw`` is not one (a damaged
    file, which no predictor could read, rather than a model the kernel does not reproduce)."""
    try:
        return load_ubjson(raw)["learner"]
    except (UBJSONError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not an xgboost UBJSON model ({type(exc).__name__}: {exc})") from None


def _check_supported(learner: dict) -> np.float32:
    """The base score of a model the kernel reproduces; :class:`UnsupportedModel` otherwise."""
    booster = learner["gradient_booster"]
    if booster["name"] != "gbtree":
        raise UnsupportedModel(f"booster type {booster['name']!r}; only gbtree is supported")
    model_param = learner["learner_model_param"]
    if int(model_param.get("num_target", 1)) > 1 or int(model_param.get("num_class", 0)) > 1:
        raise UnsupportedModel("multi-output boosters are not supported")
    if learner["objective"]["name"] != "reg:squarederror":
        raise UnsupportedModel(f"objective {learner['objective']['name']!r}; only reg:squarederror is supported")
    if int(booster["model"]["gbtree_model_param"].get("num_parallel_tree", 1)) != 1:
        raise UnsupportedModel("several trees per round; only one tree per round is supported")
    # xgboost 3 writes the base score as a one-element list, "[6.0177223E1]"; older ones as a number.
    return np.float32(np.ravel(json.loads(model_param["base_score"].replace("E", "e")))[0])


def read_nodes(raw: bytes) -> BoosterNodes:
    """The nodes of the booster saved as the UBJSON model ``raw`` (``Booster.save_raw("ubj")``, a
    ``.ubj`` file's bytes)."""
    learner = _learner(raw)
    base_score = _check_supported(learner)
    trees = learner["gradient_booster"]["model"]["trees"]
    if not trees:
        raise UnsupportedModel("the model has no trees")
    if any(len(tree.get("split_type", ())) and np.any(tree["split_type"]) for tree in trees):
        raise UnsupportedModel("categorical splits are not supported")
    columns = {key: [np.asarray(tree[key]) for tree in trees] for key in _NODE_ARRAYS}
    sizes = np.array([len(array) for array in columns["left_children"]], np.int64)
    if any(not np.array_equal([len(array) for array in arrays], sizes) for arrays in columns.values()):
        raise UnsupportedModel("could not read the same number of nodes from every node array of each tree")
    left, right, feature, threshold, default_left = (np.concatenate(columns[key]) for key in _NODE_ARRAYS)
    roots = (np.cumsum(sizes) - sizes).astype(np.int64)
    offsets = np.repeat(roots, sizes)
    left, right = left.astype(np.int64), right.astype(np.int64)
    children = np.column_stack([np.where(left >= 0, left + offsets, -1), np.where(right >= 0, right + offsets, -1)])
    return BoosterNodes(base_score, roots, children, feature.astype(np.int32), threshold.astype(np.float32),
                        default_left.astype(np.bool_), int(learner["learner_model_param"]["num_feature"]))
