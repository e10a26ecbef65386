"""Import the original Accel-NASBench model download into this package's cache.

The original layout is ``anb_models_0_9/<model>/[<device>/<metric>/]ensemble_member_*/``
holding ``surrogate_model.model`` (a pickled ``xgboost.Booster``), ``model_config.json`` and
``data_config.json``. Each booster is re-saved in xgboost's own UBJ format, so nothing is
unpickled again after the import. Only import a download you trust: unpickling runs code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from anb.data.validation import read_json
from anb.devices.request import resolve_request
from anb.fitting.model_config import config_to_params
from anb.models import make_surrogate
from anb.models.xgboost_build import import_xgboost
from anb.surrogates import cache_entry, store
from anb.surrogates.ensemble_io import LEGACY_FEATURE_VERSION, save_ensemble
from configurationspaces.efficientnet_encoding import default_layout

MEMBER_GLOB = "ensemble_member_*"
MODEL_FILE = "surrogate_model.model"
LEGACY_WIDTH = len(default_layout().names)  # the original's models take the 28 encoded columns


def _ensemble_dirs(root: Path):
    """(model name, device, metric, folder) for every folder that holds ensemble members."""
    # The folder that holds the members is the model file's grandparent (its parent is
    # ensemble_member_<i> itself).
    for members_parent in sorted({p.parent.parent for p in root.rglob(f"{MEMBER_GLOB}/{MODEL_FILE}")}):
        parts = members_parent.relative_to(root).parts
        if len(parts) == 1:
            yield parts[0], None, None, members_parent
        elif len(parts) == 3:
            yield parts[0], parts[1], parts[2], members_parent
        else:
            raise ValueError(f"unexpected layout at {members_parent}: expected <model>/[<device>/<metric>/]{MEMBER_GLOB}")


def _load_member(folder: Path):
    xgb = import_xgboost("anb import-legacy")  # before unpickling, which would fail on a missing module
    path = folder / MODEL_FILE
    try:
        with open(path, "rb") as handle:
            booster = pickle.load(handle)  # noqa: S301 - the legacy format is a pickle; see module doc
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not a pickled xgboost Booster (empty, truncated or another file): "
                         f"{type(exc).__name__}: {exc}") from None
    if not isinstance(booster, xgb.Booster):
        raise ValueError(f"{path} holds a {type(booster).__name__}, not an xgboost Booster")
    if booster.num_features() != LEGACY_WIDTH:
        raise ValueError(f"{path} is a booster over {booster.num_features()} features; an Accel-NASBench surrogate "
                         f"takes the {LEGACY_WIDTH} encoded architecture columns")
    config_path = folder / "model_config.json"
    config = read_json(config_path, "model config") if config_path.is_file() else {}
    if not isinstance(config, dict):
        raise ValueError(f"model config {config_path} must hold a JSON object; got {type(config).__name__}")
    return booster, config


def import_legacy(directory: Path, root: Path | None = None) -> list[Path]:
    """Convert every ensemble under ``directory``; returns the cache entries written."""
    directory = Path(directory)
    if (directory / "anb_models_0_9").is_dir():
        directory = directory / "anb_models_0_9"
    found = list(_ensemble_dirs(directory)) if directory.is_dir() else []
    if not found:
        raise FileNotFoundError(
            f"no {MEMBER_GLOB}/{MODEL_FILE} under {directory}; expected the original's "
            "anb_models_0_9/<model>/[<device>/<metric>/]ensemble_member_*/ layout"
        )
    written = []
    for model_name, device, metric, folder in found:
        request = resolve_request(model_name, device, metric)
        family, target = request.family, request.target
        if family != "xgb":
            raise ValueError(f"{folder}: only xgb ensembles can be imported (their boosters are pickled); got {model_name!r}")
        members, configs = [], []
        for i, member_dir in enumerate(sorted(folder.glob(MEMBER_GLOB))):
            booster, config = _load_member(member_dir)
            params = config_to_params({k: v for k, v in config.items() if k not in ("model", "device", "metric")})
            member = make_surrogate("xgb", params, seed=i)
            member.booster_, member.n_features_, member.fitted_ = booster, int(booster.num_features()), True
            members.append(member)
            configs.append(config)
        entry = store.entry_dir(family, target, root)
        with cache_entry.locked(entry), cache_entry.staged(entry, replace=True) as staging:
            save_ensemble(staging, members, {"target": target.__dict__, "imported_from": str(folder),
                                             "legacy_model_config": configs[0]},
                          feature_version=LEGACY_FEATURE_VERSION)
        written.append(entry)
    return written
