"""Surrogates for a device measured on only a few dozen architectures.

A device plugin whose dataset holds fewer than :data:`FEW_SHOT_MAX_ROWS` measurements of a
metric gets its surrogate from what the other devices already know, in two steps:

1. **Transfer model** (:class:`TransferModel`): a ridge regression, in log space, of the new
   device's measurements on the log predictions of the other devices' surrogates (the
   *donors*) and on the log analytic cost features. Speed on every accelerator is a product of
   per-layer costs, so in log space one device is close to a weighted sum of the others plus
   cost terms; a linear model has few enough parameters to be fitted from 10 points, and its
   ridge penalty (chosen by leave-one-out) keeps it near the most useful donors. The cost
   features enter scaled down by :data:`COST_WEIGHT`, i.e. penalised harder than the donors:
   with 10-20 measurements they otherwise overfit, with 50 or more they correct what no
   donor knows (measured by ``benchmarks/few_shot_devices.py``).
2. **Distillation** (:func:`distil`): the transfer model labels a fixed sample of random
   architectures and a booster of the requested family is fitted to those labels on the
   package's usual features. The result is an ordinary ensemble of that family: it needs
   no donor at query time, is saved in the library's own format, and is queried like any
   device. Its std is the transfer model's cross-validated error relative to the predicted
   magnitude (there is no validation side to calibrate the members' spread on; the raw spread
   of members fitted on different subsamples is ``ANBEnsemble.query_spread``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold
from tqdm.auto import tqdm

from anb.devices import discover_devices
from anb.devices.targets import Target, resolve_target
from anb.models import Surrogate, make_surrogate
from anb.models.calibration import SpreadCalibration
from anb.models.features import COST_COLUMNS, features_from_encoded
from anb.surrogates import cache_entry
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import save_ensemble
from anb.surrogates.store import DatasetBuild
from configurationspaces.efficientnet_encoding import encode
from configurationspaces.searchspaces import EfficientNetSS

# A plugin dataset with fewer measurements of a metric than this gets a few-shot surrogate;
# the built-in devices have about 5,100 each, and a plain fit needs a few hundred at least.
FEW_SHOT_MAX_ROWS = 500
MIN_MEASUREMENTS = 10
DONOR_FAMILY = "xgb"
# How much less a cost feature may weigh than a donor prediction for the same penalty (the
# features are standardised, then the cost ones multiplied by this). Chosen on the
# leave-one-device-out benchmark from 0.1, 0.2, 0.3, 0.5 and 1.
COST_WEIGHT = 0.2
# From 1 up: with 10-20 measurements, leave-one-out would now and then pick a penalty near 0 and
# fit their noise (measured on this machine's CPU and on the left-out accelerators: docs/guide/new-device.md).
RIDGE_ALPHAS = np.logspace(0, 3, 25)
# Random architectures the transfer model labels for the distilled boosters, and the boosters'
# parameters. On the leave-one-device-out benchmark these boosters rank the held-out
# architectures as well as the transfer model itself (mean tau within +0.003 at every N), and
# one member takes seconds; more samples or rounds cost minutes per member and gain nothing.
DISTIL_SAMPLES = 5000
DISTIL_SEED = 0
DISTIL_VALIDATION = 0.1
DISTIL_PARAMS = {
    "max_depth": 6,
    "learning_rate": 0.1,
    "num_rounds": 400,
    "early_stopping_rounds": 30,
    "subsample": 0.8,
}
CV_FOLDS = 5


def log_cost(encoded: np.ndarray) -> np.ndarray:
    """The analytic cost columns in log space (``log1p``: counts can be zero)."""
    return np.log1p(features_from_encoded(encoded)[:, -len(COST_COLUMNS):])


class TransferModel:
    """Ridge regression of a device's log metric on donors' log predictions and log costs."""

    def __init__(self, cost_weight: float = COST_WEIGHT, alphas: np.ndarray = RIDGE_ALPHAS):
        self.cost_weight = cost_weight
        self.alphas = alphas

    def _inputs(self, donors: np.ndarray, cost: np.ndarray) -> np.ndarray:
        scaled = (np.hstack([np.log(donors), cost]) - self.mean_) / self.scale_
        scaled[:, donors.shape[1]:] *= self.cost_weight
        return scaled

    def standardise(self, donors: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Learn the inputs' standardisation from these rows and return their inputs as the ridge sees them."""
        raw = np.hstack([np.log(donors), cost])
        self.mean_ = raw.mean(axis=0)
        scale = raw.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self._inputs(donors, cost)

    def fit(self, donors: np.ndarray, cost: np.ndarray, y: np.ndarray) -> TransferModel:
        """``donors``: (n, d) donor predictions (positive, in their units); ``cost``: :func:`log_cost`."""
        from sklearn.linear_model import RidgeCV  # here: a process that only queries never fits one

        self.ridge_ = RidgeCV(alphas=self.alphas).fit(self.standardise(donors, cost), np.log(y))
        return self

    def predict_log(self, donors: np.ndarray, cost: np.ndarray) -> np.ndarray:
        return self.ridge_.predict(self._inputs(donors, cost))

    def donor_weights(self) -> np.ndarray:
        """The ridge coefficient of each donor (on standardised log predictions)."""
        return self.ridge_.coef_[: len(self.mean_) - len(COST_COLUMNS)]


def cross_validated_predictions(donors: np.ndarray, cost: np.ndarray, y: np.ndarray,
                                folds: int = CV_FOLDS, seed: int = 0) -> np.ndarray:
    """Each measurement predicted (in log space) by a transfer model fitted without it."""
    out = np.empty(len(y))
    splitter = KFold(n_splits=min(folds, len(y)), shuffle=True, random_state=seed)
    for train, held_out in splitter.split(y):
        out[held_out] = TransferModel().fit(donors[train], cost[train], y[train]).predict_log(donors[held_out],
                                                                                              cost[held_out])
    return out


# --- the few-shot build of the store (FEW_SHOT_BUILD) ---------------------------------------


def is_few_shot(data: pd.DataFrame, target: Target) -> bool:
    """Whether a plugin dataset has too few measurements of ``target`` for a plain fit."""
    return target.column in data and int(data[target.column].notna().sum()) < FEW_SHOT_MAX_ROWS


def donor_targets(exclude_device: str) -> list[Target]:
    """Every metric of every device measured on the Accel-NASBench architectures, but ``exclude_device``."""
    return [resolve_target(name, metric) for name, plugin in discover_devices().items()
            if plugin.dataset is None and name != exclude_device for metric in plugin.metrics]


def donor_predictions(donors: list[Target], encoded: np.ndarray, progress: bool = False) -> np.ndarray:
    """``(n, len(donors))`` mean predictions of the donors' cached (else built) surrogates."""
    columns = []
    for target in donors:
        ensemble = ANBEnsemble(DONOR_FAMILY, device=target.device, metric=target.metric, progress=progress)
        columns.append(ensemble.query(encoded)[0])
    return np.column_stack(columns)


def measured(data: pd.DataFrame, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """The encoded architectures and positive measurements of ``target`` in ``data``."""
    rows = data[data[target.column].notna()]
    y = rows[target.column].to_numpy(float)
    if len(y) < MIN_MEASUREMENTS:
        raise ValueError(f"{target.label} has {len(y)} measurement(s); a few-shot surrogate needs at least "
                         f"{MIN_MEASUREMENTS}")
    if (y <= 0).any():
        raise ValueError(f"{target.label} measurements must be positive; got {y[y <= 0][:3].tolist()}")
    return encode(rows), y


@dataclass
class DistilSet:
    """Architectures labelled by the transfer models: features plus the donors' predictions."""

    X: np.ndarray
    donors: np.ndarray
    cost: np.ndarray


def distil_set(donors: list[Target], n: int | None = None, progress: bool = False) -> DistilSet:
    """``n`` (default :data:`DISTIL_SAMPLES`) random architectures, always the same ones."""
    encoded = EfficientNetSS(seed=DISTIL_SEED).random_encoded(n or DISTIL_SAMPLES)
    return DistilSet(features_from_encoded(encoded), donor_predictions(donors, encoded, progress), log_cost(encoded))


def distil(family: str, teacher: TransferModel, points: DistilSet, seed: int, params: dict | None = None) -> Surrogate:
    """A ``family`` surrogate of the package's features that predicts what ``teacher`` predicts."""
    labels = np.exp(teacher.predict_log(points.donors, points.cost))
    held_out = np.random.default_rng([DISTIL_SEED, seed]).random(len(labels)) < DISTIL_VALIDATION
    model = make_surrogate(family, dict(params or DISTIL_PARAMS), seed=seed)
    return model.fit(points.X[~held_out], labels[~held_out], points.X[held_out], labels[held_out])


def fit_few_shot(family: str, target: Target, data: pd.DataFrame, n_members: int, seed: int,
                 progress: bool = True) -> tuple[list[Surrogate], dict]:
    """The members of a few-shot ensemble of ``target`` and what its manifest records about them."""
    # Here, not at the top: anb/__init__ imports this module, and a process that only queries
    # never loads the fitting code.
    from anb.fitting.metrics import evaluate_metrics
    from anb.fitting.training import member_rows

    if family not in ("xgb", "lgb"):
        raise ValueError(f"a few-shot surrogate is distilled into a booster: model 'xgb' or 'lgb'; got {family!r}")
    encoded, y = measured(data, target)
    donors = donor_targets(target.device)
    if not donors:
        raise ValueError(f"{target.label} has too few measurements for a plain fit, and no device measured on the "
                         f"Accel-NASBench architectures is installed to transfer from")
    donor_pred = donor_predictions(donors, encoded, progress)
    cost = log_cost(encoded)
    points = distil_set(donors, progress=progress)
    members, weights = [], []
    for member in tqdm(range(n_members), desc=f"distilling {family} members", disable=not progress):
        rows = member_rows(len(y), member, seed, n_members)
        teacher = TransferModel().fit(donor_pred[rows], cost[rows], y[rows])
        weights.append(teacher.donor_weights().round(4).tolist())
        members.append(distil(family, teacher, points, seed + member))
    cv_log = cross_validated_predictions(donor_pred, cost, y)
    # No validation side to fit a calibration on: the std is the cross-validated error, relative
    # to the predicted magnitude (log residuals are relative errors).
    relative_error = float(np.sqrt(np.mean((np.log(y) - cv_log) ** 2)))
    calibration = SpreadCalibration.proportional(relative_error, (y.min(), y.max()), len(y))
    info = {
        "params": dict(DISTIL_PARAMS),
        "metrics": {"cross_validated": evaluate_metrics(y, np.exp(cv_log))},
        "calibration": calibration.to_dict(),
        "few_shot": {
            "n_measurements": len(y),
            "donors": [d.label for d in donors],
            "donor_weights": weights,
            "cost_weight": COST_WEIGHT,
            "distil_samples": len(points.X),
        },
    }
    return members, info


def build_entry(family: str, target: Target, data: pd.DataFrame, entry: Path, n_members: int, seed: int,
                progress: bool = True) -> None:
    """Fit a few-shot ensemble and install it as the cache entry ``entry`` (the caller holds its lock)."""
    members, info = fit_few_shot(family, target, data, n_members, seed, progress)
    with cache_entry.staged(entry) as staging:
        save_ensemble(staging, members, {"target": target.__dict__, "seed": seed, **info})


# Registered with the store by anb/__init__.py: the store builds plugin datasets with it, and
# this module queries the donors through ANBEnsemble, which sits above the store.
FEW_SHOT_BUILD = DatasetBuild(is_few_shot, build_entry)
