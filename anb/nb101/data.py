"""One table of NAS-Bench-101 results, read from any of the formats it circulates in.

:class:`NASBench101Dataset` keeps one row per cell as the numpy columns described in
:mod:`anb.nb101.layout` (``hashes``, ``adjacency``, ``labels``, ``parameters`` and the
(N, 4, 3, 2, 4) ``metrics``). That is the layout of the neural-predictor HDF5, so it converts
to and from that file as it is; :meth:`NASBench101Dataset.to_frame` gives the long pandas table.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from anb.nb101.hdf5 import read_hdf5, write_hdf5
from anb.nb101.json_layouts import read_json_content, read_naslib
from anb.nb101.layout import EPOCHS, METRICS_SHAPE, N_SEEDS, POINTS, QUANTITIES, epoch_index
from anb.nb101.readers import file_format, read_json, read_json_file, read_tfrecord
from configurationspaces.nasbench101 import (
    LABEL_OPS,
    MAX_VERTICES,
    OP_LABELS,
    PAD_LABEL,
    Cell,
    arrays_to_cells,
    compact_padding,
)

ENV_DATA_DIR = "ANB_NB101_DATA_DIR"
NASLIB_FILE = "naslib_zc_nasbench101_500.json"
OFFICIAL_RECORDS_FILE = "nb101_official_records_30.json"
ONLY108_URL = "https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord"
# Looked for in data_dir(), in this order, when no file is named.
DEFAULT_FILES = (NASLIB_FILE, "nasbench.hdf5", "nasbench_only108.tfrecord", "nasbench_full.tfrecord")


def data_dir() -> Path:
    """``$ANB_NB101_DATA_DIR`` if set, else ``nb101/`` beside the Accel-NASBench data folder.

    That folder is ``anb.data.paths.data_dir()``, so the default is ``<anb cache>/nb101`` and, with
    ``ANB_DATA_DIR=<root>/anb``, ``<root>/nb101``: one data root holds both, side by side.
    """
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    from anb.data import paths

    # abspath, not resolve: ANB_DATA_DIR=. still has a parent, and a symlinked folder's
    # sibling is looked for where the user put the link, not where it points.
    return Path(os.path.abspath(paths.data_dir())).parent / "nb101"


def _no_data(directory: Path, wanted: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"no NAS-Bench-101 data in {directory} (looked for {wanted}). Download {ONLY108_URL} or NASLib's "
        f"{NASLIB_FILE} (automl/NASLib zero-cost data) into that folder, set {ENV_DATA_DIR} to the folder "
        "holding one, or name a file (--data FILE); see dataset/nasbench101.md"
    )


def default_data_file() -> Path:
    """The first of ``DEFAULT_FILES`` in :func:`data_dir`; says what to download when there is none."""
    directory = data_dir()
    for name in DEFAULT_FILES:
        if (directory / name).is_file():
            return directory / name
    raise _no_data(directory, ", ".join(DEFAULT_FILES))


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
        adjacency, labels = compact_padding(adjacency, labels)
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

    def columns(self) -> dict:
        """The table as the keyword arguments of the constructor (the arrays themselves)."""
        names = ("hashes", "adjacency", "labels", "parameters", "metrics", "source")
        return {name: getattr(self, name) for name in names}

    def subset(self, indices) -> NASBench101Dataset:
        """The rows at ``indices``, copied: changing the subset leaves this table as it is."""
        indices = np.asarray(indices)
        columns = {k: v if k == "source" else v[indices] for k, v in self.columns().items()}
        return NASBench101Dataset(**columns)

    def accuracy(self, kind: str = "validation", epochs: int = 108, point: str = "final", seed=None) -> np.ndarray:
        """(N,) accuracy of one kind (train/validation/test); ``seed=None`` averages the runs present."""
        quantity = f"{kind}_accuracy"
        if quantity not in QUANTITIES:
            raise ValueError(f"kind must be 'train', 'validation' or 'test'; got {kind!r}")
        if point not in POINTS:
            raise ValueError(f"point must be one of {POINTS}; got {point!r}")
        values = self.metrics[:, epoch_index(epochs), :, POINTS.index(point), QUANTITIES.index(quantity)]
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
        """Read a tfrecord, HDF5 or JSON file (any layout of :mod:`anb.nb101.json_layouts`), told by content."""
        readers = {
            "tfrecord": lambda: read_tfrecord(path, progress=progress),
            "hdf5": lambda: read_hdf5(path),
            "json": lambda: read_json(path),
        }
        return cls(**readers[file_format(path)]())

    @classmethod
    def from_tfrecord(cls, path: str | Path, progress: bool = False, verify_data_crc: bool = False):
        """Stream the official ``nasbench_full.tfrecord`` or ``nasbench_only108.tfrecord``.

        Rows keep the order in which hashes first appear in the file, and runs of a cell at
        one budget fill seeds 0, 1, 2 in file order: the order of the official API.
        """
        return cls(**read_tfrecord(path, progress=progress, verify_data_crc=verify_data_crc))

    @classmethod
    def from_hdf5(cls, path: str | Path) -> NASBench101Dataset:
        """Read the HDF5 layout of the neural-predictor reproduction (needs ``h5py``)."""
        return cls(**read_hdf5(path))

    def to_hdf5(self, path: str | Path) -> Path:
        """Write the neural-predictor HDF5 layout, atomically (needs ``h5py``)."""
        return write_hdf5(self.columns(), path)

    @classmethod
    def from_json(cls, path: str | Path) -> NASBench101Dataset:
        """Read a JSON file in any layout of :mod:`anb.nb101.json_layouts` (NASLib, columns, records)."""
        return cls(**read_json(path))

    @classmethod
    def from_columns(cls, columns: dict, source: str = "columns") -> NASBench101Dataset:
        """A table from parallel lists of one value per cell, e.g.
        ``{"adjacency": [...], "operations": [...], "108_final_validation_accuracy": [...]}``
        (field names and conventions: :mod:`anb.nb101.json_layouts`)."""
        if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
            raise ValueError(f"{source}: columns must be a dict of lists, one value per cell")
        return cls(**read_json_content(columns, source))

    @classmethod
    def from_naslib_json(cls, path: str | Path | None = None) -> NASBench101Dataset:
        """NASLib's NAS-Bench-101 sample (default: ``naslib_zc_nasbench101_500.json`` in :func:`data_dir`).

        Keys are unpruned 7-vertex specs; they are pruned and hashed here. Each entry is one
        run at 108 epochs, stored as seed 0 with the validation accuracy (a fraction) only;
        NASLib's ``params`` (millions) become ``parameters``. Isomorphic duplicates stay
        separate rows, as in the file.
        """
        if path is None:
            path = data_dir() / NASLIB_FILE
            if not path.is_file():
                raise _no_data(path.parent, NASLIB_FILE)
        content = read_json_file(path)
        if not isinstance(content, dict) or "nasbench101" not in content:
            raise ValueError(f"{path}: expected NASLib's {{'nasbench101': {{'cifar10': {{...}}}}}} layout")
        return cls(**read_naslib(content, str(path)))

    @classmethod
    def from_official_records(cls, records: dict | str | Path) -> NASBench101Dataset:
        """Records keyed by hash in the official API's layout (``module_adjacency``,
        ``module_operations``, ``trainable_parameters``, ``computed_stats[epochs][run]``)."""
        if isinstance(records, dict):
            return cls(**read_json_content(records, "official records"))
        return cls.from_json(records)
