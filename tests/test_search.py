"""The reference searches of ``anb.search`` on real (small, quickly fitted) surrogates.

The surrogates are 2-member XGBoost ensembles fitted on the real dataset with a short boosting
schedule (``helpers_store.FAST_PARAMS``), in a private cache directory, so these tests neither
depend on nor disturb the ensembles other tests build.
"""

from __future__ import annotations

import numpy as np
import pytest

import anb
from anb.search import (
    CostBound,
    DeviceBound,
    Objective,
    best_row,
    constrained_search,
    crowding_distance,
    default_reference,
    hypervolume_2d,
    hypervolume_trajectory,
    make_objective,
    max_macs,
    max_params,
    metric_is_maximised,
    mo_random_search,
    non_dominated_mask,
    non_dominated_sort,
    nsga2,
    random_search,
    regularized_evolution,
    run,
)
from anb.search.core import search_space
from anb.search.objectives import architecture_costs
from configurationspaces.efficientnet_encoding import architecture_ids, encode
from helpers_store import FAST_PARAMS

MEMBERS = 2


@pytest.fixture(scope="module")
def surrogates(real_data, tmp_path_factory):
    """Accuracy, a100 throughput and zcu102 latency objectives (fast 2-member ensembles)."""
    cache = tmp_path_factory.mktemp("search_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("anb.fitting.model_config.read_model_params", lambda path: dict(FAST_PARAMS))
        return {
            name: make_objective(device, metric, n_members=MEMBERS, cache_dir=cache)
            for name, (device, metric) in {"accuracy": (None, None), "a100": ("a100", "throughput"),
                                           "zcu102_latency": ("zcu102", "latency")}.items()
        }


@pytest.fixture(scope="module")
def accuracy(surrogates):
    return surrogates["accuracy"]


def assert_non_dominated(points: np.ndarray, maximize: list[bool]) -> None:
    """No row is dominated by another (directions as given), checked pairwise the slow way."""
    scores = np.where(maximize, points, -points)
    for i, p in enumerate(scores):
        others = np.delete(scores, i, axis=0)
        assert not ((others >= p).all(axis=1) & (others > p).any(axis=1)).any(), f"row {i} is dominated"


# --- objectives and moves --------------------------------------------------------------------


def test_directions_follow_the_metric(surrogates):
    assert surrogates["accuracy"].maximize and surrogates["a100"].maximize
    assert not surrogates["zcu102_latency"].maximize
    assert metric_is_maximised("throughput") and not metric_is_maximised("latency")
    assert not metric_is_maximised("energy", "mJ") and metric_is_maximised(None)
    assert surrogates["zcu102_latency"].label == "zcu102 latency (ms)"


def test_objective_wraps_an_ensemble(accuracy):
    wrapped = Objective.from_ensemble(accuracy.ensemble)
    encoded = search_space().random(np.random.default_rng(0), 5)
    assert np.allclose(wrapped.predict(encoded)[0], accuracy.ensemble.query(encoded)[0])
    trajectory = random_search(accuracy.ensemble, 20, seed=0)  # a plain ANBEnsemble is accepted
    assert len(trajectory) == 20


def test_mutation_changes_exactly_one_column():
    space = search_space()
    rng = np.random.default_rng(0)
    parents = space.random(rng, 2000)
    children = space.mutate(rng, parents)
    changed = (children != parents).sum(axis=1)
    assert (changed == 1).all()
    assert ((children >= 0) & (children < space.n_choices)).all()
    # Every column and every other value is reachable.
    assert len(np.unique(np.argmax(children != parents, axis=1))) == space.width


def test_neighbourhood_is_every_one_change_move():
    space = search_space()
    row = space.random(np.random.default_rng(1), 1)[0]
    neighbours = space.neighbours(row)
    assert len(neighbours) == int((space.n_choices - 1).sum()) == 43
    assert ((neighbours != row).sum(axis=1) == 1).all()
    assert len(np.unique(architecture_ids(neighbours))) == len(neighbours)


# --- single objective ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["random_search", "regularized_evolution", "local_search"])
def test_trajectory_is_a_faithful_log(accuracy, algorithm):
    budget = 150
    trajectory = run(algorithm, accuracy, budget, seed=3)
    assert len(trajectory) == budget
    assert trajectory["query"].tolist() == list(range(1, budget + 1))
    assert {"arch_id", "architecture", "accuracy", "accuracy_std", "best"} <= set(trajectory.columns)
    best = trajectory["best"].to_numpy()
    assert (np.diff(best) >= 0).all(), "best-so-far must never decrease"
    assert best[-1] == pytest.approx(trajectory["accuracy"].max())
    assert best[0] == trajectory["accuracy"].iloc[0]
    # The log's architectures are the ones queried, and their values are the ensemble's.
    encoded = trajectory.attrs["encoded"]
    assert np.array_equal(encode(trajectory["architecture"].tolist()), encoded)
    assert np.array_equal(architecture_ids(encoded), trajectory["arch_id"].to_numpy())
    mean, std = accuracy.ensemble.query(encoded)
    assert np.allclose(mean, trajectory["accuracy"]) and np.allclose(std, trajectory["accuracy_std"])
    assert trajectory["arch_id"].nunique() >= budget - 2  # no query is wasted on a repeat
    assert trajectory.attrs["seed"] == 3 and trajectory.attrs["seconds"] > 0


def test_same_seed_same_run(accuracy):
    a = regularized_evolution(accuracy, 120, seed=5, population_size=20, sample_size=5)
    b = regularized_evolution(accuracy, 120, seed=5, population_size=20, sample_size=5)
    c = regularized_evolution(accuracy, 120, seed=6, population_size=20, sample_size=5)
    assert a["arch_id"].tolist() == b["arch_id"].tolist()
    assert a["arch_id"].tolist() != c["arch_id"].tolist()


def test_evolution_children_are_one_mutation_from_a_member(accuracy):
    population = 20
    trajectory = regularized_evolution(accuracy, 100, seed=1, population_size=population, sample_size=5, batch_size=1)
    encoded = trajectory.attrs["encoded"]
    for i in range(population, len(encoded)):
        window = encoded[i - population:i]  # the aging population when child i was bred
        distances = (window != encoded[i]).sum(axis=1)
        assert distances.min() == 1


def test_latency_is_minimised(surrogates):
    latency = surrogates["zcu102_latency"]
    for algorithm in ("rs", "re", "ls"):
        trajectory = run(algorithm, latency, 120, seed=0)
        best = trajectory["best"].to_numpy()
        assert (np.diff(best) <= 0).all()
        assert best[-1] == pytest.approx(trajectory[latency.name].min())


def test_noisy_queries_keep_the_mean_and_track_the_incumbent(accuracy):
    trajectory = regularized_evolution(accuracy, 150, seed=0, noisy=True)
    assert {"accuracy_observed", "incumbent_mean"} <= set(trajectory.columns)
    assert not np.allclose(trajectory["accuracy_observed"], trajectory["accuracy"])
    assert trajectory["best"].iloc[-1] == pytest.approx(trajectory["accuracy_observed"].max())
    assert np.isin(trajectory["incumbent_mean"], trajectory["accuracy"]).all()


def test_evolution_beats_random_search_on_average(accuracy):
    seeds, budget = range(5), 300
    re = [regularized_evolution(accuracy, budget, seed=s, population_size=50, sample_size=10)["best"].iloc[-1] for s in seeds]
    rs = [random_search(accuracy, budget, seed=s)["best"].iloc[-1] for s in seeds]
    assert np.mean(re) > np.mean(rs)


def test_random_search_prefix_property(accuracy):
    short = random_search(accuracy, 150, seed=2)
    long = random_search(accuracy, 300, seed=2)
    assert long["arch_id"].iloc[:150].tolist() == short["arch_id"].tolist()


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_budget_must_be_a_positive_integer(accuracy, bad):
    with pytest.raises(ValueError, match="budget"):
        random_search(accuracy, bad)


# --- constraints -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["random_search", "regularized_evolution", "local_search"])
def test_macs_bound_is_never_violated(accuracy, algorithm):
    bound = 350.0
    trajectory = constrained_search(accuracy, [max_macs(bound)], 150, seed=0, algorithm=algorithm)
    assert (trajectory["macs"] <= bound).all()  # an analytic bound costs no query
    assert trajectory["feasible"].all()
    winner = best_row(trajectory)
    assert architecture_costs(encode([winner["architecture"]]))["macs"][0] <= bound
    assert winner["accuracy"] == pytest.approx(trajectory["best"].iloc[-1])
    unconstrained = random_search(accuracy, 150, seed=0)
    assert architecture_costs(unconstrained.attrs["encoded"])["macs"].max() > bound  # the bound binds


def test_params_bound_with_local_search(accuracy):
    trajectory = constrained_search(accuracy, max_params(5.0), 150, seed=1, algorithm="ls")
    assert (trajectory["params"] <= 5.0).all()
    assert np.isfinite(trajectory["best"].iloc[-1])


def test_device_bound_returns_a_feasible_winner(surrogates):
    accuracy, latency = surrogates["accuracy"], surrogates["zcu102_latency"]
    sample = search_space().random(np.random.default_rng(0), 500)
    bound = float(np.quantile(latency.predict(sample)[0], 0.3))  # about 30% of random architectures pass
    trajectory = constrained_search(accuracy, [DeviceBound(latency, bound)], 200, seed=0)
    assert not trajectory["feasible"].all() and trajectory["feasible"].any()
    assert (trajectory["feasible"] == (trajectory[latency.name] <= bound)).all()
    winner = best_row(trajectory)
    assert winner["feasible"]
    assert latency.predict(encode([winner["architecture"]]))[0][0] <= bound  # re-queried independently
    feasible_best = trajectory.loc[trajectory["feasible"], "accuracy"].max()
    assert trajectory["best"].iloc[-1] == pytest.approx(feasible_best)
    assert trajectory["best"].iloc[-1] < trajectory["accuracy"].max() or trajectory["feasible"].all()
    # Evolution under the bound mostly stays feasible once it has found the region.
    assert trajectory["feasible"].iloc[-100:].mean() > trajectory["feasible"].iloc[:100].mean()


def test_throughput_floor_and_combined_bounds(surrogates):
    accuracy, a100 = surrogates["accuracy"], surrogates["a100"]
    floor = float(np.median(a100.predict(search_space().random(np.random.default_rng(1), 300))[0]))
    trajectory = constrained_search(accuracy, [DeviceBound(a100, floor), CostBound("params", 6.0)], 150, seed=0,
                                    algorithm="rs")
    winner = best_row(trajectory)
    assert winner["a100/throughput"] >= floor and winner["params"] <= 6.0
    assert (trajectory["params"] <= 6.0).all()


def test_impossible_analytic_bound_is_reported(accuracy):
    with pytest.raises(ValueError, match="too tight"):
        constrained_search(accuracy, [max_macs(1.0)], 10, seed=0)
    with pytest.raises(ValueError):
        CostBound("flops", 10)


# --- multi-objective -------------------------------------------------------------------------


def test_non_dominated_mask_and_sort_by_hand():
    points = np.array([[1, 3], [2, 2], [3, 1], [1, 1], [2, 2], [0.5, 3]])
    assert non_dominated_mask(points).tolist() == [True, True, True, False, True, False]
    assert non_dominated_sort(points).tolist() == [0, 0, 0, 1, 0, 1]
    rng = np.random.default_rng(0)
    cloud = rng.random((300, 2))
    mask = non_dominated_mask(cloud)
    assert_non_dominated(cloud[mask], [True, True])
    for i in np.flatnonzero(~mask):  # everything left out is dominated by someone
        assert ((cloud >= cloud[i]).all(axis=1) & (cloud > cloud[i]).any(axis=1)).any()


def test_hypervolume_by_hand():
    points = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert hypervolume_2d(points, (0, 0)) == pytest.approx(3 + 2 + 1)
    assert hypervolume_2d(np.vstack([points, [[1.5, 1.5]]]), (0, 0)) == pytest.approx(6)  # dominated: no change
    assert hypervolume_2d(points, (1, 1)) == pytest.approx(1)  # points on the reference's edge add nothing
    assert hypervolume_2d(points, (5, 5)) == 0.0
    trajectory = hypervolume_trajectory(points, (0, 0))
    assert trajectory.tolist() == pytest.approx([3, 5, 6])
    # Monte Carlo check on a random front.
    rng = np.random.default_rng(1)
    cloud = rng.random((50, 2))
    samples = rng.random((200_000, 2))
    covered = (cloud[None, :, :] >= samples[:, None, :]).all(axis=2).any(axis=1).mean()
    assert hypervolume_2d(cloud, (0, 0)) == pytest.approx(covered, abs=0.01)
    assert np.isinf(crowding_distance(cloud)).sum() >= 2


@pytest.mark.parametrize("search", [mo_random_search, nsga2])
@pytest.mark.parametrize("device", ["a100", "zcu102_latency"])
def test_pareto_search(surrogates, search, device):
    objectives = [surrogates["accuracy"], surrogates[device]]
    reference = default_reference(objectives, n=2000)
    small = search(objectives, 100, seed=0, reference=reference)
    large = search(objectives, 200, seed=0, reference=reference)
    for result in (small, large):
        front = result.front_points()
        assert_non_dominated(front, [o.maximize for o in objectives])
        assert result.hypervolume > 0
        assert result.reference == tuple(reference)
        assert set(result.front["arch_id"]) <= set(result.history["arch_id"])
        volumes = result.history["hypervolume"].to_numpy()
        assert (np.diff(volumes) >= -1e-9).all() and volumes[-1] == pytest.approx(result.hypervolume)
        # Every queried architecture is dominated by, or equal to, a front point.
        scores = np.column_stack([o.score(result.history[o.name]) for o in objectives])
        front_scores = np.column_stack([o.score(result.front[o.name]) for o in objectives])
        assert all((front_scores >= s).all(axis=1).any() for s in scores)
    assert large.hypervolume >= small.hypervolume
    assert len(small.history) == 100 and len(large.history) == 200
    assert large.history["arch_id"].iloc[:100].tolist() == small.history["arch_id"].tolist()


def test_default_reference_is_a_nadir(surrogates):
    objectives = [surrogates["accuracy"], surrogates["zcu102_latency"]]
    reference = default_reference(objectives, n=1000)
    sample = search_space().random(np.random.default_rng(0), 1000)
    assert reference[0] == pytest.approx(objectives[0].predict(sample)[0].min())
    assert reference[1] == pytest.approx(objectives[1].predict(sample)[0].max())


def test_two_objectives_are_required(accuracy):
    with pytest.raises(ValueError, match="two objectives"):
        nsga2([accuracy], 10)


def test_package_exports():
    import anb.search as search

    assert callable(search.regularized_evolution) and callable(search.pareto_search)
    assert isinstance(anb.ANBEnsemble, type)
