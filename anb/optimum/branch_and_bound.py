"""The exact search: branching order, subproblems, candidates checked with the ensemble's own query.

The free blocks are put in a branching order (the block whose choice tightens the bound most
first); every choice of the first ``split_depth`` free blocks is a subproblem, bounded first and
solved best bound first by the compiled depth-first search (:mod:`anb.optimum.kernel`). The
candidates it returns are evaluated with the ensemble's ``query``, so the optimum reported is
the ensemble's own mean, and the incumbent carried to the next subproblem is that value.

The proof: when every subproblem is solved or pruned, no architecture can score above the
incumbent (gap 0). Stopped by a time limit, the gap is the best bound of the subproblems left.
"""

from __future__ import annotations

import itertools
import resource
import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from anb.optimum import kernel
from anb.optimum.blocks import PEAK_COLUMN, BlockChoices
from anb.optimum.incumbent import first_incumbent
from anb.optimum.packed import PackedEnsemble
from anb.optimum.problem import Problem
from configurationspaces.efficientnet_encoding import N_BLOCKS

CANDIDATE_BUFFER = 4096
# Subproblems are the choices of this many free blocks (1,296 for two blocks of 36 choices).
SPLIT_DEPTH = 2
# Nodes per call of the compiled search (a second or two): between calls the progress bar moves
# and the time limit is checked.
CHUNK_NODES = 5000


@dataclass
class SearchResult:
    """The best architecture (choices per block) with its score, and the proof's figures."""

    choices: np.ndarray | None
    score: float
    upper_bound: float
    nodes: np.ndarray
    subproblems: int
    pruned_subproblems: int
    candidates_checked: int
    seconds: float
    peak_rss_mb: float
    order: tuple[int, ...]
    stopped: bool = False

    @property
    def gap(self) -> float:
        if self.choices is None:
            return 0.0 if self.upper_bound == -np.inf else np.inf
        return max(0.0, self.upper_bound - self.score)


def _suffix_bounds(blocks: BlockChoices, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[k, j]``: the smallest and largest cost column ``j`` the blocks at positions ``>= k`` can add."""
    n_cost = blocks.shares.shape[2]
    lo, hi = np.zeros((N_BLOCKS + 1, n_cost)), np.zeros((N_BLOCKS + 1, n_cost))
    for k in range(N_BLOCKS - 1, -1, -1):
        shares = blocks.shares[order[k], :blocks.n_choices[order[k]]]
        low, high = shares.min(axis=0), shares.max(axis=0)
        lo[k], hi[k] = lo[k + 1] + low, hi[k + 1] + high
        lo[k, PEAK_COLUMN] = max(lo[k + 1, PEAK_COLUMN], low[PEAK_COLUMN])
        hi[k, PEAK_COLUMN] = max(hi[k + 1, PEAK_COLUMN], high[PEAK_COLUMN])
    return lo, hi


def _ensemble_args(packed: PackedEnsemble, sense: int) -> tuple:
    return (packed.base_score, packed.depth, packed.n_trees, packed.tree_depth, packed.feature, packed.threshold,
            packed.leaf, packed.has_link, packed.coef, packed.intercept, packed.log_column, sense)


class BranchAndBound:
    """One problem's exact search; ``run`` returns a :class:`SearchResult`."""

    def __init__(self, problem: Problem, split_depth: int = SPLIT_DEPTH, chunk_nodes: int = CHUNK_NODES):
        self.problem = problem
        self.chunk_nodes = int(chunk_nodes)
        self.blocks = problem.blocks
        objective, constraint = problem.packed()
        self.objective_args = _ensemble_args(objective, problem.sense)
        if problem.constraint is None:
            # The kernel's signature takes a constraint either way; this one is never read.
            self.constraint_args = _ensemble_args(objective, 1) + (False, 0.0)
        else:
            self.constraint_args = _ensemble_args(constraint, problem.constraint.sense) + (
                True, problem.constraint.score_bound)
        free = [b for b in range(N_BLOCKS) if b not in problem.fixed]
        self.order = np.array(sorted(problem.fixed) + self._rank_free(free), np.int64)
        self.n_fixed = len(problem.fixed)
        # The kernel needs a free block below each subproblem: the last one is where it checks candidates.
        self.split_depth = max(0, min(split_depth, len(free) - 1))
        self.suffix_lo, self.suffix_hi = _suffix_bounds(self.blocks, self.order)

    def _space_args(self, order: np.ndarray, suffix_lo, suffix_hi) -> tuple:
        return (order, self.blocks.columns, self.blocks.encoded, self.blocks.n_choices, self.blocks.shares, suffix_lo,
                suffix_hi, self.blocks.scale)

    def _bounds(self, prefixes: np.ndarray, order: np.ndarray, suffix=None) -> np.ndarray:
        suffix_lo, suffix_hi = suffix if suffix is not None else (self.suffix_lo, self.suffix_hi)
        return kernel.prefix_bounds(np.ascontiguousarray(prefixes, np.int64), *self._space_args(order, suffix_lo, suffix_hi),
                                    *self.objective_args, *self.constraint_args[:-1])

    def _rank_free(self, free: list[int]) -> list[int]:
        """Free blocks ordered by how far fixing each alone lowers the objective's bound, on average."""
        fixed = sorted(self.problem.fixed)
        tightening = {}
        for b in free:
            order = np.array(fixed + [b] + [o for o in free if o != b], np.int64)
            suffix = _suffix_bounds(self.blocks, order)
            prefixes = np.array([[self.problem.fixed[f] for f in fixed] + [c] for c in range(self.blocks.n_choices[b])])
            bounds = self._bounds(prefixes, order, suffix)[:, 0]
            tightening[b] = float(np.mean(bounds[np.isfinite(bounds)])) if np.isfinite(bounds).any() else -np.inf
        return sorted(free, key=lambda b: tightening[b])

    def _prefixes(self) -> np.ndarray:
        fixed = [self.problem.fixed[b] for b in self.order[:self.n_fixed]]
        ranges = [range(self.blocks.n_choices[b]) for b in self.order[self.n_fixed:self.n_fixed + self.split_depth]]
        return np.array([fixed + list(tail) for tail in itertools.product(*ranges)], np.int64).reshape(
            -1, self.n_fixed + self.split_depth)

    def _check(self, candidates: np.ndarray) -> tuple[np.ndarray | None, float]:
        """The best of the candidates (choices per position of the order) by the ensembles' query."""
        choices = np.empty_like(candidates)
        choices[:, self.order] = candidates
        return self.problem.best_of(choices)

    def run(self, time_limit: float | None = None, progress: bool = True, seed: int = 0,
            warm_start: bool = True) -> SearchResult:
        """``warm_start=False`` starts from no incumbent (slower; what a check of the search itself wants)."""
        start = time.perf_counter()
        best, incumbent = first_incumbent(self.problem, seed) if warm_start else (None, -np.inf)
        if len(self.problem.fixed) == N_BLOCKS:
            best, incumbent = self.problem.best_of(np.array([[self.problem.fixed[b] for b in range(N_BLOCKS)]]))
        prefixes = self._prefixes()
        bounds = self._bounds(prefixes, self.order)
        deadline = np.inf if time_limit is None else start + time_limit
        feasible = bounds[:, 1] >= self.constraint_args[-1] if self.problem.constraint is not None else np.ones(
            len(bounds), bool)
        scores = np.where(feasible, bounds[:, 0], -np.inf)
        ranked = np.argsort(-scores, kind="stable")
        nodes = np.zeros(N_BLOCKS + 1, np.int64)
        nodes[self.n_fixed + self.split_depth] = len(prefixes)
        pruned = checked = 0
        stopped = False
        left_bound = -np.inf
        with tqdm(total=len(ranked), desc=f"exact {self.problem.describe()}", unit="subproblem",
                  disable=not progress, leave=False) as bar:
            for position, row in enumerate(ranked):
                if scores[row] < incumbent or scores[row] == -np.inf:
                    # Every later subproblem's bound is lower still (-inf: its constraint cannot be met).
                    pruned += len(ranked) - position
                    bar.update(len(ranked) - position)
                    break
                if time.perf_counter() > deadline:
                    stopped, left_bound = True, float(scores[row])
                    break
                best, incumbent, n_checked, left = self._solve(prefixes[row], best, incumbent, nodes, deadline, bar)
                checked += n_checked
                if left > -np.inf:
                    later = scores[ranked[position + 1]] if position + 1 < len(ranked) else -np.inf
                    stopped, left_bound = True, float(max(left, later))
                    break
                bar.update(1)
        return SearchResult(best, float(incumbent), max(float(incumbent), left_bound), nodes, len(prefixes), pruned,
                            checked, time.perf_counter() - start,
                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, tuple(int(b) for b in self.order),
                            stopped)

    def _solve(self, prefix: np.ndarray, best, incumbent: float, nodes: np.ndarray, deadline: float, bar):
        """One subproblem, to the end or the deadline; returns the new best choices, its exact
        score, the candidates checked and the best bound left unsearched (-inf when it ended)."""
        size, checked = CANDIDATE_BUFFER, 0
        fresh = True
        while True:
            if fresh:
                candidates = np.empty((size, N_BLOCKS), np.int64)
                candidate_bound = np.empty(size)
                counted = np.zeros_like(nodes)
                widest = self.blocks.shares.shape[1]
                state = (np.zeros(N_BLOCKS, np.int64), np.zeros((N_BLOCKS + 1, self.blocks.shares.shape[2])),
                         np.zeros((N_BLOCKS + 1, widest), np.int64), np.zeros((N_BLOCKS + 1, widest)),
                         np.zeros(N_BLOCKS + 1, np.int64), np.zeros(2, np.int64))
                fresh = False
            status, n, _, left = kernel.search(prefix, *self._space_args(self.order, self.suffix_lo, self.suffix_hi),
                                               *self.objective_args, *self.constraint_args, incumbent, candidates,
                                               candidate_bound, counted, self.chunk_nodes, *state)
            if status == kernel.CANDIDATES_FULL:
                # More ties within the bounds' margins than the buffer held: again, with room for them.
                size *= 4
                fresh = True
                continue
            if n:
                choices, score = self._check(candidates[:n])
                checked += n
                if score > incumbent:
                    best, incumbent = choices, score
            bar.set_postfix(best=f"{self.problem.sense * incumbent:.6g}", nodes=int(nodes.sum() + counted.sum()))
            if status == kernel.DONE or time.perf_counter() > deadline:
                nodes += counted
                return best, incumbent, checked, left
