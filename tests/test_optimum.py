"""The exact optimum (``anb.optimum``) against brute force, on the real default ensembles.

Each subspace fixes five of the seven blocks (1,296 to 1,728 architectures), small enough to
query every architecture; the branch and bound starts with no incumbent, so its own bounds and
pruning find the optimum. The full space and subspaces of millions are benchmarks/exact_optimum.py's.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from anb import cli
import anb
from anb.models.features import features_from_encoded
from anb.optimum import Problem, find_optimum, solve
from anb.optimum.blocks import PEAK_COLUMN, block_choices
from anb.optimum.branch_and_bound import BranchAndBound
from anb.optimum.brute_force import brute_force
from anb.optimum.problem import Constraint

# Two subspaces: blocks 0-4 fixed (blocks 5 and 6 free, 48 x 36), and blocks 1-4, 6 fixed.
SUBSPACES = [{0: 3, 1: 20, 2: 7, 3: 30, 4: 11}, {1: 10, 2: 35, 3: 0, 4: 22, 6: 5}]


@pytest.fixture(scope="module")
def accuracy(anb_environment):
    return anb.ANBEnsemble("xgb", progress=False).load_ensemble()


@pytest.fixture(scope="module")
def a100(anb_environment):
    """a100 throughput: its members fit the residual of a log-linear trend (``link_`` set)."""
    return anb.ANBEnsemble("xgb", device="a100", progress=False).load_ensemble()


def check_against_brute_force(problem: Problem):
    result = BranchAndBound(problem).run(progress=False, warm_start=False)
    brute_choices, brute_score = brute_force(problem)
    assert result.gap == 0 and not result.stopped
    assert result.score == brute_score  # to the last bit
    return result, brute_choices


@pytest.mark.parametrize("fixed", SUBSPACES)
def test_accuracy_optimum_equals_brute_force(accuracy, fixed):
    result, _ = check_against_brute_force(Problem(accuracy, 1, fixed=fixed))
    # The search bounded fewer nodes than there are architectures: it pruned.
    assert result.nodes.sum() < Problem(accuracy, 1, fixed=fixed).size()


@pytest.mark.parametrize("sense", [1, -1], ids=["max", "min"])
def test_log_linear_target_optimum_equals_brute_force(a100, sense):
    assert all(member.link_ is not None for member in a100.members)
    check_against_brute_force(Problem(a100, sense, fixed=SUBSPACES[0]))


def test_constrained_optimum_equals_brute_force_and_is_feasible(accuracy, a100):
    fixed = SUBSPACES[1]
    encoded = block_choices().rows(np.array([[fixed.get(b, 0) for b in range(7)]]))
    throughput = a100.query(encoded)[0][0]
    # A floor near this subspace's throughput leaves part of it feasible.
    problem = Problem(accuracy, 1, Constraint(a100, float(throughput), 1), fixed=fixed)
    result, brute_choices = check_against_brute_force(problem)
    unconstrained = BranchAndBound(Problem(accuracy, 1, fixed=fixed)).run(progress=False)
    assert result.score <= unconstrained.score
    winner = block_choices().rows(result.choices)
    assert a100.query(winner)[0][0] >= throughput


def test_impossible_constraint_has_no_optimum(accuracy, a100):
    optimum = solve(Problem(accuracy, 1, Constraint(a100, 1e9, 1), fixed=SUBSPACES[0]), progress=False)
    assert optimum.value is None and optimum.architecture is None
    assert "no architecture satisfies" in optimum.summary()


def _strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("sense", [1, -1], ids=["max accuracy", "min latency"])
def test_optimum_json_of_an_impossible_constraint_is_strict_json(sense, accuracy, a100, capsys, monkeypatch):
    objective = accuracy if sense > 0 else anb.ANBEnsemble("xgb", "zcu102", "latency", progress=False).load_ensemble()
    optimum = solve(Problem(objective, sense, Constraint(a100, 1e9, 1), fixed=SUBSPACES[0]), progress=False)
    assert not np.isfinite(optimum.upper_bound)  # what the proof holds: nothing bounds the value
    monkeypatch.setattr("anb.optimum.command.find_optimum", lambda *args, **kwargs: optimum)
    assert cli.main(["optimum", "--constraint", "a100", "throughput", "1e9", "--json", "--quiet"]) == 0
    record = _strict_json(capsys.readouterr().out)
    assert record["value"] is None and record["upper_bound"] is None and record["feasible"] is False
    assert record["note"].startswith("no architecture satisfies the constraint (proven)")
    assert "upper_bound" in record["note"]


def test_value_is_the_ensembles_own_query_of_the_architecture(a100):
    optimum = solve(Problem(a100, -1, fixed=SUBSPACES[1]), progress=False)
    assert optimum.gap == 0
    assert a100.query(optimum.encoded[None, :])[0][0] == optimum.value
    assert a100.query([optimum.architecture])[0][0] == optimum.value


def test_block_choices_rebuild_the_features(accuracy):
    """The per-block shares the bounds add up are the features the ensemble sees."""
    blocks = block_choices()
    rng = np.random.default_rng(0)
    choices = rng.integers(0, blocks.n_choices, size=(500, 7))
    encoded = blocks.rows(choices)
    assert (blocks.choices_of(encoded) == choices).all()
    shares = blocks.shares[np.arange(7), choices]
    features = features_from_encoded(encoded)[:, 28:]
    totals = shares.sum(axis=1)
    totals[:, PEAK_COLUMN] = shares[:, :, PEAK_COLUMN].max(axis=1)
    assert np.array_equal(features, totals / blocks.scale)


def test_bounds_of_single_architectures_are_their_predictions(accuracy):
    """With every block fixed, the bound is the ensemble's prediction (up to the mean's margin)."""
    search = BranchAndBound(Problem(accuracy, 1))
    rng = np.random.default_rng(1)
    choices = rng.integers(0, block_choices().n_choices, size=(50, 7))
    bounds = search._bounds(choices[:, search.order], search.order)[:, 0]
    exact = accuracy.query(block_choices().rows(choices))[0]
    assert (bounds >= exact).all()
    np.testing.assert_allclose(bounds, exact, rtol=1e-12)


@pytest.mark.parametrize("fixed, message", [({7: 0}, "0..6"), ({5: 48}, "0..47"), ({0: 36}, "0..35"),
                                            ({0: 1.5}, "0..35")])
def test_bad_fixed_blocks_are_named(accuracy, fixed, message):
    with pytest.raises(ValueError, match=message):
        Problem(accuracy, 1, fixed=fixed)


def test_bad_arguments_are_named(accuracy):
    with pytest.raises(ValueError, match="constraint must be"):
        find_optimum(constraint=("a100", 20000), progress=False)
    with pytest.raises(ValueError, match="time_limit"):
        solve(Problem(accuracy, 1, fixed=SUBSPACES[0]), time_limit=-1, progress=False)
    with pytest.raises(ValueError, match="minimize"):
        find_optimum(minimize="yes", progress=False)


def test_cli_rejects_a_bound_that_is_not_a_number(capsys, accuracy):
    code = cli.main(["optimum", "--constraint", "a100", "throughput", "fast"])
    out, err = capsys.readouterr()
    assert code != 0 and "BOUND must be a number" in err and "Traceback" not in err


def test_pareto_levels_run_on_a_local_dask_cluster_and_match_brute_force(accuracy, a100):
    from anb.optimum.pareto import pareto_front

    fixed = SUBSPACES[1]
    levels = [10000.0, 15000.0, 1e9]
    table = pareto_front("a100", "throughput", levels, fixed=fixed, n_workers=1, progress=False)
    assert table["level"].tolist() == levels
    for level, value in zip(levels[:2], table["accuracy"][:2]):
        _, brute = brute_force(Problem(accuracy, 1, Constraint(a100, level, 1), fixed=fixed))
        assert value == brute
    assert (table["device_value"][:2] >= levels[:2]).all() and (table["gap"] == 0).all()
    assert np.isnan(table["accuracy"][2]) and not table["on_front"][2]  # no architecture reaches 1e9 images/s
    # A looser floor can only allow more accuracy.
    assert table["accuracy"][0] >= table["accuracy"][1]


def test_a_search_continued_in_many_small_calls_finds_the_same_optimum(accuracy):
    """The compiled search stops every few nodes and is continued from its saved state (how the
    progress bar moves and a time limit is kept): the answer and the work are unchanged."""
    problem = Problem(accuracy, 1, fixed=SUBSPACES[0])
    # split_depth=0: one subproblem, the whole subspace, searched by the compiled search alone.
    whole = BranchAndBound(problem, split_depth=0, chunk_nodes=10**12).run(progress=False, warm_start=False)
    pieces = BranchAndBound(problem, split_depth=0, chunk_nodes=7).run(progress=False, warm_start=False)
    assert pieces.score == whole.score and pieces.gap == 0
    np.testing.assert_array_equal(pieces.choices, whole.choices)
    np.testing.assert_array_equal(pieces.nodes, whole.nodes)  # no node skipped or repeated
    assert whole.nodes.sum() > 7 * 100  # so the small calls were many
