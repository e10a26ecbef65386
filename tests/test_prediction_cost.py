"""Evaluations per row (anb.models.prediction_cost) against an independent walk of each tree, on real data.

One thread per fit: on a busy machine an OpenMP team waiting for its cores makes a small fit slow.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from anb.devices.targets import resolve_target
from anb.fitting.training import split_data
from anb.models import make_surrogate


@pytest.fixture(scope="module")
def sides(real_data, default_split):
    sides, _ = split_data(real_data, default_split, resolve_target("zcu102", "latency"))
    return sides


def _fit(family, params, sides, rows=1500):
    train, val = sides["train"], sides["val"]
    return make_surrogate(family, params, seed=1).fit(train.X[:rows], train.y[:rows], val.X, val.y)


def _walk_xgb(node, x) -> int:
    """Split nodes passed from ``node`` to the leaf ``x`` reaches (xgboost: go left when x < threshold)."""
    if "leaf" in node:
        return 0
    feature = int(node["split"].lstrip("f"))
    branch = node["yes"] if np.float32(x[feature]) < np.float32(node["split_condition"]) else node["no"]
    child = next(c for c in node["children"] if c["nodeid"] == branch)
    return 1 + _walk_xgb(child, x)


def _walk_lgb(node, x) -> int:
    """The same for LightGBM (numerical splits: go left when x <= threshold)."""
    if "split_index" not in node:
        return 0
    child = node["left_child"] if x[node["split_feature"]] <= node["threshold"] else node["right_child"]
    return 1 + _walk_lgb(child, x)


def test_xgb_counts_the_depth_of_the_leaf_each_row_reaches(sides):
    model = _fit("xgb", {"max_depth": 7, "learning_rate": 0.3, "num_rounds": 60, "min_child_weight": 3, "nthread": 1}, sides)
    X = sides["test"].X[:40]
    trees = [json.loads(t) for t in model.booster_.get_dump(dump_format="json")]
    expected = np.array([sum(_walk_xgb(tree, x) for tree in trees) for x in X])
    from anb.models.prediction_cost import xgb_split_nodes_per_row

    np.testing.assert_array_equal(xgb_split_nodes_per_row(model.booster_, X), expected)
    assert model.evaluations_per_row(X) == pytest.approx(expected.mean())
    # Lopsided trees: rows do not all travel the maximum depth.
    assert expected.min() < 7 * len(trees)


def test_xgb_stumps_cost_one_evaluation_per_tree(sides):
    model = _fit("xgb", {"max_depth": 1, "learning_rate": 0.3, "num_rounds": 25, "nthread": 1}, sides)
    assert model.evaluations_per_row(sides["test"].X) == model.booster_.num_boosted_rounds()


def test_lgb_counts_the_depth_of_the_leaf_each_row_reaches(sides):
    model = _fit("lgb", {"num_leaves": 20, "max_depth": 9, "learning_rate": 0.2, "num_rounds": 60, "num_threads": 1}, sides)
    X = sides["test"].X[:40]
    trees = model.booster_.dump_model(num_iteration=model.best_iteration_)["tree_info"]
    expected = np.array([sum(_walk_lgb(tree["tree_structure"], x) for tree in trees) for x in X])
    from anb.models.prediction_cost import lgb_split_nodes_per_row

    np.testing.assert_array_equal(lgb_split_nodes_per_row(model.booster_, X, model.best_iteration_), expected)
    assert expected.min() > 0


def test_forest_and_svr_costs(sides):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    params = {"n_estimators": 8, "max_depth": 6}
    forest = _fit("sklearn_forest", params, sides, rows=600)
    # The same forest fitted by scikit-learn itself (same data, seed and thread-independent trees).
    reference = RandomForestRegressor(**params, random_state=1).fit(sides["train"].X[:600], sides["train"].y[:600])
    X = sides["test"].X[:30]
    expected = np.mean([sum(int(tree.decision_path(X[i:i + 1]).sum()) - 1 for tree in reference.estimators_)
                        for i in range(len(X))])
    assert forest.evaluations_per_row(X) == pytest.approx(expected)
    svr = _fit("svr", {"C": 1.0}, sides, rows=400)
    pipeline = TransformedTargetRegressor(make_pipeline(StandardScaler(), SVR(C=1.0)), transformer=StandardScaler())
    support = pipeline.fit(sides["train"].X[:400], sides["train"].y[:400]).regressor_[-1].support_.size
    assert svr.evaluations_per_row(X) == support > 0
