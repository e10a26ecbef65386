"""What a trial measures: validation error and prediction cost of one configuration.

Two objectives, both deterministic for a fixed model seed and thread count, so SMAC may treat
every configuration as evaluated once:

``val_rank_error``
    1 - Kendall tau between predicted and measured values on the validation side of the split,
    the model fitted on the train side and early-stopped on the validation side, exactly as
    ``anb.fitting.training.fit_members`` fits a member. Ranking is what a NAS benchmark is used for and
    the figure the field reports; the RMSE, which on throughput targets is dominated by the
    fastest architectures and rewards ever more trees, is recorded beside it.
``log10_evaluations``
    log10 of the model's prediction work per row (split nodes a row passes through, summed over
    the trees; kernel evaluations for SVR; see ``anb.models.prediction_cost``). Counted, not
    timed: a timing on a shared machine is noise to an optimiser. The log keeps a 10x cheaper
    model a big step whether it has 100 or 10,000 trees.

The measured prediction time per row is recorded beside them for the report.
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
from ConfigSpace import Configuration
from scipy import stats

from anb.fitting.hpo.errors import HPOError
from anb.fitting.model_config import config_to_params
from anb.fitting.training import SideData
from anb.models import family_class, make_surrogate

ERROR = "val_rank_error"
COST = "log10_evaluations"
OBJECTIVES = (ERROR, COST)
# Rows timed for the measured prediction cost (the validation rows, repeated up to this many;
# below the boosters' multi-thread threshold, so the time is one thread's).
TIMED_ROWS = 1024


class ValidationCostObjective:
    """Validation ranking error and prediction cost of one configuration of ``family``.

    Holds the train and validation arrays only (never the test side). Picklable, so Dask
    workers receive it with each trial.
    """

    def __init__(self, family: str, train: SideData, val: SideData, seed: int, n_threads: int = 1):
        if len(train.y) == 0 or len(val.y) < 2:
            raise HPOError(f"the objective needs training rows and at least 2 validation rows; got {len(train.y)} and {len(val.y)}")
        self.family = family
        self.X_train, self.y_train = np.ascontiguousarray(train.X), np.ascontiguousarray(train.y)
        self.X_val, self.y_val = np.ascontiguousarray(val.X), np.ascontiguousarray(val.y)
        self.seed = int(seed)
        self.n_threads = int(n_threads)

    def params(self, config: Configuration | dict) -> dict:
        params = config_to_params(dict(config))
        thread_param = family_class(self.family).thread_param
        if thread_param is not None:
            params[thread_param] = self.n_threads
        return params

    def fitted(self, config: Configuration | dict, X_fit: np.ndarray, y_fit: np.ndarray, X_stop: np.ndarray,
               y_stop: np.ndarray):
        """A model of ``config`` fitted on the ``fit`` rows and early-stopped on the ``stop`` rows."""
        model = make_surrogate(self.family, self.params(config), seed=self.seed)
        model.fit(X_fit, y_fit, X_stop, y_stop)
        return model

    @staticmethod
    def rank_tau(y: np.ndarray, predicted: np.ndarray) -> float:
        """Kendall tau of ``predicted`` against ``y``; 0 for a constant prediction, which ranks nothing."""
        tau = float(stats.kendalltau(y, predicted).statistic)
        return tau if np.isfinite(tau) else 0.0

    def __call__(self, config: Configuration, seed: int = 0) -> tuple[dict[str, float], dict]:
        """``({objective: value}, extra info)``. SMAC's ``seed`` is ignored: the model seed is fixed."""
        model = self.fitted(config, self.X_train, self.y_train, self.X_val, self.y_val)
        predicted = model.predict(self.X_val)
        evaluations = model.evaluations_per_row(self.X_val)
        info = {"val_rmse": float(np.sqrt(np.mean((predicted - self.y_val) ** 2))),
                "evaluations_per_row": evaluations, "us_per_row": _timed_us_per_row(model, self.X_val)}
        rounds = _rounds_used(model)
        if rounds is not None:
            info["rounds"] = rounds
        error = 1.0 - self.rank_tau(self.y_val, predicted)
        return {ERROR: error, COST: float(np.log10(max(evaluations, 1.0)))}, info

    def fingerprint(self) -> str:
        """A digest of everything the objective's value depends on."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.family, self.seed, self.n_threads, OBJECTIVES]).encode())
        for array in (self.X_train, self.y_train, self.X_val, self.y_val):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        return digest.hexdigest()[:16]


def _timed_us_per_row(model, X: np.ndarray) -> float:
    """Best of three timings of a batch prediction, in microseconds per row."""
    rows = np.resize(X, (max(len(X), TIMED_ROWS), X.shape[1]))
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        model.predict(rows)
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / len(rows)


def _rounds_used(model) -> int | None:
    if hasattr(model, "best_iteration_"):
        return int(model.best_iteration_)
    booster = getattr(model, "booster_", None)
    if booster is not None and hasattr(booster, "num_boosted_rounds"):
        return int(booster.num_boosted_rounds())
    return None
