"""Regret: how far a search's incumbent is from the best architecture there is.

Tabular benchmarks report it because they can enumerate their spaces; anb can because
:mod:`anb.optimum` finds the exact optimum of an ensemble's mean (for a constrained problem,
the exact optimum under the same constraint). ``regret`` is the optimum minus the incumbent's
value for a maximised objective and the incumbent's value minus the optimum for a minimised one:
never negative, 0 once the search has found the optimum, NaN before its first feasible query.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# An incumbent may beat a given optimum by this much (relative) before the optimum is called
# wrong: the trajectory and the optimum may come from differently batched queries.
TOLERANCE = 1e-9


def check_optimum(optimum) -> float | None:
    """None, or a finite number (checked before a search spends its queries)."""
    if optimum is None:
        return None
    if isinstance(optimum, bool) or not isinstance(optimum, (int, float, np.floating, np.integer)) \
            or not np.isfinite(optimum):
        raise ValueError(f"optimum must be a finite number (the objective's optimum, in its units); got {optimum!r}")
    return float(optimum)


def add_regret(trajectory: pd.DataFrame, optimum: float) -> pd.DataFrame:
    """``trajectory`` with a ``regret`` column against ``optimum`` (in the objective's units)."""
    optimum = check_optimum(optimum)
    if optimum is None:
        raise ValueError("optimum must be a finite number (the objective's optimum, in its units); got None")
    maximize = trajectory.attrs["directions"][0] == "max"
    # A noisy search's incumbent is judged by its ensemble mean, as the optimum is.
    column = "incumbent_mean" if "incumbent_mean" in trajectory else "best"
    best = trajectory[column].to_numpy(dtype=np.float64)
    regret = optimum - best if maximize else best - optimum
    beaten = regret < -TOLERANCE * max(abs(float(optimum)), 1.0)
    if beaten.any():
        raise ValueError(f"the trajectory's incumbent {best[np.argmax(beaten)]!r} is better than the given optimum "
                         f"{optimum!r}; the optimum must be the exact one of the same objective and constraints")
    trajectory["regret"] = np.maximum(regret, 0.0)
    trajectory.attrs["optimum"] = float(optimum)
    return trajectory
