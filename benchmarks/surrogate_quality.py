"""Test-set quality of the project's xgb and lgb surrogates on every target.

Fits each model with the project's tuned config (configs/model_configs) on the published
default split (4100/512/512; early stopping on its validation side) for 3 seeds, and prints
the mean test R², Kendall τ, Spearman ρ and MAE per target. The published reference for the
XGB accuracy surrogate (authors' README, one seed) is τ 0.917, R² 0.984, MAE 0.317.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/surrogate_quality.py [--models xgb lgb] [--seeds 3]
"""

from __future__ import annotations

import argparse

import pandas as pd

from anb.data import paths
from anb.data.dataset import load_dataset
from anb.data.splits import load_split_dir
from anb.devices.targets import all_targets
from anb.fitting.model_config import default_config_path, read_model_params
from anb.fitting.training import evaluate_sides, fit_members, split_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["xgb", "lgb"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--split", default=None, help="default: default_split/ beside the dataset ($ANB_DATA_DIR)")
    args = parser.parse_args()

    data = load_dataset()
    split = load_split_dir(args.split or paths.data_dir() / "default_split", data)
    rows = []
    for target in all_targets():
        sides, _ = split_data(data, split, target)
        for family in args.models:
            params = read_model_params(default_config_path(family, target.device, target.metric))
            per_seed = []
            for seed in range(args.seeds):
                metrics, _ = evaluate_sides(fit_members(family, params, sides, 1, seed, progress=False), sides)
                per_seed.append(metrics["test"])
            mean = pd.DataFrame(per_seed).mean()
            rows.append({"target": target.label, "model": family, "n_train": len(sides["train"].y),
                         "test R2": mean["r2"], "tau": mean["kendall_tau"], "spearman": mean["spearmanr"], "MAE": mean["mae"]})
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1, float_format="%.4f"), flush=True)
    print(f"\nmean over {args.seeds} seeds, published default split ({split.sizes()})")
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.4f"))


if __name__ == "__main__":
    main()
