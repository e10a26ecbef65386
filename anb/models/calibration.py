"""A predictive std for an ensemble: what a new measurement of an architecture scatters by.

The members' spread alone is no such std: on the test split the accuracy members disagree by
0.00-0.30 % where the mean misses by 0.31 % on average, and the throughput errors grow with the
throughput itself. :class:`SpreadCalibration` maps what is known at query time (the members'
spread and the predicted magnitude) to a predictive std, fitted on the validation side of the
build (held out from the members' training; never on the test side):

    log sigma_model(x) = w0 + w1 * log spread(x) + w2 * log |mean(x)|
    sigma(x)^2 = sigma_model(x)^2 + (rho * |mean(x)|)^2

``rho`` is the measurement noise relative to the measured value, the median of the recorded
per-measurement std over the measured value on the validation rows (the dataset records one for
the GPUs and TPUs; the FPGA boards record none, so there ``rho`` is 0). A recorded std belongs
to a row of the dataset, not to a new architecture, so it enters through this relative level.

The residuals are heavy-tailed (validation kurtosis 4 for accuracy, 6-15 for the device
targets), so ``w`` is fitted by maximum likelihood under a Student-t with :data:`DEGREES_OF_FREEDOM`
degrees of freedom rather than a Gaussian: a Gaussian fit lets a few large misses widen every
interval (on the FPGA targets it covers 0.77-0.81 of the test architectures within +-1 std). The std returned is the std of that Student-t (its scale times ``sqrt(df / (df - 2))``),
and :meth:`SpreadCalibration.sample` draws from it. The features are clipped to the range the
validation side covered, so an architecture unlike any measured one does not get an
extrapolated std.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from anb.models import portable
from configurationspaces.arguments import check_finite_number

# Student-t degrees of freedom of the predictive distribution. Fitted per target by maximum
# likelihood, the values spread from 3.4 to >1,000 (a flat likelihood), so one value serves
# every target: the one whose +-1 and +-2 std coverage on the validation sides of the nine
# built-in targets is nearest 0.683 and 0.954 (10-30 are within 0.002 of each other; 4 and
# 100 are worse). ``python benchmarks/uncertainty.py --df-sweep`` prints that choice.
DEGREES_OF_FREEDOM = 15.0
# The members' spread is floored at this quantile of its validation values: a single member or
# members that agree exactly must not get a log of zero.
SPREAD_FLOOR_QUANTILE = 0.05
# Fewer validation rows than this fit no calibration (the std is then the raw spread).
MIN_ROWS = 30
FEATURES = ("intercept", "log_spread", "log_abs_mean")
FORMAT = "student_t_log_linear"
TINY = np.finfo(np.float64).tiny  # floor of |mean| before its log


def _as_members(member_predictions) -> np.ndarray:
    predictions = np.asarray(member_predictions, dtype=np.float64)
    if predictions.ndim != 2 or predictions.shape[0] < 1:
        raise ValueError(f"member_predictions must be an (n_members, n) array; got shape {predictions.shape}")
    if not np.isfinite(predictions).all():
        raise ValueError("member_predictions must be finite (no NaN or inf)")
    return predictions


def _vector(values, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64).ravel()
    if out.shape != (n,):
        raise ValueError(f"{name} has {out.size} values; the member predictions have {n} columns")
    return out


class SpreadCalibration:
    """The predictive std of an ensemble from its members' predictions (see the module doc).

    ``fit(member_predictions, y, measurement_std=None)`` on the validation side;
    ``predict_std(member_predictions)`` at query time; ``to_dict``/``from_dict`` for the manifest.
    """

    def __init__(self, df: float = DEGREES_OF_FREEDOM):
        self.df = check_finite_number(df, "df")
        if self.df <= 2:
            raise ValueError(f"df must be > 2 (the Student-t has a finite std only then); got {df!r}")

    # -- features ------------------------------------------------------------------------------

    def _raw_features(self, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, [log spread, log |mean|])`` of member predictions, before clipping."""
        mean = predictions.mean(axis=0)
        return mean, np.column_stack([np.log(np.maximum(predictions.std(axis=0), self.spread_floor_)),
                                      np.log(np.maximum(np.abs(mean), TINY))])

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, member_predictions, y, measurement_std=None) -> SpreadCalibration:
        """Fit on held-out rows: members' predictions ``(n_members, n)``, measured ``y`` ``(n,)``,
        and optionally each measurement's own recorded std ``(n,)`` (NaN where none is recorded)."""
        predictions = _as_members(member_predictions)
        n = predictions.shape[1]
        y = _vector(y, n, "y")
        if n < MIN_ROWS:
            raise ValueError(f"a calibration needs at least {MIN_ROWS} held-out rows; got {n}")
        if not np.isfinite(y).all():
            raise ValueError("y must be finite (no NaN or inf)")
        self.measurement_rel_std_ = self._relative_noise(y, measurement_std, n)
        spread = predictions.std(axis=0)
        self.spread_floor_ = float(max(np.quantile(spread, SPREAD_FLOOR_QUANTILE), TINY))
        mean, raw = self._raw_features(predictions)
        self.lower_, self.upper_ = raw.min(axis=0), raw.max(axis=0)
        self.centre_ = raw.mean(axis=0)
        design = np.column_stack([np.ones(n), raw - self.centre_])
        residual = y - mean
        start = np.zeros(design.shape[1])
        start[0] = math.log(max(float(np.sqrt(np.mean(residual ** 2))), self.spread_floor_))
        result = optimize.minimize(self._negative_log_likelihood, start, args=(design, residual, mean), jac=True,
                                   method="L-BFGS-B")
        self.weights_ = result.x
        self.n_rows_ = n
        return self

    @classmethod
    def proportional(cls, relative_std: float, magnitude_range: tuple[float, float], n_rows: int,
                     df: float = DEGREES_OF_FREEDOM) -> SpreadCalibration:
        """A std of ``relative_std`` times the predicted magnitude, whatever the members' spread.

        For an ensemble without a validation side of its own (a few-shot device), from an error
        measured another way (there, cross-validated). ``magnitude_range`` bounds the magnitude
        the std follows, as the validation range does for a fitted calibration.
        """
        relative_std = check_finite_number(relative_std, "relative_std")
        low, high = (check_finite_number(v, "magnitude_range") for v in magnitude_range)
        if relative_std <= 0 or not 0 < low <= high:
            raise ValueError(f"need relative_std > 0 and 0 < low <= high; got {relative_std!r}, {magnitude_range!r}")
        calibration = cls(df)
        calibration.weights_ = np.array([math.log(relative_std), 0.0, 1.0])
        calibration.centre_ = np.zeros(2)
        calibration.lower_ = np.array([0.0, math.log(low)])
        calibration.upper_ = np.array([0.0, math.log(high)])
        calibration.spread_floor_ = float(TINY)
        calibration.measurement_rel_std_ = 0.0
        calibration.n_rows_ = int(n_rows)
        return calibration

    @staticmethod
    def _relative_noise(y: np.ndarray, measurement_std, n: int) -> float:
        if measurement_std is None:
            return 0.0
        recorded = _vector(measurement_std, n, "measurement_std")
        usable = np.isfinite(recorded) & (y != 0)
        if not usable.any():
            return 0.0
        return float(np.median(np.abs(recorded[usable] / y[usable])))

    def _negative_log_likelihood(self, weights: np.ndarray, design: np.ndarray, residual: np.ndarray,
                                 mean: np.ndarray) -> tuple[float, np.ndarray]:
        """Student-t negative log likelihood (up to a constant) and its gradient in ``weights``."""
        df = self.df
        # Bounded so that a wild step of the optimiser overflows nothing (exp(700) is finite).
        model_var = np.exp(np.clip(2 * design @ weights, -700.0, 700.0))
        variance = model_var + (self.measurement_rel_std_ * mean) ** 2
        scale_sq = variance * (df - 2) / df
        u = residual ** 2 / (df * scale_sq)
        value = np.sum(0.5 * np.log(scale_sq) + 0.5 * (df + 1) * np.log1p(u))
        d_variance = 0.5 / variance - 0.5 * (df + 1) * u / (variance * (1 + u))
        return float(value), design.T @ (d_variance * 2 * model_var)

    # -- prediction ----------------------------------------------------------------------------

    def predict_std(self, member_predictions) -> np.ndarray:
        """The predictive std of each column of ``(n_members, n)`` member predictions."""
        predictions = _as_members(member_predictions)
        return self.std_from_members(predictions, predictions.mean(axis=0))

    def std_from_members(self, predictions: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """:meth:`predict_std` without the checks, given the members' mean: the query path's, in
        as few numpy calls as the formula allows (on one architecture each costs a microsecond,
        far more than its arithmetic)."""
        w0, w1, w2 = self.weights_.tolist()
        (low_spread, low_mean), (high_spread, high_mean) = self.lower_.tolist(), self.upper_.tolist()
        centre_spread, centre_mean = self.centre_.tolist()
        deviation = predictions - mean
        # the members' std from the given mean: numpy's std costs 20 us on one architecture
        variance = (deviation * deviation).sum(axis=0) / len(predictions)
        # log and exp in portable arithmetic: numpy's differ in the last bit from one CPU to another
        functions = portable.functions(3 * len(mean))
        logs = functions.log_of(np.stack([np.maximum(variance, max(self.spread_floor_ ** 2, TINY)),
                                          np.maximum(np.abs(mean), TINY)]))
        log_spread, log_mean = 0.5 * logs[0], logs[1]
        log_sigma = ((w0 - w1 * centre_spread - w2 * centre_mean)
                     + w1 * np.minimum(np.maximum(log_spread, low_spread), high_spread)
                     + w2 * np.minimum(np.maximum(log_mean, low_mean), high_mean))
        if self.measurement_rel_std_ == 0:
            return functions.exp_of(log_sigma)
        return np.sqrt(functions.exp_of(2 * log_sigma) + (self.measurement_rel_std_ * mean) ** 2)

    def quantile(self, q) -> np.ndarray:
        """Quantiles of the predictive distribution in units of its std (mean 0, std 1)."""
        return stats.t.ppf(q, self.df) * math.sqrt((self.df - 2) / self.df)

    def coverage(self, k) -> np.ndarray:
        """The probability of landing within ``k`` std of the mean, as the distribution says."""
        return 2 * stats.t.cdf(np.asarray(k, dtype=np.float64) * math.sqrt(self.df / (self.df - 2)), self.df) - 1

    def sample(self, mean: np.ndarray, std: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One independent draw per row from the predictive distribution with that mean and std."""
        draws = rng.standard_t(self.df, size=np.shape(mean))
        return mean + std * math.sqrt((self.df - 2) / self.df) * draws

    # -- the manifest --------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain JSON numbers, for the ensemble's manifest."""
        return {
            "format": FORMAT,
            "df": self.df,
            "features": list(FEATURES),
            "weights": [float(w) for w in self.weights_],
            "centre": [float(c) for c in self.centre_],
            "lower": [float(v) for v in self.lower_],
            "upper": [float(v) for v in self.upper_],
            "spread_floor": self.spread_floor_,
            "measurement_rel_std": self.measurement_rel_std_,
            "n_rows": self.n_rows_,
        }

    @classmethod
    def from_dict(cls, record: dict) -> SpreadCalibration:
        """The calibration a manifest recorded; ``ValueError`` if it is not one this version reads."""
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} calibration: {record!r}")
        if record.get("features") != list(FEATURES):
            raise ValueError(f"the calibration's features are {record.get('features')}, expected {list(FEATURES)}")
        calibration = cls(record["df"])
        width = len(FEATURES) - 1
        calibration.weights_ = _finite(record["weights"], len(FEATURES), "weights")
        calibration.centre_ = _finite(record["centre"], width, "centre")
        calibration.lower_ = _finite(record["lower"], width, "lower")
        calibration.upper_ = _finite(record["upper"], width, "upper")
        calibration.spread_floor_ = check_finite_number(record["spread_floor"], "spread_floor")
        calibration.measurement_rel_std_ = check_finite_number(record["measurement_rel_std"], "measurement_rel_std")
        calibration.n_rows_ = int(record["n_rows"])
        return calibration


def _finite(values, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (n,) or not np.isfinite(out).all():
        raise ValueError(f"the calibration's {name} must be {n} finite numbers; got {values!r}")
    return out
