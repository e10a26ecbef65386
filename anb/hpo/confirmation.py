"""Fitting a run's candidate configurations again with more model seeds (see :mod:`anb.hpo.selection`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from ConfigSpace import ConfigurationSpace
from tqdm.auto import tqdm

from anb.hpo.objective import ERROR, ValidationCostObjective
from anb.hpo.results import trial_config
from anb.hpo.selection import CONFIRM_SEEDS, CONFIRMED_COST, CONFIRMED_TAU, confirmation_candidates


def confirm_candidates(history: pd.DataFrame, space: ConfigurationSpace, objective: ValidationCostObjective,
                       tolerance: float, progress: bool = True) -> pd.DataFrame:
    """``history`` with the candidates' mean validation tau and evaluations per row over
    ``CONFIRM_SEEDS`` model seeds (the trial's own and the next ones), NaN for other trials."""
    candidates = confirmation_candidates(history, tolerance)
    history = history.copy()
    history[CONFIRMED_TAU] = np.nan
    history[CONFIRMED_COST] = np.nan
    reseeded = [objective.with_seed(objective.seed + k) for k in range(1, CONFIRM_SEEDS)]
    for index, trial in tqdm(candidates.iterrows(), total=len(candidates), desc="confirming candidates",
                             disable=not progress):
        config = trial_config(trial, space)
        taus, costs = [trial["val_tau"]], [trial["evaluations_per_row"]]
        for seeded in reseeded:
            values, info = seeded(config)
            taus.append(1.0 - values[ERROR])
            costs.append(info["evaluations_per_row"])
        history.loc[index, CONFIRMED_TAU] = float(np.mean(taus))
        history.loc[index, CONFIRMED_COST] = float(np.mean(costs))
    return history

