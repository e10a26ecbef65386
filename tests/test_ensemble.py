import numpy as np
import pandas as pd
import pytest
from scipy import stats

import anb
from anb.devices.targets import resolve_target
from anb.models.features import cost_features, features_from_encoded
from anb.surrogates import ensemble as ensemble_module
from anb.surrogates import store
from configurationspaces.efficientnet_cost import architecture_cost, block_costs
from configurationspaces.efficientnet_encoding import block_values, encode
from configurationspaces.searchspaces import EfficientNetSS

MEMBERS = store.DEFAULT_MEMBERS  # the ensemble example.py builds, so CI builds it once


@pytest.fixture(scope="module")
def accuracy(real_data):
    """A real accuracy ensemble, built from the dataset into the session's private cache."""
    return anb.ANBEnsemble("xgb", n_members=MEMBERS, seed=0, progress=False).load_ensemble()


@pytest.fixture(scope="module")
def ss():
    return EfficientNetSS(seed=11)


def test_every_input_form_gives_the_same_answer(accuracy, ss):
    configs = ss.random_sample(6)
    mean, std = accuracy.query(configs)
    assert mean.shape == std.shape == (6,)
    dicts = [dict(c) for c in configs]
    forms = [dicts, pd.DataFrame(dicts), [ss.block_lists(c) for c in configs], ss.encode(configs)]
    for form in forms:
        m, s = accuracy.query(form)
        assert np.allclose(m, mean) and np.allclose(s, std)
    one_mean, _ = accuracy.query(configs[2])
    assert np.allclose(one_mean, mean[2:3])
    assert np.allclose(accuracy.query(dicts[4])[0], mean[4:5])
    reversed_mean, _ = accuracy.query(configs[::-1])
    assert np.allclose(reversed_mean, mean[::-1])


def test_empty_input_gives_empty_arrays(accuracy):
    for empty in ([], np.empty((0, 28)), pd.DataFrame(columns=list(EfficientNetSS().ss.keys()))):
        mean, std = accuracy.query(empty)
        assert mean.shape == (0,) and std.shape == (0,)


def test_members_are_real_and_differ(accuracy, ss):
    encoded = ss.random_encoded(500, seed=1)
    members = accuracy.query_members(encoded)
    assert members.shape == (MEMBERS, 500)
    mean, spread = accuracy.query_spread(encoded)
    assert np.allclose(members.mean(axis=0), mean) and np.allclose(members.std(axis=0), spread)
    assert (spread > 0).mean() > 0.99  # different seeds and subsamples give different predictions
    assert 40 < mean.mean() < 70  # top-1 % of this benchmark's training schedule


def test_std_tracks_the_error_on_held_out_architectures(accuracy, real_data):
    test = real_data.set_index("name").loc[accuracy.manifest["test_names"]]
    mean, std = accuracy.query(test.reset_index())
    error = np.abs(mean - test["val_top1"].to_numpy())
    assert stats.kendalltau(test["val_top1"], mean).statistic > 0.88
    # members disagree more where they are wrong more: a positive, significant rank correlation
    agreement = stats.spearmanr(error, std)
    assert agreement.statistic > 0 and agreement.pvalue < 0.05


def test_query_noise_is_reproducible_and_spread_like_std(accuracy, ss):
    encoded = np.repeat(ss.random_encoded(1, seed=5), 4000, axis=0)
    a = accuracy.query_noise(encoded, rng=7)
    b = accuracy.query_noise(encoded, rng=np.random.default_rng(7))
    c = accuracy.query_noise(encoded, rng=8)
    mean, std = accuracy.query(encoded[:1])
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.mean() == pytest.approx(mean[0], abs=4 * std[0] / np.sqrt(4000) + 1e-9)
    assert a.std() == pytest.approx(std[0], rel=0.1)


def test_chunked_queries_equal_one_pass(accuracy, ss, monkeypatch):
    encoded = ss.random_encoded(1000, seed=2)
    whole = accuracy.query_members(encoded)
    monkeypatch.setattr(ensemble_module, "CHUNK_ROWS", 128)
    assert np.array_equal(accuracy.query_members(encoded), whole)


def test_device_names_metrics_and_models():
    thr = anb.ANBEnsemble("xgb", device="TPUv2")
    assert thr.model == "xgb_accel" and thr.target.metric == "throughput" and thr.target.unit == "images/s"
    assert thr.supported_metrics() == {"throughput": "images/s"}
    assert anb.ANBEnsemble("xgb").supported_metrics() == {"accuracy": "%"}
    assert anb.ANBEnsemble("xgb", device="zcu102", metric="latency").supported_metrics() == {
        "throughput": "images/s", "latency": "ms"}


def test_bad_requests_name_the_choices_and_cache_nothing(tmp_path):
    with pytest.raises(ValueError, match=r"unknown device 'a10'; available: 3090, a100, tpuv2, tpuv3, vck190, zcu102"):
        anb.ANBEnsemble("xgb", device="a10", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"no metric 'latency'; it has: throughput"):
        anb.ANBEnsemble("xgb", device="a100", metric="latency", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"several metrics; choose one of: throughput, latency"):
        anb.ANBEnsemble("xgb", device="zcu102", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"unknown model 'gbm'; available: xgb, lgb"):
        anb.ANBEnsemble("gbm", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="n_members"):
        anb.ANBEnsemble("xgb", n_members=0, cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_out_of_space_samples_are_rejected_before_anything_is_built(tmp_path):
    ensemble = anb.ANBEnsemble("lgb", device="vck190", metric="latency", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"block 4, field 'k' \(kernel size\): invalid value 7; allowed values: 3, 5"):
        ensemble.query([[[1] * 7, [3, 3, 3, 3, 7, 3, 3], [1] * 7, [True] * 7]])
    assert not (store.entry_dir("lgb", resolve_target("vck190", "latency"), tmp_path)).exists()


def test_loading_an_xgb_ensemble_loads_the_kernel_beside_it(accuracy):
    import sys

    from anb.models import member_predictions

    loader = member_predictions._kernel_loader
    assert loader is not None and loader.name == "anb-kernel-loader"
    loader.join(timeout=120)
    assert not loader.is_alive() and "anb.models.tree_kernel" in sys.modules


def test_while_the_kernel_loads_only_members_fitted_here_answer_through_xgboost(ss, monkeypatch):
    from anb.models import member_predictions

    encoded = ss.random_encoded(40, seed=5)
    fresh = anb.ANBEnsemble("xgb", n_members=MEMBERS, seed=0, progress=False).load_ensemble()
    through_kernel = fresh.query_members(encoded)
    monkeypatch.setattr(member_predictions, "kernel_loaded", lambda: False)
    calls = []
    for member in fresh.members:
        predict = member.predict_with_xgboost
        monkeypatch.setattr(member, "predict_with_xgboost", lambda X, predict=predict: calls.append(1) or predict(X))
    # Members read from files have no booster: rather than load xgboost, they wait for the kernel.
    assert np.array_equal(fresh.query_members(encoded), through_kernel) and not calls
    for member in fresh.members:
        assert not member.has_booster
        member.booster_  # noqa: B018 - made, as a fit in this process makes it
    through_xgboost = fresh.query_members(encoded)
    assert len(calls) == len(fresh.members)
    assert through_xgboost.dtype == np.float64 and np.array_equal(through_xgboost, through_kernel)


def test_a_large_query_made_while_the_kernel_loads_waits_for_it(accuracy, ss, monkeypatch):
    import threading

    from anb.models import member_predictions

    features = accuracy._features(ss.random_encoded(member_predictions.WAIT_FOR_KERNEL_ROWS, seed=6))
    expected = accuracy._predictor.predict(features)
    release = threading.Event()
    monkeypatch.setattr(member_predictions, "_kernel_loader", threading.Thread(target=release.wait))
    member_predictions._kernel_loader.start()
    for member in accuracy.members:
        monkeypatch.setattr(member, "predict_with_xgboost", lambda X: pytest.fail("a large query went through xgboost"))
    answers = []
    query = threading.Thread(target=lambda: answers.append(accuracy._predictor.predict(features)))
    query.start()
    query.join(timeout=0.5)
    assert query.is_alive() and not answers  # still waiting for the loader
    release.set()
    query.join(timeout=60)
    assert np.array_equal(answers[0], expected)


def test_queries_of_any_size_go_through_the_tree_tables_and_equal_xgboost(accuracy, ss, monkeypatch):
    encoded = ss.random_encoded(300, seed=3)  # past the kernel's parallel threshold
    expected = np.stack([member.booster_.inplace_predict(accuracy._features(encoded)) for member in accuracy.members]
                        ).astype(float)
    fresh = anb.ANBEnsemble("xgb", n_members=MEMBERS, seed=0, progress=False).load_ensemble()

    def refuse(*args, **kwargs):
        raise AssertionError("a query must not go through xgboost's predictor")

    for member in fresh.members:
        monkeypatch.setattr(member.booster_, "inplace_predict", refuse)
    one_by_one = np.column_stack([fresh.query_members(row[None]) for row in encoded[:40]])
    assert np.array_equal(one_by_one, expected[:, :40])
    assert np.array_equal(fresh.query_members(encoded), expected)
    mean, std = fresh.query(encoded[:1])
    assert mean[0] == expected[:, 0].mean() and std[0] == fresh.calibration.predict_std(expected[:, :1])[0]


def test_the_cost_columns_equal_the_closed_form_cost_model(real_data, ss):
    encoded = np.vstack([encode(real_data), ss.random_encoded(20_000, seed=9)])
    values = block_values(encoded)
    e, k, l, se = values["e"], values["k"], values["l"], values["se"]
    macs, params = architecture_cost(e, k, l, se)
    terms = block_costs(e, k, l, se)
    macs_terms = ("expand_macs", "depthwise_macs", "se_macs", "project_macs")
    expected = np.column_stack(
        [macs, params, sum(terms[name] for name in macs_terms) / 1e6]
        + [terms[name].sum(axis=1) / 1e6 for name in macs_terms]
        + [terms["activation_traffic"].sum(axis=1) / 1e6, terms["peak_activation"].max(axis=1) / 1e6]
        + [terms[name].sum(axis=1) for name in ("n_layers", "n_se_layers", "n_expand_layers")])
    assert np.array_equal(cost_features(encoded), expected)
    assert np.array_equal(features_from_encoded(encoded[:1]), features_from_encoded(encoded)[:1])


def test_n_members_takes_the_first_members_of_a_larger_cached_ensemble(accuracy, ss):
    encoded = ss.random_encoded(20, seed=5)
    everything = anb.ANBEnsemble("xgb", progress=False)
    two = anb.ANBEnsemble("xgb", n_members=2, progress=False)
    assert np.array_equal(two.query_members(encoded), everything.query_members(encoded)[:2])
    assert len(everything.members) == MEMBERS


def test_n_members_beyond_the_cached_ensemble_warns_with_the_rebuild_command(real_data):
    anb.ANBEnsemble("xgb", n_members=MEMBERS, source="cache", progress=False).load_ensemble()
    many = anb.ANBEnsemble("xgb", n_members=MEMBERS + 3, source="cache", progress=False)
    with pytest.warns(UserWarning, match=rf"has {MEMBERS} members, fewer than n_members={MEMBERS + 3}.*"
                                         rf"anb build --model xgb --members {MEMBERS + 3} --force"):
        many.load_ensemble()
    assert len(many.members) == MEMBERS
