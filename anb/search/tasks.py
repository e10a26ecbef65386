"""Named standard tasks: a fixed objective, budget and seeds, and what a result is measured against.

Also importable as `anb.benchmark`.

Three kinds, over the shipped xgb ensembles' means:

* `accuracy`: top-1 accuracy, maximised; 1,000 queries, seeds 0-9.
* `accuracy-under-<device>-<metric>`: accuracy with the device metric bounded (throughput at
  least, latency at most, the median of 10,000 uniformly random architectures, seed 0, to two
  significant figures); 1,000 queries, seeds 0-9.
* `accuracy-vs-<device>-<metric>`: accuracy and the device metric, two objectives; the
  hypervolume against the task's reference point (below the nadir of the same 10,000 random
  architectures, rounded outwards); 1,000 queries, seeds 0-4.

The single-objective tasks' best known value comes from [`anb.optimum`][anb.optimum] (branch and
bound with a time limit, `benchmarks/task_optima.py`): the best architecture it found and its
gap, how far the true optimum may lie above it (the full space is not closed yet:
docs/optimum.md). Regret is measured against that value; it is negative when a search beats
it, which means the best known value is out of date. The multi-objective tasks have no best
known front yet: compare hypervolumes at equal budgets.

Examples
--------
```python
from anb.search.external import evaluate
from anb.benchmark import get_task, TASKS
from configurationspaces.searchspaces import EfficientNetSS
task = get_task("accuracy-under-zcu102-latency")
problem = task.problem(seed=0)             # an anb.search.Problem: objectives and constraint
# any optimiser, anb's own or through an adapter; here 100 random architectures
evaluate(problem, EfficientNetSS(seed=0).random_encoded(100))
task.regret(problem.log())                 # best known value minus the best found, per query
```
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from anb.data.validation import check_int, check_seed
from anb.search.constraints import device_bound
from anb.search.core import Problem
from anb.search.multi_objective import hypervolume_trajectory
from anb.search.objectives import make_objective

ACCURACY = "accuracy"


@dataclass(frozen=True)
class Task:
    """A benchmark task: its objectives and constraint, budget, seeds and what results are measured against.

    Get one with [`get_task`][anb.search.tasks.get_task]; every task is in
    [`TASKS`][anb.search.tasks.TASKS].

    Attributes
    ----------
    name : str
        The task's name, e.g. `"accuracy-under-zcu102-latency"`.
    kind : str
        `"accuracy"`, `"constrained"` or `"two-objective"`.
    budget : int
        Queries per run.
    seeds : tuple of int
        The seeds of the runs.
    device : str or None, default None
        The device target's device; `None` for `accuracy`.
    metric : str or None, default None
        The device target's metric; `None` for `accuracy`.
    bound : float or None, default None
        The device metric's bound (`"constrained"`), in its unit.
    reference : tuple of float or None, default None
        The reference point, (accuracy, device metric) (`"two-objective"`).
    best_known : float or None, default None
        The best known accuracy, % (single-objective tasks).
    best_known_gap : float or None, default None
        How far the optimum may lie above `best_known`.
    """

    name: str
    kind: str  # "accuracy", "constrained" or "two-objective"
    budget: int
    seeds: tuple[int, ...]
    device: str | None = None
    metric: str | None = None
    bound: float | None = None  # the device metric's bound ("constrained")
    reference: tuple[float, float] | None = None  # (accuracy, device metric) ("two-objective")
    best_known: float | None = None  # accuracy, % (single-objective tasks)
    best_known_gap: float | None = None  # how far the optimum may lie above best_known

    def objectives(self) -> list:
        """The task's objectives, made from the shipped xgb ensembles.

        Returns
        -------
        list of Objective
            Accuracy, and for a two-objective task the device metric.
        """
        accuracy = make_objective()
        return [accuracy, make_objective(self.device, self.metric)] if self.kind == "two-objective" else [accuracy]

    def constraints(self) -> list:
        """The task's constraint, if it has one.

        Returns
        -------
        list of DeviceBound
            The device bound of a `"constrained"` task; empty for the others.
        """
        return [device_bound(self.device, self.bound, self.metric)] if self.kind == "constrained" else []

    def problem(self, seed: int) -> Problem:
        """A fresh problem of this task.

        Parameters
        ----------
        seed : int
            Seeds the problem's generator; a non-negative integer (or `None`, unseeded).

        Returns
        -------
        Problem
            A [`Problem`][anb.search.Problem] with the task's objectives and constraint.

        Raises
        ------
        ValueError
            When `seed` is neither `None` nor a non-negative integer.
        """
        return Problem(self.objectives(), self.constraints(), rng=np.random.default_rng(check_seed(seed)))

    def regret(self, log: pd.DataFrame) -> np.ndarray:
        """The regret after each query of a single-objective task's run.

        Parameters
        ----------
        log : pandas.DataFrame
            A search's trajectory, or [`Problem.log()`][anb.search.Problem.log].

        Returns
        -------
        numpy.ndarray
            After each query, the best known value minus the best feasible accuracy found so
            far (NaN until something feasible is found).

        Raises
        ------
        ValueError
            For a two-objective task (measure it by hypervolume).
        """
        if self.kind == "two-objective":
            raise ValueError(f"task {self.name!r} has two objectives: measure it by hypervolume")
        accuracy = log[ACCURACY].to_numpy(float)
        feasible = log["feasible"].to_numpy(bool) if "feasible" in log else np.ones(len(log), bool)
        return self.best_known - np.fmax.accumulate(np.where(feasible, accuracy, np.nan))

    def hypervolume(self, log: pd.DataFrame) -> np.ndarray:
        """The hypervolume after each query of a two-objective task's run.

        Parameters
        ----------
        log : pandas.DataFrame
            A search's history, or [`Problem.log()`][anb.search.Problem.log].

        Returns
        -------
        numpy.ndarray
            After each query, the hypervolume of everything queried so far against the task's
            reference point.

        Raises
        ------
        ValueError
            For a single-objective task (measure it by regret).
        """
        if self.kind != "two-objective":
            raise ValueError(f"task {self.name!r} has one objective: measure it by regret")
        objectives = self.objectives()
        scores = np.column_stack([o.score(log[o.name].to_numpy(float)) for o in objectives])
        reference = np.array([o.score(r) for o, r in zip(objectives, self.reference)])
        return hypervolume_trajectory(scores, reference)

# (device, metric): the bound of "accuracy-under-..." (the median of 10,000 uniformly random
# architectures, seed 0, to two significant figures), the device metric's coordinate of the
# reference point of "accuracy-vs-..." (their nadir rounded outwards), and the best accuracy
# anb.optimum found under the bound in 30 s on 2 cores, with its gap
# (python benchmarks/task_optima.py --time-limit 30).
DEVICE_TASKS = {
    ("tpuv2", "throughput"): (600.0, 250.0, 67.51981353759766, 6.75184),
    ("tpuv3", "throughput"): (1100.0, 650.0, 67.48880615234376, 6.78285),
    ("a100", "throughput"): (7400.0, 3100.0, 67.19751281738282, 7.07414),
    ("3090", "throughput"): (5100.0, 2100.0, 67.23370819091797, 7.03794),
    ("zcu102", "throughput"): (320.0, 60.0, 67.15577850341796, 7.11587),
    ("zcu102", "latency"): (7.0, 31.0, 67.08790893554688, 7.18374),
    ("vck190", "throughput"): (1900.0, 450.0, 67.48880615234376, 6.78285),
    ("vck190", "latency"): (4.2, 14.0, 67.48880615234376, 6.78285),
}
# The accuracy coordinate of every reference point: below the random architectures' lowest, 45.89 %.
REFERENCE_ACCURACY = 45.0
# The best accuracy anb.optimum found in 600 s on 2 cores, and its gap (docs/optimum.md).
BEST_ACCURACY, BEST_ACCURACY_GAP = 67.51981353759766, 6.74057
SINGLE_BUDGET, SINGLE_SEEDS = 1000, tuple(range(10))
PAIR_BUDGET, PAIR_SEEDS = 1000, tuple(range(5))


def _tasks() -> dict[str, Task]:
    tasks = [Task(ACCURACY, "accuracy", SINGLE_BUDGET, SINGLE_SEEDS, best_known=BEST_ACCURACY,
                  best_known_gap=BEST_ACCURACY_GAP)]
    for (device, metric), (bound, reference, best, gap) in DEVICE_TASKS.items():
        tasks.append(Task(f"accuracy-under-{device}-{metric}", "constrained", SINGLE_BUDGET, SINGLE_SEEDS, device,
                          metric, bound=bound, best_known=best, best_known_gap=gap))
        tasks.append(Task(f"accuracy-vs-{device}-{metric}", "two-objective", PAIR_BUDGET, PAIR_SEEDS, device, metric,
                          reference=(REFERENCE_ACCURACY, reference)))
    return {task.name: task for task in tasks}


TASKS = _tasks()
"""Every standard task by name: `accuracy`, and `accuracy-under-<device>-<metric>` and
`accuracy-vs-<device>-<metric>` for every metric of the built-in devices."""


def get_task(name: str, budget: int | None = None, seeds=None) -> Task:
    """A standard task by name, optionally with a smaller budget or other seeds (a quick run).

    Parameters
    ----------
    name : str
        One of [`TASKS`][anb.search.tasks.TASKS].
    budget : int or None, default None
        Replaces the task's budget; an integer of at least 1.
    seeds : iterable of int or None, default None
        Replace the task's seeds; at least one non-negative integer.

    Returns
    -------
    Task
        The task, with the replacements.

    Raises
    ------
    ValueError
        For an unknown task (naming the tasks there are), a budget that is not an integer of at
        least 1, a seed that is not a non-negative integer, or no seeds.
    TypeError
        When `seeds` is a string or not iterable.
    """
    if not isinstance(name, str) or name not in TASKS:
        raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASKS)}")
    task = TASKS[name]
    changes = {}
    if budget is not None:
        changes["budget"] = check_int(budget, "budget (queries)", 1, None)
    if seeds is not None:
        if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
            raise TypeError(f"seeds must be a list of non-negative integers; got {seeds!r}")
        seeds = tuple(check_int(seed, "each of seeds", 0) for seed in seeds)
        if not seeds:
            raise ValueError("seeds must name at least one seed; got none")
        changes["seeds"] = seeds
    return replace(task, **changes)
