"""Constraint-aware search: the best accuracy under a device bound or a MACs/parameter bound.

Two kinds of bound:

* :class:`CostBound` on MACs or parameters (millions), from the exact analytic cost model. It
  is *analytic*: checked before an architecture is queried, so the searches never spend a
  query on an architecture that violates it (random search rejects it, evolution re-mutates).
* :class:`DeviceBound` on a device metric predicted by its surrogate: a lower bound on
  throughput or an upper bound on latency. Checking it takes a query (of that device's
  ensemble, in the same batch as the accuracy query); a violating architecture is logged as
  infeasible and ranks below every feasible one, the further from the bound the lower.

:func:`constrained_search` runs any single-objective algorithm with a list of bounds and
returns its trajectory, whose ``best`` column is the best *feasible* value so far.
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
    return CostBound("macs", bound)


def max_params(bound: float) -> CostBound:
    return CostBound("params", bound)


def device_bound(device: str, bound: float, metric: str | None = None, model: str = "xgb",
                 objective: Objective | None = None, **ensemble_kwargs) -> DeviceBound:
    """A throughput floor or a latency ceiling on ``device`` (the direction follows the metric)."""
    bound = check_finite_number(bound, "bound")
    if objective is None:
        objective = make_objective(device, metric, model, **ensemble_kwargs)
    return DeviceBound(as_objective(objective), bound)


def min_throughput(device: str, bound: float, **kwargs) -> DeviceBound:
    return device_bound(device, bound, "throughput", **kwargs)


def max_latency(device: str, bound: float, **kwargs) -> DeviceBound:
    return device_bound(device, bound, "latency", **kwargs)


def constrained_search(objective, constraints, budget: int, seed: int | None = 0,
                       algorithm: str = "regularized_evolution", **options) -> pd.DataFrame:
    """The best ``objective`` (usually accuracy) under ``constraints``, with any single-objective algorithm.

    Returns the trajectory (see :mod:`anb.search.single_objective`): ``best`` is the best
    feasible value so far and :func:`anb.search.best_row` gives the winning architecture.
    """
    constraints = list(constraints if isinstance(constraints, (list, tuple)) else [constraints])
    if not constraints:
        raise ValueError("give at least one constraint (CostBound or DeviceBound)")
    return run(algorithm, objective, budget, seed, constraints=constraints, **options)
