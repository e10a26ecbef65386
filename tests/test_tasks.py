"""The named tasks: their protocol as documented, their measures, and bad names, budgets and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from anb.search import hypervolume_2d, make_objective, mo_random_search, random_search
from anb.search.core import search_space
from anb.search.tasks import TASKS, get_task


def test_there_is_a_task_of_each_kind_for_every_device_metric():
    from anb.devices.builtin import BUILTIN

    metrics = [f"{device.name}-{metric}" for device in BUILTIN for metric in device.metrics]
    assert list(TASKS) == ["accuracy"] + [f"accuracy-{kind}-{m}" for m in metrics for kind in ("under", "vs")]
    accuracy = TASKS["accuracy"]
    assert (accuracy.budget, accuracy.seeds) == (1000, tuple(range(10)))
    assert accuracy.best_known == 67.51981353759766 and accuracy.best_known_gap > 0
    assert all(task.seeds == tuple(range(5)) for task in TASKS.values() if task.kind == "two-objective")
    # A bound can only lower the best accuracy there is; what is known of it leaves a gap.
    constrained = [task for task in TASKS.values() if task.kind == "constrained"]
    assert all(task.best_known <= accuracy.best_known and task.best_known_gap > 0 for task in constrained)


def test_bounds_and_reference_points_are_what_the_protocol_says():
    """Each bound is the median of 10,000 random architectures (seed 0) to two significant
    figures; each reference point lies beyond every one of them."""
    encoded = search_space().random(np.random.default_rng(0), 10_000)
    accuracy = make_objective().predict(encoded)[0]
    for task in TASKS.values():
        if task.kind == "accuracy":
            continue
        values = make_objective(task.device, task.metric).predict(encoded)[0]
        if task.kind == "constrained":
            assert task.bound == float(f"{np.median(values):.2g}"), task.name
        else:
            lowest_accuracy, device_reference = task.reference
            assert lowest_accuracy < accuracy.min()
            worse = values.max() < device_reference if task.metric == "latency" else values.min() > device_reference
            assert worse, task.name


def test_regret_is_the_best_known_minus_the_best_feasible_so_far():
    task = get_task("accuracy-under-zcu102-latency", budget=60)
    log = random_search(task.objectives()[0], task.budget, seed=2, constraints=task.constraints(), batch_size=20)
    regret = task.regret(log)
    feasible = log["zcu102/latency"].to_numpy() <= 7.0
    assert np.array_equal(log["feasible"].to_numpy(), feasible)
    first = int(np.argmax(feasible))
    assert np.isnan(regret[:first]).all()
    expected = [task.best_known - log["accuracy"][:i + 1][feasible[:i + 1]].max() for i in range(first, len(log))]
    assert np.array_equal(regret[first:], expected)
    with pytest.raises(ValueError, match="two objectives: measure it by hypervolume"):
        get_task("accuracy-vs-a100-throughput").regret(log)


def test_hypervolume_is_measured_against_the_tasks_reference_point():
    task = get_task("accuracy-vs-zcu102-latency", budget=40)
    result = mo_random_search(task.objectives(), task.budget, seed=0, reference=task.reference, batch_size=20)
    volume = task.hypervolume(result.history)
    assert np.all(np.diff(volume) >= 0)
    points = np.column_stack([result.history["accuracy"], -result.history["zcu102/latency"]])
    assert volume[-1] == hypervolume_2d(points, np.array([45.0, -31.0])) == result.hypervolume
    with pytest.raises(ValueError, match="one objective: measure it by regret"):
        get_task("accuracy").hypervolume(result.history)


def test_a_problem_not_yet_queried_is_measured_as_empty():
    """An optimiser that has not evaluated anything yet has a log with the same columns, and no
    regret or hypervolume yet (not a KeyError)."""
    for name in ("accuracy-under-zcu102-latency", "accuracy-vs-zcu102-latency"):
        task = get_task(name)
        log = task.problem(seed=0).log()
        assert len(log) == 0 and {o.name for o in task.objectives()} <= set(log.columns)
        measure = task.hypervolume(log) if task.kind == "two-objective" else task.regret(log)
        assert measure.shape == (0,)


def test_a_tasks_problem_has_its_objectives_and_constraint():
    problem = get_task("accuracy-under-a100-throughput").problem(seed=0)
    assert [o.name for o in problem.objectives] == ["accuracy"]
    assert [c.describe() for c in problem.constraints] == [get_task("accuracy-under-a100-throughput").constraints()[0].describe()]
    pair = get_task("accuracy-vs-vck190-latency").problem(seed=0)
    assert [(o.name, o.direction) for o in pair.objectives] == [("accuracy", "max"), ("vck190/latency", "min")]


@pytest.mark.parametrize("call, error, message", [
    (lambda: get_task("accuracy-under-tpuv9-throughput"), ValueError,
     r"unknown task 'accuracy-under-tpuv9-throughput'; the tasks are: accuracy, accuracy-under-tpuv2-throughput"),
    (lambda: get_task(3), ValueError, "unknown task 3"),
    (lambda: get_task("accuracy", budget=0), ValueError, r"budget \(queries\) must be an integer >= 1; got 0"),
    (lambda: get_task("accuracy", budget=True), ValueError, r"budget \(queries\) must be an integer >= 1; got True"),
    (lambda: get_task("accuracy", seeds=[]), ValueError, "seeds must name at least one seed"),
    (lambda: get_task("accuracy", seeds=[0, -1]), ValueError, "each of seeds must be an integer >= 0; got -1"),
    (lambda: get_task("accuracy", seeds="01"), TypeError, "seeds must be a list of non-negative integers; got '01'"),
])
def test_bad_input_names_what_is_allowed(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_anb_benchmark_is_the_tasks_module_in_every_form_of_import():
    import subprocess
    import sys

    code = ("import anb.benchmark; from anb.benchmark import get_task; from anb import benchmark; import anb; "
            "print(anb.benchmark.__name__, benchmark is anb.benchmark, get_task('accuracy').budget)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["anb.search.tasks", "True", "1000"]
