"""From a tuning run's trials to one configuration: the Pareto front and the pick rule.

The rule: among the successful trials, take the cheapest (fewest evaluations per row) whose
validation ranking error (1 - Kendall tau) is within ``tolerance`` of the best trial's, i.e.
whose validation tau is at least the best validation tau minus ``tolerance``. Ties go to the
lower error. The default tolerance, 0.002 in tau, is the slack within which two surrogates are
taken to rank alike (the bound benchmarks/cost_fidelity.py checks on the test side); on most
targets it buys several-fold cheaper models.

One trial is one model seed scored on the validation side, and on a noisy target a config's tau
there moves by about the tolerance from seed to seed: over a hundred trials the best single-seed
tau is partly luck, which moves the bar up and the pick to a costlier model. So the candidates,
the front's trials within ``CONFIRM_BAND`` tolerances of the best, are scored again by
cross-validation over the train and validation rows (:mod:`anb.fitting.hpo.confirmation`) and, where a
table has those means (``cv_tau``, ``cv_evaluations_per_row``), the rule is applied to them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_TOLERANCE = 0.002
# Candidates for confirmation lie within this many tolerances of the best single-seed tau: the
# seed-to-seed spread of a config's tau is about one tolerance, so one further down rarely comes
# within the tolerance on the mean.
CONFIRM_BAND = 3.0
# A candidate's mean Kendall tau and evaluations per row over the cross-validation folds.
CONFIRMED_TAU = "cv_tau"
CONFIRMED_COST = "cv_evaluations_per_row"


def pareto_mask(error: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True for the trials no other trial beats on both error and cost, lower being better (ties keep both)."""
    error, cost = np.asarray(error, dtype=float), np.asarray(cost, dtype=float)
    dominated = (error[None, :] <= error[:, None]) & (cost[None, :] <= cost[:, None])
    strictly = (error[None, :] < error[:, None]) | (cost[None, :] < cost[:, None])
    return ~(dominated & strictly).any(axis=1)


def confirmation_candidates(history: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """The trials to score again by cross-validation: on the front, within ``CONFIRM_BAND`` tolerances of the best."""
    ok = history[history["val_tau"].notna() & history["evaluations_per_row"].notna()]
    front = ok[pareto_mask(-ok["val_tau"], ok["evaluations_per_row"])]
    return front[front["val_tau"] >= ok["val_tau"].max() - CONFIRM_BAND * tolerance]


def pick_cheapest_within(history: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """The row of ``history`` the pick rule chooses (see the module docstring)."""
    tau, cost = "val_tau", "evaluations_per_row"
    if CONFIRMED_TAU in history and history[CONFIRMED_TAU].notna().any():
        tau, cost = CONFIRMED_TAU, CONFIRMED_COST
    ok = history[history[tau].notna() & history[cost].notna()]
    if ok.empty:
        raise ValueError("no successful trial to pick from")
    eligible = ok[ok[tau] >= ok[tau].max() - tolerance]
    return eligible.sort_values([cost, tau], ascending=[True, False], kind="stable").iloc[0]
