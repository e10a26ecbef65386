"""The machinery every search shares: sampling, mutation, neighbourhoods, and the query log.

A `Problem` is what a search is run on: one or more objectives and optional
constraints. It evaluates whole batches of encoded architectures (one ensemble query per
objective per batch) and logs every query, in order, so a run's trajectory is the log itself.
Architectures are identified by `architecture_ids` (a unique int64), which is how
searches avoid spending queries on architectures they have already seen.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from anb.data.validation import check_int
from anb.search.objectives import Objective, block_lists
from anb.surrogates.ensemble import ANBEnsemble
from configurationspaces.efficientnet_encoding import architecture_ids, default_layout

# A constraint-violating architecture's fitness: below every feasible one, ordered by how far
# it is from feasible (relative violation), so selection drifts towards the feasible region.
INFEASIBLE_FITNESS = -1e12
# Attempts at an unseen child before a seen one is accepted (a parent deep in a well-explored
# region can have every one-change neighbour logged already).
MUTATION_ATTEMPTS = 30
# How many rejected draws (analytic constraints, duplicates) a sampler tolerates per wanted row.
MAX_DRAW_ROUNDS = 200


def as_objective(objective) -> Objective:
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, ANBEnsemble):
        return Objective.from_ensemble(objective.load_ensemble())
    raise TypeError(f"expected an anb.search.Objective or an anb.ANBEnsemble; got {type(objective).__name__}")


def check_budget(budget) -> int:
    """A number of queries: at least 1, at most the number of architectures there are."""
    return check_int(budget, "budget (queries)", 1, search_space().size)


def check_constraints(constraints) -> tuple:
    constraints = tuple(constraints or ())
    for i, constraint in enumerate(constraints):
        if not all(hasattr(constraint, a) for a in ("analytic", "values", "satisfied", "violation")):
            raise TypeError(f"constraint #{i} is a {type(constraint).__name__} ({constraint!r}); a constraint is a "
                            "CostBound or DeviceBound, e.g. max_macs(400) or min_throughput('a100', 2000)")
    return constraints


class SearchSpace:
    """The encoded space as the searches see it: choice counts, uniform draws and one-change moves."""

    def __init__(self):
        self.layout = default_layout()
        self.n_choices = self.layout.n_choices.astype(np.int64)
        self.width = len(self.n_choices)
        # Every one-change move: (column, offset) with offset in 1..n_choices-1, so that
        # (value + offset) % n_choices runs over all other values of that column.
        self.moves = np.array([(j, o) for j, n in enumerate(self.n_choices) for o in range(1, n)], dtype=np.int64)
        self.size = int(np.prod(self.n_choices))  # architectures in the space

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, self.n_choices, size=(n, self.width)).astype(np.float64)

    def mutate(self, rng: np.random.Generator, parents: np.ndarray) -> np.ndarray:
        """One mutation per row: one column, chosen uniformly, set to a different value, chosen uniformly."""
        children = np.array(parents, dtype=np.float64, copy=True)
        n = len(children)
        if n == 0:
            return children
        cols = rng.integers(0, self.width, size=n)
        offsets = 1 + np.floor(rng.random(n) * (self.n_choices[cols] - 1)).astype(np.int64)
        rows = np.arange(n)
        children[rows, cols] = (children[rows, cols].astype(np.int64) + offsets) % self.n_choices[cols]
        return children

    def neighbours(self, row: np.ndarray) -> np.ndarray:
        """All architectures one change away from ``row`` (43 in this space)."""
        out = np.repeat(np.asarray(row, dtype=np.float64)[None, :], len(self.moves), axis=0)
        cols, offsets = self.moves[:, 0], self.moves[:, 1]
        idx = np.arange(len(self.moves))
        out[idx, cols] = (out[idx, cols].astype(np.int64) + offsets) % self.n_choices[cols]
        return out


SPACE = None


def search_space() -> SearchSpace:
    global SPACE
    if SPACE is None:
        SPACE = SearchSpace()
    return SPACE


class Problem:
    """Objectives (maximised by score) and constraints, evaluated in batches and logged.

    A problem is what a search is run on. It evaluates whole batches of encoded architectures
    (one ensemble query per objective per batch) and logs every query, in order, so a run's
    trajectory is the log itself. Architectures are identified by
    [`architecture_ids`][configurationspaces.efficientnet_encoding.architecture_ids] (a unique
    int64), which is how searches avoid spending queries on architectures they have already
    seen. Constraints are judged on the surrogates' means.

    Parameters
    ----------
    objectives : Objective, ANBEnsemble or list of them
        One objective or several, each an [`Objective`][anb.search.Objective] or an
        [`ANBEnsemble`][anb.ANBEnsemble] (loaded, and maximised or minimised as its metric
        says). The first is the one a single-objective search optimises.
    constraints : sequence of CostBound or DeviceBound, default ()
        Bounds such as `max_macs(400)` or `min_throughput("a100", 2000)`.
    noisy : bool, default False
        `True` makes the search see one draw from each ensemble's predictive distribution per
        query (as [`ANBEnsemble.query_noise`][anb.ANBEnsemble.query_noise]), drawn from the
        run's generator; the log keeps the mean and std too.
    rng : numpy.random.Generator or None, default None
        The run's generator (sampling, mutation, noise); `None` makes an unseeded one.

    Attributes
    ----------
    objectives : list of Objective
        The objectives, in the order given.
    constraints : tuple
        The constraints, in the order given.
    n_queries : int
        How many architectures have been evaluated so far.

    Raises
    ------
    ValueError
        When two objectives have the same name, or `noisy` is not a bool.
    TypeError
        When an objective is neither an `Objective` nor an `ANBEnsemble`, or a constraint is
        not a bound.
    """

    def __init__(self, objectives, constraints=(), noisy: bool = False, rng: np.random.Generator | None = None):
        self.objectives = [as_objective(o) for o in (objectives if isinstance(objectives, (list, tuple)) else [objectives])]
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise ValueError(f"the objectives must differ; got {names}")
        self.constraints = check_constraints(constraints)
        if not isinstance(noisy, (bool, np.bool_)):
            raise ValueError(f"noisy must be True or False; got {noisy!r}")
        self.noisy = bool(noisy)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.space = search_space()
        self._batches: list[dict] = []
        self._index: dict[int, int] = {}  # architecture id -> first row of the log
        self._fitness: list[np.ndarray] = []
        self.n_queries = 0
        self.started = time.perf_counter()

    # -- feasibility without a query ---------------------------------------------------------

    @property
    def analytic_constraints(self):
        """The constraints checked without a query (the MACs and parameter bounds)."""
        return [c for c in self.constraints if c.analytic]

    def analytic_feasible(self, encoded: np.ndarray) -> np.ndarray:
        """Which architectures satisfy every analytic constraint, without a query.

        Parameters
        ----------
        encoded : numpy.ndarray
            An `(n, 28)` encoded batch.

        Returns
        -------
        numpy.ndarray
            An `(n,)` bool mask.
        """
        mask = np.ones(len(encoded), dtype=bool)
        for constraint in self.analytic_constraints:
            mask &= constraint.satisfied(constraint.values(encoded))
        return mask

    def seen(self, ids: np.ndarray) -> np.ndarray:
        """Which architectures have been queried already.

        Parameters
        ----------
        ids : numpy.ndarray
            Architecture ids, as
            [`architecture_ids`][configurationspaces.efficientnet_encoding.architecture_ids]
            gives them.

        Returns
        -------
        numpy.ndarray
            A bool mask, `True` for the ids in the log.
        """
        return np.fromiter((int(i) in self._index for i in ids), dtype=bool, count=len(ids))

    def sample(self, n: int, exclude: set | None = None) -> np.ndarray:
        """Distinct, unseen, analytically feasible uniform draws.

        They are always drawn in rounds of `max(n, 256)`, at most 200 rounds.

        Parameters
        ----------
        n : int
            How many architectures to draw.
        exclude : set of int or None, default None
            Architecture ids not to draw, besides the ones already queried.

        Returns
        -------
        numpy.ndarray
            An `(n, 28)` encoded batch (not queried).

        Raises
        ------
        ValueError
            When fewer than `n` architectures satisfying the analytic constraints are found:
            the bound is too tight.
        """
        out, taken = [], set(exclude or ())
        size = max(n, 256)
        for _ in range(MAX_DRAW_ROUNDS):
            if n <= 0 or sum(len(o) for o in out) >= n:
                break
            draw = self.space.random(self.rng, size)
            keep = self.analytic_feasible(draw)
            ids = architecture_ids(draw)
            keep &= ~self.seen(ids)
            for i in np.flatnonzero(keep):
                if int(ids[i]) in taken:
                    keep[i] = False
                else:
                    taken.add(int(ids[i]))
            out.append(draw[keep])
        rows = np.concatenate(out) if out else np.empty((0, self.space.width))
        if len(rows) < n:
            raise ValueError(
                f"found only {len(rows)} of {n} architectures satisfying "
                f"{', '.join(c.describe() for c in self.analytic_constraints)}; the bound is too tight"
            )
        return rows[:n]

    # -- queries -----------------------------------------------------------------------------

    def evaluate(self, encoded: np.ndarray) -> np.ndarray:
        """Query a batch (one ensemble call per objective and per device constraint), log it, return fitness.

        Parameters
        ----------
        encoded : numpy.ndarray
            An `(n, 28)` encoded batch.

        Returns
        -------
        numpy.ndarray
            The `(n,)` fitness: the first objective's score (observed, so noisy when `noisy`)
            for feasible rows and `INFEASIBLE_FITNESS` (-1e12) minus the relative violation for
            the others, so infeasible rows rank below every feasible one, the further from
            feasible the lower.
        """
        encoded = np.asarray(encoded, dtype=np.float64)
        n = len(encoded)
        if n == 0:
            return np.empty(0)
        ids = architecture_ids(encoded)
        record = {"encoded": encoded, "arch_id": ids}
        scores = np.empty((n, len(self.objectives)))
        for j, objective in enumerate(self.objectives):
            mean, std = objective.predict(encoded)
            observed = objective.ensemble.sample_predictive(mean, std, self.rng) if self.noisy else mean
            record[objective.name] = mean
            record[f"{objective.name}_std"] = std
            if self.noisy:
                record[f"{objective.name}_observed"] = observed
            scores[:, j] = objective.score(observed)
        violation = np.zeros(n)
        for constraint in self.constraints:
            values = constraint.values(encoded)
            record[constraint.column] = values
            violation += constraint.violation(values)
        feasible = violation <= 0
        record["feasible"] = feasible
        record["scores"] = scores
        fitness = np.where(feasible, scores[:, 0], INFEASIBLE_FITNESS - violation)
        record["fitness"] = fitness
        start = self.n_queries
        for i, arch in enumerate(ids):
            self._index.setdefault(int(arch), start + i)
        self._batches.append(record)
        self._fitness.append(fitness)
        self.n_queries += n
        return fitness

    def fitness_of(self, ids: np.ndarray) -> np.ndarray:
        """Logged fitness of already queried architectures.

        Parameters
        ----------
        ids : numpy.ndarray
            Architecture ids.

        Returns
        -------
        numpy.ndarray
            The fitness each was first logged with; NaN for unseen ones.
        """
        if not self._fitness:
            return np.full(len(ids), np.nan)
        every = np.concatenate(self._fitness)
        rows = [self._index.get(int(i), -1) for i in ids]
        return np.array([every[r] if r >= 0 else np.nan for r in rows])

    def latest(self, name: str) -> np.ndarray:
        """A column of the latest evaluated batch.

        Parameters
        ----------
        name : str
            `"scores"` (one column per objective, larger is better), an objective's name (its
            means), a constraint's column, or `"fitness"`.

        Returns
        -------
        numpy.ndarray
            That column of the latest batch.

        Raises
        ------
        RuntimeError
            When no batch has been evaluated yet.
        KeyError
            When the batch has no column `name`.
        """
        if not self._batches:
            raise RuntimeError("no batch has been evaluated yet")
        return self._batches[-1][name]

    # -- the log -----------------------------------------------------------------------------

    def column(self, name: str) -> np.ndarray:
        """A column of the whole log, every batch in order.

        Parameters
        ----------
        name : str
            A column as [`latest`][anb.search.Problem.latest] names them.

        Returns
        -------
        numpy.ndarray
            The column over every query so far (empty before the first).
        """
        return np.concatenate([b[name] for b in self._batches]) if self._batches else np.empty(0)

    def encoded(self) -> np.ndarray:
        """Every queried architecture, in order.

        Returns
        -------
        numpy.ndarray
            An `(n_queries, 28)` encoded matrix.
        """
        return np.concatenate([b["encoded"] for b in self._batches]) if self._batches else np.empty((0, self.space.width))

    def log(self) -> pd.DataFrame:
        """Every query in order: index, architecture, predicted values, constraint values, feasibility.

        Returns
        -------
        pandas.DataFrame
            Columns `query` (1, 2, ...), `arch_id`, `architecture`
            (`[[e x7], [k x7], [l x7], [se x7]]`), `<objective>` and `<objective>_std` per
            objective (and `<objective>_observed` when `noisy`), one column per constraint and
            `feasible` when there are constraints. `attrs` holds the encoded matrix
            (`"encoded"`), `"objectives"`, `"directions"`, `"constraints"`, `"noisy"` and the
            wall time (`"seconds"`).
        """
        encoded = self.encoded()
        frame = pd.DataFrame({"query": np.arange(1, len(encoded) + 1), "arch_id": self.column("arch_id").astype(np.int64)})
        frame["architecture"] = block_lists(encoded)
        # The same columns before the first query as after it, so that a log is measured alike.
        suffixes = ("", "_std", "_observed") if self.noisy else ("", "_std")
        for objective in self.objectives:
            for suffix in suffixes:
                frame[f"{objective.name}{suffix}"] = self.column(f"{objective.name}{suffix}")
        for constraint in self.constraints:
            frame[constraint.column] = self.column(constraint.column)
        if self.constraints:
            frame["feasible"] = self.column("feasible").astype(bool)
        frame.attrs.update({
            "encoded": encoded,
            "objectives": [o.name for o in self.objectives],
            "directions": [o.direction for o in self.objectives],
            "constraints": [c.describe() for c in self.constraints],
            "noisy": self.noisy,
            "seconds": time.perf_counter() - self.started,
        })
        return frame


def fresh_children(problem: Problem, parents: np.ndarray) -> np.ndarray:
    """One mutation of each parent, retried until the child is unseen, analytically feasible and
    distinct from its siblings. After :data:`MUTATION_ATTEMPTS` failures a seen child is kept
    (or the parent itself, if the child breaks an analytic bound)."""
    space = problem.space
    children = space.mutate(problem.rng, parents)
    ids = architecture_ids(children)
    ok = problem.analytic_feasible(children) & ~problem.seen(ids)
    pending: set[int] = set()
    for i in range(len(children)):
        attempt = 0
        while not (ok[i] and int(ids[i]) not in pending):
            attempt += 1
            if attempt >= MUTATION_ATTEMPTS:
                if not problem.analytic_feasible(children[i: i + 1])[0]:
                    children[i] = parents[i]
                    ids[i] = architecture_ids(children[i: i + 1])[0]
                break
            children[i] = space.mutate(problem.rng, parents[i: i + 1])[0]
            ids[i] = architecture_ids(children[i: i + 1])[0]
            ok[i] = problem.analytic_feasible(children[i: i + 1])[0] and not problem.seen(ids[i: i + 1])[0]
        pending.add(int(ids[i]))
    return children


def best_so_far(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Running best of the first objective over feasible queries (its own units, NaN before the
    first feasible one), and the row of that incumbent (-1 before)."""
    scores = problem.column("scores")[:, 0] if problem.n_queries else np.empty(0)
    feasible = problem.column("feasible").astype(bool) if problem.n_queries else np.empty(0, bool)
    masked = np.where(feasible, scores, -np.inf)
    running = np.maximum.accumulate(masked) if len(masked) else masked
    # The incumbent's row: the last row at which the running best was set.
    is_new = np.r_[True, running[1:] > running[:-1]] if len(masked) else np.empty(0, bool)
    rows = np.maximum.accumulate(np.where(is_new, np.arange(len(masked)), 0)) if len(masked) else np.empty(0, int)
    rows = np.where(np.isfinite(running), rows, -1)
    best = np.where(np.isfinite(running), problem.objectives[0].unscore(np.where(np.isfinite(running), running, 0)), np.nan)
    return best, rows
