"""What a search optimises: surrogate targets with a direction, and the analytic cost terms.

An `Objective` wraps one `anb.ANBEnsemble` (accuracy, or one metric of one device)
and knows whether larger is better: accuracy and throughput are maximised, latency minimised.
Search code works on a *score*, the value with its sign flipped when smaller is better, so every
algorithm maximises.

Everything takes and returns the encoded `(n, 28)` matrix of choice indices: one query of
the ensemble per batch of architectures, never one per architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anb.surrogates.ensemble import ANBEnsemble
from configurationspaces.efficientnet_cost import architecture_cost
from configurationspaces.efficientnet_encoding import block_values, default_layout

# Device metrics where a smaller value is better. Any other metric (throughput, and whatever a
# plugin declares in images/s or similar) is maximised.
LOWER_IS_BETTER = frozenset({"latency"})
LOWER_IS_BETTER_UNITS = frozenset({"ms", "s", "us", "µs", "ns", "j", "mj", "w", "mw"})


def metric_is_maximised(metric: str | None, unit: str | None = None) -> bool:
    """Accuracy (``metric=None``) and throughput: True; latency (or a time/energy unit): False."""
    if metric is None:
        return True
    if str(metric).lower() in LOWER_IS_BETTER:
        return False
    return not (unit is not None and str(unit).lower() in LOWER_IS_BETTER_UNITS)


@dataclass
class Objective:
    """One surrogate target to optimise, and which way is better.

    An objective wraps one [`ANBEnsemble`][anb.ANBEnsemble] (accuracy, or one metric of one
    device). Search code works on a *score*, the value with its sign flipped when smaller is
    better, so every algorithm maximises. Everything takes and returns the encoded `(n, 28)`
    matrix of choice indices: one query of the ensemble per batch of architectures, never one
    per architecture. [`make_objective`][anb.search.make_objective] makes one.

    Attributes
    ----------
    ensemble : ANBEnsemble
        The ensemble queried, loaded.
    maximize : bool, default True
        Whether larger is better: `True` for accuracy and throughput, `False` for latency.
    name : str, default ""
        The objective's name in a search's log; empty takes the target's label (`"accuracy"`,
        `"zcu102/latency"`).
    """

    ensemble: ANBEnsemble
    maximize: bool = True
    name: str = field(default="")

    def __post_init__(self):
        if not self.name:
            self.name = self.ensemble.target.label

    @classmethod
    def from_ensemble(cls, ensemble: ANBEnsemble) -> Objective:
        """The objective of an ensemble, in its metric's direction.

        Parameters
        ----------
        ensemble : ANBEnsemble
            The ensemble (loaded).

        Returns
        -------
        Objective
            Maximised for accuracy and throughput, minimised for latency (or a time or energy
            unit).
        """
        target = ensemble.target
        return cls(ensemble, metric_is_maximised(target.metric, target.unit if target.device else None))

    @property
    def unit(self) -> str:
        """The target's unit: `"%"`, `"images/s"`, `"ms"`."""
        return self.ensemble.target.unit

    @property
    def label(self) -> str:
        """For axes: `accuracy (%)`, `zcu102 latency (ms)`."""
        target = self.ensemble.target
        what = "accuracy" if target.device is None else f"{target.device} {target.metric}"
        return f"{what} ({self.unit})"

    @property
    def direction(self) -> str:
        """`"max"` or `"min"`."""
        return "max" if self.maximize else "min"

    def predict(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ensemble's mean and std on an encoded batch (one call for the whole batch).

        Parameters
        ----------
        encoded : numpy.ndarray
            An `(n, 28)` encoded batch.

        Returns
        -------
        mean : numpy.ndarray
            Shape `(n,)`, in the objective's unit.
        std : numpy.ndarray
            Shape `(n,)`: the calibrated predictive std.
        """
        encoded = np.asarray(encoded, dtype=np.float64)
        if len(encoded) == 0:
            return np.empty(0), np.empty(0)
        return self.ensemble.query(encoded)

    def score(self, values) -> np.ndarray:
        """Values turned into "larger is better".

        Parameters
        ----------
        values : array_like
            Values in the objective's unit.

        Returns
        -------
        numpy.ndarray
            The values, negated when the objective is minimised.
        """
        values = np.asarray(values, dtype=np.float64)
        return values if self.maximize else -values

    def unscore(self, scores) -> np.ndarray:
        """Scores turned back into values: the inverse of [`score`][anb.search.Objective.score].

        Parameters
        ----------
        scores : array_like
            Scores (larger is better).

        Returns
        -------
        numpy.ndarray
            The values in the objective's unit.
        """
        return self.score(scores)  # the sign flip is its own inverse

    def __repr__(self) -> str:
        return f"Objective({self.name!r}, {self.direction})"


def make_objective(device: str | None = None, metric: str | None = None, model: str = "xgb",
                   ensemble: ANBEnsemble | None = None, **ensemble_kwargs) -> Objective:
    """An objective for accuracy (no `device`) or a device metric, or around a given ensemble.

    Parameters
    ----------
    device : str or None, default None
        A device's name; `None` is accuracy.
    metric : str or None, default None
        The device's metric (`"throughput"`, `"latency"`); `None` takes its only one.
    model : str, default "xgb"
        The model family of the ensemble.
    ensemble : ANBEnsemble or None, default None
        An ensemble to reuse (loaded here if it is not yet); `device`, `metric`, `model` and
        `ensemble_kwargs` are then ignored.
    **ensemble_kwargs
        Go to [`ANBEnsemble`][anb.ANBEnsemble] (`n_members`, `cache_dir`, `progress`...);
        `progress` defaults to `False` here.

    Returns
    -------
    Objective
        Maximised for accuracy and throughput, minimised for latency.

    Raises
    ------
    ValueError
        For an unknown model, device or metric, naming the ones there are.

    Examples
    --------
    ```python
    from anb.search import make_objective
    accuracy = make_objective()                       # ImageNet top-1, maximised
    latency = make_objective("zcu102", "latency")     # minimised
    ```
    """
    if ensemble is None:
        ensemble_kwargs.setdefault("progress", False)
        ensemble = ANBEnsemble(model, device=device, metric=metric, **ensemble_kwargs)
    return Objective.from_ensemble(ensemble.load_ensemble())


def accuracy_objective(model: str = "xgb", **ensemble_kwargs) -> Objective:
    return make_objective(None, None, model, **ensemble_kwargs)


def device_objective(device: str, metric: str | None = None, model: str = "xgb", **ensemble_kwargs) -> Objective:
    return make_objective(device, metric, model, **ensemble_kwargs)


# --- analytic cost ---------------------------------------------------------------------------

COST_TERMS = ("macs", "params")  # millions, from the exact analytic model


def architecture_costs(encoded: np.ndarray) -> dict[str, np.ndarray]:
    """MACs and parameters (millions) of an encoded batch, exact and free (no surrogate)."""
    encoded = np.asarray(encoded, dtype=np.float64)
    if len(encoded) == 0:
        return {name: np.empty(0) for name in COST_TERMS}
    values = block_values(encoded)
    macs, params = architecture_cost(values["e"], values["k"], values["l"], values["se"])
    return {"macs": np.asarray(macs, dtype=np.float64), "params": np.asarray(params, dtype=np.float64)}


def block_lists(encoded: np.ndarray) -> list[list[list]]:
    """The readable ``[[e x7], [k x7], [l x7], [se x7]]`` form of each row (``ANBEnsemble`` takes it)."""
    encoded = np.asarray(encoded, dtype=np.float64)
    if len(encoded) == 0:
        return []
    values = block_values(encoded, default_layout())
    e, k, l, se = (values[f].tolist() for f in ("e", "k", "l", "se"))
    return [[e[i], k[i], l[i], [bool(v) for v in se[i]]] for i in range(len(encoded))]
