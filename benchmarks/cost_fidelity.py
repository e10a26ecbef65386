"""Cost against fidelity of the committed model configs, next to the configs before cost-aware tuning.

For each of the nine targets, each config (the package's, and the one committed before the
tuning weighed prediction cost, kept in benchmarks/configs_before_cost_aware_tuning/) is fitted
on the train side of the published split, early-stopped on its validation side, with seeds
0, 1 and 2, and scored on its test side. Printed per target and config: trees, max depth,
evaluations per row (split nodes a test row passes through, all trees), the time to predict
100,000 rows (best of 3, on all cores, through the member's ``predict``: anb's compiled kernel
for xgb, LightGBM's predictor for lgb; the two configs timed back to back), the time to fit one member on one thread (mean over the seeds; fits run
``--jobs`` at a time), the validation RMSE (mean of the seeds; in brackets its spread over the seeds,
(max - min) / mean: the scale of the tuning's pick tolerance) and the test Kendall tau (mean of
the seeds).

    python benchmarks/cost_fidelity.py                       # xgb, seeds 0 1 2
    python benchmarks/cost_fidelity.py --families xgb lgb --seeds 0

Targets (issue 11): on every target, tau >= tau before - 0.002 and evaluations per row <= 1/5 of before.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BEFORE_DIR = HERE / "configs_before_cost_aware_tuning"
BULK_ROWS = 100_000
TAU_SLACK = 0.002
COST_RATIO = 5.0


@lru_cache(maxsize=1)
def _data_and_split(split_dir: str):
    from anb.data.dataset import load_dataset
    from anb.data.splits import load_split_dir

    data = load_dataset()
    return data, load_split_dir(split_dir, data)


def fit_config(family, config_path, device, metric, seed, split_dir) -> tuple[object, dict]:
    """One member fitted on one thread (several run side by side) and its test figures."""
    from anb.devices.targets import resolve_target
    from anb.fitting.metrics import evaluate_metrics
    from anb.fitting.model_config import read_model_params
    from anb.fitting.training import fit_members, split_data
    from anb.models import family_class

    data, split = _data_and_split(split_dir)
    sides, _ = split_data(data, split, resolve_target(device, metric))
    params = {**read_model_params(config_path), family_class(family).thread_param: 1}
    start = time.perf_counter()
    [model] = fit_members(family, params, sides, 1, seed, progress=False)
    fit_seconds = time.perf_counter() - start
    test, val = sides["test"], sides["val"]
    trees, depth = tree_shape(model)
    return model, {
        "trees": trees,
        "depth": depth,
        "fit_seconds": fit_seconds,
        "tau": evaluate_metrics(test.y, model.predict(test.X))["kendall_tau"],
        "val_rmse": float(np.sqrt(np.mean((model.predict(val.X) - val.y) ** 2))),
        "evaluations": model.evaluations_per_row(test.X),
    }


def tree_shape(model) -> tuple[int, int]:
    """(trees, deepest leaf) of a fitted booster."""
    from anb.models.prediction_cost import lgb_leaf_depths, xgb_node_depths

    if model.family == "xgb":
        depth, offsets = xgb_node_depths(model.booster_)
        return len(offsets), int(depth.max())
    leaf_depths = lgb_leaf_depths(model.booster_, model.best_iteration_)
    return len(leaf_depths), int(max(d.max() for d in leaf_depths))


def bulk_seconds(model, X: np.ndarray) -> float:
    rows = np.resize(X, (BULK_ROWS, X.shape[1]))
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        model.predict(rows)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=["xgb"], choices=["xgb", "lgb"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--split-dir", default=None, help="default: $ANB_DATA_DIR/default_split (the published split)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="fits run side by side, one thread each")
    args = parser.parse_args(argv)

    from anb.data import paths
    from anb.devices.targets import all_targets
    from anb.fitting.model_config import config_file_name, default_config_path
    from anb.fitting.training import split_data

    split_dir = str(Path(args.split_dir) if args.split_dir else paths.data_dir() / "default_split")
    data, split = _data_and_split(split_dir)
    print(f"split {split_dir}; seeds {args.seeds}; {args.jobs} fits at a time, one thread each; "
          f"bulk = {BULK_ROWS:,} rows on all cores, best of 3")
    jobs = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for family in args.families:
            for target in all_targets():
                configs = {"before": BEFORE_DIR / config_file_name(family, target.device, target.metric),
                           "now": default_config_path(family, target.device, target.metric)}
                for name, path in configs.items():
                    for seed in args.seeds:
                        jobs[family, target.label, name, seed] = pool.submit(
                            fit_config, family, str(path), target.device, target.metric, seed, split_dir)
        verdicts = []
        for family in args.families:
            print(f"\n{family}: before -> now\n| target | trees | max depth | evaluations/row | ratio | bulk s per 100k | "
                  f"fit s | val RMSE (seed spread) | test tau | delta tau |\n|---|---|---|---|---|---|---|---|---|---|")
            for target in all_targets():
                test_X = split_data(data, split, target)[0]["test"].X
                row = {}
                for name in ("before", "now"):
                    fits = [jobs[family, target.label, name, seed].result() for seed in args.seeds]
                    val_rmse = np.array([f[1]["val_rmse"] for f in fits])
                    row[name] = {**{k: fits[0][1][k] for k in ("trees", "depth")}, "model": fits[0][0],
                                 **{k: float(np.mean([f[1][k] for f in fits])) for k in ("evaluations", "tau", "fit_seconds")},
                                 "val_rmse": float(val_rmse.mean()),
                                 "seed_spread": float((val_rmse.max() - val_rmse.min()) / val_rmse.mean())}
                for name in row:  # timed back to back, after both are fitted
                    row[name]["bulk"] = bulk_seconds(row[name]["model"], test_X)
                before, now = row["before"], row["now"]
                ratio = before["evaluations"] / now["evaluations"]
                delta = now["tau"] - before["tau"]
                ok = delta >= -TAU_SLACK and ratio >= COST_RATIO
                verdicts.append((family, target.label, ok, delta, ratio))
                print(f"| {target.label} | {before['trees']:,} -> {now['trees']:,} | {before['depth']} -> {now['depth']} | "
                      f"{before['evaluations']:,.0f} -> {now['evaluations']:,.0f} | {ratio:.1f}x | "
                      f"{before['bulk']:.3f} -> {now['bulk']:.3f} | {before['fit_seconds']:.1f} -> {now['fit_seconds']:.1f} | "
                      f"{before['val_rmse']:.4g} ({before['seed_spread']:.1%}) -> {now['val_rmse']:.4g} ({now['seed_spread']:.1%}) | "
                      f"{before['tau']:.4f} -> {now['tau']:.4f} | {delta:+.4f} |", flush=True)
    failed = [v for v in verdicts if not v[2]]
    print(f"\ntargets met (tau >= before - {TAU_SLACK}, evaluations/row <= before / {COST_RATIO:g}): "
          f"{len(verdicts) - len(failed)} of {len(verdicts)}")
    for family, label, _, delta, ratio in failed:
        print(f"  missed: {family} {label}: delta tau {delta:+.4f}, {ratio:.1f}x fewer evaluations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
