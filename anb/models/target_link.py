"""What a surrogate's own model fits: the target as measured, or what a log-linear trend leaves of it.

A device's latency is close to a power law in the network's cost counts (MACs per block and per
operation type, activation traffic, layer counts), and its throughput close to the inverse of one.
Trees approximate such a smooth trend with thousands of splits. The ``log_linear`` link fits it
first, in closed form: a ridge regression of ``log(y)`` on the features, with every column that was
non-negative in training (counts, and the encoded choices in [0, 1]) entering as ``log1p``. The
model then fits the residual ``log(y) - trend``, and a prediction is ``exp(trend + model)``.

On the published split's validation side (xgb, each target's config tuned without it, 3 seeds)
it raised Kendall tau on six device targets: a100 0.984 -> 0.995, 3090 0.985 -> 0.990, zcu102
throughput 0.972 -> 0.980 and latency 0.981 -> 0.985, vck190 latency 0.975 -> 0.980, tpuv2
0.964 -> 0.969. On vck190 throughput and tpuv3 it fell, because their configs' L1 penalty was
tuned for the raw scale and leaves the small log residual almost no splits: whether a target
uses the link is a tuned choice (``param:target_link`` in its model config). The trend costs one
dot product per row: 46 multiply-adds next to thousands of split comparisons. At query time it
is computed in the portable arithmetic of :mod:`anb.models.portable_math` (fixed order, no
CPU-dependent ``exp``/``log1p``), so a shipped surrogate answers the same bits on every CPU.
"""

from __future__ import annotations

import numpy as np

from anb.models import portable

LINK_PARAM = "target_link"
IDENTITY = "identity"
LINKS = (IDENTITY, "log_linear")
RIDGE_ALPHAS = np.logspace(-3, 3, 13)


def check_link(name: str) -> str:
    if name not in LINKS:
        raise ValueError(f"unknown {LINK_PARAM} {name!r}; available: {', '.join(LINKS)}")
    return name


class LogLinearLink:
    """``log(y) ~ coef . phi(X) + intercept``, ``phi`` taking ``log1p`` of the columns non-negative in training."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogLinearLink:
        from sklearn.linear_model import RidgeCV

        log_y = _log_of_positive(y)
        self.log_columns_ = (X >= 0).all(axis=0)
        phi = self._phi(X)
        # Standardised for the ridge penalty, then folded back so that prediction is one dot product.
        centre, scale = phi.mean(axis=0), phi.std(axis=0)
        scale[scale == 0] = 1.0
        ridge = RidgeCV(alphas=RIDGE_ALPHAS).fit((phi - centre) / scale, log_y)
        self.coef_ = ridge.coef_ / scale
        self.intercept_ = float(ridge.intercept_ - self.coef_ @ centre)
        return self

    def _phi(self, X: np.ndarray) -> np.ndarray:
        # A count column is never negative; clipping keeps a stray query value from becoming NaN.
        return np.where(self.log_columns_, np.log1p(np.maximum(X, 0.0)), X)

    def trend(self, X: np.ndarray) -> np.ndarray:
        # The fitting side (the residual the trees learn): numpy, as the shipped release was built
        # with, so that a rebuild reproduces it; a query's trend is the portable one (inverse).
        return self._phi(X) @ self.coef_ + self.intercept_

    def residual(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """What the model fits in place of ``y`` (training or validation targets)."""
        return _log_of_positive(y) - self.trend(X)

    def inverse(self, X: np.ndarray, model_output: np.ndarray) -> np.ndarray:
        """The prediction in the target's units from the model's output: ``exp(trend + output)``
        in the portable arithmetic of :mod:`anb.models.portable_math` (the same bits on every CPU)."""
        outputs = np.array(model_output, dtype=np.float64, ndmin=2)
        _inverse_members(outputs, X, [self])
        return outputs[0]

    def state(self) -> dict:
        return {"log_columns": self.log_columns_.tolist(), "coef": self.coef_.tolist(), "intercept": self.intercept_}

    @classmethod
    def from_state(cls, state: dict) -> LogLinearLink:
        link = cls()
        link.log_columns_ = np.asarray(state["log_columns"], dtype=bool)
        link.coef_ = np.asarray(state["coef"], dtype=np.float64)
        link.intercept_ = float(state["intercept"])
        return link


def _log_of_positive(y: np.ndarray) -> np.ndarray:
    if (y <= 0).any():
        raise ValueError(f"{LINK_PARAM}='log_linear' needs a positive target; the smallest value is {y.min():g}")
    return np.log(y)


def inverse_all(links: list[LogLinearLink | None], X: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Every member's prediction from its model's output (rows of ``outputs``), in place.

    Members of one ensemble were fitted on the same columns, so their links share one ``phi(X)``
    and one pass over the rows computes all their trends.
    """
    fitted = [i for i, link in enumerate(links) if link is not None]
    if not fitted:
        return outputs
    first = links[fitted[0]]
    if all(np.array_equal(links[i].log_columns_, first.log_columns_) for i in fitted):
        _inverse_members(outputs, X, [links[i] for i in fitted], fitted)
    else:
        for i in fitted:
            _inverse_members(outputs, X, [links[i]], [i])
    return outputs


def _inverse_members(outputs: np.ndarray, X: np.ndarray, links: list[LogLinearLink], rows=(0,)) -> None:
    """``outputs[rows[k]] = exp(trend_k + outputs[rows[k]])`` for the links (sharing their ``log1p`` columns)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    functions = portable.functions(X.size + len(links) * len(X))
    functions.inverse_links(outputs, X, np.asarray(rows, dtype=np.int64),
                            np.ascontiguousarray([link.coef_ for link in links], dtype=np.float64),
                            np.array([link.intercept_ for link in links], dtype=np.float64),
                            np.ascontiguousarray(links[0].log_columns_, dtype=np.bool_))
