"""How much work a fitted model does per prediction, counted rather than timed.

Counting is deterministic, so a tuner can optimise it next to the validation error without the
noise of a shared machine: for a tree ensemble it is the number of split nodes a row passes
through (the sum over trees of the depth of the leaf it reaches), for a kernel machine the
number of kernel evaluations (its support vectors).
"""

from __future__ import annotations

import json

import numpy as np

# xgboost marks a tree's root by this parent id.
_XGB_NO_PARENT = 2147483647


def _depths_from_parents(parents: np.ndarray) -> np.ndarray:
    """Depth of every node from its parent index (-1 for a root), over any number of trees at once."""
    depth = np.zeros(len(parents), dtype=np.int64)
    is_root = parents < 0
    safe_parents = np.where(is_root, 0, parents)
    while True:  # each pass fixes one more level; a tree of depth d needs d passes
        updated = np.where(is_root, 0, depth[safe_parents] + 1)
        if np.array_equal(updated, depth):
            return depth
        depth = updated


def xgb_node_depths(booster) -> tuple[np.ndarray, np.ndarray]:
    """The depth of every node of an xgboost tree booster (all trees, one flat array), and where each tree starts."""
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    parents = [np.asarray(tree["parents"], dtype=np.int64) for tree in trees]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in parents])[:-1]]).astype(np.int64)
    flat = np.concatenate([np.where(p == _XGB_NO_PARENT, -1, p + offset) for p, offset in zip(parents, offsets)])
    return _depths_from_parents(flat), offsets


def xgb_split_nodes_per_row(booster, X: np.ndarray) -> np.ndarray:
    """Split nodes each row of ``X`` passes through in an xgboost tree booster."""
    import xgboost as xgb

    depth, offsets = xgb_node_depths(booster)
    leaves = booster.predict(xgb.DMatrix(X), pred_leaf=True).astype(np.int64).reshape(len(X), -1)
    return depth[offsets[None, :] + leaves].sum(axis=1)


def lgb_leaf_depths(booster, num_iteration: int | None = None) -> list[np.ndarray]:
    """Per tree of a LightGBM booster, the depth of each leaf by its leaf index."""
    leaf_depths = []
    for tree in booster.dump_model(num_iteration=num_iteration)["tree_info"]:
        depths = {}
        stack = [(tree["tree_structure"], 0)]
        while stack:
            node, depth = stack.pop()
            if "leaf_value" in node and "split_index" not in node:
                depths[node.get("leaf_index", 0)] = depth
            else:
                stack += [(node["left_child"], depth + 1), (node["right_child"], depth + 1)]
        table = np.zeros(max(depths) + 1, dtype=np.int64)
        table[list(depths)] = list(depths.values())
        leaf_depths.append(table)
    return leaf_depths


def lgb_split_nodes_per_row(booster, X: np.ndarray, num_iteration: int | None = None) -> np.ndarray:
    """Split nodes each row of ``X`` passes through in a LightGBM booster."""
    leaf_depths = lgb_leaf_depths(booster, num_iteration)
    leaves = np.asarray(booster.predict(X, pred_leaf=True, num_iteration=num_iteration), dtype=np.int64).reshape(len(X), -1)
    return sum(leaf_depths[t][leaves[:, t]] for t in range(leaves.shape[1]))

