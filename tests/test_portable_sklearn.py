"""The scikit-learn families are stored as arrays (.npz), not pickles, and predict as scikit-learn does.

Each is checked on real data against the same model fitted by scikit-learn itself, and through a
save and load: the loaded model answers bit for bit as the fitted one, and its file holds only
arrays (loading it with pickles refused works).
"""

from __future__ import annotations

import zipfile

import joblib
import numpy as np
import pytest

from anb.models import make_surrogate
from anb.models.base import Surrogate
from anb.devices.targets import resolve_target
from anb.fitting.training import split_data

ROWS = 500


@pytest.fixture(scope="module")
def sides(real_data, default_split):
    sides, _ = split_data(real_data, default_split, resolve_target("a100", "throughput"))
    return sides


def _reference(family, params, X, y):
    """The estimator the family wraps, fitted by scikit-learn on the same rows."""
    from sklearn import svm
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if family == "sklearn_forest":
        return RandomForestRegressor(**params, random_state=1, n_jobs=1).fit(X, y)
    machine = {"svr": svm.SVR, "svr_nu": svm.NuSVR}[family](**params)
    return TransformedTargetRegressor(make_pipeline(StandardScaler(), machine), transformer=StandardScaler()).fit(X, y)


CASES = [
    ("sklearn_forest", {"n_estimators": 12, "max_features": 0.5}, 1e-12),
    ("sklearn_forest", {"n_estimators": 6, "bootstrap": False, "min_samples_leaf": 3}, 1e-12),
    ("svr", {"C": 10.0, "epsilon": 0.05, "kernel": "rbf", "gamma": "scale"}, 1e-10),
    ("svr", {"C": 1.0, "kernel": "poly", "degree": 2, "gamma": "auto", "coef0": 0.3}, 1e-10),
    ("svr", {"C": 1.0, "kernel": "linear"}, 1e-10),
    ("svr_nu", {"C": 1.0, "nu": 0.5, "kernel": "sigmoid", "gamma": "auto", "coef0": -0.2}, 1e-10),
]


@pytest.mark.parametrize("family, params, rtol", CASES)
def test_predicts_as_scikit_learn_and_survives_a_save(family, params, rtol, sides, tmp_path):
    train, test = sides["train"], sides["test"]
    X, y = train.X[:ROWS], train.y[:ROWS]
    model = make_surrogate(family, params, seed=1).fit(X, y)
    ours = model.predict(test.X)
    np.testing.assert_allclose(ours, _reference(family, params, X, y).predict(test.X), rtol=rtol)
    assert np.ptp(ours) > 0

    files = model.save(tmp_path / "member")
    model_file = next(path for path in files if path.suffix == ".npz")
    with zipfile.ZipFile(model_file) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    loaded = Surrogate.load(tmp_path / "member")
    assert np.array_equal(loaded.predict(test.X), ours)
    assert loaded.evaluations_per_row(test.X) == model.evaluations_per_row(test.X)


def test_a_pickled_model_is_refused_by_name(sides, tmp_path):
    train = sides["train"]
    model = make_surrogate("sklearn_forest", {"n_estimators": 3}, seed=0).fit(train.X[:200], train.y[:200])
    model.save(tmp_path / "member")
    joblib.dump(_reference("sklearn_forest", {"n_estimators": 3}, train.X[:200], train.y[:200]),
                tmp_path / "member" / "model.npz")
    with pytest.raises(ValueError, match="not a forest saved by anb"):
        Surrogate.load(tmp_path / "member")


def test_an_entry_an_earlier_anb_pickled_is_one_to_rebuild(sides, tmp_path):
    """An intact entry (every hash matches) whose member is a joblib pickle, as anb 0.2.0 wrote
    them, is refused as one this anb cannot read (the cache then replaces it, the shipped release
    says to reinstall); it is never unpickled."""
    from anb.surrogates.ensemble_io import (CorruptEnsembleError, load_ensemble_dir, read_manifest, save_ensemble,
                                            sha256_of, write_manifest)

    train = sides["train"]
    model = make_surrogate("sklearn_forest", {"n_estimators": 3}, seed=0).fit(train.X[:200], train.y[:200])
    save_ensemble(tmp_path, [model], {})
    member = tmp_path / "member_0"
    (member / "model.npz").unlink()
    joblib.dump(_reference("sklearn_forest", {"n_estimators": 3}, train.X[:200], train.y[:200]),
                member / "model.joblib")
    spec = member / "surrogate.json"
    spec.write_text(spec.read_text().replace("model.npz", "model.joblib"))
    manifest = read_manifest(tmp_path)
    manifest["files"] = {name: sha256_of(tmp_path / name)
                         for name in (name.replace("model.npz", "model.joblib") for name in manifest["files"])}
    write_manifest(tmp_path, manifest)
    with pytest.raises(CorruptEnsembleError, match="member_0 cannot be read by this anb .*pickled"):
        load_ensemble_dir(tmp_path)
