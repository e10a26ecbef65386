"""The exact best architecture of a surrogate ensemble's mean: branch and bound over the seven blocks.

The value is the ensemble's own `query` mean of the returned architecture; the proof is that
no subproblem's upper bound exceeds it when the search ends (`gap == 0`). With a
`time_limit` the search may stop early, and `gap` then says how far the best bound still
left is above the value. See `docs/optimum.md`.

May import: `anb.models` (the tree tables it bounds and the features' block table),
`anb.surrogates` (the ensembles), `anb.search` (which direction a
metric is optimised in) and `anb.data` (the argument checks).

The full space does not close yet (`docs/optimum.md`): give it a time limit.

Examples
--------
<!-- example: small "time_limit=600" -> "time_limit=5" -->

```python
from anb.optimum import find_optimum
best = find_optimum(time_limit=600)                                       # ImageNet top-1, maximised
best = find_optimum(device="zcu102", metric="latency", time_limit=600)    # minimised
best = find_optimum(constraint=("a100", "throughput", 20000), time_limit=600)   # accuracy under a floor
best.value, best.architecture, best.gap, best.nodes
```
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
    """The answer and its proof's figures; `value` is in the target's units (not a score).

    Attributes
    ----------
    problem : str
        What was solved, e.g. `"max accuracy s.t. a100/throughput >= 20000 images/s"`.
    value : float or None
        The optimum's value: the ensemble's own `query` mean of `architecture`; `None` when no
        architecture satisfies the constraint (proven).
    architecture : dict or None
        The optimum as `{hyperparameter: value}`; `None` without one.
    encoded : numpy.ndarray or None
        The optimum as a `(28,)` encoded row; `None` without one.
    upper_bound : float
        The best bound left when the search ended, in the target's units (infinite when
        nothing bounds the value: no architecture satisfies the constraint).
    gap : float
        How far `upper_bound` is above `value`: 0 is the proof of optimality; more when the
        search was stopped by its time limit.
    nodes : int
        Branch-and-bound nodes visited.
    nodes_per_depth : list of int
        Nodes visited per depth (blocks fixed).
    subproblems : int
        Subproblems the search was split into.
    pruned_subproblems : int
        Subproblems pruned by their bound without a search.
    seconds : float
        Wall time of the search.
    peak_rss_mb : float
        Peak resident memory, MB.
    stopped : bool
        Whether the time limit stopped the search.
    """

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
        """One line: the problem, the value, the proof (or the gap) and the search's cost.

        Returns
        -------
        str
            The summary.
        """
        if self.value is None:
            return f"{self.problem}: no architecture satisfies the constraint (proven, {self.nodes:,} nodes)"
        proof = "proven optimal (gap 0)" if self.gap == 0 else f"gap {self.gap:.6g} (stopped by the time limit)"
        return (f"{self.problem}: {self.value:.10g}, {proof}; {self.nodes:,} nodes, {self.seconds:.1f} s, "
                f"peak memory {self.peak_rss_mb:.0f} MB")

    def record(self) -> dict:
        """The result as strict JSON values.

        Returns
        -------
        dict
            Every attribute but `encoded`; a bound or gap that is infinite (no architecture
            satisfies the constraint, so nothing bounds the value) is null, and `feasible` and
            `note` say why.
        """
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
    """The exact optimum of a [`Problem`][anb.optimum.Problem] (an objective, a direction, a constraint, fixed blocks).

    Parameters
    ----------
    problem : Problem
        What to optimise.
    time_limit : float or None, default None
        Seconds after which the search stops with the best found and its gap; `None` runs to
        the proof.
    progress : bool, default True
        Whether to show a progress bar.

    Returns
    -------
    Optimum
        The answer and its proof's figures.

    Raises
    ------
    ValueError
        When `time_limit` is neither `None` nor a finite number > 0.
    """
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
    """The exact best architecture of the default `model` ensemble's mean for accuracy or a device metric.

    Parameters
    ----------
    model : str, default "xgb"
        The model family of the ensembles.
    device : str or None, default None
        The device whose metric is optimised; `None` is accuracy.
    metric : str or None, default None
        The device's metric; `None` takes its only one.
    minimize : bool or None, default None
        The direction; `None` is the metric's own (latency minimised, accuracy and throughput
        maximised).
    constraint : tuple or None, default None
        `(device, metric, bound)`: that metric's mean at least `bound` when it is maximised
        (throughput), at most when it is minimised (latency).
    fixed : dict of int to int or None, default None
        `{block: choice index}` to search a subspace (blocks 0..6; see
        `anb.optimum.blocks.BlockChoices`).
    time_limit : float or None, default None
        Seconds after which the search stops with the best found and its gap; `None` runs to
        the proof.
    progress : bool, default True
        Whether to show progress bars (a download, a build, the search).

    Returns
    -------
    Optimum
        The answer and its proof's figures.

    Raises
    ------
    ValueError
        When `minimize` is not a bool or `None`, `constraint` is not `(device, metric, bound)`
        with a finite bound, a fixed block or choice is out of range, `time_limit` is not a
        finite number > 0, or for an unknown model, device or metric.
    TypeError
        When `fixed` is not a dict.

    Examples
    --------
    <!-- example: small "time_limit=600" -> "time_limit=5" -->

    ```python
    from anb.optimum import find_optimum
    best = find_optimum(fixed={3: 20, 4: 30, 5: 40, 6: 20})          # a subspace: proven, gap 0
    best = find_optimum(constraint=("a100", "throughput", 20000), time_limit=600)   # accuracy under a floor
    best.value, best.architecture, best.gap, best.nodes
    ```
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


