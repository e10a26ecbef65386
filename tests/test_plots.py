"""The scripts in plots/: each runs on a small budget, writes its figures, and its numbers are sane.

The scripts run in this process (their ``main(argv)``) against a private cache of quickly
fitted 2-member ensembles (``helpers_store.FAST_PARAMS``), so they build nothing slow; ``--help``
is checked in a subprocess, as a user would run it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helpers_store import FAST_PARAMS, REPO

PLOTS = REPO / "plots"
SCRIPTS = ("predicted_vs_measured", "sample_efficiency", "search_trajectories", "pareto_fronts", "uncertainty")


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"anb_plot_{name}", PLOTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fast_env(real_data, tmp_path_factory):
    """A private ``ANB_HOME`` and the short boosting schedule for every surrogate built here."""
    home = tmp_path_factory.mktemp("plots_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANB_HOME", str(home))
        patch.setattr("anb.fitting.model_config.read_model_params", lambda path: dict(FAST_PARAMS))
        yield home


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("plots_out")


def common(out) -> list[str]:
    return ["--out-dir", str(out), "--n-members", "2"]


def assert_figures(out, stem: str) -> None:
    for suffix in ("png", "pdf"):
        path = out / f"{stem}.{suffix}"
        assert path.is_file() and path.stat().st_size > 1000, path


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(name):
    result = subprocess.run([sys.executable, str(PLOTS / f"{name}.py"), "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--out-dir" in result.stdout and "usage" in result.stdout


def test_predicted_vs_measured(fast_env, out):
    metrics = load("predicted_vs_measured").main(common(out))  # defaults: accuracy and every device metric
    assert_figures(out, "predicted_vs_measured")
    assert len(metrics) == 9 and "accuracy" in metrics and "zcu102/latency" in metrics
    for label, values in metrics.items():
        assert values["n_test"] > 400, label
        assert 0.7 < values["kendall_tau"] <= 1 and values["r2"] > 0.8, (label, values)
    assert json.loads((out / "predicted_vs_measured.json").read_text()).keys() == metrics.keys()
    table = pd.read_csv(out / "predicted_vs_measured.csv")
    assert (table["std"] >= 0).all() and np.allclose(table["abs_error"], (table["predicted"] - table["measured"]).abs())


def test_uncertainty(fast_env, out):
    numbers = load("uncertainty").main(common(out) + ["--targets", "accuracy", "a100", "zcu102/latency"])
    assert_figures(out, "uncertainty")
    for label, values in numbers.items():
        assert -1 <= values["spearman"] <= 1
        assert np.all(np.diff(values["bin_std"]) >= 0), label  # bins are std quantiles, in order
        assert values["mae"] > 0 and values["mean_std"] > 0


def test_sample_efficiency(fast_env, out):
    frame = load("sample_efficiency").main(
        ["--out-dir", str(out), "--targets", "accuracy", "a100", "--sizes", "100", "1000", "--seeds", "2",
         "--max-rounds", "60"])
    assert_figures(out, "sample_efficiency")
    assert len(frame) == 2 * 2 * 2
    assert set(frame["n_train"]) == {100, 1000}
    assert frame["test_kendall_tau"].between(0.3, 1).all()
    mean = frame.groupby(["target", "n_train"])["test_kendall_tau"].mean()
    for target in ("accuracy", "a100/throughput"):
        assert mean[(target, 1000)] > mean[(target, 100)]  # more data, better ranking
    assert pd.read_csv(out / "sample_efficiency.csv").shape == frame.shape


def test_search_trajectories(fast_env, out):
    numbers = load("search_trajectories").main(common(out) + ["--budget", "80", "--seeds", "2"])
    assert_figures(out, "search_trajectories")
    curves = pd.read_csv(out / "search_trajectories.csv")
    assert set(curves["algorithm"]) == {"random_search", "regularized_evolution", "local_search"}
    for _, run in curves.groupby(["algorithm", "seed"]):
        assert len(run) == 80 and (np.diff(run["best"]) >= 0).all()
    for stats in numbers["final_best"].values():
        assert 40 < stats["mean"] < 80 and stats["std"] >= 0 and stats["seeds"] == 2


def test_pareto_fronts(fast_env, out):
    numbers = load("pareto_fronts").main(common(out) + ["--budget", "100", "--targets", "a100", "zcu102/latency"])
    assert_figures(out, "pareto_fronts")
    fronts = pd.read_csv(out / "pareto_fronts.csv")
    for (target, algorithm), front in fronts.groupby(["target", "algorithm"]):
        maximize = numbers[target]["directions"]
        scores = np.column_stack([front["accuracy"], front["device_value"]]) * np.where(np.array(maximize) == "max", 1, -1)
        for i, p in enumerate(scores):
            others = np.delete(scores, i, axis=0)
            assert not ((others >= p).all(axis=1) & (others > p).any(axis=1)).any(), (target, algorithm, i)
        assert numbers[target][algorithm]["hypervolume"] > 0
        assert numbers[target][algorithm]["front_size"] == len(front)
    assert numbers["zcu102/latency"]["directions"] == ["max", "min"]
