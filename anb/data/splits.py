"""Train/validation/test splits of the dataset, by file base name.

Every split keeps the rows of one architecture together (rows sharing an ``arch_id``), so a
duplicated architecture never sits on both sides of a split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from anb.data.atomic import write_json_atomic
from anb.data.validation import check_finite_number, read_json

SIDES = ("train", "val", "test")
# The one default split of the package (fit_model.py, do_hpo.py and the cache's local build):
# the project's split, shipped in configs/data_splits/<PROJECT_SPLIT> (made by
# create_data_splits.py), when the data is the Accel-NASBench dataset; for any other data a
# random split over architectures with these ratios and seed.
PROJECT_SPLIT = "anb_v1"
DEFAULT_RATIOS = {"train": 0.8, "val": 0.1, "test": 0.1}
DEFAULT_SPLIT_SEED = 0
# The project's split is used when it names at least this share of the data's files.
PROJECT_SPLIT_COVERAGE = 0.9
# The original fit_model.py's cross-validation over train+val of a split directory.
KFOLD_SPLITS = 9
# When a published split puts copies of one architecture on two sides, the copy on the more
# held-out side stays (the test set is never changed) and the other copy is dropped.
HOLD_OUT_RANK = {"train": 0, "val": 1, "test": 2}


@dataclass
class Split:
    train: list[str]
    val: list[str]
    test: list[str]
    source: str
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def side(self, name: str) -> list[str]:
        return getattr(self, name)

    def sizes(self) -> dict[str, int]:
        return {side: len(self.side(side)) for side in SIDES}

    def frames(self, data: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The rows of each side, in the order of the split."""
        indexed = data.set_index("name", drop=False)
        return {side: indexed.loc[self.side(side)].reset_index(drop=True) for side in SIDES}

    def save(self, directory: str | Path) -> None:
        """Write ``{train,val,test}_paths.json`` (the original's layout), atomically."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for side in SIDES:
            write_json_atomic(directory / f"{side}_paths.json", self.side(side))


def _groups(data: pd.DataFrame) -> pd.Series:
    """File names per architecture id, in the data's order."""
    return data.groupby("arch_id", sort=False)["name"].apply(list)


def random_split(data: pd.DataFrame, train: float, val: float, test: float, seed: int) -> Split:
    """A seeded random split by ratios, drawn over architectures rather than files."""
    given = {"train": train, "val": val, "test": test}
    for side, value in given.items():
        check_finite_number(value, f"the {side} ratio")
    ratios = np.array([train, val, test], dtype=float)
    if (ratios < 0).any() or not np.isclose(ratios.sum(), 1.0):
        raise ValueError(f"split ratios must be non-negative and sum to 1; got train={train}, val={val}, test={test}")
    groups = _groups(data)
    order = np.random.default_rng(seed).permutation(len(groups))
    cuts = np.round(np.cumsum(ratios)[:2] * len(groups)).astype(int)
    parts = np.split(order, cuts)
    names = {side: [n for g in groups.iloc[idx] for n in g] for side, idx in zip(SIDES, parts)}
    return Split(**names, source=f"random {train}/{val}/{test}, seed {seed}")


def split_from_data_config(config: dict | str | Path, data: pd.DataFrame, seed: int) -> Split:
    """A random split from the original's data config (``train_val_test_split`` ratios)."""
    source = "the data config"
    if isinstance(config, (str, Path)):
        source = f"data config {config}"
        config = read_json(config, "data config")
    expected = "{'train_val_test_split': {'train': 0.8, 'val': 0.1, 'test': 0.1}}"
    ratios = config.get("train_val_test_split") if isinstance(config, dict) else None
    if not isinstance(ratios, dict) or not {"train", "val", "test"} <= set(ratios):
        raise ValueError(f"{source} must be a JSON object like {expected}; got {json.dumps(config)[:200]}")
    return random_split(data, ratios["train"], ratios["val"], ratios["test"], seed)


def load_split_dir(directory: str | Path, data: pd.DataFrame) -> Split:
    """A split from ``{train,val,test}_paths.json``, matched to the data by file base name."""
    directory = Path(directory)
    lists = {}
    for side in SIDES:
        path = directory / f"{side}_paths.json"
        if not path.is_file():
            raise FileNotFoundError(f"split directory {directory} lacks {path.name} (needs train/val/test_paths.json)")
        paths = read_json(path, "split file")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError(f"split file {path} must hold a JSON list of file paths (strings)")
        lists[side] = [Path(p).name for p in paths]

    known = set(data["name"])
    arch_of = dict(zip(data["name"], data["arch_id"]))
    dropped = []
    best_side: dict[int, str] = {}
    for side in SIDES:
        for name in lists[side]:
            if name in arch_of:
                arch = arch_of[name]
                if arch not in best_side or HOLD_OUT_RANK[side] > HOLD_OUT_RANK[best_side[arch]]:
                    best_side[arch] = side
    kept = {}
    for side in SIDES:
        kept[side] = []
        for name in lists[side]:
            if name not in known:
                dropped.append((name, "not in the loaded dataset"))
            elif best_side[arch_of[name]] != side:
                dropped.append((name, f"same architecture as a {best_side[arch_of[name]]} file"))
            else:
                kept[side].append(name)
    return Split(**kept, source=str(directory), dropped=dropped)


def kfold_split(split: Split, data: pd.DataFrame, seed: int, n_splits: int = 9) -> Split:
    """The original's cross-validation: pool train+val, k-fold it, use fold ``seed % n_splits``.

    Folds are drawn over architectures so duplicates stay on one side; the test side is kept.
    """
    pool = data.set_index("name").loc[split.train + split.val, "arch_id"]
    groups = pool.groupby(pool, sort=False).groups  # arch_id -> names
    arch_ids = list(groups)
    folds = list(KFold(n_splits=n_splits, shuffle=True, random_state=seed).split(arch_ids))
    train_idx, val_idx = folds[seed % n_splits]

    def names_of(indices):
        return [name for i in indices for name in groups[arch_ids[i]]]

    return Split(
        train=names_of(train_idx),
        val=names_of(val_idx),
        test=list(split.test),
        source=f"{split.source}, fold {seed % n_splits} of {n_splits} over train+val",
        dropped=list(split.dropped),
    )


def default_split(data: pd.DataFrame, project_data: bool = True) -> Split:
    """The package's default split of ``data`` (see ``PROJECT_SPLIT``).

    ``project_data=False`` says the data is not the Accel-NASBench dataset (a device plugin's own
    measurements, say) even if its files are named like it, so the project's split never applies.
    """
    if project_data:
        split = load_split_dir(Path(str(resources.files("anb.configs") / "data_splits" / PROJECT_SPLIT)), data)
        if len(split.train) + len(split.val) + len(split.test) >= PROJECT_SPLIT_COVERAGE * len(data):
            return split
    return random_split(data, **DEFAULT_RATIOS, seed=DEFAULT_SPLIT_SEED)


def resolve_split(data: pd.DataFrame, splits_root: str | Path | None = None, data_config: str | Path | dict | None = None,
                  seed: int = DEFAULT_SPLIT_SEED, kfold: bool = False) -> Split:
    """The split a fit or a tuning run uses; the one resolver behind every script.

    ``splits_root`` (a directory of ``{train,val,test}_paths.json``) wins, and with ``kfold`` its
    train+val are cross-validated as the original fit_model.py did (fold ``seed % 9``); else
    ``data_config`` (the original's ``train_val_test_split`` ratios) draws a random split with
    ``seed``; else :func:`default_split`.
    """
    if splits_root is not None:
        split = load_split_dir(splits_root, data)
        if not split.train:
            raise ValueError(f"the train side of split directory {splits_root} names none of the {len(data)} files of "
                             "the loaded dataset; is it a split of another dataset?")
        return kfold_split(split, data, seed, KFOLD_SPLITS) if kfold else split
    if data_config is not None:
        if not isinstance(data_config, dict) and not Path(data_config).is_file():
            raise FileNotFoundError(f"data config {data_config} does not exist")
        return split_from_data_config(data_config, data, seed)
    return default_split(data)
