"""The log-linear target link: what it fits, that it round-trips, and the errors it gives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from anb.devices.targets import resolve_target
from anb.fitting.model_config import check_params_for_family
from anb.fitting.training import split_data
from anb.models import Surrogate, make_surrogate
from anb.models.member_predictions import MemberPredictions
from anb.models.target_link import LogLinearLink

SMALL_XGB = {"max_depth": 3, "learning_rate": 0.2, "num_rounds": 200, "early_stopping_rounds": 20, "nthread": 1}


@pytest.fixture(scope="module")
def zcu102_latency(real_data, default_split):
    sides, _ = split_data(real_data, default_split, resolve_target("zcu102", "latency"))
    return sides


def test_the_trend_alone_ranks_a_device_target(zcu102_latency):
    train, val = zcu102_latency["train"], zcu102_latency["val"]
    link = LogLinearLink().fit(train.X, train.y)
    # A power law in the cost counts already orders most of the architectures by latency...
    assert kendalltau(val.y, link.trend(val.X))[0] > 0.85
    # ...and what it leaves is small next to the spread of log latency.
    assert np.std(link.residual(val.X, val.y)) < 0.5 * np.std(np.log(val.y))


@pytest.mark.parametrize("family", ["xgb", "lgb"])
def test_a_linked_member_predicts_the_same_after_save_and_load(zcu102_latency, family, tmp_path):
    train, val = zcu102_latency["train"], zcu102_latency["val"]
    params = {"learning_rate": 0.2, "num_rounds": 100, "target_link": "log_linear"}
    model = make_surrogate(family, params, seed=3).fit(train.X, train.y, val.X, val.y)
    predictions = model.predict(val.X)
    assert (predictions > 0).all() and kendalltau(val.y, predictions)[0] > 0.9
    model.save(tmp_path)
    loaded = Surrogate.load(tmp_path)
    assert loaded.target_link == "log_linear"
    assert np.array_equal(loaded.predict(val.X), predictions)


def test_the_ensemble_path_applies_each_members_link(zcu102_latency):
    train, val = zcu102_latency["train"], zcu102_latency["val"]
    members = [make_surrogate("xgb", {**SMALL_XGB, "target_link": link}, seed=seed).fit(train.X, train.y, val.X, val.y)
               for seed, link in enumerate(["log_linear", "identity", "log_linear"])]
    direct = np.stack([member.predict(val.X) for member in members])
    np.testing.assert_allclose(MemberPredictions(members).predict(val.X), direct, rtol=1e-12)
    # The identity member is untouched: bit for bit its booster's output.
    assert np.array_equal(MemberPredictions(members).predict(val.X)[1], direct[1])


def test_a_log_link_refuses_a_target_that_is_not_positive(zcu102_latency):
    train = zcu102_latency["train"]
    y = train.y.copy()
    y[5] = 0.0
    with pytest.raises(ValueError, match="positive target; the smallest value is 0"):
        make_surrogate("xgb", {**SMALL_XGB, "target_link": "log_linear"}).fit(train.X, y)


def test_an_unknown_link_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown target_link 'log'; available: identity, log_linear"):
        make_surrogate("xgb", {"target_link": "log"})


def test_every_family_takes_the_link_in_its_configs():
    for family in ("xgb", "lgb", "sklearn_forest", "svr", "svr_nu"):
        check_params_for_family(["param:target_link"], family, "a config")
