"""The named training splits of the neural-predictor work (Wen et al.; its PyTorch reproduction).

* ``172``, ``334``, ``860``: random samples of that many cells. One ``RandomState(seed)``
  draws a fresh permutation for each size in that order, so with seed 0 and the rows in
  the official API's hash order (as :meth:`NASBench101Dataset.from_tfrecord` keeps them)
  these are the reproduction's ``train.npz`` samples.
* ``91-172``, ``91-334``, ``91-860``: the cells of that random sample whose seed-0
  validation accuracy at 108 epochs is at least 91%.
* ``denoise-91``, ``denoise-80``: every cell with seed-0 validation accuracy >= 91% / 80%
  (the reproduction filters out the diverged runs this way).
* ``all``: every cell.

Indices are returned sorted.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from anb.nb101.data import NASBench101Dataset

RANDOM_SIZES = (172, 334, 860)
THRESHOLDS = {"91": 0.91, "80": 0.80}
SPLIT_NAMES = (
    *(str(n) for n in RANDOM_SIZES),
    *(f"91-{n}" for n in RANDOM_SIZES),
    "denoise-91",
    "denoise-80",
    "all",
)


def _random_sample(n_cells: int, size: int, seed: int) -> np.ndarray:
    if n_cells < size:
        raise ValueError(f"split '{size}' samples {size} cells but the dataset has only {n_cells}")
    # Legacy RandomState and one permutation per size, drawn in order: the reproduction's
    # recipe, so the samples coincide with its published splits.
    rng = np.random.RandomState(seed)
    for drawn in RANDOM_SIZES:
        sample = rng.permutation(n_cells)[:drawn]
        if drawn == size:
            return np.sort(sample)
    raise AssertionError(size)  # sizes come from RANDOM_SIZES


def split_indices(dataset: NASBench101Dataset, name: str, seed: int = 0) -> np.ndarray:
    """Sorted row indices of the named split (``SPLIT_NAMES``); ``seed`` drives the random ones."""
    if name not in SPLIT_NAMES:
        raise ValueError(f"unknown split {name!r}; known splits are {list(SPLIT_NAMES)}")
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    n_cells = len(dataset)
    if name == "all":
        return np.arange(n_cells)
    accuracy = dataset.accuracy("validation", epochs=108, point="final", seed=0)
    if name.startswith("denoise-"):
        # NaN (no seed-0 run) compares False: such cells are never in a denoised split.
        return np.flatnonzero(accuracy >= THRESHOLDS[name.split("-")[1]])
    if name.startswith("91-"):
        sample = _random_sample(n_cells, int(name.split("-")[1]), seed)
        return sample[accuracy[sample] >= THRESHOLDS["91"]]
    return _random_sample(n_cells, int(name), seed)


def complement(indices, n_cells: int) -> np.ndarray:
    """Sorted indices of the cells not in ``indices`` (e.g. the test cells of a training split)."""
    mask = np.ones(n_cells, dtype=bool)
    mask[np.asarray(indices, dtype=np.int64)] = False
    return np.flatnonzero(mask)
