"""Shared test set-up: the real data where a user's code finds it, and a throw-away surrogate cache.

The Accel-NASBench dataset is found and read as the package finds and reads it
(``anb.data.paths.data_dir()``: ``$ANB_DATA_DIR``, else the download cache, else a download), so
the suite runs wherever ``example.py`` runs. The files published beside the dataset archive
(``default_split/``, ``nb_fpga_data_config.json``) are read from the same folder, and the
NAS-Bench-101 reference data from ``anb.nb101.data_dir()``. A test whose data is not there is
skipped with a reason that says where it looked. Surrogates the tests build go to a temporary
``ANB_HOME`` so the user's own cache is never touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from anb.data import paths
from anb.nb101.data import ENV_DATA_DIR as ENV_NB101_DATA_DIR
from anb.nb101.data import NASLIB_FILE, OFFICIAL_RECORDS_FILE
from anb.nb101.data import data_dir as nb101_data_dir

REPO = Path(__file__).resolve().parents[1]
# Looked up at import, before the session moves ANB_HOME, so that a dataset in the user's
# download cache is still found; absolute, so that tests running elsewhere find it too.
DATA_DIR = Path(os.path.abspath(paths.data_dir()))
NB101_DIR = Path(os.path.abspath(nb101_data_dir()))
NB101_RECORDS = NB101_DIR / OFFICIAL_RECORDS_FILE
NB101_NASLIB = NB101_DIR / NASLIB_FILE


@pytest.fixture(scope="session", autouse=True)
def anb_environment(tmp_path_factory):
    """``ANB_DATA_DIR`` -> :data:`DATA_DIR`, ``ANB_HOME`` -> a temp dir unless the caller set it.

    Pinning ``ANB_DATA_DIR`` keeps the data where it was found once ``ANB_HOME`` moves (the
    NAS-Bench-101 default follows it). CI sets ``ANB_HOME`` to a throw-away folder in which
    ``example.py`` has just built the default accuracy ensemble; reusing it saves building the
    same ensemble twice.
    """
    saved = {k: os.environ.get(k) for k in (paths.ENV_DATA_DIR, paths.ENV_HOME)}
    os.environ[paths.ENV_DATA_DIR] = str(DATA_DIR)
    if not os.environ.get(paths.ENV_HOME):
        os.environ[paths.ENV_HOME] = str(tmp_path_factory.mktemp("anb_home"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _found_or_skip(find):
    """``find()``, the package looking for the dataset (and downloading it if it can); skip if it cannot."""
    from anb.data.download import DownloadError, HashMismatchError

    try:
        return find()
    except HashMismatchError:
        raise  # the published file changed: a failure, not missing data
    except DownloadError as exc:
        pytest.skip(f"no Accel-NASBench dataset: {exc}")


@pytest.fixture(scope="session")
def dataset_archive(anb_environment) -> Path:
    """The hash-checked dataset archive, for tests that read its files themselves."""
    from anb.data.dataset import fetch_dataset

    return _found_or_skip(fetch_dataset)


@pytest.fixture(scope="session")
def real_data(anb_environment):
    """The real dataset, loaded once per session as ``anb.load_dataset()`` loads it."""
    from anb.data.dataset import load_dataset

    return _found_or_skip(load_dataset)


def _require(path: Path, hint: str) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not found; {hint}")
    return path


def beside_dataset(name: str) -> Path:
    """``name`` from the folder that holds the dataset; skip the test if it is not there.

    These files are published with the dataset but not downloaded with it.
    """
    return _require(DATA_DIR / name, f"set {paths.ENV_DATA_DIR} to a folder holding it beside the dataset archive")


def require_nb101(path: Path) -> Path:
    """``path`` if the NAS-Bench-101 reference file is there; skip the test otherwise."""
    return _require(path, f"set {ENV_NB101_DATA_DIR}, or put it in nb101/ beside the Accel-NASBench data folder")


@pytest.fixture(scope="session")
def default_split(real_data):
    from anb.data.splits import load_split_dir

    return load_split_dir(beside_dataset("default_split"), real_data)


@pytest.fixture(scope="session")
def records():
    """The 30 official NAS-Bench-101 records, keyed by module hash."""
    with open(require_nb101(NB101_RECORDS)) as handle:
        return json.load(handle)
