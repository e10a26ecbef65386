"""Regression and ranking metrics of a surrogate's predictions."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

METRIC_NAMES = (
    "mae", "mse", "rmse", "r2", "kendall_tau", "kendall_tau_2_dec", "kendall_tau_1_dec", "spearmanr"
)


def evaluate_metrics(y_true, y_pred) -> dict[str, float]:
    """MAE, MSE, RMSE, R², Kendall τ (also on values rounded to 2 and 1 decimals) and Spearman ρ.

    The rounded τ variants follow NAS-Bench-301: measurements differ by noise in the last
    digits, so ties at a coarser resolution are a fairer test of ranking.

    Parameters
    ----------
    y_true : array_like
        The measured values; flattened.
    y_pred : array_like
        The predictions, as many as `y_true`; flattened.

    Returns
    -------
    dict of str to float
        `mae`, `mse`, `rmse`, `r2`, `kendall_tau`, `kendall_tau_2_dec`, `kendall_tau_1_dec`
        and `spearmanr`.

    Raises
    ------
    ValueError
        When `y_true` and `y_pred` differ in size, hold fewer than 2 values, or hold a NaN or
        an infinity.

    Examples
    --------
    ```python
    from anb import evaluate_metrics
    evaluate_metrics([70.1, 71.3, 72.0], [70.4, 71.0, 72.2])["kendall_tau"]   # 1.0
    ```
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    if y_true.size < 2:
        raise ValueError(f"need at least 2 values to evaluate; got {y_true.size}")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("y_true and y_pred must be finite (no NaN or inf)")
    mse = mean_squared_error(y_true, y_pred)
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "r2": float(r2_score(y_true, y_pred)),
        "kendall_tau": float(stats.kendalltau(y_true, y_pred).statistic),
        "kendall_tau_2_dec": float(stats.kendalltau(np.round(y_true, 2), np.round(y_pred, 2)).statistic),
        "kendall_tau_1_dec": float(stats.kendalltau(np.round(y_true, 1), np.round(y_pred, 1)).statistic),
        "spearmanr": float(stats.spearmanr(y_true, y_pred).statistic),
    }
