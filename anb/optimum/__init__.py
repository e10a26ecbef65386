"""The exact best architecture of a surrogate ensemble's mean: branch and bound over the seven blocks.

    from anb.optimum import find_optimum
    best = find_optimum()                                   # ImageNet top-1, maximised
    best = find_optimum(device="zcu102", metric="latency")  # minimised
    best = find_optimum(constraint=("a100", "throughput", 20000))   # accuracy under a floor
    best.value, best.architecture, best.gap, best.nodes

The value is the ensemble's own ``query`` mean of the returned architecture; the proof is that
no subproblem's upper bound exceeds it when the search ends (``gap == 0``). With a
``time_limit`` the search may stop early, and ``gap`` then says how far the best bound still
left is above the value. See ``docs/optimum.md``.

May import: :mod:`anb.models` (the tree tables it bounds and the features' block table),
:mod:`anb.surrogates` (the ensembles), :mod:`anb.search` (which direction a
metric is optimised in) and :mod:`anb.data` (the argument checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from anb.data.validation import check_finite_number, check_positive_number
from anb.surrogates.ensemble import ANBEnsemble
from anb.optimum.branch_and_bound import BranchAndBound, SearchResult
from anb.optimum.problem import Constraint, Problem, check_fixed, default_sense
from configurationspaces.efficientnet_encoding import decode_values

__all__ = ["Optimum", "find_optimum", "solve", "Problem", "Constraint"]


@dataclass
class Optimum:
    """The answer and its proof's figures; ``value`` is in the target's units (not a score)."""

    problem: str
    value: float | None
    architecture: dict | None
    encoded: np.ndarray | None
    upper_bound: float
    gap: float
    nodes: int
    nodes_per_depth: list[int]
    subproblems: int
    pruned_subproblems: int
    seconds: float
    peak_rss_mb: float
    stopped: bool

    def summary(self) -> str:
        if self.value is None:
            return f"{self.problem}: no architecture satisfies the constraint (proven, {self.nodes:,} nodes)"
        proof = "proven optimal (gap 0)" if self.gap == 0 else f"gap {self.gap:.6g} (stopped by the time limit)"
        return (f"{self.problem}: {self.value:.10g}, {proof}; {self.nodes:,} nodes, {self.seconds:.1f} s, "
                f"peak memory {self.peak_rss_mb:.0f} MB")

    def record(self) -> dict:
        """The result as strict JSON values: a bound or gap that is infinite (no architecture satisfies
        the constraint, so nothing bounds the value) is null, and ``feasible`` and ``note`` say why."""
        record = {key: value for key, value in vars(self).items() if key != "encoded"}
        unbounded = [key for key in ("upper_bound", "gap") if not math.isfinite(record[key])]
        record.update(dict.fromkeys(unbounded))
        record["feasible"] = self.value is not None
        record["note"] = None
        if self.value is None:
            record["note"] = "no architecture satisfies the constraint (proven): there is no value" + (
                f", so {' and '.join(unbounded)} {'is' if len(unbounded) == 1 else 'are'} null" if unbounded else "")
        return record


def _architecture(encoded: np.ndarray) -> dict:
    return {name: values[0].item() for name, values in decode_values(encoded[None, :]).items()}


def _check_time_limit(time_limit) -> float | None:
    return None if time_limit is None else check_positive_number(time_limit, "time_limit (seconds, or None)")


def solve(problem: Problem, time_limit: float | None = None, progress: bool = True) -> Optimum:
    """The exact optimum of a :class:`Problem` (an objective, a direction, a constraint, fixed blocks)."""
    time_limit = _check_time_limit(time_limit)
    result: SearchResult = BranchAndBound(problem).run(time_limit=time_limit, progress=progress)
    sense = problem.sense
    encoded = None if result.choices is None else problem.blocks.rows(result.choices)[0]
    return Optimum(problem.describe(), None if encoded is None else sense * result.score,
                   None if encoded is None else _architecture(encoded), encoded,
                   sense * result.upper_bound, result.gap, int(result.nodes.sum()), result.nodes.tolist(),
                   result.subproblems, result.pruned_subproblems, result.seconds, result.peak_rss_mb, result.stopped)


def find_optimum(model: str = "xgb", device: str | None = None, metric: str | None = None, *,
                 minimize: bool | None = None, constraint: tuple | None = None, fixed: dict | None = None,
                 time_limit: float | None = None, progress: bool = True) -> Optimum:
    """The exact best architecture of the default ``model`` ensemble's mean for accuracy or a device metric.

    ``minimize``: the direction (default: latency minimised, accuracy and throughput maximised).
    ``constraint``: ``(device, metric, bound)``: that metric's mean at least ``bound`` when it is
    maximised (throughput), at most when it is minimised (latency). ``fixed``: ``{block: choice
    index}`` to search a subspace (see :class:`anb.optimum.blocks.BlockChoices`).
    """
    if minimize is not None and not isinstance(minimize, (bool, np.bool_)):
        raise ValueError(f"minimize must be True, False or None (the metric's own direction); got {minimize!r}")
    if constraint is not None and not (isinstance(constraint, (tuple, list)) and len(constraint) == 3):
        raise ValueError(f"constraint must be (device, metric, bound), e.g. ('a100', 'throughput', 20000); "
                         f"got {constraint!r}")
    if constraint is not None:
        c_device, c_metric, c_bound = constraint
        c_bound = check_finite_number(c_bound, "constraint's bound (the third item of (device, metric, bound))")
    fixed = check_fixed({} if fixed is None else fixed)
    time_limit = _check_time_limit(time_limit)
    objective = ANBEnsemble(model, device=device, metric=metric, progress=progress).load_ensemble()
    sense = default_sense(objective) if minimize is None else (-1 if minimize else 1)
    bound = None
    if constraint is not None:
        ensemble = ANBEnsemble(model, device=c_device, metric=c_metric, progress=progress).load_ensemble()
        bound = Constraint(ensemble, c_bound, default_sense(ensemble))
    return solve(Problem(objective, sense, bound, fixed), time_limit, progress)


