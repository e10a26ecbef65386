"""TreeTable: an xgboost booster as node arrays, equal to xgboost's own predictions bit for bit."""

import numpy as np
import pytest
import xgboost as xgb

from anb.features import build_features, features_from_encoded
from anb.models.tree_table import TreeTable, UnsupportedModel
from configurationspaces.searchspaces import EfficientNetSS


@pytest.fixture(scope="module")
def accuracy_data(real_data):
    known = real_data[real_data["val_top1"].notna()]
    return build_features(known), known["val_top1"].to_numpy(float)


@pytest.fixture(scope="module")
def random_features():
    return features_from_encoded(EfficientNetSS(seed=4).random_encoded(300))


def _booster(X, y, seed, **params):
    params = {"max_depth": 6, "learning_rate": 0.1, "subsample": 0.8, "seed": seed, "nthread": 1, **params}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=params.pop("rounds", 60))


def _depth(table: TreeTable) -> int:
    """The deepest leaf of any tree, walked level by level from the roots."""
    nodes, depth = table.roots, 0
    while (table.children[nodes, 0] >= 0).any():
        inner = nodes[table.children[nodes, 0] >= 0]
        nodes, depth = table.children[inner].ravel(), depth + 1
    return depth


@pytest.mark.parametrize("params", [
    {"max_depth": 2},
    # Deep, lopsided trees: leaves are grown best-first, so some branches stop early.
    {"max_depth": 16, "grow_policy": "lossguide", "max_leaves": 60, "min_child_weight": 2, "rounds": 15},
    {"max_depth": 6, "rounds": 7},
])
def test_predictions_equal_xgboost_on_real_and_random_architectures(accuracy_data, random_features, params):
    X, y = accuracy_data
    booster = _booster(X, y, 1, **params)
    table = TreeTable(booster)
    queries = np.vstack([X, random_features])
    expected = booster.inplace_predict(queries)
    assert np.array_equal(table.predict(queries), expected)
    assert np.array_equal(table.predict(queries[:1]), expected[:1])
    if "grow_policy" in params:
        assert _depth(table) > 10


def test_values_at_thresholds_and_one_float32_step_either_side_go_where_xgboost_sends_them(accuracy_data):
    X, y = accuracy_data
    booster = _booster(X, y, 0, rounds=20)
    table = TreeTable(booster)
    split = table.children[:, 0] >= 0
    features, thresholds = table.feature[split], table.threshold[split]
    rows = np.repeat(X[:1], 3 * len(thresholds), axis=0)
    below = np.nextafter(thresholds, -np.inf, dtype=np.float32)
    above = np.nextafter(thresholds, np.inf, dtype=np.float32)
    for offset, values in enumerate((below, thresholds, above)):
        rows[offset::3][np.arange(len(thresholds)), features] = values
    assert np.array_equal(table.predict(rows), booster.inplace_predict(rows))


def test_missing_values_follow_each_split_default_direction(accuracy_data):
    X, y = accuracy_data
    rng = np.random.default_rng(0)
    holes = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    booster = _booster(holes, y, 0, rounds=20)
    table = TreeTable(booster)
    assert table.default_left.any() and not table.default_left[table.children[:, 0] >= 0].all()
    assert np.array_equal(table.predict(holes[:500]), booster.inplace_predict(holes[:500]))


def test_a_table_read_from_the_saved_model_file_equals_one_from_the_booster(accuracy_data, random_features, tmp_path):
    X, y = accuracy_data
    booster = _booster(X, y, 3, rounds=10)
    booster.save_model(tmp_path / "model.ubj")
    from_file = TreeTable(booster, (tmp_path / "model.ubj").read_bytes())
    assert np.array_equal(from_file.predict(random_features), TreeTable(booster).predict(random_features))


def test_unsupported_boosters_and_bad_input_are_refused(accuracy_data):
    X, y = accuracy_data
    with pytest.raises(UnsupportedModel, match="reg:absoluteerror"):
        TreeTable(_booster(X, y, 0, objective="reg:absoluteerror", rounds=5))
    with pytest.raises(UnsupportedModel, match="one tree per round"):
        TreeTable(_booster(X, y, 0, num_parallel_tree=2, rounds=3))
    table = TreeTable(_booster(X, y, 0, rounds=5))
    with pytest.raises(ValueError, match=r"shape \(n, 46\)"):
        table.predict(X[:, :28])
