"""Reference single-objective optimisers: random search, regularized evolution, local search.

Each takes an objective (accuracy, or any device metric a plugin provides; see
`anb.search.make_objective`), a query budget and a seed, and returns its trajectory as a
pandas DataFrame with one row per query:

`query` (1..budget), `arch_id`, `architecture` (`[[e x7], [k x7], [l x7], [se x7]]`),
`<objective>` and `<objective>_std` (the ensemble's mean and std; `<objective>_observed`
too with `noisy=True`), one column per constraint and `feasible` when there are
constraints, and `best`: the best feasible value found so far, in the objective's units (for
latency the lowest). `df.attrs` holds the encoded matrix (`"encoded"`), the algorithm, its
settings, the seed and the wall time (`"seconds"`). Given `optimum` (the exact optimum of the
same objective and constraints, from `anb.optimum`), a `regret` column: how far `best`
is from it (`anb.search.regret`).

Queries are batched: random search queries `batch_size` architectures per ensemble call,
local search a whole neighbourhood, regularized evolution `batch_size` children per
generation (10 by default, like 10 asynchronous workers; `batch_size=1` is the strictly
sequential algorithm). A query call costs about the same for 1 row as for 100 (the ensemble's
per-call overhead dominates), so batching is what makes a 1,000-query run take seconds. No search spends a
query on an architecture it has already queried, except evolution when a parent's every
mutation has been seen (it then re-queries one, and the log shows it).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from anb.data.validation import check_seed
from anb.search.core import Problem, best_so_far, check_budget, fresh_children
from anb.search.regret import add_regret, check_optimum
from configurationspaces.efficientnet_encoding import architecture_ids

def _trajectory(problem: Problem, algorithm: str, seed, settings: dict, optimum: float | None) -> pd.DataFrame:
    frame = problem.log()
    best, rows = best_so_far(problem)
    frame["best"] = best
    if problem.noisy:
        # What the incumbent (chosen on noisy observations) is really worth: its ensemble mean.
        means = frame[problem.objectives[0].name].to_numpy()
        frame["incumbent_mean"] = np.where(rows >= 0, means[np.maximum(rows, 0)], np.nan)
    frame.attrs.update({"algorithm": algorithm, "seed": seed, "budget": problem.n_queries, **settings})
    return frame if optimum is None else add_regret(frame, optimum)


def _problem(objective, constraints, noisy, seed) -> Problem:
    return Problem(objective, constraints, noisy, np.random.default_rng(check_seed(seed)))


def random_search(objective, budget: int, seed: int | None = 0, constraints=(), noisy: bool = False,
                  batch_size: int = 100, optimum: float | None = None) -> pd.DataFrame:
    """Uniform random architectures, `batch_size` per query call (distinct, never repeated).

    Architectures violating an analytic (MACs/params) constraint are rejected before they are
    queried, so they cost nothing. A run with a larger budget extends the smaller one's.

    Parameters
    ----------
    objective : Objective or ANBEnsemble
        What is optimised (see [`make_objective`][anb.search.make_objective]).
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    constraints : sequence of CostBound or DeviceBound, default ()
        Bounds the architectures must satisfy (see
        [`constrained_search`][anb.search.constrained_search]).
    noisy : bool, default False
        Whether the search sees one draw from the predictive distribution per query instead of
        the mean (see [`Problem`][anb.search.Problem]).
    batch_size : int, default 100
        Architectures per query call.
    optimum : float or None, default None
        The exact optimum of the same objective and constraints (from
        [`anb.optimum`][anb.optimum]); adds a `regret` column.

    Returns
    -------
    pandas.DataFrame
        The trajectory, one row per query (see [`run`][anb.search.run]); `best` is the best
        feasible value so far, in the objective's units.

    Raises
    ------
    ValueError
        For a budget that is not an integer of at least 1, a seed that is not a non-negative
        integer, an `optimum` that is not a finite number or that the trajectory beats, or
        analytic constraints too tight to sample under.
    """
    budget = check_budget(budget)
    check_optimum(optimum)
    problem = _problem(objective, constraints, noisy, seed)
    while problem.n_queries < budget:
        batch = problem.sample(batch_size)[: budget - problem.n_queries]
        problem.evaluate(batch)
    return _trajectory(problem, "random search", seed, {"batch_size": batch_size}, optimum)


def regularized_evolution(objective, budget: int, seed: int | None = 0, population_size: int = 100,
                          sample_size: int = 25, batch_size: int = 10, constraints=(),
                          noisy: bool = False, optimum: float | None = None) -> pd.DataFrame:
    """Aging evolution (Real et al., 2019): tournament selection, one mutation per child.

    The population starts as `population_size` random architectures (queried in one batch).
    Each step picks `sample_size` members uniformly without replacement, mutates the fittest
    once (one column to another value), queries the child, adds it and removes the *oldest*
    member. `batch_size` children are bred from the same population per query call, as that
    many parallel workers would (Real et al. ran hundreds); `batch_size=1` is fully sequential.
    A child is re-mutated (up to 30 times) until it is unseen and satisfies the analytic
    constraints; after that a seen one is re-queried, and the log shows it.

    Parameters
    ----------
    objective : Objective or ANBEnsemble
        What is optimised (see [`make_objective`][anb.search.make_objective]).
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    population_size : int, default 100
        The population's size, at least 2.
    sample_size : int, default 25
        Members per tournament, from 1 to `population_size`.
    batch_size : int, default 10
        Children per query call, at least 1.
    constraints : sequence of CostBound or DeviceBound, default ()
        Bounds the architectures must satisfy (see
        [`constrained_search`][anb.search.constrained_search]).
    noisy : bool, default False
        Whether the search sees one draw from the predictive distribution per query instead of
        the mean (see [`Problem`][anb.search.Problem]).
    optimum : float or None, default None
        The exact optimum of the same objective and constraints (from
        [`anb.optimum`][anb.optimum]); adds a `regret` column.

    Returns
    -------
    pandas.DataFrame
        The trajectory, one row per query (see [`run`][anb.search.run]); `best` is the best
        feasible value so far, in the objective's units.

    Raises
    ------
    ValueError
        For a budget that is not an integer of at least 1, a seed that is not a non-negative
        integer, an `optimum` that is not a finite number or that the trajectory beats, or
        analytic constraints too tight to sample under., or when
        `population_size < 2`, `sample_size` is not in `1..population_size` or
        `batch_size < 1`.
    """
    budget = check_budget(budget)
    check_optimum(optimum)
    if population_size < 2 or not 1 <= sample_size <= population_size:
        raise ValueError(f"need population_size >= 2 and 1 <= sample_size <= population_size; "
                         f"got {population_size}, {sample_size}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    problem = _problem(objective, constraints, noisy, seed)
    rng = problem.rng
    start = problem.sample(min(population_size, budget))
    population = deque(zip(start, problem.evaluate(start)), maxlen=population_size)
    while problem.n_queries < budget:
        n = min(batch_size, budget - problem.n_queries)
        members = np.array([m[0] for m in population])
        fitness = np.array([m[1] for m in population])
        # n tournaments at once: sample_size distinct members each (argsort of uniform keys).
        contestants = np.argsort(rng.random((n, len(population))), axis=1)[:, :sample_size]
        winners = contestants[np.arange(n), np.argmax(fitness[contestants], axis=1)]
        children = fresh_children(problem, members[winners])
        population.extend(zip(children, problem.evaluate(children)))  # maxlen drops the oldest
    return _trajectory(problem, "regularized evolution", seed, {
        "population_size": population_size, "sample_size": sample_size, "batch_size": batch_size}, optimum)


def local_search(objective, budget: int, seed: int | None = 0, n_init: int = 10, constraints=(),
                 noisy: bool = False, optimum: float | None = None) -> pd.DataFrame:
    """Best-improvement hill climbing over the one-change neighbourhood, restarting at local optima.

    Starts from the best of `n_init` random architectures. Each step queries every not yet
    queried neighbour of the current architecture in one call (43 at most; the ones already
    queried are judged from the log) and moves to the best neighbour if it beats the current
    one; otherwise the current one is a local optimum and the search restarts from the best of
    `n_init` new random architectures.

    Parameters
    ----------
    objective : Objective or ANBEnsemble
        What is optimised (see [`make_objective`][anb.search.make_objective]).
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    n_init : int, default 10
        Random architectures per start, at least 1.
    constraints : sequence of CostBound or DeviceBound, default ()
        Bounds the architectures must satisfy (see
        [`constrained_search`][anb.search.constrained_search]).
    noisy : bool, default False
        Whether the search sees one draw from the predictive distribution per query instead of
        the mean (see [`Problem`][anb.search.Problem]).
    optimum : float or None, default None
        The exact optimum of the same objective and constraints (from
        [`anb.optimum`][anb.optimum]); adds a `regret` column.

    Returns
    -------
    pandas.DataFrame
        The trajectory, one row per query (see [`run`][anb.search.run]); `best` is the best
        feasible value so far, in the objective's units. `attrs["restarts"]` counts the restarts.

    Raises
    ------
    ValueError
        For a budget that is not an integer of at least 1, a seed that is not a non-negative
        integer, an `optimum` that is not a finite number or that the trajectory beats, or
        analytic constraints too tight to sample under., or when
        `n_init < 1`.
    """
    budget = check_budget(budget)
    check_optimum(optimum)
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1; got {n_init}")
    problem = _problem(objective, constraints, noisy, seed)
    space = problem.space
    restarts = 0

    def restart():
        batch = problem.sample(min(n_init, budget - problem.n_queries))
        fitness = problem.evaluate(batch)
        best = int(np.argmax(fitness))
        return batch[best], fitness[best]

    current, current_fitness = restart()
    while problem.n_queries < budget:
        neighbours = space.neighbours(current)
        neighbours = neighbours[problem.analytic_feasible(neighbours)]
        ids = architecture_ids(neighbours)
        fitness = problem.fitness_of(ids)
        new = np.flatnonzero(np.isnan(fitness))
        new = problem.rng.permutation(new)[: budget - problem.n_queries]  # a random subset if the budget ends
        if len(new):
            fitness[new] = problem.evaluate(neighbours[new])
        known = ~np.isnan(fitness)
        best = int(np.flatnonzero(known)[np.argmax(fitness[known])]) if known.any() else -1
        if best >= 0 and fitness[best] > current_fitness:
            current, current_fitness = neighbours[best], fitness[best]
        elif problem.n_queries < budget:
            restarts += 1
            current, current_fitness = restart()
    return _trajectory(problem, "local search", seed, {"n_init": n_init, "restarts": restarts}, optimum)


ALGORITHMS = {
    "random_search": random_search,
    "regularized_evolution": regularized_evolution,
    "local_search": local_search,
}


def run(algorithm: str, objective, budget: int, seed: int | None = 0, **options) -> pd.DataFrame:
    """Run a single-objective search by name.

    Parameters
    ----------
    algorithm : {"random_search", "regularized_evolution", "local_search", "rs", "re", "ls"}
        The algorithm: [`random_search`][anb.search.random_search],
        [`regularized_evolution`][anb.search.regularized_evolution] or
        [`local_search`][anb.search.local_search], or its short name.
    objective : Objective or ANBEnsemble
        What is optimised (see [`make_objective`][anb.search.make_objective]).
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    **options
        The algorithm's own settings (`constraints`, `noisy`, `batch_size`, `optimum`...).

    Returns
    -------
    pandas.DataFrame
        The trajectory, one row per query: `query` (1..budget), `arch_id`, `architecture`
        (`[[e x7], [k x7], [l x7], [se x7]]`), `<objective>` and `<objective>_std` (the
        ensemble's mean and std; `<objective>_observed` too with `noisy=True`, and
        `incumbent_mean`, the mean of the incumbent chosen on noisy observations), one column
        per constraint and `feasible` when there are constraints, and `best`: the best
        feasible value found so far, in the objective's units (for latency the lowest).
        `df.attrs` holds the encoded matrix (`"encoded"`), the algorithm, its settings, the
        seed and the wall time (`"seconds"`). Given `optimum` (the exact optimum of the same
        objective and constraints, from [`anb.optimum`][anb.optimum]), a `regret` column: how
        far `best` is from it, never negative.

    Raises
    ------
    ValueError
        For an unknown algorithm (naming the ones there are), and as the algorithm raises.

    Examples
    --------
    ```python
    from anb.search import make_objective, run
    trajectory = run("re", make_objective(), budget=1000, seed=0)
    trajectory["best"].iloc[-1]          # best accuracy after 1,000 queries
    ```
    """
    aliases = {"rs": "random_search", "re": "regularized_evolution", "ls": "local_search"}
    name = aliases.get(algorithm, algorithm)
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    return ALGORITHMS[name](objective, budget, seed, **options)


def best_row(trajectory: pd.DataFrame) -> pd.Series:
    """The row of the best feasible architecture of a trajectory (ties: the first found)."""
    frame = trajectory[trajectory["feasible"]] if "feasible" in trajectory else trajectory
    if frame.empty:
        raise ValueError("the trajectory holds no feasible architecture")
    name = trajectory.attrs["objectives"][0]
    column = f"{name}_observed" if f"{name}_observed" in frame else name
    maximize = trajectory.attrs["directions"][0] == "max"
    return frame.loc[frame[column].idxmax() if maximize else frame[column].idxmin()]
