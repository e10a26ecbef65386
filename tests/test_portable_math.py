"""The portable exp/log/log1p: close to the C library's, the same bits compiled or not, and what makes
the shipped surrogates answer alike on every CPU (tests/test_shipped.py holds those answers)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from anb.models import portable, portable_kernel, portable_math

RNG = np.random.default_rng(7)
EXP_ARGUMENTS = np.concatenate([RNG.uniform(-745, 709, 4000), RNG.uniform(-1, 1, 4000), RNG.normal(0, 1e-9, 500)])
LOG_ARGUMENTS = np.concatenate([np.exp(RNG.uniform(-700, 700, 4000)), RNG.uniform(0.5, 2, 4000), [1.0, 2.0, 5e-324]])
LOG1P_ARGUMENTS = np.concatenate([RNG.uniform(0, 1e9, 4000), RNG.uniform(0, 1, 4000), 10 ** RNG.uniform(-20, 0, 500)])


def _ulps(ours: float, reference: float) -> float:
    return abs(ours - reference) / math.ulp(reference) if reference else abs(ours)


@pytest.mark.parametrize("name, arguments, most_ulps", [
    ("exp", EXP_ARGUMENTS, 1), ("log", LOG_ARGUMENTS, 1), ("log1p", LOG1P_ARGUMENTS, 2),
])
def test_within_a_unit_or_two_of_the_c_library(name, arguments, most_ulps):
    ours, reference = getattr(portable_math, name), getattr(math, name)
    assert max(_ulps(ours(float(x)), reference(float(x))) for x in arguments) <= most_ulps


def test_edges():
    assert portable_math.exp(0.0) == 1.0 and portable_math.log(1.0) == 0.0 and portable_math.log1p(0.0) == 0.0
    assert portable_math.exp(710.0) == math.inf and portable_math.exp(-746.0) == 0.0
    assert portable_math.log(0.0) == -math.inf and math.isnan(portable_math.log(-1.0))
    assert math.isnan(portable_math.exp(math.nan)) and portable_math.log(math.inf) == math.inf


def test_compiled_and_plain_python_give_the_same_bits():
    assert np.array_equal(portable_kernel.exp_of(EXP_ARGUMENTS), portable_math.exp_of(EXP_ARGUMENTS))
    assert np.array_equal(portable_kernel.log_of(LOG_ARGUMENTS), portable_math.log_of(LOG_ARGUMENTS))
    X = np.ascontiguousarray(np.column_stack([RNG.uniform(0, 300, 50), RNG.normal(size=50), RNG.uniform(0, 1, 50)]))
    outputs = RNG.normal(0, 0.1, (3, 50))
    args = (X, np.array([0, 2]), RNG.normal(0, 0.3, (2, 3)), np.array([1.5, -0.5]), np.array([True, False, True]))
    compiled, plain = outputs.copy(), outputs.copy()
    portable_kernel.inverse_links(compiled, *args)
    portable_math.inverse_links(plain, *args)
    assert np.array_equal(compiled, plain) and np.array_equal(compiled[1], outputs[1])
    trend = args[3][:, None] + args[2] @ np.where(args[4], np.log1p(np.maximum(X, 0)), X).T
    np.testing.assert_allclose(compiled[[0, 2]], np.exp(trend + outputs[[0, 2]]), rtol=1e-14)


def test_a_few_values_run_in_plain_python_until_the_compiled_functions_are_loaded():
    # In a fresh process: nothing has loaded numba, so a few values need not wait for it; many load it.
    code = ("import sys; from anb.models import portable, portable_math; "
            "print(portable.functions(1) is portable_math, 'numba' in sys.modules, "
            "portable.functions(portable.PYTHON_VALUES + 1).__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False", "anb.models.portable_kernel"]
