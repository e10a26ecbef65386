"""Shared test set-up: the real dataset from ../shared, and a throw-away surrogate cache.

Tests read the Accel-NASBench data through the same loader a user gets, pointed at the copy
beside the checkout with ``ANB_DATA_DIR``. Surrogates the tests build go to a temporary
``ANB_HOME`` so the user's own cache is never touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_ANB = REPO.parent / "shared" / "data" / "anb"
DEFAULT_SPLIT = SHARED_ANB / "default_split"
PUBLISHED_CONFIGS = SHARED_ANB / "published_model_configs"


@pytest.fixture(scope="session", autouse=True)
def anb_environment(tmp_path_factory):
    """``ANB_DATA_DIR`` -> the shared dataset, ``ANB_HOME`` -> a temp dir, unless the caller set them.

    CI sets ``ANB_HOME`` to a throw-away folder in which ``example.py`` has just built the
    default accuracy ensemble; reusing it saves building the same ensemble twice.
    """
    saved = {k: os.environ.get(k) for k in ("ANB_DATA_DIR", "ANB_HOME")}
    if not os.environ.get("ANB_DATA_DIR") and SHARED_ANB.is_dir():
        os.environ["ANB_DATA_DIR"] = str(SHARED_ANB)
    if not os.environ.get("ANB_HOME"):
        os.environ["ANB_HOME"] = str(tmp_path_factory.mktemp("anb_home"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def real_data(anb_environment):
    """The real dataset, loaded once per session (skips when ../shared is absent)."""
    if not SHARED_ANB.is_dir():
        pytest.skip(f"the Accel-NASBench dataset copy is not at {SHARED_ANB}")
    from anb.dataset import load_dataset

    return load_dataset()


@pytest.fixture(scope="session")
def default_split(real_data):
    from anb.splits import load_split_dir

    return load_split_dir(DEFAULT_SPLIT, real_data)


NB101_DIR = Path(os.environ.get("ANB_NB101_DATA_DIR", REPO.parent / "shared" / "data" / "nb101"))
NB101_RECORDS = NB101_DIR / "nb101_official_records_30.json"
NB101_NASLIB = NB101_DIR / "naslib_zc_nasbench101_500.json"


def require_nb101(path: Path) -> Path:
    """``path`` if the NAS-Bench-101 reference file is there; skip the test otherwise."""
    if not path.exists():
        pytest.skip(f"NAS-Bench-101 reference data {path} not found; set ANB_NB101_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def records():
    """The 30 official NAS-Bench-101 records, keyed by module hash."""
    with open(require_nb101(NB101_RECORDS)) as handle:
        return json.load(handle)
