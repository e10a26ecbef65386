"""The reference the exact search is checked against: every architecture of a subspace, queried.

Only for subspaces with some blocks fixed (each free block multiplies the work by 36): the
architectures are enumerated in chunks and scored with the ensembles' own ``query``, so the
best found is the ensemble's value bit for bit.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from anb.optimum.problem import Problem
from configurationspaces.efficientnet_encoding import N_BLOCKS

CHUNK = 1 << 17
# Above this many architectures a brute force is a benchmark's job, not a call to make by accident.
MAX_ARCHITECTURES = 20_000_000


def subspace_choices(problem: Problem, start: int, stop: int) -> np.ndarray:
    """Architectures ``start:stop`` of the subspace, as ``(n, 7)`` choices (mixed-radix order)."""
    free = [b for b in range(N_BLOCKS) if b not in problem.fixed]
    radix = problem.blocks.n_choices[free]
    index = np.arange(start, stop, dtype=np.int64)
    choices = np.empty((len(index), N_BLOCKS), np.int64)
    for b, c in problem.fixed.items():
        choices[:, b] = c
    for b, n in zip(free[::-1], radix[::-1]):
        choices[:, b] = index % n
        index //= n
    return choices


def brute_force(problem: Problem, progress: bool = False) -> tuple[np.ndarray | None, float]:
    """``(choices, score)`` of the best feasible architecture of the subspace (the first of equals in
    enumeration order); ``(None, -inf)`` when none is feasible."""
    size = problem.size()
    if size > MAX_ARCHITECTURES:
        raise ValueError(f"the subspace holds {size:,} architectures; a brute force takes at most "
                         f"{MAX_ARCHITECTURES:,} (fix more blocks)")
    best, best_score = None, -np.inf
    for start in tqdm(range(0, size, CHUNK), desc="brute force", disable=not progress, leave=False):
        choices, score = problem.best_of(subspace_choices(problem, start, min(start + CHUNK, size)))
        if score > best_score:
            best, best_score = choices, score
    return best, best_score
