"""Random NAS-Bench-101 cells, one-step mutations and the ConfigSpace representation.

Sampling is NAS-Bench-101's own: every one of the 21 upper-triangular edges of a 7-vertex
spec is drawn with probability 1/2 and every interior op uniformly, and specs that are not
valid cells are rejected. The result is uniform over valid 7-vertex *specs*, not over
isomorphism classes (a cell with many equivalent specs is drawn more often), which is also
what the ConfigSpace representation gives.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from ConfigSpace import Categorical, Configuration, ConfigurationSpace

from configurationspaces.nasbench101 import (
    INPUT,
    INTERIOR_OPS,
    MAX_VERTICES,
    OUTPUT,
    Cell,
)

EDGES = tuple((i, j) for i in range(MAX_VERTICES) for j in range(i + 1, MAX_VERTICES))
INTERIOR_VERTICES = tuple(range(1, MAX_VERTICES - 1))
EDGE_NAMES = tuple(f"edge_{i}_{j}" for i, j in EDGES)
OP_NAMES = tuple(f"op_{v}" for v in INTERIOR_VERTICES)
_ROWS, _COLS = (np.array(side) for side in zip(*EDGES))


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _spec(edge_bits, op_indices) -> tuple[np.ndarray, tuple[str, ...]]:
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    matrix[_ROWS, _COLS] = edge_bits
    return matrix, (INPUT, *(INTERIOR_OPS[i] for i in op_indices), OUTPUT)


def random_cell(seed: int | np.random.Generator | None = None) -> Cell:
    """One valid cell drawn by rejection from uniformly random 7-vertex specs."""
    rng = _rng(seed)
    while True:
        matrix, ops = _spec(rng.integers(0, 2, len(EDGES)), rng.integers(0, len(INTERIOR_OPS), len(INTERIOR_VERTICES)))
        try:
            return Cell(matrix, ops)
        except ValueError:
            continue  # about one draw in four breaks a rule


def sample_cells(n: int, seed: int | np.random.Generator | None = None, unique: bool = False) -> list[Cell]:
    """``n`` random valid cells; with ``unique`` no two are isomorphic (distinct module hashes)."""
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer; got {n!r}")
    rng = _rng(seed)
    cells, seen = [], set()
    while len(cells) < n:
        cell = random_cell(rng)
        if unique:
            if cell.module_hash() in seen:
                continue
            seen.add(cell.module_hash())
        cells.append(cell)
    return cells


def mutate(cell: Cell, seed: int | np.random.Generator | None = None) -> Cell:
    """A random valid one-step neighbour: one edge flipped or one interior op changed.

    The step is taken on the cell's 7-vertex spec (:meth:`Cell.padded_spec`), so edges to
    vertices that are currently pruned away can later bring them back, as in NAS-Bench-101's
    regularized evolution. Steps that change the cell (its module hash) are drawn uniformly;
    only when none exists (an input -> output cell) a neutral step on the pruned-away part is
    returned, so evolution can still drift out of it.
    """
    if not isinstance(cell, Cell):
        raise ValueError(f"mutate needs a Cell; got {type(cell).__name__}")
    rng = _rng(seed)
    matrix, ops = cell.padded_spec()
    moves = [("edge", edge) for edge in EDGES]
    moves += [("op", (v, op)) for v in INTERIOR_VERTICES for op in INTERIOR_OPS if op != ops[v]]
    neutral = None
    for index in rng.permutation(len(moves)):
        kind, (a, b) = moves[index]
        child_matrix, child_ops = matrix.copy(), list(ops)
        if kind == "edge":
            child_matrix[a, b] ^= 1
        else:
            child_ops[a] = b
        try:
            child = Cell(child_matrix, child_ops)
        except ValueError:
            continue
        if child.module_hash() != cell.module_hash():
            return child
        neutral = neutral or child
    return neutral  # op steps are always valid, so there is always at least a neutral one


def configuration_space(seed: int | None = None) -> ConfigurationSpace:
    """21 binary edge hyperparameters ``edge_i_j`` and 5 op hyperparameters ``op_v``.

    Path and edge-count validity cannot be written as ConfigSpace forbidden clauses, so draws
    from this space must go through :func:`sample_configurations` (or be checked with
    :func:`configuration_to_cell`), which reject the invalid ones.
    """
    space = ConfigurationSpace(seed=seed)
    space.add([Categorical(name, (0, 1)) for name in EDGE_NAMES])
    space.add([Categorical(name, INTERIOR_OPS) for name in OP_NAMES])
    return space


def configuration_to_cell(config) -> Cell:
    """The cell of a configuration (or a mapping of the same names); ValueError if invalid."""
    values = dict(config)
    missing = [name for name in EDGE_NAMES + OP_NAMES if name not in values]
    if missing:
        raise ValueError(f"configuration lacks hyperparameters {missing}")
    edge_bits = [values[name] for name in EDGE_NAMES]
    for name, bit in zip(EDGE_NAMES, edge_bits):
        if bit not in (0, 1):
            raise ValueError(f"{name} must be 0 or 1; got {bit!r}")
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    matrix[_ROWS, _COLS] = edge_bits
    return Cell(matrix, (INPUT, *(values[name] for name in OP_NAMES), OUTPUT))


def cell_to_configuration(cell: Cell, space: ConfigurationSpace) -> Configuration:
    """The configuration of the cell's 7-vertex spec in ``space`` (from :func:`configuration_space`)."""
    matrix, ops = cell.padded_spec()
    values = {name: int(matrix[i, j]) for name, (i, j) in zip(EDGE_NAMES, EDGES)}
    values.update({name: ops[v] for name, v in zip(OP_NAMES, INTERIOR_VERTICES)})
    return Configuration(space, values=values)


def sample_configurations(space: ConfigurationSpace, n: int) -> list[Configuration]:
    """``n`` valid configurations drawn from ``space`` (seeded by the space), invalid ones rejected."""
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer; got {n!r}")
    accepted: list[Configuration] = []
    while len(accepted) < n:
        # Draw a batch at a time; about three draws in four are valid.
        for config in space.sample_configuration(2 + 3 * (n - len(accepted)) // 2):
            try:
                configuration_to_cell(config)
            except ValueError:
                continue
            accepted.append(config)
    return accepted[:n]
