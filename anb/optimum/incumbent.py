"""A good first incumbent: the best of random architectures, improved one block at a time.

The branch and bound prunes against the best architecture known, so it starts from a strong one:
the best of a few thousand random architectures, each of the best few then improved by trying
every choice of every free block (one ensemble query for all of them) until no block's change
helps. Under a constraint an infeasible architecture ranks below every feasible one, by how far
it is from feasible, so that a climb from outside a tight bound reaches the feasible region.
Only the search's speed depends on the incumbent; the optimum it proves does not.
"""

from __future__ import annotations

import numpy as np

from anb.optimum.problem import Problem
from configurationspaces.efficientnet_encoding import N_BLOCKS

RANDOM_DRAWS = 4096
STARTS = 8
MAX_SWEEPS = 30
# Below every feasible score: accuracy, throughput and latency scores are far above it.
INFEASIBLE = -1e15


def _neighbours(problem: Problem, row: np.ndarray) -> np.ndarray:
    """Every architecture that differs from ``row`` in one free block."""
    blocks = problem.blocks
    out = [row[None, :]]
    for b in range(N_BLOCKS):
        if b in problem.fixed:
            continue
        moved = np.repeat(row[None, :], blocks.n_choices[b], axis=0)
        moved[:, b] = np.arange(blocks.n_choices[b])
        out.append(moved)
    return np.concatenate(out)


def random_choices(problem: Problem, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform architectures of the problem's subspace, as ``(n, 7)`` choices."""
    choices = rng.integers(0, problem.blocks.n_choices, size=(n, N_BLOCKS))
    for b, c in problem.fixed.items():
        choices[:, b] = c
    return choices


def _fitness(problem: Problem, choices: np.ndarray) -> np.ndarray:
    """One number to climb: a feasible architecture's score, above every infeasible one, which
    ranks by how close it is to feasible (so that a climb from outside a tight constraint reaches it)."""
    scores, slack = problem.scores_and_slack(choices)
    return np.where(slack >= 0, scores, INFEASIBLE + slack)


def first_incumbent(problem: Problem, seed: int = 0) -> tuple[np.ndarray | None, float]:
    """``(choices, score)`` of the best feasible architecture found; ``(None, -inf)`` if none is."""
    rng = np.random.default_rng(seed)
    draws = random_choices(problem, RANDOM_DRAWS, rng)
    fitness = _fitness(problem, draws)
    best_row, best_fitness = None, -np.inf
    for start in np.argsort(fitness)[::-1][:STARTS]:
        row, value = draws[start], fitness[start]
        for _ in range(MAX_SWEEPS):
            near = _neighbours(problem, row)
            near_fitness = _fitness(problem, near)
            top = int(np.argmax(near_fitness))
            if near_fitness[top] <= value:
                break
            row, value = near[top], near_fitness[top]
        if value > best_fitness:
            best_row, best_fitness = row, value
    if best_row is None or best_fitness <= INFEASIBLE:
        return None, -np.inf
    return best_row, float(problem.scores(best_row[None, :])[0][0])
