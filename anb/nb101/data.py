"""One table of NAS-Bench-101 results, read from any of its three published formats.

:class:`NASBench101Dataset` keeps one row per cell as numpy arrays:

* ``hashes`` (N,) the official module hash; ``adjacency`` (N, 7, 7) int8 and ``labels``
  (N, 7) int8 the pruned cell in the layout of
  :func:`configurationspaces.nasbench101.cells_to_arrays`; ``parameters`` (N,) int64;
* ``metrics`` (N, 4, 3, 2, 4) float32: epoch budget (``EPOCHS``) x run (``N_SEEDS``) x point
  of training (``POINTS``: halfway, final) x quantity (``QUANTITIES``: training time in
  seconds, train/validation/test accuracy as fractions). Runs a source does not have are NaN.

That is the layout of the neural-predictor HDF5, so it converts to and from that file
as it is; :meth:`NASBench101Dataset.to_frame` gives the long pandas table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from configurationspaces.nasbench101 import (
    LABEL_OPS,
    MAX_VERTICES,
    OP_LABELS,
    PAD_LABEL,
    Cell,
    arrays_to_cells,
    cells_to_arrays,
)

EPOCHS = (4, 12, 36, 108)
N_SEEDS = 3
POINTS = ("halfway", "final")
QUANTITIES = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
METRICS_SHAPE = (len(EPOCHS), N_SEEDS, len(POINTS), len(QUANTITIES))

ENV_DATA_DIR = "ANB_NB101_DATA_DIR"
NASLIB_FILE = "naslib_zc_nasbench101_500.json"
OFFICIAL_RECORDS_FILE = "nb101_official_records_30.json"
# NASLib's integer op codes in the keys of its NAS-Bench-101 JSON.
NASLIB_OPS = {0: "input", 1: "output", 2: "maxpool3x3", 3: "conv1x1-bn-relu", 4: "conv3x3-bn-relu"}
NASLIB_KEY_LENGTH = MAX_VERTICES * MAX_VERTICES + MAX_VERTICES


def data_dir() -> Path:
    """``$ANB_NB101_DATA_DIR`` if set, else ``<anb cache>/nb101``."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    from anb.paths import cache_root

    return cache_root() / "nb101"


def _epoch_index(epochs: int) -> int:
    if epochs not in EPOCHS:
        raise ValueError(f"epoch budget {epochs!r} is not one of NAS-Bench-101's {EPOCHS}")
    return EPOCHS.index(epochs)


def _labels_of(ops: Iterable[str], where: str) -> list[int]:
    labels = []
    for op in ops:
        if op not in OP_LABELS:
            raise ValueError(f"{where}: unknown op {op!r}; known ops are {list(OP_LABELS)}")
        labels.append(OP_LABELS[op])
    return labels


class NASBench101Dataset:
    """NAS-Bench-101 cells and their training results (see the module docstring)."""

    def __init__(self, hashes, adjacency, labels, parameters, metrics, source: str = ""):
        hashes = np.asarray(hashes, dtype=str)
        adjacency = np.asarray(adjacency, dtype=np.int8)
        labels = np.asarray(labels, dtype=np.int8)
        parameters = np.asarray(parameters, dtype=np.int64)
        metrics = np.asarray(metrics, dtype=np.float32)
        n = len(hashes)
        expected = {
            "hashes": (hashes, (n,)),
            "adjacency": (adjacency, (n, MAX_VERTICES, MAX_VERTICES)),
            "labels": (labels, (n, MAX_VERTICES)),
            "parameters": (parameters, (n,)),
            "metrics": (metrics, (n, *METRICS_SHAPE)),
        }
        for name, (array, shape) in expected.items():
            if array.shape != shape:
                raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
        known = [*OP_LABELS.values(), PAD_LABEL]
        if not np.isin(labels, known).all():
            raise ValueError(f"labels must be official op labels or PAD_LABEL ({sorted(known)})")
        self.hashes, self.adjacency, self.labels = hashes, adjacency, labels
        self.parameters, self.metrics, self.source = parameters, metrics, source

    def __len__(self) -> int:
        return len(self.hashes)

    def __repr__(self) -> str:
        return f"NASBench101Dataset({len(self)} cells from {self.source or 'memory'})"

    @property
    def num_vertices(self) -> np.ndarray:
        return np.count_nonzero(self.labels != PAD_LABEL, axis=1)

    def cells(self) -> list[Cell]:
        return arrays_to_cells(self.adjacency, self.labels)

    def subset(self, indices) -> NASBench101Dataset:
        indices = np.asarray(indices)
        return NASBench101Dataset(
            self.hashes[indices],
            self.adjacency[indices],
            self.labels[indices],
            self.parameters[indices],
            self.metrics[indices],
            self.source,
        )

    def accuracy(self, kind: str = "validation", epochs: int = 108, point: str = "final", seed=None) -> np.ndarray:
        """(N,) accuracy of one kind (train/validation/test); ``seed=None`` averages the runs present."""
        quantity = f"{kind}_accuracy"
        if quantity not in QUANTITIES:
            raise ValueError(f"kind must be 'train', 'validation' or 'test'; got {kind!r}")
        if point not in POINTS:
            raise ValueError(f"point must be one of {POINTS}; got {point!r}")
        values = self.metrics[:, _epoch_index(epochs), :, POINTS.index(point), QUANTITIES.index(quantity)]
        if seed is None:
            present = np.isfinite(values)
            counts = present.sum(axis=1)
            # A mean over zero runs is NaN (no warning): the caller decides what to drop.
            return np.where(counts > 0, np.where(present, values, 0).sum(axis=1) / np.maximum(counts, 1), np.nan)
        if seed not in range(N_SEEDS):
            raise ValueError(f"seed must be None or one of {list(range(N_SEEDS))}; got {seed!r}")
        return values[:, seed].astype(np.float64)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per cell, epoch budget and run present in the source."""
        present = np.isfinite(self.metrics).any(axis=(3, 4))  # (N, epochs, seeds)
        row, epoch, seed = np.nonzero(present)
        n = self.num_vertices
        adjacency = np.array(["".join(map(str, a[:k, :k].ravel())) for a, k in zip(self.adjacency, n)])
        ops = np.array([",".join(LABEL_OPS[int(x)] for x in lab[:k]) for lab, k in zip(self.labels, n)])
        frame = {
            "hash": self.hashes[row],
            "adjacency": adjacency[row],
            "ops": ops[row],
            "num_vertices": n[row],
            "parameters": self.parameters[row],
            "epochs": np.asarray(EPOCHS)[epoch],
            "seed": seed,
        }
        for p, point in enumerate(POINTS):
            for q, quantity in enumerate(QUANTITIES):
                frame[f"{point}_{quantity}"] = self.metrics[row, epoch, seed, p, q]
        return pd.DataFrame(frame)

    # --- readers ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, progress: bool = False) -> NASBench101Dataset:
        """Read a ``.tfrecord``, ``.hdf5``/``.h5`` or NASLib ``.json`` file by its suffix."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".tfrecord":
            return cls.from_tfrecord(path, progress=progress)
        if suffix in (".hdf5", ".h5"):
            return cls.from_hdf5(path)
        if suffix == ".json":
            return cls.from_naslib_json(path)
        raise ValueError(f"cannot tell the format of {path}: expected .tfrecord, .hdf5/.h5 or .json")

    @classmethod
    def from_tfrecord(cls, path: str | Path, progress: bool = False, verify_data_crc: bool = False):
        """Stream the official ``nasbench_full.tfrecord`` or ``nasbench_only108.tfrecord``.

        Rows keep the order in which hashes first appear in the file, and runs of a cell at
        one budget fill seeds 0, 1, 2 in file order: the order of the official API.
        """
        from anb.nb101.tfrecord import iter_nb101

        path = Path(path)
        table = _TableBuilder()
        with open(path, "rb") as handle, _ByteProgress(path, progress) as bar:
            for record in iter_nb101(handle, verify_data_crc):
                table.add(record)
                bar.update(handle.tell() - bar.n)
        return table.build(source=str(path))

    @classmethod
    def from_hdf5(cls, path: str | Path) -> NASBench101Dataset:
        """Read the HDF5 layout of the neural-predictor reproduction (needs ``h5py``)."""
        from anb.nb101.hdf5 import read_hdf5

        return read_hdf5(path)

    def to_hdf5(self, path: str | Path) -> Path:
        """Write the neural-predictor HDF5 layout (needs ``h5py``)."""
        from anb.nb101.hdf5 import write_hdf5

        return write_hdf5(self, path)

    @classmethod
    def from_naslib_json(cls, path: str | Path | None = None) -> NASBench101Dataset:
        """NASLib's NAS-Bench-101 sample (default: ``naslib_zc_nasbench101_500.json`` in :func:`data_dir`).

        Keys are unpruned 7-vertex specs; they are pruned and hashed here. Each entry is one
        run at 108 epochs, stored as seed 0 with the validation accuracy (a fraction) only;
        NASLib's ``params`` (millions) become ``parameters``. Isomorphic duplicates stay
        separate rows, as in the file.
        """
        path = Path(path) if path is not None else data_dir() / NASLIB_FILE
        with open(path) as handle:
            content = json.load(handle)
        try:
            entries = content["nasbench101"]["cifar10"]
        except (KeyError, TypeError):
            raise ValueError(f"{path}: expected NASLib's {{'nasbench101': {{'cifar10': {{...}}}}}} layout") from None
        cells, parameters, accuracy = [], [], []
        for key, value in entries.items():
            cells.append(naslib_cell(key))
            parameters.append(round(float(value["params"]) * 1e6))
            accuracy.append(float(value["val_accuracy"]) / 100.0)
        adjacency, labels = cells_to_arrays(cells)
        metrics = np.full((len(cells), *METRICS_SHAPE), np.nan, dtype=np.float32)
        metrics[:, EPOCHS.index(108), 0, POINTS.index("final"), QUANTITIES.index("validation_accuracy")] = accuracy
        hashes = [cell.module_hash() for cell in cells]
        return cls(hashes, adjacency, labels, parameters, metrics, source=str(path))

    @classmethod
    def from_official_records(cls, records: dict | str | Path) -> NASBench101Dataset:
        """Records keyed by hash in the official API's layout (``module_adjacency``,
        ``module_operations``, ``trainable_parameters``, ``computed_stats[epochs][run]``)."""
        if not isinstance(records, dict):
            with open(records) as handle:
                records = json.load(handle)
        table = _TableBuilder()
        for module_hash, record in records.items():
            row = table.row(
                module_hash,
                np.asarray(record["module_adjacency"]),
                record["module_operations"],
                record["trainable_parameters"],
            )
            for epochs, runs in record["computed_stats"].items():
                for run in runs:
                    table.add_run(
                        row,
                        int(epochs),
                        [run[f"halfway_{q}"] for q in QUANTITIES],
                        [run[f"final_{q}"] for q in QUANTITIES],
                    )
        return table.build(source="official records")


def naslib_cell(key: str) -> Cell:
    """The cell of a NASLib key: 49 adjacency entries then 7 NASLib op codes (unpruned spec)."""
    try:
        values = [int(x) for x in key.strip("()").split(",")]
    except ValueError:
        raise ValueError(f"NASLib key {key!r} is not a tuple of integers") from None
    if len(values) != NASLIB_KEY_LENGTH:
        raise ValueError(f"NASLib key has {len(values)} values; expected 49 adjacency entries and 7 op codes")
    n2 = MAX_VERTICES * MAX_VERTICES
    unknown = [c for c in values[n2:] if c not in NASLIB_OPS]
    if unknown:
        raise ValueError(f"NASLib key {key!r}: unknown op code {unknown[0]}; known codes are {NASLIB_OPS}")
    matrix = np.array(values[:n2]).reshape(MAX_VERTICES, MAX_VERTICES)
    return Cell(matrix, [NASLIB_OPS[c] for c in values[n2:]])


class _ByteProgress:
    """A tqdm bar over the bytes of a file, or a no-op stand-in."""

    def __init__(self, path: Path, enabled: bool):
        self.n = 0
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name)

    def update(self, amount: int) -> None:
        self.n += amount
        if self._bar is not None:
            self._bar.update(amount)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()


class _TableBuilder:
    """Collects runs into growing arrays, one row per hash, without holding the records."""

    def __init__(self, capacity: int = 1024):
        self._rows: dict[str, int] = {}
        self._hashes: list[str] = []
        self._adjacency = np.zeros((capacity, MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        self._labels = np.full((capacity, MAX_VERTICES), PAD_LABEL, dtype=np.int8)
        self._parameters = np.zeros(capacity, dtype=np.int64)
        self._metrics = np.full((capacity, *METRICS_SHAPE), np.nan, dtype=np.float32)
        self._runs = np.zeros((capacity, len(EPOCHS)), dtype=np.int8)

    def _grow(self) -> None:
        # Doubling keeps appends amortised O(1) for the 423,624 cells of the full file.
        for name in ("_adjacency", "_labels", "_parameters", "_metrics", "_runs"):
            array = getattr(self, name)
            fill = PAD_LABEL if name == "_labels" else (np.nan if name == "_metrics" else 0)
            extra = np.full_like(array, fill)
            setattr(self, name, np.concatenate([array, extra]))

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
        self._labels[index, :n] = _labels_of(ops, f"cell {module_hash}")
        self._parameters[index] = parameters
        return index

    def add_run(self, index: int, epochs: int, halfway, final) -> None:
        e = _epoch_index(epochs)
        seed = self._runs[index, e]
        if seed >= N_SEEDS:
            raise ValueError(f"cell {self._hashes[index]} has more than {N_SEEDS} runs at {epochs} epochs")
        self._metrics[index, e, seed] = (halfway, final)
        self._runs[index, e] += 1

    def add(self, record) -> None:
        """Add one :class:`anb.nb101.tfrecord.NB101Record`."""
        index = self.row(
            record.module_hash, record.adjacency, record.operations, record.metrics["trainable_parameters"]
        )
        self.add_run(
            index,
            record.epochs,
            [record.halfway[q] for q in QUANTITIES],
            [record.final[q] for q in QUANTITIES],
        )

    def build(self, source: str) -> NASBench101Dataset:
        n = len(self._hashes)
        return NASBench101Dataset(
            self._hashes,
            self._adjacency[:n],
            self._labels[:n],
            self._parameters[:n],
            self._metrics[:n],
            source=source,
        )
