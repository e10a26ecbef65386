"""`anb import-legacy`: the original Accel-NASBench model download, rebuilt here in its own layout."""

from __future__ import annotations

import json
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from anb import cli
from anb.data.dataset import load_dataset
from anb.devices import discover_devices
from anb.devices.targets import resolve_target
from anb.surrogates import store
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import LEGACY_FEATURE_VERSION, verify_ensemble
from configurationspaces.efficientnet_encoding import encode
from configurationspaces.searchspaces import EfficientNetSS
from helpers_store import set_home, staging_leftovers

N_REAL = 300
ROUNDS = 40
DATA_CONFIG = {"train_val_test_split": {"train": 0.8, "val": 0.1, "test": 0.1}}


@pytest.fixture(scope="module")
def real_rows(dataset_archive, tmp_path_factory):
    """N_REAL real result JSONs from the dataset archive, loaded (a subset keeps it fast)."""
    folder = tmp_path_factory.mktemp("real_subset")
    with tarfile.open(dataset_archive) as archive:
        for member in archive:
            name = Path(member.name).name
            if member.isfile() and name.startswith("result_") and name.endswith(".json"):
                (folder / name).write_bytes(archive.extractfile(member).read())
                if len(list(folder.iterdir())) == N_REAL:
                    break
    return load_dataset(folder)


def _booster(X: np.ndarray, y: np.ndarray, seed: int) -> xgb.Booster:
    params = {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3, "subsample": 0.8,
              "seed": seed, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=ROUNDS)


def _write_members(folder, X, y, n_members=2, seed=0):
    """ensemble_member_<i>/ with the pickled Booster and the configs, as the original saves them."""
    boosters = []
    for i in range(n_members):
        member = folder / f"ensemble_member_{i}"
        member.mkdir(parents=True)
        booster = _booster(X, y, seed + i)
        with open(member / "surrogate_model.model", "wb") as handle:
            pickle.dump(booster, handle)
        config = {"model": "xgb", "early_stopping_rounds": 100, "param:num_rounds": ROUNDS,
                  "param:max_depth": 4, "param:learning_rate": 0.3, "param:objective": "reg:squarederror"}
        (member / "model_config.json").write_text(json.dumps(config))
        (member / "data_config.json").write_text(json.dumps(DATA_CONFIG))
        boosters.append(booster)
    return boosters


@pytest.fixture
def legacy_download(tmp_path, real_rows):
    """``<tmp>/download/anb_models_0_9`` with an accuracy and a TPUv2 throughput ensemble."""
    X = encode(real_rows)  # the 28 ConfigSpace columns the original trained on
    models = tmp_path / "download" / "anb_models_0_9"
    accuracy = _write_members(models / "xgb", X, real_rows["val_top1"].to_numpy())
    tpu = _write_members(models / "xgb_accel" / "tpuv2" / "throughput", X,
                         real_rows["throughput_tpuv2"].to_numpy(), seed=10)
    return models.parent, accuracy, tpu


@pytest.fixture
def home(tmp_path, monkeypatch):
    discover_devices.cache_clear()

    def build(*args, **kwargs):
        raise AssertionError("a local build was started instead of using the imported models")

    monkeypatch.setattr(store, "build", build)
    return set_home(monkeypatch, tmp_path / "home")


def _original_mean(boosters, configs) -> np.ndarray:
    """What the original computed: each Booster on ``Configuration.get_array()``, averaged."""
    matrix = xgb.DMatrix(np.stack([c.get_array() for c in configs]))
    return np.mean([b.predict(matrix) for b in boosters], axis=0)


def test_import_legacy_then_query_gives_the_original_predictions(legacy_download, home, capsys):
    download, accuracy, tpu = legacy_download
    assert cli.main(["import-legacy", str(download)]) == 0
    out = capsys.readouterr().out
    entries = [store.entry_dir("xgb", resolve_target(None, None), home),
               store.entry_dir("xgb", resolve_target("tpuv2", "throughput"), home)]
    for entry in entries:
        assert f"imported {entry}" in out
        manifest = verify_ensemble(entry)
        assert manifest["n_members"] == 2 and manifest["feature_version"] == LEGACY_FEATURE_VERSION
        assert not list(entry.rglob("*.model")), "the pickle was copied instead of converted"
    assert not staging_leftovers(home)
    shutil.rmtree(download)  # the converted cache stands on its own

    configs = EfficientNetSS(seed=11).random_sample(25)
    mean, std = ANBEnsemble("xgb", source="cache").query(configs)
    np.testing.assert_allclose(mean, _original_mean(accuracy, configs), rtol=1e-5)
    assert (std > 0).any()  # two different members
    accel = ANBEnsemble("xgb_accel", device="tpuv2", source="cache")
    assert accel.model == "xgb_accel"
    tpu_mean, _ = accel.query(configs)
    np.testing.assert_allclose(tpu_mean, _original_mean(tpu, configs), rtol=1e-5)
    # The same architectures in another input form give the same answer.
    dicts = [dict(c) for c in configs]
    np.testing.assert_allclose(ANBEnsemble("xgb", source="cache").query(dicts)[0], mean)


def test_a_second_import_replaces_the_first(legacy_download, home, real_rows, tmp_path):
    download, accuracy, _ = legacy_download
    assert cli.main(["import-legacy", str(download / "anb_models_0_9")]) == 0
    configs = EfficientNetSS(seed=2).random_sample(10)
    first, _ = ANBEnsemble("xgb", source="cache").query(configs)

    newer = tmp_path / "newer" / "anb_models_0_9"
    boosters = _write_members(newer / "xgb", encode(real_rows), real_rows["val_top5"].to_numpy(), seed=5)
    assert cli.main(["import-legacy", str(newer.parent)]) == 0
    second, _ = ANBEnsemble("xgb", source="cache").query(configs)
    np.testing.assert_allclose(second, _original_mean(boosters, configs), rtol=1e-5)
    assert not np.allclose(first, second)


def _write_unpicklable_member(download):
    member = download / "anb_models_0_9" / "xgb" / "ensemble_member_0"
    member.mkdir(parents=True)
    with open(member / "surrogate_model.model", "wb") as handle:
        pickle.dump({"not": "a booster"}, handle)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("empty", "no ensemble_member_*/surrogate_model.model under"),
        ("not_a_booster", "holds a dict, not an xgboost Booster"),
        ("lgb", "only xgb ensembles can be imported"),
    ],
)
def test_import_legacy_errors_are_one_line(tmp_path, home, capsys, layout, expected):
    download = tmp_path / "download"
    download.mkdir()
    if layout == "not_a_booster":
        _write_unpicklable_member(download)
    elif layout == "lgb":
        member = download / "anb_models_0_9" / "lgb" / "ensemble_member_0"
        member.mkdir(parents=True)
        (member / "surrogate_model.model").write_bytes(b"")
    assert cli.main(["import-legacy", str(download)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anb import-legacy: error: ") and expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(home.rglob("manifest.json")) and not staging_leftovers(home)


def test_a_failed_write_leaves_no_staging_folder(legacy_download, home, capsys, monkeypatch):
    download, _, _ = legacy_download

    def disk_full(directory, *args, **kwargs):
        (directory / "member_0").mkdir()  # part of the ensemble was written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("anb.surrogates.legacy.save_ensemble", disk_full)
    assert cli.main(["import-legacy", str(download)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anb import-legacy: error: ") and "No space left on device" in err
    assert not staging_leftovers(home) and not list(home.rglob("manifest.json"))
