"""The adapters to Optuna, pymoo and Nevergrad: a trial's architecture is exactly the one anb
queries and logs, the values returned are anb's answers, and a value outside the space is refused
naming what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

import anb
from anb.search import Problem, make_objective, max_macs
from anb.search.external import encode_values, import_library, named_choices
from configurationspaces.efficientnet_encoding import architecture_ids, decode_values, default_layout
from configurationspaces.searchspaces import EfficientNetSS

optuna = pytest.importorskip("optuna")
pymoo = pytest.importorskip("pymoo")
ng = pytest.importorskip("nevergrad")

ENCODED = EfficientNetSS(seed=0).random_encoded(6, seed=11)


def _values(row: np.ndarray) -> dict:
    """An encoded row as ``{hyperparameter: value}``, the values Python types as a library hands them."""
    return {name: column[0].item() for name, column in decode_values(row[None]).items()}


@pytest.fixture(scope="module")
def answers():
    """(accuracy, zcu102 latency) means of ENCODED, straight from ANBEnsemble."""
    accuracy = anb.ANBEnsemble("xgb", progress=False).query(ENCODED)[0]
    latency = anb.ANBEnsemble("xgb", device="zcu102", metric="latency", progress=False).query(ENCODED)[0]
    return accuracy, latency


def _two_objectives(constraints=()) -> Problem:
    return Problem([make_objective(), make_objective("zcu102", "latency")], constraints=constraints)


OUTSIDE = {"block0_e": 5}  # expansion 5 is not a choice (1, 4, 6)


def test_the_space_every_adapter_declares_is_anbs():
    layout = default_layout()
    assert list(named_choices()) == list(layout.names) and list(named_choices().values()) == list(layout.choices)
    assert np.array_equal(encode_values(_values(ENCODED[0])), ENCODED[:1])
    with pytest.raises(ValueError, match=r"block 0, field 'e' .*invalid value 5; allowed values: 1, 4, 6"):
        encode_values({**_values(ENCODED[0]), **OUTSIDE})
    with pytest.raises(TypeError, match="must be a mapping"):
        encode_values([1, 2])


@pytest.mark.parametrize("adapter", ["optuna_adapter.OptunaObjective", "pymoo_adapter.PymooProblem",
                                     "nevergrad_adapter.NevergradLoss"])
def test_an_adapter_given_an_objective_instead_of_a_problem_says_so(adapter):
    import importlib

    module, name = adapter.split(".")
    wrapper = getattr(importlib.import_module(f"anb.search.{module}"), name)
    with pytest.raises(TypeError, match=r"^problem must be an anb.search.Problem; got Objective$"):
        wrapper(make_objective())


def test_a_missing_library_names_the_extra():
    with pytest.raises(ImportError, match=r"needs no_such_library, which is not installed: pip install 'anb\[optuna\]'"):
        import_library("no_such_library", "optuna")


def test_optuna_trials_round_trip_and_answer_as_anb(answers):
    from anb.search.optuna_adapter import OptunaObjective, optuna_distributions

    distributions = optuna_distributions()
    assert {name: d.choices for name, d in distributions.items()} == named_choices()
    single = OptunaObjective(Problem(make_objective()))
    assert single.directions == ["maximize"]
    assert single(optuna.trial.FixedTrial(_values(ENCODED[2]))) == answers[0][2]
    assert np.array_equal(single.problem.encoded(), ENCODED[2:3])

    both = OptunaObjective(_two_objectives([max_macs(300)]))
    assert both.directions == ["maximize", "minimize"]
    study = optuna.create_study(directions=both.directions, sampler=optuna.samplers.NSGAIISampler(seed=0))
    for row in ENCODED:
        study.enqueue_trial(_values(row))
    study.optimize(both, n_trials=len(ENCODED) + 4)
    logged = both.problem.encoded()
    # Every trial's parameters are exactly the architecture anb queried for it, in order.
    assert np.array_equal(np.vstack([encode_values(trial.params) for trial in study.trials]), logged)
    assert np.array_equal(logged[:len(ENCODED)], ENCODED)
    values = np.array([trial.values for trial in study.trials[:len(ENCODED)]])
    assert np.array_equal(values[:, 0], answers[0]) and np.array_equal(values[:, 1], answers[1])
    macs = both.problem.column("macs")
    assert [trial.constraints for trial in study.trials] == [{"macs <= 300 (M MACs)": v}
                                                             for v in np.maximum(macs - 300, 0) / 300]


class HandBackTrial:
    """A trial that hands back the values it was given, whatever the choices offered (as a stored
    or edited trial may): the objective must refuse what is not in the space."""

    def __init__(self, values):
        self.values = values

    def suggest_categorical(self, name, choices):
        return self.values[name]


def test_optuna_refuses_a_value_outside_the_space():
    from anb.search.optuna_adapter import OptunaObjective

    objective = OptunaObjective(Problem(make_objective()))
    with pytest.raises(ValueError, match=r"block 0, field 'e' .*invalid value 5; allowed values: 1, 4, 6"):
        objective(HandBackTrial({**_values(ENCODED[0]), **OUTSIDE}))
    assert objective.problem.n_queries == 0


def test_pymoo_rows_are_anbs_encoding_and_answer_as_anb(answers):
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize

    from anb.search.pymoo_adapter import PymooProblem, integer_operators

    problem = PymooProblem(_two_objectives([max_macs(300)]))
    assert (problem.n_var, problem.n_obj, problem.n_ieq_constr) == (28, 2, 1)
    assert np.array_equal(problem.xu, default_layout().n_choices - 1) and not problem.xl.any()
    out = problem.evaluate(ENCODED.astype(int), return_as_dictionary=True)
    assert np.array_equal(out["F"], np.column_stack([-answers[0], answers[1]]))
    assert np.array_equal(out["G"][:, 0], np.maximum(problem.anb_problem.column("macs") - 300, 0) / 300)

    result = minimize(problem, NSGA2(pop_size=8, **integer_operators()), ("n_evals", 24), seed=1)
    logged = set(architecture_ids(problem.anb_problem.encoded()).tolist())
    assert set(architecture_ids(result.pop.get("X").astype(float)).tolist()) <= logged
    assert problem.anb_problem.n_queries >= 24 + len(ENCODED)


def test_pymoo_refuses_a_row_outside_the_space():
    from anb.search.pymoo_adapter import PymooProblem

    problem = PymooProblem(Problem(make_objective()))
    bad = ENCODED[:2].copy()
    bad[1, 3] = 2.5
    with pytest.raises(ValueError, match=r"architecture #1: block 0, field 'se': index 2.5 is not one of 0..1"):
        problem.evaluate(bad)


def test_nevergrad_candidates_round_trip_and_answer_as_anb(answers):
    from anb.search.nevergrad_adapter import NevergradLoss, nevergrad_parametrization

    parametrization = nevergrad_parametrization(seed=0)
    assert {name: tuple(p.choices.value) for name, p in parametrization.items()} == named_choices()
    loss = NevergradLoss(_two_objectives([max_macs(300)]))
    candidate = parametrization.spawn_child(new_value=_values(ENCODED[4]))
    assert loss(candidate.value) == [-answers[0][4], answers[1][4]]
    assert np.array_equal(loss.problem.encoded(), ENCODED[4:5])
    assert loss.last_violations == [max(loss.problem.column("macs")[0] - 300, 0) / 300]

    single = NevergradLoss(Problem(make_objective()))
    optimizer = ng.optimizers.OnePlusOne(parametrization=nevergrad_parametrization(seed=0), budget=12)
    recommendation = optimizer.minimize(single)
    logged = single.problem.encoded()
    assert len(logged) == 12
    assert architecture_ids(encode_values(recommendation.value))[0] in set(architecture_ids(logged).tolist())
    with pytest.raises(ValueError, match="invalid value 5; allowed values: 1, 4, 6"):
        single({**_values(ENCODED[0]), **OUTSIDE})


def test_the_seed_fixes_a_nevergrad_run():
    from anb.search.nevergrad_adapter import NevergradLoss, nevergrad_parametrization

    runs = []
    for _ in range(2):
        loss = NevergradLoss(Problem(make_objective()))
        ng.optimizers.OnePlusOne(parametrization=nevergrad_parametrization(seed=3), budget=8).minimize(loss)
        runs.append(loss.problem.encoded())
    assert np.array_equal(*runs)
    with pytest.raises(ValueError, match="seed"):
        nevergrad_parametrization(seed=True)
