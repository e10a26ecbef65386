"""Where a surrogate ensemble comes from: the cache, else a download, else a local build.

Cache layout: ``<cache root>/<anb version>/<model>/<device>/<metric>/`` (``accuracy/val_top1``
for accuracy), holding ``manifest.json`` and ``member_<i>/``. Every entry is written through
:mod:`anb.surrogates.cache_entry` (a lock, a staging folder, a verified rename), so two processes asking
for the same surrogate build it once and never see half of it.
"""

from __future__ import annotations

import json
import tarfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from anb.data import paths
from anb.data.dataset import load_dataset
from anb.data.download import DownloadError, HashMismatchError, fetch
from anb.data.splits import default_split
from anb.devices import get_device
from anb.devices.targets import Target
from anb.models import Surrogate
from anb.models.calibration import MIN_ROWS, SpreadCalibration
from anb.surrogates import cache_entry, shipped
from anb.surrogates.ensemble_io import (
    MANIFEST,
    MANIFEST_FORMAT,
    CorruptEnsembleError,
    entry_subpath,
    load_entry,
    package_version,
    save_ensemble,
    sha256_of,
    write_manifest,
)

if TYPE_CHECKING:
    from anb.fitting.training import SideData

DEFAULT_MEMBERS = 5
# Where obtain() takes an ensemble from.
AUTO, SHIPPED, CACHE = "auto", "shipped", "cache"
SOURCES = (AUTO, SHIPPED, CACHE)
BUILD_SEED = 0  # seed of the members of a local build
LOCAL_BUILD = "local build"  # the manifest's "origin" of an entry fitted by build()


@dataclass(frozen=True)
class DatasetBuild:
    """A way to build an entry from a plugin's own dataset when a plain fit cannot serve it.

    The packages above the store register theirs (``anb/__init__.py`` registers the few-shot
    build of :mod:`anb.adaptation.few_shot`), so the store never imports what queries it.
    """

    applies: Callable[[pd.DataFrame, Target], bool]
    # (family, target, data, entry, n_members, seed, progress); the caller holds the entry's lock
    build_entry: Callable[[str, Target, pd.DataFrame, Path, int, int, bool], None]


_DATASET_BUILDS: list[DatasetBuild] = []


def register_dataset_build(dataset_build: DatasetBuild) -> None:
    """Offer ``dataset_build`` every plugin dataset before the plain fit (registering it again changes nothing)."""
    if dataset_build not in _DATASET_BUILDS:
        _DATASET_BUILDS.append(dataset_build)


def entry_dir(family: str, target: Target, root: Path | None = None) -> Path:
    root = Path(root) if root is not None else paths.cache_root()
    return root / package_version() / entry_subpath(family, target)


def _download(family: str, target: Target, entry: Path) -> bool:
    """Fetch and unpack the plugin's archive into ``entry``; False when the plugin has none.

    The archive is kept under ``<cache root>/downloads`` under a fixed name, so a user without
    network access can put a copy fetched by hand there and it is used (after its hash check).
    """
    archive = get_device(target.device).archive(family, target.metric) if target.device else None
    if archive is None:
        return False
    downloads = entry.parents[3] / "downloads"  # <root>/<version>/<model>/<device>/<metric>
    tarball = fetch(archive.url, archive.sha256, downloads, f"{family}-{target.device}-{target.metric}.tar.gz",
                    f"the {family} {target.label} surrogate")
    try:
        with cache_entry.staged(entry) as staging:
            with tarfile.open(tarball) as tar:
                tar.extractall(staging, filter="data")
            _seal_manifest(staging)
    except (tarfile.TarError, CorruptEnsembleError) as exc:
        # A published file that is not a tar archive of an ensemble (or holds unsafe paths) is a failed download.
        raise DownloadError(f"{tarball} (from {archive.url}) is not a usable .tar.gz archive of an ensemble: "
                            f"{exc}") from exc
    return True


def _seal_manifest(staging: Path) -> None:
    """Give a downloaded manifest its own sha256 (archives made by any anb version are taken; the
    archive's sha256 was checked, so its manifest is the published one). An archive from before
    manifest formats were numbered is taken as the current format: without a calibration its
    std is the members' raw spread (see :mod:`anb.surrogates.ensemble`)."""
    manifest = json.loads((staging / MANIFEST).read_text()) if (staging / MANIFEST).is_file() else None
    if not isinstance(manifest, dict):
        raise CorruptEnsembleError(f"it holds no {MANIFEST} at its root")
    manifest.setdefault("format_version", MANIFEST_FORMAT)
    write_manifest(staging, manifest)


def build(family: str, target: Target, entry: Path, n_members: int = DEFAULT_MEMBERS, progress: bool = True,
          compress: bool = False) -> None:
    """Fit an ensemble from the target's dataset with the project's tuned config; write it to
    ``entry`` (the model files gzip-compressed with ``compress``)."""
    plugin = get_device(target.device) if target.device else None
    data = plugin.load_measurements() if plugin else load_dataset()
    if target.column not in data:
        raise ValueError(f"the dataset of {target.label} has no column {target.column!r}")
    if plugin is not None and plugin.dataset is not None:
        for dataset_build in _DATASET_BUILDS:
            if dataset_build.applies(data, target):
                return dataset_build.build_entry(family, target, data, entry, n_members, BUILD_SEED, progress)
    # A plugin's own dataset is never the Accel-NASBench one, even when its files are named
    # result_N.json too, so the project's split must not be matched against it by name.
    # Here, not at the top: a process that only queries never loads the fitting code.
    from anb.fitting.model_config import default_config_path, read_model_params
    from anb.fitting.training import evaluate_sides, fit_members, split_data

    split = default_split(data, project_data=plugin is None or plugin.dataset is None)
    sides, _ = split_data(data, split, target)
    config = default_config_path(family, target.device, target.metric)
    params = read_model_params(config)
    members = fit_members(family, params, sides, n_members, BUILD_SEED, progress=progress)
    metrics, _ = evaluate_sides(members, sides)
    calibration = fit_calibration(members, sides["val"], data, target)
    with cache_entry.staged(entry) as staging:
        save_ensemble(staging, members, {
            "target": target.__dict__, "origin": LOCAL_BUILD, "params": params, "config_file": Path(config).name,
            "config_sha256": sha256_of(Path(config)), "seed": BUILD_SEED,
            "split": split.source, "test_names": list(split.test), "metrics": metrics, "calibration": calibration,
        }, compress=compress)


def fit_calibration(members: list[Surrogate], val: SideData, data, target: Target) -> dict | None:
    """The predictive-std calibration fitted on the validation side (``None`` when it is too small),
    with each validation measurement's recorded std where the dataset has one."""
    if len(val.y) < MIN_ROWS:
        warnings.warn(f"the validation side of {target.label} has {len(val.y)} rows, fewer than {MIN_ROWS}: no "
                      f"calibration is fitted and the ensemble's std is its members' raw spread", stacklevel=3)
        return None
    recorded = f"{target.column}_std"
    measurement_std = (data.set_index("name").loc[val.names, recorded].to_numpy(float)
                       if recorded in data else None)
    predictions = np.stack([member.predict(val.X) for member in members])
    return SpreadCalibration().fit(predictions, val.y, measurement_std).to_dict()


def _warn_if_small(members: list, manifest: dict, n_members: int, family: str, target: Target, entry: Path) -> None:
    """A local build smaller than the default (made for a request of fewer members) is used, with a
    warning; a downloaded or imported ensemble has the size its publisher chose."""
    if manifest.get("origin") == LOCAL_BUILD and len(members) < min(n_members, DEFAULT_MEMBERS):
        spread = ("its members' spread is 0" if len(members) == 1
                  else f"its members' spread comes from {len(members)} members")
        where = "" if target.device is None else f" --device {target.device} --metric {target.metric}"
        warnings.warn(f"the cached {family} {target.label} ensemble ({entry}) has {len(members)} member(s), built on "
                      f"an earlier request for that many; {spread}. To rebuild it with {DEFAULT_MEMBERS}: "
                      f"anb build --model {family}{where} --members {DEFAULT_MEMBERS} --force", stacklevel=3)


def check_source(source) -> str:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}; got {source!r}")
    return source


def obtain(family: str, target: Target, n_members: int = DEFAULT_MEMBERS, root: Path | None = None,
           progress: bool = True, source: str = AUTO) -> tuple[list[Surrogate], dict]:
    """The ensemble's members and manifest, from ``source`` (validated by the caller):

    ``"shipped"``, the ensemble shipped with the package (:mod:`anb.surrogates.shipped`); ``"cache"``, the
    cached one, else downloaded, else built (and cached); ``"auto"``, the shipped one when the
    package ships it with at least ``n_members`` members, else as ``"cache"``. A shipped ensemble
    that is missing or damaged is an error that says to reinstall anb, never a reason to build.

    A complete cache entry is read without taking the lock, so a read-only cache works.
    """
    if source != CACHE:
        available = shipped.shipped_members(family, target)
        if available >= n_members:
            return shipped.load_shipped(family, target)
        if source == SHIPPED:
            raise ValueError(_not_shipped(family, target, n_members, available))
        if available:
            warnings.warn(f"anb ships the {family} {target.label} ensemble with {available} members; n_members="
                          f"{n_members} takes one from the cache or builds it on this machine, and its numbers are "
                          f"not the benchmark's", stacklevel=3)
    return _from_cache(family, target, n_members, root, progress)


def _not_shipped(family: str, target: Target, n_members: int, available: int) -> str:
    if available:
        return (f"anb ships the {family} {target.label} ensemble with {available} members, fewer than n_members="
                f"{n_members}; ask for at most {available}, or use source='cache' to build a larger one")
    listed = ", ".join(shipped.released_keys())
    return (f"anb ships no {family} {target.label} ensemble (shipped: {listed}); use source='cache' to download "
            f"or build it")


def _from_cache(family: str, target: Target, n_members: int, root: Path | None,
                progress: bool) -> tuple[list[Surrogate], dict]:
    entry = entry_dir(family, target, root)
    try:
        members, manifest = load_entry(entry, family, target)
    except (CorruptEnsembleError, OSError):  # absent, damaged, or replaced while it was read
        members, manifest = _produce(family, target, entry, n_members, progress)
    _warn_if_small(members, manifest, n_members, family, target, entry)
    return members, manifest


def _produce(family: str, target: Target, entry: Path, n_members: int, progress: bool) -> tuple[list[Surrogate], dict]:
    """Under the entry's lock: the entry another process just made, else a download, else a build."""
    with cache_entry.locked(entry):
        if entry.exists():
            try:
                return load_entry(entry, family, target)
            except CorruptEnsembleError as exc:
                warnings.warn(f"discarding a damaged cache entry, it will be replaced: {exc}", stacklevel=3)
                cache_entry.remove(entry)
        try:
            fetched = _download(family, target, entry)
        except HashMismatchError:
            raise  # a wrong hash is never papered over by a local build
        except DownloadError as exc:
            try:
                build(family, target, entry, n_members, progress)
            except Exception as build_exc:
                raise DownloadError(f"{exc}. Building it locally failed too: {build_exc}") from build_exc
            warnings.warn(f"{exc}; built the surrogate locally instead", stacklevel=3)
            fetched = True
        if not fetched:
            build(family, target, entry, n_members, progress)
        return load_entry(entry, family, target)
