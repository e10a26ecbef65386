"""TreeTable: xgboost boosters as dense numpy tables, equal to xgboost's own predictions."""

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


def _booster(X, y, seed, **params):
    params = {"max_depth": 6, "learning_rate": 0.1, "subsample": 0.8, "seed": seed, "nthread": 1, **params}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=params.pop("rounds", 120))


def test_a_table_of_boosters_of_different_depths_equals_xgboost_exactly(accuracy_data):
    X, y = accuracy_data
    # Depth-2 stumps and lopsided depth-9 trees (min_child_weight leaves many leaves shallow).
    boosters = [_booster(X, y, 0, max_depth=2), _booster(X, y, 1, max_depth=9, min_child_weight=30),
                _booster(X, y, 2, rounds=7)]
    table = TreeTable(boosters)
    assert table.depth == 9 and table.n_boosters == 3
    queries = np.vstack([X[:300], features_from_encoded(EfficientNetSS(seed=4).random_encoded(300))])
    expected = np.column_stack([b.inplace_predict(queries) for b in boosters])
    assert np.array_equal(table.predict(queries), expected)
    assert np.array_equal(table.predict(queries[:1]), expected[:1])


def test_thresholds_are_compared_in_float32_like_xgboost(accuracy_data):
    X, y = accuracy_data
    booster = _booster(X, y, 0, rounds=30)
    table = TreeTable([booster])
    # Every value a split of the first tree tests against, and the floats on either side of it.
    inner = table.threshold[0][np.isfinite(table.threshold[0])]
    features = table.feature[0][np.isfinite(table.threshold[0])]
    rows = np.repeat(X[:1], 3 * len(inner), axis=0)
    for i, (f, t) in enumerate(zip(features, inner)):
        rows[3 * i:3 * i + 3, f] = [np.nextafter(t, -np.inf, dtype=np.float32), t, np.nextafter(t, np.inf, dtype=np.float32)]
    assert np.array_equal(table.predict(rows)[:, 0], booster.inplace_predict(rows))


def test_unsupported_boosters_and_bad_input_are_refused(accuracy_data):
    X, y = accuracy_data
    with pytest.raises(UnsupportedModel, match="reg:absoluteerror"):
        TreeTable([_booster(X, y, 0, objective="reg:absoluteerror", rounds=5)])
    with pytest.raises(ValueError, match="at least one booster"):
        TreeTable([])
    table = TreeTable([_booster(X, y, 0, rounds=5)])
    with pytest.raises(ValueError, match=r"shape \(n, 46\)"):
        table.predict(X[:, :28])
    bad = X[:2].copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        table.predict(bad)
