"""Robust statistics of a training sample's accuracies, and the floor that drops diverged cells.

A run that diverged leaves a cell at 10-80 % among cells at 90 +- 3 %. The median and the
median absolute deviation (MAD) do not move when a few such cells join a sample, where the
mean and the standard deviation do.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

AUTO = "auto"
# 1.4826 x MAD estimates the standard deviation of a normal sample, whatever its outliers.
MAD_TO_STD = 1.4826
# How far below the median (in robust standard deviations) the "auto" floor sits: about 70 %
# on NASLib's NAS-Bench-101 sample, whose real cells reach down to 73 %.
FENCE_DEVIATIONS = 5.0


def robust_centre_scale(y: np.ndarray) -> tuple[float, float]:
    """Median and robust standard deviation of ``y`` (the plain one, then 1, when the MAD is 0)."""
    centre = float(np.median(y))
    return centre, MAD_TO_STD * float(np.median(np.abs(y - centre))) or float(np.std(y)) or 1.0


def check_min_accuracy(min_train_accuracy):
    """``"auto"``, ``None`` or a fraction in (0, 1]; ValueError naming the value otherwise."""
    if min_train_accuracy is None or (isinstance(min_train_accuracy, str) and min_train_accuracy == AUTO):
        return min_train_accuracy
    if isinstance(min_train_accuracy, Real) and not isinstance(min_train_accuracy, bool):
        if 0 < min_train_accuracy <= 1:
            return float(min_train_accuracy)
    raise ValueError(
        f"min_train_accuracy must be {AUTO!r}, None or a fraction in (0, 1]; got {min_train_accuracy!r}"
    )


def accuracy_floor(y: np.ndarray, min_train_accuracy=AUTO) -> float:
    """The lowest training accuracy kept (``-inf`` keeps all).

    ``"auto"``: ``FENCE_DEVIATIONS`` robust standard deviations below the median of ``y``, a
    fence that moves with the data instead of assuming NAS-Bench-101's CIFAR-10 range; a
    number: that fraction; ``None``: keep every cell.
    """
    min_train_accuracy = check_min_accuracy(min_train_accuracy)
    if min_train_accuracy is None:
        return -np.inf
    if min_train_accuracy != AUTO:
        return min_train_accuracy
    centre, scale = robust_centre_scale(np.asarray(y, dtype=np.float64))
    return centre - FENCE_DEVIATIONS * scale
