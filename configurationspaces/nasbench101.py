"""The NAS-Bench-101 cell: validation, pruning and the isomorphism-invariant graph hash.

A cell is a DAG of at most 7 vertices given as an upper-triangular 0/1 adjacency matrix
(`matrix[i, j] == 1` is an edge i -> j) and one op per vertex. Vertex 0 is `input`, the
last vertex is `output` and every other vertex holds one of `INTERIOR_OPS`.

Validity follows NAS-Bench-101 exactly: vertices that are not on an input-to-output path are
pruned first (they do not change the network that gets built), and the pruned cell must
still connect input to output and have at most `MAX_EDGES` edges. A
[`Cell`][configurationspaces.nasbench101.Cell] is always valid; constructing one from bad input
raises a `ValueError` that names the broken rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

INPUT = "input"
OUTPUT = "output"
CONV1X1 = "conv1x1-bn-relu"
CONV3X3 = "conv3x3-bn-relu"
MAXPOOL3X3 = "maxpool3x3"
OPS = (INPUT, CONV1X1, CONV3X3, MAXPOOL3X3, OUTPUT)
# NAS-Bench-101's canonical order: the position is the label the official hash feeds to MD5.
INTERIOR_OPS = (CONV3X3, CONV1X1, MAXPOOL3X3)
# Integer labels of the official hash (input -1, output -2, interior ops by canonical order);
# the neural-predictor HDF5 stores ops with the same codes.
OP_LABELS = {INPUT: -1, OUTPUT: -2, CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}
LABEL_OPS = {label: op for op, label in OP_LABELS.items()}
# Marks vertex slots beyond a cell's last vertex in fixed-size (N, 7) label arrays.
PAD_LABEL = -3

MAX_VERTICES = 7
MAX_EDGES = 9


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def without_padding(matrix, labels) -> tuple[np.ndarray, list[int]]:
    """The adjacency matrix and labels of the vertices that are not `PAD_LABEL`, in order.

    Padding may sit anywhere (after the output, or between the interior vertices and the
    output).

    Parameters
    ----------
    matrix : array_like
        An `(n, n)` adjacency matrix.
    labels : sequence of int
        `n` integer labels; `PAD_LABEL` (-3) marks padding.

    Returns
    -------
    matrix : numpy.ndarray
        The adjacency matrix of the other vertices.
    labels : list of int
        Their labels.

    Raises
    ------
    ValueError
        When the matrix does not match the labels, or a padding vertex has an edge (then it is
        not padding).
    """
    matrix = np.asarray(matrix)
    labels = [int(label) for label in labels]
    n = len(labels)
    if matrix.shape != (n, n):
        raise ValueError(f"adjacency matrix of shape {matrix.shape} does not match {n} labels")
    pad = np.array([label == PAD_LABEL for label in labels], dtype=bool)
    if not pad.any():
        return matrix, labels
    wired = np.flatnonzero(pad & (matrix.any(axis=0) | matrix.any(axis=1)))
    if wired.size:
        raise ValueError(f"padding vertex {wired[0]} (label {PAD_LABEL}) has edges; padding vertices must be isolated")
    keep = ~pad
    return matrix[np.ix_(keep, keep)], [label for label, k in zip(labels, keep) if k]


def graph_hash(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """The NAS-Bench-101 module hash of a pruned cell: equal for isomorphic labelled graphs.

    `PAD_LABEL` vertices (which must have no edges) are dropped first, so a padded row
    hashes like the cell it holds.

    Weisfeiler-Lehman style refinement with MD5: every vertex starts from its (out-degree,
    in-degree, label), then repeatedly hashes the sorted hashes of its predecessors and
    successors with its own. The exact strings fed to MD5 (Python `str` of a tuple and of a
    sorted list) are part of the definition: they are what makes the result equal the hashes
    that key the official dataset.

    Parameters
    ----------
    matrix : numpy.ndarray
        The pruned cell's `(n, n)` adjacency matrix.
    labels : sequence of int
        Its official integer labels (input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2).

    Returns
    -------
    str
        The 32-hex-digit hash.

    Raises
    ------
    ValueError
        When the matrix does not match the labels, or a padding vertex has an edge.
    """
    matrix, labels = without_padding(matrix, labels)
    n = len(labels)
    out_degree = matrix.sum(axis=1).tolist()
    in_degree = matrix.sum(axis=0).tolist()
    hashes = [_md5(str((int(o), int(i), int(lab)))) for o, i, lab in zip(out_degree, in_degree, labels)]
    predecessors = [np.flatnonzero(matrix[:, v]).tolist() for v in range(n)]
    successors = [np.flatnonzero(matrix[v]).tolist() for v in range(n)]
    # n rounds reach past the diameter of any n-vertex graph, as the official hash does.
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[u] for u in predecessors[v]))
                + "|"
                + "".join(sorted(hashes[w] for w in successors[v]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def _check_matrix(matrix) -> np.ndarray:
    try:
        matrix = np.array(matrix)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"adjacency matrix must be a square 2-D array: {err}") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"adjacency matrix must be square 2-D; got shape {matrix.shape}")
    n = matrix.shape[0]
    if n > MAX_VERTICES:
        raise ValueError(f"cell has {n} vertices; NAS-Bench-101 allows at most {MAX_VERTICES} (max-vertices rule)")
    if n < 2:
        raise ValueError(f"cell has {n} vertices; it needs at least an input and an output vertex")
    if matrix.dtype == bool:
        matrix = matrix.astype(np.int8)
    if not np.isin(matrix, (0, 1)).all():
        bad = matrix[~np.isin(matrix, (0, 1))].ravel()[0].item()
        raise ValueError(f"adjacency entries must be 0 or 1; got {bad!r}")
    matrix = matrix.astype(np.int8)
    below = np.argwhere(np.tril(matrix) != 0)
    if below.size:
        src, dst = below[0]
        raise ValueError(
            f"edge {src}->{dst} is on or below the diagonal; the adjacency matrix must be strictly "
            "upper-triangular (edges go from a lower to a higher vertex index)"
        )
    return matrix


def _check_ops(ops, n: int) -> tuple[str, ...]:
    if isinstance(ops, str) or not isinstance(ops, Sequence):
        raise ValueError(f"ops must be a sequence of op names; got {ops!r}")
    ops = tuple(ops)
    if len(ops) != n:
        raise ValueError(f"got {len(ops)} ops for a {n}x{n} adjacency matrix; need one op per vertex")
    for v, op in enumerate(ops):
        if op not in OP_LABELS:
            raise ValueError(f"unknown op {op!r} at vertex {v}; known ops are {list(OPS)}")
    if ops[0] != INPUT:
        raise ValueError(f"vertex 0 must be {INPUT!r}; got {ops[0]!r}")
    if ops[-1] != OUTPUT:
        raise ValueError(f"the last vertex ({n - 1}) must be {OUTPUT!r}; got {ops[-1]!r}")
    for v, op in enumerate(ops[1:-1], start=1):
        if op not in INTERIOR_OPS:
            raise ValueError(f"interior vertex {v} has op {op!r}; interior ops must be one of {list(INTERIOR_OPS)}")
    return tuple(str(op) for op in ops)  # plain str, also for numpy strings from ConfigSpace


def on_path_vertices(matrix: np.ndarray) -> np.ndarray:
    """Boolean mask of the vertices on some input-to-output path of an upper-triangular DAG.

    Parameters
    ----------
    matrix : numpy.ndarray
        An `(n, n)` strictly upper-triangular adjacency matrix; vertex 0 is the input, `n - 1`
        the output.

    Returns
    -------
    numpy.ndarray
        `(n,)` bool: reachable from the input and reaching the output.
    """
    n = matrix.shape[0]
    from_input = np.zeros(n, dtype=bool)
    from_input[0] = True
    # Edges only go to higher indices, so one ascending (descending) sweep is a full traversal.
    for v in range(1, n):
        from_input[v] = bool(matrix[:v, v][from_input[:v]].any())
    to_output = np.zeros(n, dtype=bool)
    to_output[n - 1] = True
    for v in range(n - 2, -1, -1):
        to_output[v] = bool(matrix[v, v + 1 :][to_output[v + 1 :]].any())
    return from_input & to_output


class Cell:
    """A valid NAS-Bench-101 cell.

    Two cells compare equal when their pruned graphs are identical (same vertex order); use
    [`module_hash`][configurationspaces.nasbench101.Cell.module_hash] to compare up to
    isomorphism.

    Parameters
    ----------
    matrix : array_like
        A square, strictly upper-triangular 0/1 (or bool) adjacency matrix of 2 to 7 vertices.
    ops : sequence of str
        One op per vertex: `input` first, `output` last, and one of `INTERIOR_OPS`
        (`conv3x3-bn-relu`, `conv1x1-bn-relu`, `maxpool3x3`) in between.

    Attributes
    ----------
    original_matrix : numpy.ndarray
        The adjacency matrix as given (read-only, int8).
    original_ops : tuple of str
        The ops as given.
    matrix : numpy.ndarray
        The pruned cell's adjacency matrix, which NAS-Bench-101 builds, hashes and counts edges
        on (read-only, int8).
    ops : tuple of str
        The pruned cell's ops.

    Raises
    ------
    ValueError
        Naming the broken rule: a matrix that is not square, upper-triangular and 0/1, more
        than 7 or fewer than 2 vertices, ops that do not match the vertices or are unknown or
        misplaced, no input-to-output path, or more than 9 edges after pruning.
    """

    __slots__ = ("original_matrix", "original_ops", "matrix", "ops", "_hash")

    def __init__(self, matrix, ops):
        original_matrix = _check_matrix(matrix)
        original_ops = _check_ops(ops, original_matrix.shape[0])
        keep = on_path_vertices(original_matrix)
        if not keep[0]:
            n = original_matrix.shape[0]
            raise ValueError(
                f"the output (vertex {n - 1}) is not reachable from the input (vertex 0): "
                "a cell needs an input-to-output path"
            )
        pruned = original_matrix[np.ix_(keep, keep)]
        n_edges = int(pruned.sum())
        if n_edges > MAX_EDGES:
            raise ValueError(
                f"cell has {n_edges} edges after pruning; NAS-Bench-101 allows at most {MAX_EDGES} (max-edges rule)"
            )
        for array in (original_matrix, pruned):
            array.setflags(write=False)
        self.original_matrix = original_matrix
        self.original_ops = original_ops
        self.matrix = pruned
        self.ops = tuple(op for op, k in zip(original_ops, keep) if k)
        self._hash = None

    @classmethod
    def from_labels(cls, matrix, labels) -> Cell:
        """A cell from official integer labels (input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2).

        `PAD_LABEL` vertices without edges are padding and are dropped, wherever they sit.

        Parameters
        ----------
        matrix : array_like
            An `(n, n)` adjacency matrix.
        labels : sequence of int
            `n` integer labels.

        Returns
        -------
        Cell
            The cell.

        Raises
        ------
        ValueError
            For an unknown label, a padding vertex with an edge, or an invalid cell.
        """
        matrix, labels = without_padding(matrix, labels)
        ops = []
        for v, label in enumerate(labels):
            if int(label) not in LABEL_OPS:
                raise ValueError(f"unknown op label {label!r} at vertex {v}; known labels are {LABEL_OPS}")
            ops.append(LABEL_OPS[int(label)])
        return cls(matrix, ops)

    @property
    def num_vertices(self) -> int:
        """The pruned cell's number of vertices."""
        return self.matrix.shape[0]

    @property
    def num_edges(self) -> int:
        """The pruned cell's number of edges."""
        return int(self.matrix.sum())

    @property
    def labels(self) -> tuple[int, ...]:
        """Official integer labels of the pruned ops."""
        return tuple(OP_LABELS[op] for op in self.ops)

    def module_hash(self) -> str:
        """The official NAS-Bench-101 hash of the pruned cell (the key of its records).

        Computed once and remembered.

        Returns
        -------
        str
            The hash, as [`graph_hash`][configurationspaces.nasbench101.graph_hash] gives it.
        """
        if self._hash is None:
            self._hash = graph_hash(self.matrix, self.labels)
        return self._hash

    def padded_spec(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """The original spec grown to 7 vertices by isolated filler vertices before the output.

        The fillers are pruned away again, so the spec describes the same cell; a fixed size
        is what edge/op hyperparameters and mutations work on.

        Returns
        -------
        matrix : numpy.ndarray
            The `(7, 7)` int8 adjacency matrix.
        ops : tuple of str
            7 ops; the fillers are `conv3x3-bn-relu`.
        """
        n = self.original_matrix.shape[0]
        order = np.r_[0 : n - 1, MAX_VERTICES - 1]
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        matrix[np.ix_(order, order)] = self.original_matrix
        ops = self.original_ops[:-1] + (CONV3X3,) * (MAX_VERTICES - n) + (OUTPUT,)
        return matrix, ops

    def __eq__(self, other) -> bool:
        if not isinstance(other, Cell):
            return NotImplemented
        return self.ops == other.ops and np.array_equal(self.matrix, other.matrix)

    def __hash__(self) -> int:
        return hash((self.ops, self.matrix.tobytes()))

    def __repr__(self) -> str:
        return f"Cell(matrix={self.matrix.tolist()}, ops={list(self.ops)})"


def is_valid(matrix, ops) -> bool:
    """Whether `Cell(matrix, ops)` would succeed.

    Parameters
    ----------
    matrix : array_like
        An adjacency matrix.
    ops : sequence of str
        One op per vertex.

    Returns
    -------
    bool
        `True` for a valid cell.
    """
    try:
        Cell(matrix, ops)
    except ValueError:
        return False
    return True


def cells_to_arrays(cells: Sequence[Cell]) -> tuple[np.ndarray, np.ndarray]:
    """Pruned cells as fixed-size arrays.

    A cell of n vertices fills the top-left n x n block and the first n labels (output at
    n - 1, the neural-predictor HDF5 layout); the remaining labels are `PAD_LABEL`.

    Parameters
    ----------
    cells : sequence of Cell
        The cells.

    Returns
    -------
    adjacency : numpy.ndarray
        `(N, 7, 7)` int8.
    labels : numpy.ndarray
        `(N, 7)` int8.
    """
    adjacency = np.zeros((len(cells), MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    labels = np.full((len(cells), MAX_VERTICES), PAD_LABEL, dtype=np.int8)
    for i, cell in enumerate(cells):
        n = cell.num_vertices
        adjacency[i, :n, :n] = cell.matrix
        labels[i, :n] = cell.labels
    return adjacency, labels


def output_last(adjacency: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-index (N, 7, 7)/(N, 7) arrays so every cell's output is vertex 6.

    Padding slots move between the interior vertices and the output (from wherever they sit:
    see [`compact_padding`][configurationspaces.nasbench101.compact_padding]). With the output
    at a fixed index, "feeds the output" is the same column for every cell, which is what
    fixed-length encodings and the vectorised cost model need.

    Parameters
    ----------
    adjacency : numpy.ndarray
        `(N, 7, 7)` adjacency matrices.
    labels : numpy.ndarray
        `(N, 7)` labels, `PAD_LABEL` for padding.

    Returns
    -------
    adjacency : numpy.ndarray
        `(N, 7, 7)`, re-indexed.
    labels : numpy.ndarray
        `(N, 7)`, re-indexed.

    Raises
    ------
    ValueError
        When a padding slot has an edge.
    """
    adjacency, labels = compact_padding(adjacency, labels)
    n = np.count_nonzero(labels != PAD_LABEL, axis=1)
    slots = np.arange(MAX_VERTICES)
    # New position i takes old vertex i below n - 1, the pads n..6 next, and old n - 1 last.
    order = np.where(slots < n[:, None] - 1, slots, slots + 1)
    order[:, -1] = n - 1
    rows = np.take_along_axis(adjacency, order[:, :, None], axis=1)
    return np.take_along_axis(rows, order[:, None, :], axis=2), np.take_along_axis(labels, order, axis=1)


def arrays_to_cells(adjacency: np.ndarray, labels: np.ndarray) -> list[Cell]:
    """Inverse of [`cells_to_arrays`][configurationspaces.nasbench101.cells_to_arrays] (validating every cell; padding may sit anywhere).

    Parameters
    ----------
    adjacency : numpy.ndarray
        `(N, 7, 7)` adjacency matrices.
    labels : numpy.ndarray
        `(N, 7)` labels, `PAD_LABEL` for padding.

    Returns
    -------
    list of Cell
        One per row.

    Raises
    ------
    ValueError
        For an invalid cell, an unknown label or a padding slot with an edge.
    """
    return [Cell.from_labels(a, lab) for a, lab in zip(np.asarray(adjacency), np.asarray(labels))]


def compact_padding(adjacency, labels) -> tuple[np.ndarray, np.ndarray]:
    """(N, 7, 7)/(N, 7) arrays with padding anywhere, re-indexed to the top-left layout.

    Each cell keeps its vertices in order and its `PAD_LABEL` slots move to the end. Arrays
    already top-left are returned as they are.

    Parameters
    ----------
    adjacency : array_like
        `(N, 7, 7)` adjacency matrices.
    labels : array_like
        `(N, 7)` labels, `PAD_LABEL` for padding.

    Returns
    -------
    adjacency : numpy.ndarray
        `(N, 7, 7)`, padding last.
    labels : numpy.ndarray
        `(N, 7)`, padding last.

    Raises
    ------
    ValueError
        When a padding slot has an edge.
    """
    adjacency, labels = np.asarray(adjacency), np.asarray(labels)
    pad = labels == PAD_LABEL
    wired = adjacency.astype(bool) & (pad[:, :, None] | pad[:, None, :])
    if wired.any():
        row = int(np.flatnonzero(wired.any(axis=(1, 2)))[0])
        vertex = int(np.flatnonzero(pad[row] & (wired[row].any(axis=0) | wired[row].any(axis=1)))[0])
        raise ValueError(
            f"cell {row}: padding vertex {vertex} (label {PAD_LABEL}) has edges; padding vertices must be isolated"
        )
    if (np.diff(pad.astype(np.int8), axis=1) >= 0).all():
        return adjacency, labels
    order = np.argsort(pad, axis=1, kind="stable")
    rows = np.take_along_axis(adjacency, order[:, :, None], axis=1)
    return np.take_along_axis(rows, order[:, None, :], axis=2), np.take_along_axis(labels, order, axis=1)
