"""Checks of integer arguments (counts, seeds) and finite numbers, shared by the search space and
by ``anb``.

They live here, below ``anb``, because the search space takes seeds and counts too and must
not import ``anb``, and because every package of ``anb`` may use them (the query path's std
calibration in ``anb.models`` too). ``bool`` is never taken for an integer (``True`` is not a count of 1).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def _range(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:,} to {maximum:,}"
    if minimum is not None:
        return f" >= {minimum:,}"
    return "" if maximum is None else f" <= {maximum:,}"


def is_integer(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def is_finite_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)


def check_finite_number(value, name: str) -> float:
    """A finite number (not a bool, not a string)."""
    if not is_finite_number(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not a bool) within ``[minimum, maximum]``; ``ValueError`` names ``name``."""
    if not is_integer(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer{_range(minimum, maximum)}; got {value!r}")
    return int(value)


def check_seed(value, name: str = "seed") -> int | None:
    """``None`` or a non-negative integer (what ``numpy.random.default_rng`` takes)."""
    if value is not None and (not is_integer(value) or value < 0):
        raise ValueError(f"{name} must be None or a non-negative integer; got {value!r}")
    return None if value is None else int(value)
