"""From a tuning run's trials to one configuration: the Pareto front and the pick rule.

The rule: among the successful trials, take the cheapest (fewest evaluations per row) whose
validation RMSE is within ``tolerance`` of the best validation RMSE, i.e. at most
``(1 + tolerance) * best``. Ties go to the lower RMSE. The default tolerance, 1 %, is about the
spread of validation RMSE between fits of one configuration with different seeds, so what it
gives up is below what can be told apart; what it buys is a several-fold cheaper model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_TOLERANCE = 0.01


def pareto_mask(error: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True for the trials no other trial beats on both error and cost (ties keep both)."""
    error, cost = np.asarray(error, dtype=float), np.asarray(cost, dtype=float)
    dominated = (error[None, :] <= error[:, None]) & (cost[None, :] <= cost[:, None])
    strictly = (error[None, :] < error[:, None]) | (cost[None, :] < cost[:, None])
    return ~(dominated & strictly).any(axis=1)


def pick_cheapest_within(history: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """The row of ``history`` the pick rule chooses (see the module docstring)."""
    ok = history[history["val_rmse"].notna() & history["evaluations_per_row"].notna()]
    if ok.empty:
        raise ValueError("no successful trial to pick from")
    bound = (1.0 + tolerance) * ok["val_rmse"].min()
    eligible = ok[ok["val_rmse"] <= bound]
    return eligible.sort_values(["evaluations_per_row", "val_rmse"], kind="stable").iloc[0]
