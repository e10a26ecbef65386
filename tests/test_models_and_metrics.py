import numpy as np
import pytest
from scipy import stats

from anb.devices.targets import resolve_target
from anb.fitting.metrics import evaluate_metrics
from anb.fitting.training import split_data
from anb.models import FAMILIES, MODEL_NAMES, Surrogate, make_surrogate, split_model_name

SMALL_PARAMS = {
    "xgb": {"max_depth": 4, "learning_rate": 0.1, "num_rounds": 300, "early_stopping_rounds": 20},
    "lgb": {"num_leaves": 15, "learning_rate": 0.1, "num_rounds": 300, "early_stopping_rounds": 20},
    "sklearn_forest": {"n_estimators": 30, "max_features": 0.5},
    "svr": {"C": 10.0, "epsilon": 0.05},
    "svr_nu": {"C": 10.0, "nu": 0.5},
}


@pytest.fixture(scope="module")
def small_sides(real_data, default_split):
    sides, _ = split_data(real_data, default_split, resolve_target())
    for side in sides.values():  # a subsample keeps the zoo test quick
        side.X, side.y = side.X[:800], side.y[:800]
    return sides


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_fits_predicts_and_round_trips(family, small_sides, tmp_path):
    train, val, test = small_sides["train"], small_sides["val"], small_sides["test"]
    model = make_surrogate(family, SMALL_PARAMS[family], seed=1).fit(train.X, train.y, val.X, val.y)
    predicted = model.predict(test.X)
    assert stats.kendalltau(test.y, predicted).statistic > 0.6
    files = model.save(tmp_path / family)
    assert all(f.is_file() for f in files)
    assert not any(f.suffix == ".pkl" for f in files)
    loaded = Surrogate.load(tmp_path / family)
    assert type(loaded) is type(model)
    assert np.allclose(loaded.predict(test.X), predicted)


def test_boosters_stop_early_on_the_validation_set(small_sides):
    train, val = small_sides["train"], small_sides["val"]
    params = {"max_depth": 6, "learning_rate": 0.3, "num_rounds": 5000, "early_stopping_rounds": 10}
    xgb_model = make_surrogate("xgb", params).fit(train.X, train.y, val.X, val.y)
    assert xgb_model.booster_.num_boosted_rounds() < 5000
    lgb_model = make_surrogate("lgb", {"learning_rate": 0.3, "num_rounds": 5000, "early_stopping_rounds": 10}).fit(
        train.X, train.y, val.X, val.y)
    assert lgb_model.best_iteration_ < 5000


def test_model_names_and_input_validation(small_sides):
    assert split_model_name("xgb_accel") == ("xgb", True) and split_model_name("svr_nu") == ("svr_nu", False)
    assert {"xgb", "lgb", "sklearn_forest", "svr", "svr_nu", "xgb_accel", "lgb_accel"} <= set(MODEL_NAMES)
    with pytest.raises(ValueError, match="unknown model 'cnn'; available: xgb, lgb"):
        make_surrogate("cnn")
    model = make_surrogate("xgb", SMALL_PARAMS["xgb"])
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(small_sides["test"].X)
    with pytest.raises(ValueError, match="rows"):
        model.fit(small_sides["train"].X, small_sides["train"].y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        model.fit(small_sides["train"].X[:2], [1.0, float("nan")])
    model.fit(small_sides["train"].X, small_sides["train"].y)
    with pytest.raises(ValueError, match="shape"):
        model.predict(small_sides["test"].X[:, :5])


def test_evaluate_metrics_matches_definitions():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    p = np.array([1.1, 1.9, 3.2, 3.9, 5.3])
    m = evaluate_metrics(y, p)
    assert set(m) == {"mae", "mse", "rmse", "r2", "kendall_tau", "kendall_tau_2_dec", "kendall_tau_1_dec", "spearmanr"}
    assert m["mae"] == pytest.approx(np.mean(np.abs(y - p)))
    assert m["mse"] == pytest.approx(np.mean((y - p) ** 2))
    assert m["rmse"] == pytest.approx(np.sqrt(m["mse"]))
    assert m["r2"] == pytest.approx(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))
    assert m["kendall_tau"] == pytest.approx(1.0) and m["spearmanr"] == pytest.approx(1.0)
    # rounding to 1 decimal ties 2.04 and 2.01, so tau_1_dec is lower than tau
    m2 = evaluate_metrics([1.0, 2.04, 2.01, 3.0], [1.0, 2.0, 2.1, 3.0])
    assert m2["kendall_tau"] < 1 and m2["kendall_tau_1_dec"] > m2["kendall_tau"]
    with pytest.raises(ValueError, match="4 values"):
        evaluate_metrics([1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        evaluate_metrics([1, 2], [1, float("nan")])
