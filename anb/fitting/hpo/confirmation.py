"""Scoring a run's candidate configurations again by cross-validation (see :mod:`anb.fitting.hpo.selection`
for which trials are candidates, :mod:`anb.fitting.hpo.cross_validation` for the folds)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from ConfigSpace import ConfigurationSpace
from tqdm.auto import tqdm

from anb.fitting.hpo.cross_validation import CV_FOLDS, fold_score
from anb.fitting.hpo.objective import ValidationCostObjective
from anb.fitting.hpo.results import trial_config
from anb.fitting.hpo.selection import CONFIRMED_COST, CONFIRMED_TAU, confirmation_candidates


def confirm_candidates(history: pd.DataFrame, space: ConfigurationSpace, objective: ValidationCostObjective,
                       tolerance: float, n_workers: int = 1, progress: bool = True) -> pd.DataFrame:
    """``history`` with the candidates' mean Kendall tau and evaluations per row over the
    ``CV_FOLDS`` folds of a cross-validation over train + validation, NaN for other trials.
    ``n_workers`` > 1 fits that many folds side by side, in processes."""
    candidates = confirmation_candidates(history, tolerance)
    history = history.copy()
    history[CONFIRMED_TAU] = np.nan
    history[CONFIRMED_COST] = np.nan
    jobs = [(index, trial_config(trial, space), fold) for index, trial in candidates.iterrows() for fold in range(CV_FOLDS)]
    bar = tqdm(total=len(jobs), desc=f"confirming {len(candidates)} candidates ({CV_FOLDS}-fold CV)", disable=not progress)
    scores: dict = {index: [] for index in candidates.index}
    if n_workers > 1:
        # Spawned, not forked: a fork of a process whose threads (xgboost's OpenMP pool, numba's
        # loader) hold locks can leave the child waiting on a lock no thread will release.
        with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [(index, pool.submit(fold_score, objective, config, fold)) for index, config, fold in jobs]
            for index, future in futures:
                scores[index].append(future.result())
                bar.update()
    else:
        for index, config, fold in jobs:
            scores[index].append(fold_score(objective, config, fold))
            bar.update()
    bar.close()
    for index, folds in scores.items():
        taus, costs = np.array(folds).T
        history.loc[index, CONFIRMED_TAU] = float(taus.mean())
        history.loc[index, CONFIRMED_COST] = float(costs.mean())
    return history
