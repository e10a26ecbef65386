"""The shape of one NAS-Bench-101 table, and the collector the streaming readers fill it with.

A table is a dict of numpy columns, one row per cell, that
:class:`anb.nb101.data.NASBench101Dataset` takes as keyword arguments:

* ``hashes`` (N,) the official module hash; ``adjacency`` (N, 7, 7) int8 and ``labels``
  (N, 7) int8 the pruned cell in the layout of
  :func:`configurationspaces.nasbench101.cells_to_arrays`; ``parameters`` (N,) int64;
* ``metrics`` (N, 4, 3, 2, 4) float32: epoch budget (``EPOCHS``) x run (``N_SEEDS``) x point
  of training (``POINTS``: halfway, final) x quantity (``QUANTITIES``: training time in
  seconds, train/validation/test accuracy as fractions). Runs a source does not have are NaN;
* ``source``: where the rows came from.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from configurationspaces.nasbench101 import MAX_VERTICES, OP_LABELS, PAD_LABEL

EPOCHS = (4, 12, 36, 108)
N_SEEDS = 3
POINTS = ("halfway", "final")
QUANTITIES = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
METRICS_SHAPE = (len(EPOCHS), N_SEEDS, len(POINTS), len(QUANTITIES))


def epoch_index(epochs: int) -> int:
    if epochs not in EPOCHS:
        raise ValueError(f"epoch budget {epochs!r} is not one of NAS-Bench-101's {EPOCHS}")
    return EPOCHS.index(epochs)


def empty_metrics(n: int) -> np.ndarray:
    return np.full((n, *METRICS_SHAPE), np.nan, dtype=np.float32)


def labels_of(ops: Iterable[str], where: str) -> list[int]:
    labels = []
    for op in ops:
        if op not in OP_LABELS:
            raise ValueError(f"{where}: unknown op {op!r}; known ops are {list(OP_LABELS)}")
        labels.append(OP_LABELS[op])
    return labels


class TableBuilder:
    """Collects runs into growing arrays, one row per hash, without holding the records."""

    def __init__(self, capacity: int = 1024):
        self._rows: dict[str, int] = {}
        self._hashes: list[str] = []
        self._adjacency = np.zeros((capacity, MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        self._labels = np.full((capacity, MAX_VERTICES), PAD_LABEL, dtype=np.int8)
        self._parameters = np.zeros(capacity, dtype=np.int64)
        self._metrics = empty_metrics(capacity)
        self._runs = np.zeros((capacity, len(EPOCHS)), dtype=np.int8)

    def _grow(self) -> None:
        # Doubling keeps appends amortised O(1) for the 423,624 cells of the full file.
        for name in ("_adjacency", "_labels", "_parameters", "_metrics", "_runs"):
            array = getattr(self, name)
            fill = PAD_LABEL if name == "_labels" else (np.nan if name == "_metrics" else 0)
            setattr(self, name, np.concatenate([array, np.full_like(array, fill)]))

    def row(self, module_hash: str, adjacency: np.ndarray, ops, parameters: int) -> int:
        """The row of ``module_hash``, created from the cell on first sight."""
        index = self._rows.get(module_hash)
        if index is not None:
            return index
        n = adjacency.shape[0]
        if adjacency.shape != (n, n) or not 2 <= n <= MAX_VERTICES or len(ops) != n:
            raise ValueError(f"cell {module_hash}: adjacency {adjacency.shape} and {len(ops)} ops do not form a cell")
        index = len(self._hashes)
        if index == len(self._parameters):
            self._grow()
        self._rows[module_hash] = index
        self._hashes.append(module_hash)
        self._adjacency[index, :n, :n] = adjacency
        self._labels[index, :n] = labels_of(ops, f"cell {module_hash}")
        self._parameters[index] = parameters
        return index

    def add_run(self, index: int, epochs: int, halfway, final) -> None:
        e = epoch_index(epochs)
        seed = self._runs[index, e]
        if seed >= N_SEEDS:
            raise ValueError(f"cell {self._hashes[index]} has more than {N_SEEDS} runs at {epochs} epochs")
        self._metrics[index, e, seed] = (halfway, final)
        self._runs[index, e] += 1

    def columns(self, source: str) -> dict:
        n = len(self._hashes)
        return {
            "hashes": np.asarray(self._hashes, dtype=str),
            "adjacency": self._adjacency[:n],
            "labels": self._labels[:n],
            "parameters": self._parameters[:n],
            "metrics": self._metrics[:n],
            "source": source,
        }
