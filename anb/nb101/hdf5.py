"""The HDF5 layout of the neural-predictor reproduction, and the tfrecord -> HDF5 converter.

Datasets of the file (N cells, in the order the official API iterates its hashes):

==========================  ==================  ===============================================
``hash``                    (N,) bytes ``S32``  official module hash
``num_vertices``            (N,) int8           vertices of the pruned cell
``trainable_parameters``    (N,) int32
``adjacency``               (N, 7, 7) int8      pruned matrix in the top-left block, zeros after
``operations``              (N, 7) int8         input -1, output -2, conv3x3 0, conv1x1 1,
                                                maxpool 2; padded with 0 after ``num_vertices``
``metrics``                 (N, 4, 3, 2, 4)     float32; epochs (4, 12, 36, 108) x run x
                                                (halfway, final) x (training time, train,
                                                validation, test accuracy)
==========================  ==================  ===============================================

Runs the source lacks (all but 108 epochs when converting ``nasbench_only108``) are NaN.
``h5py`` is an optional dependency (``pip install .[nb101]``), imported on use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anb.data.atomic import replace_atomically
from anb.nb101.layout import METRICS_SHAPE
from anb.nb101.readers import file_format, read_tfrecord
from configurationspaces.nasbench101 import MAX_VERTICES, PAD_LABEL

HASH_DTYPE = "S32"
DATASETS = ("hash", "num_vertices", "trainable_parameters", "adjacency", "operations", "metrics")
# Padding value of the file's ``operations``: 0 (also conv3x3's code; num_vertices tells them apart).
FILE_PAD = 0


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading or writing NAS-Bench-101 HDF5 needs h5py: pip install 'anb[nb101]'") from None
    return h5py


def write_hdf5(columns: dict, path: str | Path) -> Path:
    """Write table columns (a dict, or a dataset's ``columns()``) to ``path``, atomically."""
    h5py = _h5py()
    path = Path(path)
    labels = np.asarray(columns["labels"])
    n = np.count_nonzero(labels != PAD_LABEL, axis=1)
    operations = np.where(labels == PAD_LABEL, FILE_PAD, labels).astype(np.int8)
    hashes = np.char.encode(np.asarray(columns["hashes"], dtype=str), "ascii").astype(HASH_DTYPE)

    def write(staging: Path) -> None:
        with h5py.File(staging, "w") as handle:
            handle.create_dataset("hash", data=hashes)
            handle.create_dataset("num_vertices", data=n.astype(np.int8))
            handle.create_dataset("trainable_parameters", data=np.asarray(columns["parameters"]).astype(np.int32))
            handle.create_dataset("adjacency", data=np.asarray(columns["adjacency"]).astype(np.int8))
            handle.create_dataset("operations", data=operations)
            handle.create_dataset("metrics", data=np.asarray(columns["metrics"]).astype(np.float32))
    return replace_atomically(path, write)


def read_hdf5(path: str | Path) -> dict:
    """Table columns of a neural-predictor HDF5 file."""
    h5py = _h5py()
    path = Path(path)
    if file_format(path) != "hdf5":
        raise ValueError(f"{path} is not an HDF5 file (it does not start with the HDF5 signature)")
    try:
        with h5py.File(path, "r") as handle:
            missing = set(DATASETS) - set(handle)
            if missing:
                raise ValueError(f"{path} is not a NAS-Bench-101 HDF5: missing datasets {sorted(missing)}")
            hashes, num_vertices, parameters, adjacency, operations, metrics = (handle[d][()] for d in DATASETS)
    except OSError as err:
        raise ValueError(f"cannot read {path} as HDF5: {err}") from None
    if metrics.shape[1:] != METRICS_SHAPE:
        shape = ", ".join(map(str, METRICS_SHAPE))
        raise ValueError(f"{path}: metrics have shape {metrics.shape}; expected (N, {shape})")
    num_vertices = num_vertices.astype(np.int64)
    if num_vertices.size and not ((num_vertices >= 2) & (num_vertices <= MAX_VERTICES)).all():
        raise ValueError(f"{path}: num_vertices must lie in [2, {MAX_VERTICES}]")
    labels = np.where(np.arange(MAX_VERTICES) < num_vertices[:, None], operations, PAD_LABEL)
    return {
        "hashes": np.char.decode(hashes, "ascii"),
        "adjacency": adjacency,
        "labels": labels,
        "parameters": parameters,
        "metrics": metrics,
        "source": str(path),
    }


def convert_tfrecord_to_hdf5(
    tfrecord: str | Path, hdf5: str | Path, progress: bool = True, verify_data_crc: bool = False
) -> int:
    """Convert an official tfrecord to the HDF5 layout without TensorFlow; returns the cells written.

    The file is streamed record by record (a progress bar counts its bytes) into compact
    arrays, about 170 MB for the 423,624 cells of the full file, which are written at the end:
    a cell's runs may be spread over the whole file, so no row is complete before then.
    """
    _h5py()  # fail before reading gigabytes
    found = file_format(tfrecord)  # an empty file is refused here as every reader refuses it
    if found != "tfrecord":
        raise ValueError(f"{tfrecord} is a {found} file, not a TFRecord; convert reads the official .tfrecord")
    columns = read_tfrecord(tfrecord, progress=progress, verify_data_crc=verify_data_crc)
    write_hdf5(columns, hdf5)
    return len(columns["hashes"])
