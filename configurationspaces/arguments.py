"""Checks of integer arguments (counts, seeds) shared by the search space and by ``anb``.

They live here, below ``anb``, because the search space takes seeds and counts too and must
not import ``anb``. ``bool`` is never taken for an integer (``True`` is not a count of 1).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np


def _range(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:,} to {maximum:,}"
    if minimum is not None:
        return f" >= {minimum:,}"
    return "" if maximum is None else f" <= {maximum:,}"


def is_integer(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


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
