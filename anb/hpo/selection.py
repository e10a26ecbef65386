"""From a tuning run's trials to one configuration: the Pareto front and the pick rule.

The rule: among the successful trials, take the cheapest (fewest evaluations per row) whose
validation ranking error (1 - Kendall tau) is within ``tolerance`` of the best trial's, i.e.
whose validation tau is at least the best validation tau minus ``tolerance``. Ties go to the
lower error. The default tolerance, 0.002 in tau, is the slack within which two surrogates are
taken to rank alike (the bound benchmarks/cost_fidelity.py checks on the test side); on most
targets it buys several-fold cheaper models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_TOLERANCE = 0.002


def pareto_mask(error: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True for the trials no other trial beats on both error and cost, lower being better (ties keep both)."""
    error, cost = np.asarray(error, dtype=float), np.asarray(cost, dtype=float)
    dominated = (error[None, :] <= error[:, None]) & (cost[None, :] <= cost[:, None])
    strictly = (error[None, :] < error[:, None]) | (cost[None, :] < cost[:, None])
    return ~(dominated & strictly).any(axis=1)


def pick_cheapest_within(history: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """The row of ``history`` the pick rule chooses (see the module docstring)."""
    ok = history[history["val_tau"].notna() & history["evaluations_per_row"].notna()]
    if ok.empty:
        raise ValueError("no successful trial to pick from")
    eligible = ok[ok["val_tau"] >= ok["val_tau"].max() - tolerance]
    return eligible.sort_values(["evaluations_per_row", "val_tau"], ascending=[True, False], kind="stable").iloc[0]
