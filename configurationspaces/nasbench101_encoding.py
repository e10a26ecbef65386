"""Vectorised encodings of NAS-Bench-101 cells for predictors.

Every function takes pruned cells as the fixed-size arrays of
:func:`configurationspaces.nasbench101.cells_to_arrays`: ``adjacency`` (N, 7, 7) and official
``labels`` (N, 7), a cell of n vertices in the top-left block and ``PAD_LABEL`` after it
(padding elsewhere, e.g. before the output, is moved there first).

* :func:`flat_encoding` - the 21 upper-triangle edges plus a one-hot op of each of the 5
  interior slots (36 values), with every cell's output moved to vertex 6 so that a column
  means the same thing for cells of different sizes;
* :func:`path_encoding` - which of the 364 op sequences (lengths 0 to 5) occur on some
  input-to-output path (White et al., BANANAS);
* :func:`graph_tensors` - adjacency, one-hot ops and vertex mask in the top-left layout that
  graph predictors such as Wen et al.'s Neural Predictor take.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.nasbench101 import (
    MAX_VERTICES,
    OP_LABELS,
    OPS,
    PAD_LABEL,
    compact_padding,
    output_last,
)

N_INTERIOR = MAX_VERTICES - 2
ENCODED_OPS = OPS[1:-1]  # the one-hot column order of interior ops
_UPPER = np.triu_indices(MAX_VERTICES, k=1)
FLAT_NAMES = tuple(f"edge_{i}_{j}" for i, j in zip(*_UPPER)) + tuple(
    f"op_{v}_{op}" for v in range(1, MAX_VERTICES - 1) for op in ENCODED_OPS
)

# Path sequences of length L are numbered after all shorter ones, in base 3 within a length.
_MAX_PATH_OPS = N_INTERIOR
_PATH_OFFSETS = np.cumsum([0] + [len(ENCODED_OPS) ** k for k in range(_MAX_PATH_OPS + 1)])
N_PATHS = int(_PATH_OFFSETS[-1])  # 364 = 1 + 3 + 9 + 27 + 81 + 243


def _extension_table() -> np.ndarray:
    """``table[s, o]``: the number of sequence s followed by op o (for s shorter than 5)."""
    n_ops = len(ENCODED_OPS)
    table = np.empty((int(_PATH_OFFSETS[_MAX_PATH_OPS]), n_ops), dtype=np.int64)
    for length in range(_MAX_PATH_OPS):
        start, stop = _PATH_OFFSETS[length], _PATH_OFFSETS[length + 1]
        rank = np.arange(stop - start)
        table[start:stop] = _PATH_OFFSETS[length + 1] + n_ops * rank[:, None] + np.arange(n_ops)
    return table


_EXTEND = _extension_table()


def _check(adjacency, labels) -> tuple[np.ndarray, np.ndarray]:
    adjacency, labels = np.asarray(adjacency), np.asarray(labels)
    if adjacency.ndim != 3 or adjacency.shape[1:] != (MAX_VERTICES, MAX_VERTICES):
        raise ValueError(f"adjacency must have shape (N, {MAX_VERTICES}, {MAX_VERTICES}); got {adjacency.shape}")
    if labels.shape != adjacency.shape[:2]:
        raise ValueError(f"labels must have shape {adjacency.shape[:2]}; got {labels.shape}")
    known = np.array([*OP_LABELS.values(), PAD_LABEL])
    if not np.isin(labels, known).all():
        bad = labels[~np.isin(labels, known)].ravel()[0].item()
        raise ValueError(f"unknown op label {bad!r}; known labels are {sorted(known.tolist())}")
    return compact_padding(adjacency, labels)


def _interior_one_hot(labels: np.ndarray) -> np.ndarray:
    """(N, 7, 3) one-hot of the interior ops over ENCODED_OPS; zero for input/output/padding."""
    codes = np.array([OP_LABELS[op] for op in ENCODED_OPS])
    return (labels[:, :, None] == codes).astype(np.float32)


def flat_encoding(adjacency, labels) -> np.ndarray:
    """(N, 36) float32: upper-triangle edges then one-hot interior ops (names: ``FLAT_NAMES``)."""
    adjacency, labels = output_last(*_check(adjacency, labels))
    edges = adjacency[:, _UPPER[0], _UPPER[1]].astype(np.float32)
    ops = _interior_one_hot(labels)[:, 1 : MAX_VERTICES - 1].reshape(len(labels), -1)
    return np.concatenate([edges, ops], axis=1)


def path_encoding(adjacency, labels, chunk: int = 8192) -> np.ndarray:
    """(N, 364) float32: 1 where the op sequence occurs on an input-to-output path.

    Dynamic programming in topological order, vectorised over cells: ``reach[:, v, s]`` says
    whether some path from the input ends at vertex v with interior-op sequence s.
    """
    adjacency, labels = output_last(*_check(adjacency, labels))
    out = np.zeros((len(labels), N_PATHS), dtype=np.float32)
    op_index = _interior_one_hot(labels).argmax(axis=2)  # meaningless only where never used
    n_short = _EXTEND.shape[0]
    for start in range(0, len(labels), chunk):
        adj = adjacency[start : start + chunk].astype(bool)
        ops = op_index[start : start + chunk]
        reach = np.zeros((len(adj), MAX_VERTICES, N_PATHS), dtype=bool)
        reach[:, 0, 0] = True  # the empty sequence at the input
        for v in range(1, MAX_VERTICES - 1):
            arriving = (adj[:, :v, v, None] & reach[:, :v]).any(axis=1)
            # A sequence arriving at v continues with v's op. At most v - 1 <= 4 interior ops
            # precede v, so only the extendable sequences can arrive; padding slots have no
            # edges, so nothing arrives at them.
            for o in range(len(ENCODED_OPS)):
                rows = np.flatnonzero(ops[:, v] == o)
                reach[rows[:, None], v, _EXTEND[:, o]] = arriving[rows, :n_short]
        last = MAX_VERTICES - 1
        out[start : start + chunk] = (adj[:, :last, last, None] & reach[:, :last]).any(axis=1)
    return out


def graph_tensors(adjacency, labels) -> dict[str, np.ndarray]:
    """Top-left layout tensors: ``adjacency`` (N, 7, 7), ``operations`` (N, 7, 5) one-hot over
    ``OPS`` (zero rows for padding), ``mask`` (N, 7) and ``num_vertices`` (N,); float32."""
    adjacency, labels = _check(adjacency, labels)
    codes = np.array([OP_LABELS[op] for op in OPS])
    mask = labels != PAD_LABEL
    return {
        "adjacency": adjacency.astype(np.float32),
        "operations": (labels[:, :, None] == codes).astype(np.float32),
        "mask": mask.astype(np.float32),
        "num_vertices": mask.sum(axis=1).astype(np.float32),
    }
