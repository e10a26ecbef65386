"""Multi-objective search: accuracy against a device's throughput (maximised) or latency (minimised).

Internally every objective is a *score* to maximise (latency enters negated); points,
fronts and reference points given to or returned by the public functions are in the
objectives' own units.

* `non_dominated_mask`, `non_dominated_sort`, `crowding_distance` and
  `hypervolume_2d` work on score matrices (larger is better in every column).
* `mo_random_search` and `nsga2` (NSGA-II: non-dominated sorting and crowding,
  binary tournaments, uniform crossover and one mutation per child) return a
  `ParetoResult`: every query with the hypervolume reached so far, the non-dominated
  set of all queried architectures, its hypervolume and the reference point it is measured
  against. Fronts and hypervolumes are computed on the ensembles' mean predictions.
* The default reference point (`default_reference`) is the nadir of 10,000 uniformly
  random architectures (seed 0): the lowest accuracy, the lowest throughput or the highest
  latency the surrogates predict for them. Pass `reference=` to state another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from anb.data.validation import check_seed
from anb.search.core import Problem, as_objective, check_budget, fresh_children, search_space
from anb.search.objectives import Objective, make_objective

REFERENCE_SAMPLES = 10_000
REFERENCE_SEED = 0
CHUNK = 1024  # rows per block of the pairwise dominance test


# --- dominance and hypervolume (scores: maximise every column) -------------------------------


def _as_points(points) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be an (n, m) array; got shape {points.shape}")
    return points


def non_dominated_mask(points) -> np.ndarray:
    """True for the rows no other row dominates (>= in every column and > in one).

    Equal rows do not dominate each other, so duplicates of a front point are all kept.

    Parameters
    ----------
    points : array_like
        An `(n, m)` matrix of scores, larger is better in every column.

    Returns
    -------
    numpy.ndarray
        An `(n,)` bool mask of the non-dominated rows.

    Raises
    ------
    ValueError
        When `points` is not two-dimensional.
    """
    points = _as_points(points)
    n = len(points)
    dominated = np.zeros(n, dtype=bool)
    for start in range(0, n, CHUNK):
        block = points[start:start + CHUNK]
        geq = (points[None, :, :] >= block[:, None, :]).all(axis=2)
        gt = (points[None, :, :] > block[:, None, :]).any(axis=2)
        dominated[start:start + CHUNK] = (geq & gt).any(axis=1)
    return ~dominated


def non_dominated_sort(points) -> np.ndarray:
    """Front index of every row: 0 for the non-dominated set, 1 for the next after removing it, ..."""
    points = _as_points(points)
    ranks = np.full(len(points), -1, dtype=np.int64)
    remaining = np.arange(len(points))
    front = 0
    while len(remaining):
        mask = non_dominated_mask(points[remaining])
        ranks[remaining[mask]] = front
        remaining = remaining[~mask]
        front += 1
    return ranks


def crowding_distance(points) -> np.ndarray:
    """NSGA-II crowding distance within one front (infinite at each column's extremes)."""
    points = _as_points(points)
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        values = points[order, j]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance


def hypervolume_2d(points, reference) -> float:
    """Area dominated by `points` and bounded below by `reference` (both columns maximised).

    Points that do not strictly dominate the reference add nothing.

    Parameters
    ----------
    points : array_like
        An `(n, 2)` matrix of scores (a minimised objective enters negated).
    reference : array_like
        The reference point, 2 scores.

    Returns
    -------
    float
        The hypervolume; 0.0 when no point dominates the reference.

    Raises
    ------
    ValueError
        When `points` is not `(n, 2)` or `reference` is not 2 values.
    """
    points = _as_points(points)
    reference = np.asarray(reference, dtype=np.float64)
    if points.shape[1] != 2 or reference.shape != (2,):
        raise ValueError("hypervolume_2d takes (n, 2) points and a reference of 2 values")
    points = points[(points > reference).all(axis=1)]
    if len(points) == 0:
        return 0.0
    points = points[non_dominated_mask(points)]
    # On a front, sorting by the first column (descending) sorts the second ascending.
    order = np.lexsort((points[:, 1], -points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    previous = np.r_[reference[1], y[:-1]]
    return float(np.sum((x - reference[0]) * np.maximum(y - previous, 0.0)))


def hypervolume_trajectory(points, reference) -> np.ndarray:
    """Hypervolume of the first k rows, for every k (non-decreasing by construction)."""
    points = _as_points(points)
    reference = np.asarray(reference, dtype=np.float64)
    out = np.zeros(len(points))
    front = np.empty((0, 2))
    volume = 0.0
    for i, point in enumerate(points):
        if (point > reference).all() and not ((front >= point).all(axis=1).any()):
            front = np.vstack([front[~(point >= front).all(axis=1)], point])
            volume = hypervolume_2d(front, reference)
        out[i] = volume
    return out


# --- searches --------------------------------------------------------------------------------


@dataclass
class ParetoResult:
    """A multi-objective run: every query, the front, and its hypervolume against a reference.

    Fronts and hypervolumes are computed on the ensembles' mean predictions.

    Attributes
    ----------
    history : pandas.DataFrame
        Every query (the columns of [`Problem.log`][anb.search.Problem.log]), with
        `hypervolume`, the hypervolume reached so far.
    front : pandas.DataFrame
        The non-dominated queried architectures, by the first objective, best first.
    hypervolume : float
        The hypervolume of the front against `reference`.
    reference : tuple of float
        The reference point, in the objectives' units.
    objectives : list of str
        The objectives' names (columns of `history` and `front`).
    directions : list of str
        `"max"` or `"min"` per objective.
    """

    history: pd.DataFrame
    front: pd.DataFrame
    hypervolume: float
    reference: tuple[float, float]
    objectives: list[str] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)

    def front_points(self) -> np.ndarray:
        """The front in objective units.

        Returns
        -------
        numpy.ndarray
            An `(n, 2)` matrix, one column per objective.
        """
        return self.front[self.objectives].to_numpy(float)


def accuracy_and_device(device: str, metric: str | None = None, model: str = "xgb",
                        **ensemble_kwargs) -> list[Objective]:
    """``[accuracy, device metric]``: the usual pair of a hardware-aware search."""
    return [make_objective(None, None, model, **ensemble_kwargs),
            make_objective(device, metric, model, **ensemble_kwargs)]


def default_reference(objectives, n: int = REFERENCE_SAMPLES, seed: int = REFERENCE_SEED) -> tuple[float, ...]:
    """The nadir (worst value per objective) of ``n`` uniformly random architectures' predictions."""
    objectives = [as_objective(o) for o in objectives]
    encoded = search_space().random(np.random.default_rng(seed), n)
    worst = []
    for objective in objectives:
        mean, _ = objective.predict(encoded)
        worst.append(float(objective.unscore(objective.score(mean).min())))
    return tuple(worst)


def _scores_of_means(problem: Problem) -> np.ndarray:
    return np.column_stack([o.score(problem.column(o.name)) for o in problem.objectives])


def _result(problem: Problem, reference, algorithm: str, seed, settings: dict) -> ParetoResult:
    objectives = problem.objectives
    reference = tuple(float(r) for r in reference)
    ref_scores = np.array([o.score(r) for o, r in zip(objectives, reference)])
    scores = _scores_of_means(problem)
    history = problem.log()
    history["hypervolume"] = hypervolume_trajectory(scores, ref_scores)
    mask = non_dominated_mask(scores)
    front = history[mask].copy()
    front = front.iloc[np.argsort(-scores[mask, 0], kind="stable")].reset_index(drop=True)
    volume = hypervolume_2d(scores, ref_scores)
    names = [o.name for o in objectives]
    for frame in (history, front):
        frame.attrs.update({"algorithm": algorithm, "seed": seed, "reference": reference, **settings})
    return ParetoResult(history, front, volume, reference, names, [o.direction for o in objectives])


def _setup(objectives, reference, noisy, seed) -> tuple[Problem, tuple]:
    rng = np.random.default_rng(check_seed(seed))
    objectives = [as_objective(o) for o in objectives]
    if len(objectives) != 2:
        raise ValueError(f"multi-objective search takes two objectives (e.g. accuracy and a device metric); got {len(objectives)}")
    if reference is None:
        reference = default_reference(objectives)
    if len(reference) != 2:
        raise ValueError(f"the reference point needs one value per objective; got {reference!r}")
    return Problem(objectives, (), noisy, rng), tuple(reference)


def mo_random_search(objectives, budget: int, seed: int | None = 0, reference=None, batch_size: int = 100,
                     noisy: bool = False) -> ParetoResult:
    """Uniform random architectures (`batch_size` per query call); the front of all of them.

    Parameters
    ----------
    objectives : list of Objective or ANBEnsemble
        Two objectives, e.g. accuracy and a device metric.
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    reference : tuple of float or None, default None
        The reference point, in the objectives' units; `None` is the nadir of 10,000 uniformly
        random architectures (seed 0).
    batch_size : int, default 100
        Architectures per query call.
    noisy : bool, default False
        Whether the search sees noisy draws (the front is still computed on the means).

    Returns
    -------
    ParetoResult
        Every query, the front and its hypervolume.

    Raises
    ------
    ValueError
        Unless there are exactly two objectives and a reference of two values; for a budget
        that is not an integer of at least 1 or a seed that is not a non-negative integer.
    """
    budget = check_budget(budget)
    problem, reference = _setup(objectives, reference, noisy, seed)
    while problem.n_queries < budget:
        problem.evaluate(problem.sample(batch_size)[: budget - problem.n_queries])
    return _result(problem, reference, "random search", seed, {"batch_size": batch_size})


def _survivors(scores: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NSGA-II environmental selection: whole fronts, then the most spread-out of the last one."""
    ranks = non_dominated_sort(scores)
    crowd = np.zeros(len(scores))
    for rank in np.unique(ranks):
        members = np.flatnonzero(ranks == rank)
        crowd[members] = crowding_distance(scores[members])
    order = np.lexsort((-crowd, ranks))[:size]
    return order, ranks[order], crowd[order]


def nsga2(objectives, budget: int, seed: int | None = 0, reference=None, population_size: int = 50,
          crossover_prob: float = 0.5, noisy: bool = False) -> ParetoResult:
    """NSGA-II (Deb et al., 2002) on the encoded space.

    Each generation breeds `population_size` children, queried in one call: parents by
    binary tournament on (front, crowding), uniform crossover of two parents with probability
    `crossover_prob`, then one mutation (to an unseen architecture). Parents and children
    compete, and fronts fill the next population, the last front by crowding distance.

    Parameters
    ----------
    objectives : list of Objective or ANBEnsemble
        Two objectives, e.g. accuracy and a device metric.
    budget : int
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator; `None` is unseeded.
    reference : tuple of float or None, default None
        The reference point, in the objectives' units; `None` is the nadir of 10,000 uniformly
        random architectures (seed 0).
    population_size : int, default 50
        The population's size and the children per generation, at least 4.
    crossover_prob : float, default 0.5
        The probability that a child is a uniform crossover of its two parents.
    noisy : bool, default False
        Whether the search sees noisy draws (the front is still computed on the means).

    Returns
    -------
    ParetoResult
        Every query, the front and its hypervolume.

    Raises
    ------
    ValueError
        Unless there are exactly two objectives and a reference of two values; for a budget
        that is not an integer of at least 1 or a seed that is not a non-negative integer., or when
        `population_size < 4`.

    Examples
    --------
    ```python
    from anb.search import make_objective, nsga2
    result = nsga2([make_objective(), make_objective("zcu102", "latency")], budget=1000, seed=0)
    result.front, result.hypervolume, result.reference
    ```
    """
    budget = check_budget(budget)
    if population_size < 4:
        raise ValueError(f"population_size must be >= 4; got {population_size}")
    problem, reference = _setup(objectives, reference, noisy, seed)
    rng = problem.rng
    population = problem.sample(min(population_size, budget))
    problem.evaluate(population)
    pop_scores = problem.column("scores")
    order, ranks, crowd = _survivors(pop_scores, population_size)
    population, pop_scores = population[order], pop_scores[order]
    while problem.n_queries < budget:
        n = min(population_size, budget - problem.n_queries)
        # Binary tournaments: lower front wins, then larger crowding distance.
        pairs = rng.integers(0, len(population), size=(2 * n, 2))
        a, b = pairs[:, 0], pairs[:, 1]
        a_wins = (ranks[a] < ranks[b]) | ((ranks[a] == ranks[b]) & (crowd[a] >= crowd[b]))
        parents = np.where(a_wins, a, b).reshape(n, 2)
        first, second = population[parents[:, 0]], population[parents[:, 1]]
        cross = rng.random(n) < crossover_prob
        take_second = (rng.random(first.shape) < 0.5) & cross[:, None]
        mixed = np.where(take_second, second, first)
        children = fresh_children(problem, mixed)
        before = problem.n_queries
        problem.evaluate(children)
        child_scores = problem.column("scores")[before:]
        merged = np.vstack([population, children])
        merged_scores = np.vstack([pop_scores, child_scores])
        order, ranks, crowd = _survivors(merged_scores, population_size)
        population, pop_scores = merged[order], merged_scores[order]
    return _result(problem, reference, "NSGA-II", seed, {
        "population_size": population_size, "crossover_prob": crossover_prob})


MO_ALGORITHMS = {"random_search": mo_random_search, "nsga2": nsga2}


def pareto_search(device: str, metric: str | None = None, budget: int = 1000, seed: int | None = 0,
                  algorithm: str = "nsga2", model: str = "xgb", reference=None, objectives=None,
                  **options) -> ParetoResult:
    """Accuracy against `device`'s `metric` with a multi-objective search.

    Parameters
    ----------
    device : str
        A device's name.
    metric : str or None, default None
        The device's metric; `None` takes its only one.
    budget : int, default 1000
        The number of queries, at least 1.
    seed : int or None, default 0
        Seeds the run's generator.
    algorithm : {"nsga2", "random_search", "ea", "rs"}, default "nsga2"
        [`nsga2`][anb.search.nsga2] (`"ea"`) or
        [`mo_random_search`][anb.search.mo_random_search] (`"random_search"`, `"rs"`).
    model : str, default "xgb"
        The model family of both ensembles.
    reference : tuple of float or None, default None
        The reference point (accuracy, device metric); `None` is the default nadir.
    objectives : list of Objective or None, default None
        The two objectives to use instead of accuracy and `device`'s `metric`.
    **options
        The algorithm's own settings (`population_size`, `batch_size`, `noisy`...).

    Returns
    -------
    ParetoResult
        Every query, the front and its hypervolume.

    Raises
    ------
    ValueError
        For an unknown algorithm (naming the ones there are), device, metric or model, and
        as the algorithm raises.
    """
    name = {"rs": "random_search", "ea": "nsga2"}.get(algorithm, algorithm)
    if name not in MO_ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(MO_ALGORITHMS)}")
    if objectives is None:
        objectives = accuracy_and_device(device, metric, model)
    return MO_ALGORITHMS[name](objectives, budget, seed, reference=reference, **options)
