"""Constraint-aware search: the best accuracy under a device bound or a MACs/parameter bound.

Two kinds of bound:

* `CostBound` on MACs or parameters (millions), from the exact analytic cost model. It
  is *analytic*: checked before an architecture is queried, so the searches never spend a
  query on an architecture that violates it (random search rejects it, evolution re-mutates).
* `DeviceBound` on a device metric predicted by its surrogate: a lower bound on
  throughput or an upper bound on latency. Checking it takes a query (of that device's
  ensemble, in the same batch as the accuracy query); a violating architecture is logged as
  infeasible and ranks below every feasible one, the further from the bound the lower.

`constrained_search` runs any single-objective algorithm with a list of bounds and
returns its trajectory, whose `best` column is the best *feasible* value so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from anb.data.validation import check_finite_number, check_positive_number
from anb.search.core import as_objective
from anb.search.objectives import COST_TERMS, Objective, architecture_costs, make_objective
from anb.search.single_objective import run

COST_UNITS = {"macs": "M MACs", "params": "M params"}


@dataclass(frozen=True)
class CostBound:
    """``term <= bound`` for ``term`` in ``macs``/``params`` (millions), or ``>=`` with ``upper=False``."""

    term: str
    bound: float
    upper: bool = True
    analytic = True

    def __post_init__(self):
        if self.term not in COST_TERMS:
            raise ValueError(f"a cost bound is on one of {COST_TERMS}; got {self.term!r}")
        check_positive_number(self.bound, f"the {self.term} bound (millions)")

    @property
    def column(self) -> str:
        return self.term

    def values(self, encoded: np.ndarray) -> np.ndarray:
        return architecture_costs(encoded)[self.term]

    def satisfied(self, values) -> np.ndarray:
        values = np.asarray(values)
        return values <= self.bound if self.upper else values >= self.bound

    def violation(self, values) -> np.ndarray:
        gap = np.asarray(values) - self.bound if self.upper else self.bound - np.asarray(values)
        return np.maximum(gap, 0.0) / abs(self.bound)

    def describe(self) -> str:
        return f"{self.term} {'<=' if self.upper else '>='} {self.bound:g} ({COST_UNITS[self.term]})"


@dataclass(frozen=True)
class DeviceBound:
    """A bound on a device metric's predicted mean: ``>= bound`` when the metric is maximised
    (throughput), ``<= bound`` when it is minimised (latency)."""

    objective: Objective
    bound: float
    analytic = False

    def __post_init__(self):
        check_finite_number(self.bound, f"the {self.objective.name} bound ({self.objective.unit})")

    @property
    def column(self) -> str:
        return self.objective.name

    def values(self, encoded: np.ndarray) -> np.ndarray:
        return self.objective.predict(encoded)[0]

    def satisfied(self, values) -> np.ndarray:
        values = np.asarray(values)
        return values >= self.bound if self.objective.maximize else values <= self.bound

    def violation(self, values) -> np.ndarray:
        values = np.asarray(values)
        gap = self.bound - values if self.objective.maximize else values - self.bound
        return np.maximum(gap, 0.0) / max(abs(self.bound), 1e-12)

    def describe(self) -> str:
        return f"{self.objective.name} {'>=' if self.objective.maximize else '<='} {self.bound:g} {self.objective.unit}"


def max_macs(bound: float) -> CostBound:
    """A ceiling on MACs, from the exact analytic cost model (checked before a query).

    Parameters
    ----------
    bound : float
        The most MACs allowed, in millions; a finite number > 0.

    Returns
    -------
    CostBound
        `macs <= bound`.

    Raises
    ------
    ValueError
        When `bound` is not a finite number > 0.
    """
    return CostBound("macs", bound)


def max_params(bound: float) -> CostBound:
    """A ceiling on the parameter count, from the exact analytic cost model (checked before a query).

    Parameters
    ----------
    bound : float
        The most parameters allowed, in millions; a finite number > 0.

    Returns
    -------
    CostBound
        `params <= bound`.

    Raises
    ------
    ValueError
        When `bound` is not a finite number > 0.
    """
    return CostBound("params", bound)


def device_bound(device: str, bound: float, metric: str | None = None, model: str = "xgb",
                 objective: Objective | None = None, **ensemble_kwargs) -> DeviceBound:
    """A throughput floor or a latency ceiling on `device` (the direction follows the metric).

    The bound is on the device ensemble's predicted mean: checking it takes a query (in the
    same batch as the objective's), and a violating architecture is logged as infeasible.

    Parameters
    ----------
    device : str
        A device's name.
    bound : float
        The bound, in the metric's unit (images/s, ms): at least `bound` for a maximised
        metric (throughput), at most `bound` for a minimised one (latency).
    metric : str or None, default None
        The device's metric; `None` takes its only one.
    model : str, default "xgb"
        The model family of the device ensemble.
    objective : Objective | ANBEnsemble | None, default None
        The device objective to bound, reused instead of making one from `device`, `metric`
        and `model`.
    **ensemble_kwargs
        Go to [`ANBEnsemble`][anb.ANBEnsemble] (`n_members`, `cache_dir`...).

    Returns
    -------
    DeviceBound
        The bound, for [`constrained_search`][anb.search.constrained_search] or
        [`Problem`][anb.search.Problem].

    Raises
    ------
    ValueError
        When `bound` is not a finite number, or for an unknown device, metric or model.
    """
    bound = check_finite_number(bound, "bound")
    if objective is None:
        objective = make_objective(device, metric, model, **ensemble_kwargs)
    return DeviceBound(as_objective(objective), bound)


def min_throughput(device: str, bound: float, **kwargs) -> DeviceBound:
    """A floor on `device`'s predicted throughput.

    Parameters
    ----------
    device : str
        A device's name.
    bound : float
        The least throughput allowed, in images/s.
    **kwargs
        Go to [`device_bound`][anb.search.device_bound] (`model`, `objective`, ensemble
        options).

    Returns
    -------
    DeviceBound
        `throughput >= bound`.

    Raises
    ------
    ValueError
        When `bound` is not a finite number, or the device is unknown or has no throughput.
    """
    return device_bound(device, bound, "throughput", **kwargs)


def max_latency(device: str, bound: float, **kwargs) -> DeviceBound:
    """A ceiling on `device`'s predicted latency.

    Parameters
    ----------
    device : str
        A device's name.
    bound : float
        The most latency allowed, in ms.
    **kwargs
        Go to [`device_bound`][anb.search.device_bound] (`model`, `objective`, ensemble
        options).

    Returns
    -------
    DeviceBound
        `latency <= bound`.

    Raises
    ------
    ValueError
        When `bound` is not a finite number, or the device is unknown or has no latency.
    """
    return device_bound(device, bound, "latency", **kwargs)


def constrained_search(objective, constraints, budget: int, seed: int | None = 0,
                       algorithm: str = "regularized_evolution", **options) -> pd.DataFrame:
    """The best `objective` (usually accuracy) under `constraints`, with any single-objective algorithm.

    Parameters
    ----------
    objective : Objective or ANBEnsemble
        What is optimised.
    constraints : CostBound, DeviceBound or list of them
        At least one bound, e.g. [`max_macs`][anb.search.max_macs] or
        [`max_latency`][anb.search.max_latency].
    budget : int
        The number of queries.
    seed : int or None, default 0
        Seeds the run's generator.
    algorithm : str, default "regularized_evolution"
        One of the algorithms [`run`][anb.search.run] takes.
    **options
        The algorithm's own settings (`population_size`, `batch_size`, `noisy`, `optimum`...).

    Returns
    -------
    pandas.DataFrame
        The trajectory (as [`run`][anb.search.run] returns it): `best` is the best feasible
        value so far and `anb.search.best_row` gives the winning architecture.

    Raises
    ------
    ValueError
        When no constraint is given, for an unknown algorithm, or a budget that is not an
        integer of at least 1.
    """
    constraints = list(constraints if isinstance(constraints, (list, tuple)) else [constraints])
    if not constraints:
        raise ValueError("give at least one constraint (CostBound or DeviceBound)")
    return run(algorithm, objective, budget, seed, constraints=constraints, **options)
