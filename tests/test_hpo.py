"""do_hpo.py / anb.fitting.hpo: short real SMAC runs on a subsample of the Accel-NASBench data."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
N_FILES = 300


@pytest.fixture(scope="module")
def subsample(dataset_archive, tmp_path_factory) -> Path:
    """The first N_FILES result JSONs of the real dataset, as a directory."""
    out = tmp_path_factory.mktemp("anb_subsample")
    with tarfile.open(dataset_archive) as archive:
        written = 0
        for member in archive:
            if member.isfile() and Path(member.name).name.startswith("result_"):
                (out / Path(member.name).name).write_bytes(archive.extractfile(member).read())
                written += 1
                if written == N_FILES:
                    break
    return out


@pytest.fixture(scope="module")
def fast_space(tmp_path_factory) -> Path:
    """The project's xgb search space with few boosting rounds, so each trial takes a moment."""
    from anb.fitting.model_config import default_config_path, read_configspace

    serialized = read_configspace(default_config_path("xgb")).to_serialized_dict()
    for hp in serialized["hyperparameters"]:
        if hp["name"] == "param:num_rounds":
            hp["value"] = 150
        if hp["name"] == "early_stopping_rounds":
            hp["value"] = 20
        if hp["name"] == "param:learning_rate":
            hp.update(lower=0.05, upper=0.3, default_value=0.1)
    from ConfigSpace import ConfigurationSpace

    path = tmp_path_factory.mktemp("space") / "xgb_fast_configspace.json"
    ConfigurationSpace.from_serialized_dict(serialized).to_json(path)
    return path


def hpo_args(subsample, space, log_dir, *extra) -> list[str]:
    return [
        "--dataset_root", str(subsample), "--model", "xgb", "--model_config_path", str(space),
        "--log_dir", str(log_dir), "--seed", "3", "--walltime", "90", "--quiet", *extra,
    ]


def run_dir(log_dir) -> Path:
    return Path(log_dir) / "xgb" / "seed-3"


def test_short_hpo_writes_a_config_that_fit_model_uses(subsample, fast_space, tmp_path):
    from anb.fitting.hpo import main
    from anb.fitting.model_config import read_configspace, read_model_params

    assert main(hpo_args(subsample, fast_space, tmp_path / "hpo", "--n-trials", "5", "--n-initial", "2")) == 0
    out = run_dir(tmp_path / "hpo")

    incumbent = json.loads((out / "incumbent.json").read_text())
    history = pd.read_csv(out / "runhistory.csv")
    assert len(history) == 5 and (history["status"] == "success").all()
    # The default's cheaper variants come first, then the default, then the Sobol points.
    from anb.fitting.hpo.warm_start import cheaper_variants

    space = read_configspace(fast_space)
    expected = [dict(c) for c in cheaper_variants(space, "xgb", limit=2)] + [dict(space.get_default_configuration())]
    for i, config in enumerate(expected):
        assert history.loc[i, "param:learning_rate"] == pytest.approx(config["param:learning_rate"])
        assert history.loc[i, "param:max_depth"] == config["param:max_depth"]
    # The pick: the fewest evaluations per row among trials within 0.002 of the best validation tau.
    best = history["val_tau"].max()
    eligible = history[history["val_tau"] >= best - 0.002]
    assert incumbent["best"]["val_tau"] == pytest.approx(best) and incumbent["tolerance"] == 0.002
    assert incumbent["evaluations_per_row"] == pytest.approx(eligible["evaluations_per_row"].min())
    assert incumbent["val_tau"] >= best - 0.002 and incumbent["val_rmse"] > 0
    assert np.all(np.diff(history["best_val_tau"]) >= 0)
    front = pd.read_csv(out / "pareto_front.csv")
    assert set(front["trial"]) == set(history.loc[history["pareto"], "trial"]) and incumbent["trial"] in set(front["trial"])
    assert np.all(np.diff(front["evaluations_per_row"]) >= 0) and np.all(np.diff(front["val_tau"]) >= 0)
    for plot in ("best_val_tau.png", "pareto_front.png"):
        assert (out / plot).stat().st_size > 0
    assert incumbent["sizes"]["val"] > 0 and "test" not in incumbent["sizes"]

    # The tuned file keeps the search space and makes the incumbent its defaults.
    tuned = out / "xgb_configspace.json"
    assert set(read_configspace(tuned).keys()) == set(read_configspace(fast_space).keys())
    assert read_model_params(tuned) == pytest.approx(incumbent["params"])

    fit_model = REPO / "fit_model.py"
    if not fit_model.is_file():
        pytest.skip("fit_model.py is not there yet")
    done = subprocess.run(
        [sys.executable, str(fit_model), "--dataset_root", str(subsample), "--model", "xgb",
         "--model_config_path", str(tuned), "--log_dir", str(tmp_path / "fit"), "--seed", "3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [used] = (tmp_path / "fit").rglob("model_config.json")
    used = json.loads(used.read_text())
    for name, value in incumbent["params"].items():
        assert used[name] == pytest.approx(value), name


def test_interrupted_run_resumes_from_its_directory(subsample, fast_space, tmp_path, capsys):
    from smac.callback import Callback

    from anb.fitting.hpo import HPOError, main

    class StopAfter(Callback):
        """Stands in for an interruption: SMAC stops after two trials, files as they are."""

        def __init__(self):
            self.seen = 0

        def on_tell_end(self, smbo, info, value):
            self.seen += 1
            return self.seen < 2

    args = hpo_args(subsample, fast_space, tmp_path, "--n-trials", "4", "--n-initial", "2")
    import anb.fitting.hpo.run as hpo_run

    original = hpo_run.run_hpo
    hpo_run.run_hpo = lambda **kwargs: original(**kwargs, callbacks=[StopAfter()])
    try:
        assert main(args) == 0
    finally:
        hpo_run.run_hpo = original
    first = pd.read_csv(run_dir(tmp_path) / "runhistory.csv")
    assert len(first) == 2

    capsys.readouterr()
    assert main([a for a in args if a != "--quiet"]) == 0
    assert "2 trial(s) already done" in capsys.readouterr().out
    resumed = pd.read_csv(run_dir(tmp_path) / "runhistory.csv")
    assert len(resumed) == 4
    pd.testing.assert_series_equal(resumed["val_tau"][:2], first["val_tau"])

    # Other arguments in the same directory: refused, naming what changed.
    assert main(hpo_args(subsample, fast_space, tmp_path, "--n-trials", "6", "--n-initial", "2")) == 2
    assert "n_trials" in capsys.readouterr().err
    assert issubclass(HPOError, ValueError)


def test_two_workers_on_a_local_dask_cluster(subsample, fast_space, tmp_path):
    from anb.fitting.hpo import main

    assert main(hpo_args(subsample, fast_space, tmp_path, "--n-trials", "4", "--n-initial", "2", "--n-workers", "2")) == 0
    out = run_dir(tmp_path)
    history = pd.read_csv(out / "runhistory.csv")
    assert len(history) == 4 and (history["status"] == "success").all()
    # Every submitted trial came back under its own configuration (none left "running").
    smac_history = json.loads(next((out / "smac").rglob("runhistory.json")).read_text())
    assert smac_history["stats"]["running"] == 0 and smac_history["stats"]["finished"] == 4
    assert json.loads((out / "hpo_args.json").read_text())["cluster"] == "local"


def test_objective_is_deterministic_and_never_sees_the_test_side(subsample):
    from anb.data.dataset import load_dataset
    from anb.data.splits import random_split
    from anb.devices.targets import resolve_target
    from anb.fitting.hpo import ValidationCostObjective
    from anb.fitting.model_config import read_configspace, default_config_path
    from anb.fitting.training import split_data

    data = load_dataset(subsample)
    sides, _ = split_data(data, random_split(data, 0.8, 0.1, 0.1, seed=1), resolve_target("a100", "throughput"))
    objective = ValidationCostObjective("lgb", sides["train"], sides["val"], seed=5)
    assert not any(np.shares_memory(sides["test"].X, a) for a in (objective.X_train, objective.X_val))
    space = read_configspace(default_config_path("lgb", "a100", "throughput"))
    config = space.get_default_configuration()
    first, info = objective(config)
    assert objective(config, seed=123)[0] == first
    assert 0 < first["val_rank_error"] < 0.5 and info["val_rmse"] > 0 and info["rounds"] > 0
    # The cost objective counts split nodes: at least one per tree, at most max depth per tree.
    assert info["rounds"] <= info["evaluations_per_row"] and first["log10_evaluations"] == pytest.approx(np.log10(info["evaluations_per_row"]))


def test_errors_are_clear(tmp_path, capsys, fast_space):
    from anb.fitting.hpo import main
    from anb.fitting.model_config import default_config_path

    broken = tmp_path / "broken_configspace.json"
    broken.write_text('{"hyperparameters": [{"name": "x", "type": "nonsense"}]}')
    assert main(["--model", "xgb", "--model_config_path", str(broken)]) == 2
    assert "not a valid ConfigSpace JSON" in capsys.readouterr().err

    assert main(["--model", "xgb", "--model_config_path", str(default_config_path("lgb"))]) == 2
    err = capsys.readouterr().err
    assert "does not match model 'xgb'" in err and "lgb" in err and "num_leaves" in err

    assert main(["--model", "xgb", "--model_config_path", str(fast_space), "--walltime", "0"]) == 2
    assert "--walltime must be a positive number of seconds" in capsys.readouterr().err

    assert main(["--model", "xgb_accel"]) == 2
    assert "is a device surrogate; give a device" in capsys.readouterr().err

    assert main(["--model", "xgb", "--model_config_path", str(fast_space), "--tolerance", "-0.1"]) == 2
    assert "--tolerance must be a Kendall tau difference in [0, 1)" in capsys.readouterr().err


def test_existing_dask_cluster_by_scheduler_address(subsample, fast_space, tmp_path):
    from distributed import LocalCluster

    from anb.fitting.hpo import main

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert main(hpo_args(subsample, fast_space, tmp_path, "--n-trials", "3", "--n-initial", "1", "--scheduler-address", address)) == 0
    history = pd.read_csv(run_dir(tmp_path) / "runhistory.csv")
    assert len(history) == 3 and (history["status"] == "success").all()
    assert json.loads((run_dir(tmp_path) / "hpo_args.json").read_text())["cluster"] == "scheduler"


def test_pareto_front_and_pick_rule_on_a_known_table():
    from anb.fitting.hpo import pareto_mask, pick_cheapest_within

    table = pd.DataFrame({
        "trial": [1, 2, 3, 4, 5, 6],
        "val_tau": [0.900, 0.905, 0.880, 0.910, 0.700, np.nan],
        "evaluations_per_row": [5000.0, 1200.0, 300.0, 9000.0, 100.0, 10.0],
    })
    ok = table["val_tau"].notna()
    # Trial 1 is beaten by trial 2 on both tau and cost; every other finished trial is on the front.
    assert pareto_mask(-table.loc[ok, "val_tau"], table.loc[ok, "evaluations_per_row"]).tolist() == [False, True, True, True, True]
    # Best 0.910: within 0.002 only trial 4; within 0.005 trials 2 and 4 (2 is cheaper); within 0.03 also 3.
    assert pick_cheapest_within(table, 0.002)["trial"] == 4
    assert pick_cheapest_within(table, 0.005)["trial"] == 2
    assert pick_cheapest_within(table, 0.03)["trial"] == 3
    assert pick_cheapest_within(table, 0.3)["trial"] == 5


def test_print_paths_names_what_a_run_writes(tmp_path, capsys):
    from anb.fitting.hpo import main

    assert main(["--model", "lgb_accel", "--device", "zcu102", "--metric", "latency", "--log_dir", str(tmp_path),
                 "--seed", "4", "--print-paths"]) == 0
    printed = dict(line.split("\t") for line in capsys.readouterr().out.strip().splitlines())
    assert printed["run_dir"] == str(tmp_path / "lgb_accel" / "zcu102" / "latency" / "seed-4")
    assert printed["config_file"].endswith("lgb_accel/zcu102/latency/seed-4/lgb_accel_zcu102_latency_configspace.json")
    assert printed["package_config"] == printed["default_config"] and Path(printed["default_config"]).is_file()
    assert not (tmp_path / "lgb_accel").exists()


@pytest.mark.parametrize("family, size", [("xgb", "param:max_depth"), ("lgb", "param:num_leaves")])
def test_cheaper_variants_raise_the_learning_rate_and_shrink_the_trees(family, size):
    from anb.fitting.hpo.warm_start import cheaper_variants
    from anb.fitting.model_config import default_config_path, read_configspace

    space = read_configspace(default_config_path(family))
    default = space.get_default_configuration()
    variants = cheaper_variants(space, family, limit=10)
    assert 3 <= len(variants) <= 5 and default not in variants
    for variant in variants:
        # Small trees may round to the same size at the first step; the rate alone makes them cheaper.
        assert variant["param:learning_rate"] > default["param:learning_rate"] and variant[size] <= default[size]
        changed = {k for k in default.keys() if variant[k] != default[k]}
        assert changed <= {"param:learning_rate", size}
    assert min(variant[size] for variant in variants) < default[size]
    assert cheaper_variants(space, family, limit=2) == variants[:2]
    assert cheaper_variants(space, "svr", limit=5) == []


def test_the_pick_uses_the_confirmed_means_where_a_table_has_them():
    from anb.fitting.hpo import pick_cheapest_within
    from anb.fitting.hpo.selection import CONFIRMED_COST, CONFIRMED_TAU, confirmation_candidates

    table = pd.DataFrame({
        "trial": [1, 2, 3, 4, 5],
        "val_tau": [0.915, 0.910, 0.9095, 0.880, 0.850],
        "evaluations_per_row": [9000.0, 4000.0, 2000.0, 500.0, 100.0],
    })
    # On one seed, trial 1 looks best and only it lies within 0.002; trials 1-3 lie within 3 x 0.002.
    assert pick_cheapest_within(table, 0.002)["trial"] == 1
    assert confirmation_candidates(table, 0.002)["trial"].tolist() == [1, 2, 3]
    # Its mean over seeds is lower: trial 2 is then within the tolerance of the best mean, and cheaper.
    table[CONFIRMED_TAU] = [0.908, 0.909, 0.9045, np.nan, np.nan]
    table[CONFIRMED_COST] = [9100.0, 3900.0, 2100.0, np.nan, np.nan]
    assert pick_cheapest_within(table, 0.002)["trial"] == 2
    assert pick_cheapest_within(table, 0.005)["trial"] == 3


def test_cross_validation_folds_partition_the_rows_and_hold_out_a_ninth_to_early_stop():
    from anb.fitting.hpo.cross_validation import fold_rows

    n, folds = 1000, 5
    scored_all = []
    for fold in range(folds):
        fit, stop, scored = fold_rows(n, folds, repeat=0, fold=fold)
        assert not (set(fit) & set(stop)) and not ((set(fit) | set(stop)) & set(scored))
        assert len(fit) + len(stop) + len(scored) == n and len(stop) == round((n - len(scored)) / 9)
        scored_all.append(scored)
        assert all(np.array_equal(a, b) for a, b in zip((fit, stop, scored), fold_rows(n, folds, 0, fold)))
    assert np.array_equal(np.sort(np.concatenate(scored_all)), np.arange(n))
    assert not np.array_equal(fold_rows(n, folds, 1, 0)[2], scored_all[0])


def test_candidates_are_confirmed_by_cross_validation_on_train_and_validation_rows(subsample, fast_space):
    from anb.data.dataset import load_dataset
    from anb.data.splits import random_split
    from anb.devices.targets import resolve_target
    from anb.fitting.hpo import ValidationCostObjective, pick_cheapest_within
    from anb.fitting.hpo.confirmation import confirm_candidates
    from anb.fitting.hpo.cross_validation import CV_FOLDS, fold_score
    from anb.fitting.hpo.selection import CONFIRMED_COST, CONFIRMED_TAU
    from anb.fitting.model_config import read_configspace
    from anb.fitting.training import split_data

    data = load_dataset(subsample)
    sides, _ = split_data(data, random_split(data, 0.8, 0.1, 0.1, seed=1), resolve_target("a100", "throughput"))
    objective = ValidationCostObjective("xgb", sides["train"], sides["val"], seed=2)
    space = read_configspace(fast_space)
    default = dict(space.get_default_configuration())
    rates = (0.1, 0.2, 0.3)
    table = pd.DataFrame([{**default, "param:learning_rate": rate, "trial": i + 1} for i, rate in enumerate(rates)])
    table["val_tau"] = [0.95, 0.949, 0.90]  # the third lies outside 3 tolerances: not a candidate
    table["evaluations_per_row"] = [3000.0, 2000.0, 500.0]

    confirmed = confirm_candidates(table, space, objective, 0.002, progress=False)
    assert confirmed[CONFIRMED_TAU].notna().tolist() == [True, True, False]
    config = {**default, "param:learning_rate": 0.2}
    taus, costs = np.array([fold_score(objective, config, fold) for fold in range(CV_FOLDS)]).T
    assert confirmed.loc[1, CONFIRMED_TAU] == pytest.approx(taus.mean())
    assert confirmed.loc[1, CONFIRMED_COST] == pytest.approx(costs.mean())
    assert 0.5 < taus.min() and taus.max() < 1
    # Folds fitted in worker processes give the same numbers, and the pick reads the CV means.
    in_parallel = confirm_candidates(table, space, objective, 0.002, n_workers=2, progress=False)
    assert np.allclose(in_parallel[CONFIRMED_TAU], confirmed[CONFIRMED_TAU], equal_nan=True)
    picked = pick_cheapest_within(confirmed, 0.002)
    eligible = confirmed[confirmed[CONFIRMED_TAU] >= confirmed[CONFIRMED_TAU].max() - 0.002]
    assert picked[CONFIRMED_COST] == eligible[CONFIRMED_COST].min()
