"""Cross-validation over the train and validation rows: how a run's candidates are confirmed.

A trial scores one model on the validation side, on the published split 512 rows. On a noisy
target that sample is too small to separate the cheap configurations from each other: on tpuv3
throughput a config's validation tau moves between model seeds by as much as the candidates
differ, and its best single-seed trial (0.9115) confirmed at 0.9064. So the candidates are scored
again on every train and validation row: ``CV_FOLDS`` folds, each scored by a model fitted on the
other folds less a random ``EARLY_STOP_SHARE`` of them, which early-stops it as the validation side
early-stops a member (the published split's ratio: 512 validation rows to 4,100 training rows).
Each row is scored once, so the mean tau over the folds rests on 9x the rows of the validation
side. The test side never enters.
"""

from __future__ import annotations

import numpy as np
from ConfigSpace import Configuration

CV_FOLDS = 5
EARLY_STOP_SHARE = 1 / 9


def fold_rows(n_rows: int, folds: int, repeat: int, fold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fit, early-stop, scored) row indices of fold ``fold`` of the ``repeat``-th random partition."""
    permutation = np.random.default_rng(repeat).permutation(n_rows)
    scored = np.array_split(permutation, folds)[fold]
    rest = np.random.default_rng([repeat, fold]).permutation(np.setdiff1d(permutation, scored))
    n_stop = int(round(EARLY_STOP_SHARE * len(rest)))
    return rest[n_stop:], rest[:n_stop], scored


def fold_score(objective, config: Configuration | dict, fold: int, folds: int = CV_FOLDS,
               repeat: int = 0) -> tuple[float, float]:
    """(Kendall tau, evaluations per row) of ``config`` on one fold of the objective's train +
    validation rows, fitted with the objective's model seed and threads."""
    X = np.vstack([objective.X_train, objective.X_val])
    y = np.concatenate([objective.y_train, objective.y_val])
    fit, stop, scored = fold_rows(len(y), folds, repeat, fold)
    model = objective.fitted(config, X[fit], y[fit], X[stop], y[stop])
    return objective.rank_tau(y[scored], model.predict(X[scored])), model.evaluations_per_row(X[scored])
