"""``exp``, ``log`` and ``log1p`` in plain IEEE-754 arithmetic, so that a query's last steps give the same bits on every CPU.

numpy chooses its ``exp``, ``log`` and ``log1p`` by the processor it runs on, and OpenBLAS its matrix
product kernel; the choices differ in the last bit. On this project's AVX-512 machine, holding numpy
and OpenBLAS below AVX-512 changed 4.6 % of ``exp`` values, 0.04 % of ``log``, 4.7 % of ``log1p``
and 15 % of the entries of a 5 x 46 matrix product, and so the shipped surrogates' answers
(``benchmarks/reproducibility.py``). The functions here use ``+ - * /``, ``frexp``/``ldexp`` and
polynomials of fixed order evaluated in a fixed order, which every IEEE-754 machine rounds alike
(neither Python nor numba without ``fastmath`` fuses a multiply and an add). They are within
about one unit in the last place of the C library's (tests/test_portable_math.py).

They are plain Python, so a process that has not loaded numba yet can answer its first few rows
with them; :mod:`anb.models.portable_kernel` compiles the same functions for everything else,
and the two give the same bits. :func:`anb.models.portable.functions` says which to call.
"""

from __future__ import annotations

import math

import numpy as np

# ln 2 split so that k * LN2_HI is exact for |k| < 2**20 (its low 32 bits are zero): Cody and Waite's reduction.
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00
SQRT_HALF = 0.70710678118654752440
# Beyond these, exp overflows to inf or underflows to 0.
EXP_MAX = 709.782712893384
EXP_MIN = -745.1332191019412
# 1/k! for k = 0..13: the Taylor polynomial of exp on |r| <= ln(2)/2 (truncation error < 1e-18).
EXP_TAYLOR = (1.0, 1.0, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880, 1 / 3628800,
              1 / 39916800, 1 / 479001600, 1 / 6227020800)


def exp(x: float) -> float:
    if x != x:
        return x
    if x > EXP_MAX:
        return math.inf
    if x < EXP_MIN:
        return 0.0
    k = math.floor(x * INV_LN2 + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    p = EXP_TAYLOR[13]
    for i in range(12, -1, -1):
        p = p * r + EXP_TAYLOR[i]
    return math.ldexp(p, int(k))


def log(x: float) -> float:
    """``log(x)`` for ``x > 0`` (``-inf`` at 0, NaN below); fdlibm's reduction ``log(1 + f) = f - (hfsq - s (hfsq + R))``
    with ``s = f / (2 + f)`` and ``R`` the series of ``2 atanh(s) / s - 2`` in ``s**2``."""
    if x != x or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x == math.inf:
        return x
    m, e = math.frexp(x)
    if m < SQRT_HALF:
        m, e = m * 2.0, e - 1
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    # 2/3 + 2z/5 + 2z^2/7 + ...: |s| < 0.172, so 12 terms leave < 1e-19.
    series = 2.0 / 25.0
    for i in range(11, 0, -1):
        series = series * z + 2.0 / (2 * i + 1)
    R = z * series
    hfsq = 0.5 * f * f
    return e * LN2_HI - ((hfsq - (s * (hfsq + R) + e * LN2_LO)) - f)


def log1p(x: float) -> float:
    """``log(1 + x)`` for ``x >= -1``, accurate for small ``x`` (Goldberg: ``log(u) * x / (u - 1)``, ``u = 1 + x``)."""
    u = 1.0 + x
    if u == 1.0:
        return x
    if u == math.inf:
        return u
    return log(u) * (x / (u - 1.0))


def exp_of(values: np.ndarray) -> np.ndarray:
    return elementwise(values, False)


def log_of(values: np.ndarray) -> np.ndarray:
    return elementwise(values, True)


def elementwise(values: np.ndarray, logarithm: bool) -> np.ndarray:
    """:func:`log` (``logarithm``) or :func:`exp` of every value, in a new array of the same shape."""
    out = np.empty(values.shape)
    flat, target = values.ravel(), out.ravel()
    for i in range(flat.shape[0]):
        target[i] = log(flat[i]) if logarithm else exp(flat[i])
    return out


def inverse_links(outputs: np.ndarray, X: np.ndarray, members: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                  log_columns: np.ndarray) -> None:
    """In place, for each row ``i`` of ``members``: ``outputs[members[i]] = exp(trend + outputs[members[i]])``,
    ``trend = intercept[i] + sum_j coef[i, j] * phi_j`` added in column order, ``phi_j = log1p(max(x_j, 0))`` on the
    ``log_columns`` and ``x_j`` elsewhere (:class:`anb.models.target_link.LogLinearLink`)."""
    inverse_link_rows(outputs, X, members, coef, intercept, log_columns, 0, X.shape[0])


def inverse_link_rows(outputs, X, members, coef, intercept, log_columns, start, stop) -> None:
    """:func:`inverse_links` for rows ``start:stop`` (each row's answer is computed alone, so blocks of
    rows may run on different threads)."""
    phi = np.empty(X.shape[1])
    for row in range(start, stop):
        for j in range(X.shape[1]):
            phi[j] = log1p(max(X[row, j], 0.0)) if log_columns[j] else X[row, j]
        for i in range(members.shape[0]):
            trend = intercept[i]
            for j in range(phi.shape[0]):
                trend += coef[i, j] * phi[j]
            outputs[members[i], row] = exp(trend + outputs[members[i], row])
