"""TreeTable: xgboost boosters as complete trees, equal to xgboost's own predictions bit for bit."""

import numpy as np
import pytest
import xgboost as xgb

from anb.models.features import build_features, features_from_encoded
from anb.models.member_predictions import MemberPredictions
from anb.models.tree_table import MAX_DEPTH, TreeTable, UnsupportedModel, stack_tables
from anb.models.xgb_nodes import read_nodes
from configurationspaces.searchspaces import EfficientNetSS


@pytest.fixture(scope="module")
def accuracy_data(real_data):
    known = real_data[real_data["val_top1"].notna()]
    return build_features(known), known["val_top1"].to_numpy(float)


@pytest.fixture(scope="module")
def random_features():
    return features_from_encoded(EfficientNetSS(seed=4).random_encoded(600, seed=1))


def _booster(X, y, seed, **params):
    params = {"max_depth": 6, "learning_rate": 0.1, "subsample": 0.8, "seed": seed, "nthread": 1, **params}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=params.pop("rounds", 60))


def _ubj(booster):
    """The booster's UBJSON model, what a TreeTable is read from."""
    return bytes(booster.save_raw("ubj"))


def _split_nodes(booster):
    nodes = read_nodes(_ubj(booster))
    return nodes, nodes.children[:, 0] >= 0


@pytest.mark.parametrize("params", [
    {"max_depth": 1, "rounds": 30},
    {"max_depth": 2},
    {"max_depth": 3, "rounds": 200},
    # Lopsided trees: leaves grown best-first stop at different depths, so most trees need filler.
    {"max_depth": 6, "grow_policy": "lossguide", "max_leaves": 9, "min_child_weight": 2, "rounds": 25},
    {"max_depth": 6, "rounds": 7},
    {"max_depth": 8, "rounds": 10},
])
def test_predictions_equal_xgboost_on_real_and_random_architectures(accuracy_data, random_features, params):
    X, y = accuracy_data
    booster = _booster(X, y, 1, **params)
    table = TreeTable(_ubj(booster))
    assert table.depth[0] <= params["max_depth"]
    queries = np.vstack([X, random_features])
    expected = booster.inplace_predict(queries)
    # One row and a few rows (walked), a block of 40 rows (every split compared up to depth 6, walked
    # in chunks of trees beyond) and thousands (numba's threads, a last block of other size).
    for rows in (slice(0, 1), slice(0, 5), slice(0, 40), slice(None)):
        assert np.array_equal(table.predict(queries[rows]), expected[rows])


def _own_depths(nodes):
    """Each tree's depth, by a walk from its root."""
    def depth(node):
        left, right = nodes.children[node]
        return 0 if left < 0 else 1 + max(depth(left), depth(right))
    return np.array([depth(root) for root in nodes.roots])


def test_ragged_trees_keep_their_own_depths_and_predict_exactly(accuracy_data, random_features):
    """A large gamma prunes most trees to a leaf or a few levels while some reach the booster's depth:
    the kernel does each tree's own work and still adds every leaf in xgboost's order."""
    X, y = accuracy_data
    booster = _booster(X, y, 0, learning_rate=0.3, gamma=5.0, rounds=80)
    table = TreeTable(_ubj(booster))
    own = _own_depths(read_nodes(_ubj(booster)))
    assert np.array_equal(table.tree_depth, own) and table.ragged[0]
    assert (own == 0).any() and (own == table.depth[0]).any() and len(np.unique(own)) >= 4
    assert not TreeTable(_ubj(_booster(X, y, 0, max_depth=2, rounds=30))).ragged[0]
    queries = np.vstack([X, random_features])
    queries[::7, 3] = np.nan
    expected = booster.inplace_predict(queries)
    for rows in (slice(0, 1), slice(1, 2), slice(0, 5), slice(0, 40), slice(None)):
        assert np.array_equal(table.predict(queries[rows]), expected[rows])
    # Stacked behind another booster and in front of one, its trees are found by their running count.
    shallow, deep = _booster(X, y, 1, max_depth=3, rounds=30), _booster(X, y, 2, max_depth=5, gamma=5.0, rounds=40)
    stacked = stack_tables([TreeTable(_ubj(shallow)), table, TreeTable(_ubj(deep))])
    for rows in (slice(0, 3), slice(None)):
        assert np.array_equal(stacked.predict_outputs(queries[rows]),
                              np.stack([b.inplace_predict(queries[rows]) for b in (shallow, booster, deep)]))


def test_values_at_thresholds_and_one_float32_step_either_side_go_where_xgboost_sends_them(accuracy_data):
    X, y = accuracy_data
    booster = _booster(X, y, 0, rounds=20)
    table = TreeTable(_ubj(booster))
    nodes, split = _split_nodes(booster)
    features, thresholds = nodes.feature[split], nodes.threshold[split]
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
    nodes, split = _split_nodes(booster)
    assert nodes.default_left[split].any() and not nodes.default_left[split].all()
    table = TreeTable(_ubj(booster))
    # Rows with and without NaNs in one block, and a block of NaN rows only.
    mixed = np.vstack([holes[:300], X[:300]])
    assert np.array_equal(table.predict(mixed), booster.inplace_predict(mixed))
    assert np.array_equal(table.predict(holes[:7]), booster.inplace_predict(holes[:7]))


def test_a_table_read_from_the_saved_model_file_predicts_as_the_booster(accuracy_data, random_features, tmp_path):
    X, y = accuracy_data
    booster = _booster(X, y, 3, rounds=10)
    booster.save_model(tmp_path / "model.ubj")
    from_file = TreeTable((tmp_path / "model.ubj").read_bytes())
    assert np.array_equal(from_file.predict(random_features), booster.inplace_predict(random_features))


def test_stacked_tables_of_different_depths_answer_for_every_booster_in_one_call(accuracy_data, random_features):
    X, y = accuracy_data
    boosters = [_booster(X, y, seed, max_depth=depth, rounds=rounds)
                for seed, depth, rounds in ((0, 2, 40), (1, 5, 15), (2, 3, 30))]
    stacked = stack_tables([TreeTable(_ubj(booster)) for booster in boosters])
    expected = np.stack([booster.inplace_predict(random_features) for booster in boosters])
    assert stacked.n_outputs == 3
    assert np.array_equal(stacked.predict_outputs(random_features), expected)
    assert np.array_equal(stacked.predict_outputs(random_features[:1]), expected[:, :1])
    with pytest.raises(ValueError, match="holds 3 boosters"):
        stacked.predict(random_features)


def test_deep_or_unsupported_boosters_are_refused_and_predict_through_xgboost(accuracy_data, random_features):
    from anb.models import make_surrogate

    X, y = accuracy_data
    with pytest.raises(UnsupportedModel, match=f"depth up to {MAX_DEPTH}"):
        TreeTable(_ubj(_booster(X, y, 0, max_depth=16, grow_policy="lossguide", max_leaves=60, rounds=5)))
    with pytest.raises(UnsupportedModel, match="reg:absoluteerror"):
        TreeTable(_ubj(_booster(X, y, 0, objective="reg:absoluteerror", rounds=5)))
    with pytest.raises(UnsupportedModel, match="one tree per round"):
        TreeTable(_ubj(_booster(X, y, 0, num_parallel_tree=2, rounds=3)))
    with pytest.raises(UnsupportedModel, match="'dart'; only gbtree"):
        TreeTable(_ubj(_booster(X, y, 0, booster="dart", rate_drop=0.1, rounds=3)))
    with pytest.raises(UnsupportedModel, match="gblinear"):
        TreeTable(_ubj(_booster(X, y, 0, booster="gblinear", rounds=3)))
    table = TreeTable(_ubj(_booster(X, y, 0, rounds=5)))
    with pytest.raises(ValueError, match=r"shape \(n, 46\)"):
        table.predict(X[:, :28])
    deep = make_surrogate("xgb", {"max_depth": 12, "num_rounds": 5, "nthread": 1}, seed=0).fit(X, y)
    shallow = make_surrogate("xgb", {"max_depth": 3, "num_rounds": 5, "nthread": 1}, seed=0).fit(X, y)
    assert deep.table_ is None and shallow.table_ is not None
    # An ensemble with a member the table cannot hold predicts member by member, with the same answers.
    both = MemberPredictions([deep, shallow])
    assert both.table is None
    assert np.array_equal(both.predict(random_features),
                          np.stack([deep.booster_.inplace_predict(random_features),
                                    shallow.booster_.inplace_predict(random_features)]))


def test_a_booster_whose_complete_trees_exceed_the_slot_budget_is_refused(accuracy_data, monkeypatch):
    from anb.models import tree_table

    X, y = accuracy_data
    booster = _booster(X, y, 0, max_depth=4, rounds=20)
    monkeypatch.setattr(tree_table, "MAX_SLOTS", 20 * 2 ** 4 - 1)
    with pytest.raises(UnsupportedModel, match="20 trees of depth 4 take more than 319 slots"):
        TreeTable(_ubj(booster))


def test_every_committed_xgb_search_space_stays_within_the_kernel_depth():
    """Tuning may pick any depth of its space; a pick deeper than the kernel's limit would answer
    through xgboost, several times slower, so the spaces stop at it."""
    from anb.devices.targets import all_targets
    from anb.fitting.model_config import default_config_path, read_configspace

    for target in all_targets():
        space = read_configspace(default_config_path("xgb", target.device, target.metric))
        depth = space["param:max_depth"]
        assert depth.upper <= MAX_DEPTH and depth.default_value <= MAX_DEPTH, target.label


def test_bytes_that_are_no_model_are_an_error_not_a_model_for_xgboost():
    with pytest.raises(ValueError, match="not an xgboost UBJSON model") as raised:
        TreeTable(b"{i\x01aT}")
    assert not isinstance(raised.value, UnsupportedModel)
    with pytest.raises(ValueError, match="not an xgboost UBJSON model"):
        TreeTable(b"\x00garbage")
