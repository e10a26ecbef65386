"""Fitted models held as named arrays (a frozen dataclass) and stored as ``.npz``, never a pickle.

numpy's ``.npz`` is a zip of ``.npy`` arrays, a documented format any numpy reads; loading with
``allow_pickle=False`` refuses object arrays, so a file can hold nothing but numbers and strings.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np


def save_arrays(model, path: str | Path) -> None:
    """Write every field of the dataclass ``model`` as an array of ``path``'s ``.npz``."""
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **{f.name: getattr(model, f.name) for f in fields(model)})


def load_arrays(cls, raw: bytes, what: str):
    """The ``cls`` :func:`save_arrays` wrote to ``raw``; ``ValueError`` naming ``what`` for anything else."""
    names = [f.name for f in fields(cls)]
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
            return cls(**{name: arrays[name] for name in names})
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError(f"not {what} saved by anb (an .npz of {', '.join(names)}): {exc}") from exc
