"""The ``regret`` column of ``anb.search`` trajectories, on the real default accuracy ensemble."""

from __future__ import annotations

import numpy as np
import pytest

import anb
from anb.search import Objective, add_regret, local_search, random_search, regularized_evolution


@pytest.fixture(scope="module")
def accuracy(anb_environment):
    return Objective.from_ensemble(anb.ANBEnsemble("xgb", progress=False).load_ensemble())


@pytest.mark.parametrize("search", [random_search, regularized_evolution, local_search])
def test_regret_is_the_optimum_minus_the_incumbent(accuracy, search):
    plain = search(accuracy, 150, seed=3)
    optimum = float(plain["best"].max()) + 0.25
    trajectory = search(accuracy, 150, seed=3, optimum=optimum)
    np.testing.assert_array_equal(trajectory["best"], plain["best"])  # the column changes nothing else
    np.testing.assert_allclose(trajectory["regret"], optimum - trajectory["best"], rtol=0, atol=0)
    assert (np.diff(trajectory["regret"]) <= 0).all() and trajectory["regret"].iloc[-1] == pytest.approx(0.25)
    assert trajectory.attrs["optimum"] == optimum


def test_regret_of_a_minimised_objective_and_zero_at_the_optimum(accuracy):
    smallest = Objective(accuracy.ensemble, maximize=False, name="accuracy_minimised")
    trajectory = random_search(smallest, 100, seed=0)
    lowest = float(trajectory["best"].iloc[-1])
    add_regret(trajectory, lowest)
    np.testing.assert_allclose(trajectory["regret"], trajectory["best"] - lowest, rtol=0, atol=0)
    assert trajectory["regret"].iloc[-1] == 0


def test_an_optimum_the_search_beats_is_rejected(accuracy):
    trajectory = random_search(accuracy, 50, seed=1)
    with pytest.raises(ValueError, match="better than the given optimum"):
        add_regret(trajectory, float(trajectory["best"].max()) - 1.0)
    with pytest.raises(ValueError, match="finite number"):
        random_search(accuracy, 10, seed=1, optimum=float("nan"))
