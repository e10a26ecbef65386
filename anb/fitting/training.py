"""Fit surrogates on a split of the dataset and evaluate them on every side of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from anb.data.splits import SIDES, Split
from anb.devices.targets import Target
from anb.fitting.metrics import evaluate_metrics
from anb.models import Surrogate, make_surrogate
from anb.models.features import build_features

# Each ensemble member sees this share of the training rows (drawn without replacement), so
# members differ in data as well as in seed and their spread reflects model uncertainty.
MEMBER_SUBSAMPLE = 0.9


@dataclass
class SideData:
    names: np.ndarray
    X: np.ndarray
    y: np.ndarray


def split_data(data: pd.DataFrame, split: Split, target: Target) -> tuple[dict[str, SideData], dict[str, int]]:
    """Features and target per side; rows whose target is null are dropped (and counted)."""
    sides, dropped = {}, {}
    for side, frame in split.frames(data).items():
        has_target = frame[target.column].notna().to_numpy()
        dropped[side] = int((~has_target).sum())
        frame = frame[has_target]
        sides[side] = SideData(frame["name"].to_numpy(), build_features(frame), frame[target.column].to_numpy(float))
    return sides, dropped


def member_rows(n_rows: int, member: int, seed: int, n_members: int) -> np.ndarray:
    """The training rows of one member: all of them for a single model, a subsample otherwise."""
    if n_members == 1:
        return np.arange(n_rows)
    rng = np.random.default_rng([seed, member])
    return np.sort(rng.choice(n_rows, size=int(round(MEMBER_SUBSAMPLE * n_rows)), replace=False))


def fit_members(
    family: str,
    params: dict,
    sides: dict[str, SideData],
    n_members: int,
    seed: int,
    progress: bool = True,
) -> list[Surrogate]:
    train, val = sides["train"], sides["val"]
    members = []
    for member in tqdm(range(n_members), desc=f"fitting {family} members", disable=not progress or n_members == 1):
        rows = member_rows(len(train.y), member, seed, n_members)
        model = make_surrogate(family, params, seed=seed + member)
        has_val = len(val.y) > 0
        model.fit(train.X[rows], train.y[rows], val.X if has_val else None, val.y if has_val else None)
        members.append(model)
    return members


def ensemble_predict(members: list[Surrogate], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predictions = np.stack([m.predict(X) for m in members])
    return predictions.mean(axis=0), predictions.std(axis=0)


def evaluate_sides(members: list[Surrogate], sides: dict[str, SideData]) -> tuple[dict, pd.DataFrame]:
    """Metrics per side, and a table of every prediction (name, side, measured, mean, std)."""
    metrics, tables = {}, []
    for side in SIDES:
        data = sides[side]
        if len(data.y) < 2:
            continue
        mean, std = ensemble_predict(members, data.X)
        metrics[side] = evaluate_metrics(data.y, mean)
        tables.append(pd.DataFrame({"name": data.names, "side": side, "measured": data.y, "predicted": mean, "std": std}))
    return metrics, pd.concat(tables, ignore_index=True)
