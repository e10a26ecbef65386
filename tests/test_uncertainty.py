"""The calibrated std of ``ANBEnsemble.query`` on the real data, its manifest record, and the fallbacks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import anb
from anb.data.splits import default_split
from anb.devices.targets import resolve_target
from anb.models.calibration import MIN_ROWS, SpreadCalibration
from anb.surrogates import store
from anb.surrogates.ensemble_io import MANIFEST_FORMAT, read_manifest, save_ensemble, write_manifest
from configurationspaces.searchspaces import EfficientNetSS
from helpers_store import fit_members, sample_architectures, set_home, synthetic_throughput, use_fast_params

MEMBERS = store.DEFAULT_MEMBERS  # the ensemble example.py and test_ensemble.py build, so it is built once


@pytest.fixture(scope="module")
def accuracy(real_data):
    return anb.ANBEnsemble("xgb", n_members=MEMBERS, seed=0, progress=False).load_ensemble()


@pytest.fixture(scope="module")
def sides(accuracy, real_data):
    """Members' predictions and measured accuracy on the validation and test sides of its split."""
    split = default_split(real_data)
    assert list(split.test) == accuracy.manifest["test_names"]
    indexed = real_data.set_index("name", drop=False)
    out = {}
    for side in ("val", "test"):
        rows = indexed.loc[split.side(side)].reset_index(drop=True)
        rows = rows[rows["val_top1"].notna()].reset_index(drop=True)
        out[side] = (accuracy.query_members(rows), rows["val_top1"].to_numpy(float))
    return out


def gaussian_nll(residual, std) -> float:
    return float(np.mean(np.log(std) + 0.5 * (residual / std) ** 2))


def test_the_manifest_holds_the_calibration_fitted_on_the_validation_side(accuracy, sides):
    manifest = accuracy.manifest
    assert manifest["format_version"] == MANIFEST_FORMAT
    record = manifest["calibration"]
    assert json.loads(json.dumps(record)) == record  # plain JSON numbers
    refitted = SpreadCalibration().fit(*sides["val"]).to_dict()  # accuracy records no per-measurement std
    assert refitted.keys() == record.keys() and refitted["n_rows"] == record["n_rows"] == len(sides["val"][1])
    for key in ("weights", "centre", "lower", "upper", "spread_floor"):
        np.testing.assert_allclose(refitted[key], record[key], rtol=1e-6, atol=1e-9)


def test_on_the_test_side_the_std_covers_and_ranks_the_errors(accuracy, sides):
    val_members, val_y = sides["val"]
    members, y = sides["test"]
    mean = members.mean(axis=0)
    std = accuracy.calibration.predict_std(members)
    residual = y - mean
    constant = np.sqrt(np.mean((val_y - val_members.mean(axis=0)) ** 2))
    assert gaussian_nll(residual, std) < gaussian_nll(residual, np.full_like(residual, constant))
    assert 0.60 <= np.mean(np.abs(residual) <= std) <= 0.76
    assert 0.90 <= np.mean(np.abs(residual) <= 2 * std) <= 0.98
    assert stats.spearmanr(np.abs(residual), std).statistic >= 0.2
    # the members' raw spread alone covers far too little
    assert np.mean(np.abs(residual) <= members.std(axis=0)) < 0.4


def test_query_gives_the_calibrated_std_and_the_raw_spread_stays_reachable(accuracy):
    encoded = EfficientNetSS(seed=3).random_encoded(300, seed=4)
    members = accuracy.query_members(encoded)
    assert members.shape == (MEMBERS, 300)
    mean, std = accuracy.query(encoded)
    spread_mean, spread = accuracy.query_spread(encoded)
    np.testing.assert_array_equal(mean, members.mean(axis=0))
    np.testing.assert_array_equal(spread_mean, mean)
    np.testing.assert_array_equal(spread, members.std(axis=0))
    np.testing.assert_array_equal(std, accuracy.calibration.predict_std(members))
    assert (std > spread).all()


def test_query_noise_is_reproducible_one_independent_draw_per_row(accuracy):
    one = EfficientNetSS(seed=5).random_encoded(1, seed=6)
    repeated = np.repeat(one, 4000, axis=0)
    a = accuracy.query_noise(repeated, rng=7)
    assert np.array_equal(a, accuracy.query_noise(repeated, rng=np.random.default_rng(7)))
    assert not np.array_equal(a, accuracy.query_noise(repeated, rng=8))
    assert len(np.unique(a)) == 4000  # a draw per row, not one draw broadcast
    mean, std = accuracy.query(one)
    assert a.mean() == pytest.approx(mean[0], abs=4 * std[0] / np.sqrt(4000))
    assert a.std() == pytest.approx(std[0], rel=0.1)
    # the predictive distribution's tails: a Student-t with the calibration's df
    z = (a - mean[0]) / std[0]
    expected = accuracy.calibration.coverage([1, 2])
    assert np.mean(np.abs(z) <= 1) == pytest.approx(expected[0], abs=0.03)
    assert np.mean(np.abs(z) <= 2) == pytest.approx(expected[1], abs=0.015)


def test_a_calibration_survives_json_and_rejects_what_it_cannot_read(sides):
    calibration = SpreadCalibration().fit(*sides["val"])
    again = SpreadCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    members = sides["test"][0]
    np.testing.assert_array_equal(again.predict_std(members), calibration.predict_std(members))
    with pytest.raises(ValueError, match="not a student_t_log_linear calibration"):
        SpreadCalibration.from_dict({"format": "pickle"})
    with pytest.raises(ValueError, match="weights must be 3 finite numbers"):
        SpreadCalibration.from_dict({**calibration.to_dict(), "weights": [1.0, float("nan"), 0.0]})
    with pytest.raises(ValueError, match="df must be > 2"):
        SpreadCalibration(2)
    with pytest.raises(ValueError, match="y has 3 values; the member predictions have"):
        SpreadCalibration().fit(sides["val"][0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=f"at least {MIN_ROWS} held-out rows"):
        SpreadCalibration().fit(sides["val"][0][:, :5], sides["val"][1][:5])


def test_the_recorded_measurement_std_sets_a_floor_relative_to_the_magnitude(real_data):
    target = resolve_target("tpuv2")
    rows = real_data[real_data[target.column].notna()].head(400)
    y = rows[target.column].to_numpy(float)
    recorded = rows[f"{target.column}_std"].to_numpy(float)
    agreeing = np.vstack([y, y])  # members that agree and are right: only measurement noise is left
    calibration = SpreadCalibration().fit(agreeing + 1e-9 * np.arange(2)[:, None], y, recorded)
    assert calibration.measurement_rel_std_ == pytest.approx(np.median(recorded / y))
    assert (calibration.predict_std(agreeing) >= calibration.measurement_rel_std_ * y * (1 - 1e-12)).all()


def test_an_entry_of_the_old_manifest_format_is_rebuilt_with_a_calibration(real_data, tmp_path, monkeypatch):
    home = set_home(monkeypatch, tmp_path / "home")
    use_fast_params(monkeypatch)
    target = resolve_target()
    entry = store.entry_dir("xgb", target, home)
    archs = sample_architectures(120, seed=1)
    save_ensemble(entry, fit_members(archs, synthetic_throughput(archs)), {"target": target.__dict__})
    old = read_manifest(entry)
    del old["format_version"]  # what anb wrote before calibrations
    write_manifest(entry, old)
    with pytest.warns(UserWarning, match="manifest format 1, this anb reads format 2"):
        ensemble = anb.ANBEnsemble("xgb", progress=False, source="cache").load_ensemble()
    manifest = read_manifest(entry)
    assert manifest["format_version"] == MANIFEST_FORMAT and manifest["origin"] == store.LOCAL_BUILD
    assert SpreadCalibration.from_dict(manifest["calibration"]).n_rows_ >= MIN_ROWS
    assert ensemble.calibration is not None


def test_an_ensemble_without_a_calibration_warns_and_uses_the_raw_spread(tmp_path, monkeypatch):
    home = set_home(monkeypatch, tmp_path / "home")
    target = resolve_target()
    archs = sample_architectures(120, seed=2)
    save_ensemble(store.entry_dir("xgb", target, home), fit_members(archs, synthetic_throughput(archs)),
                  {"target": target.__dict__, "imported_from": "a legacy download"})
    with pytest.warns(UserWarning, match="holds no calibration.*raw spread"):
        ensemble = anb.ANBEnsemble("xgb", progress=False, source="cache").load_ensemble()
    members = ensemble.query_members(archs[:50])
    mean, std = ensemble.query(archs[:50])
    np.testing.assert_array_equal(std, members.std(axis=0))
    draws = ensemble.query_noise(archs[:50], rng=3)
    np.testing.assert_array_equal(draws, mean + std * np.random.default_rng(3).standard_normal(50))


def test_a_proportional_calibration_follows_the_magnitude_within_its_range():
    calibration = SpreadCalibration.proportional(0.1, (100.0, 1000.0), n_rows=20)
    members = np.array([[50.0, 200.0, 900.0, 5000.0], [50.0, 200.0, 900.0, 5000.0]])
    np.testing.assert_allclose(calibration.predict_std(members), [10.0, 20.0, 90.0, 100.0])
    again = SpreadCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    np.testing.assert_array_equal(again.predict_std(members), calibration.predict_std(members))
