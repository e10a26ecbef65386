"""Cross-validated ranking of a committed config at smaller learning rates, where the validation side cannot tell.

The tuning (do_hpo.py) scores a trial on the 512-row validation side, and on some targets the
seed-to-seed spread there is as large as the differences between the cheap configs it weighs.
This check uses all train + validation rows (never the test side): repeated k-fold, each fold
fitted on the other folds less a random ninth that early-stops it (the published 8:1 ratio of
train to validation), and scored on the fold, as do_hpo confirms its candidates
(anb/fitting/hpo/cross_validation.py) but over several random partitions. For each learning-rate factor
it prints the mean Kendall tau over the folds, its difference from the committed config (paired
over the folds, with its standard error) and the evaluations per row; the config committed
before cost-aware tuning is the reference line.

    python benchmarks/learning_rate_cv.py --target tpuv3/throughput
    python benchmarks/learning_rate_cv.py --target tpuv3/throughput --install 0.25

``--install F`` rewrites the committed config with its learning rate times F (atomically; the
search space and every other default kept).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BEFORE_DIR = HERE / "configs_before_cost_aware_tuning"
LEARNING_RATE = "param:learning_rate"


@lru_cache(maxsize=1)
def _rows(split_dir: str, device: str | None, metric: str | None):
    from anb.data.dataset import load_dataset
    from anb.data.splits import load_split_dir
    from anb.devices.targets import resolve_target
    from anb.fitting.training import split_data

    data = load_dataset()
    sides, _ = split_data(data, load_split_dir(split_dir, data), resolve_target(device, metric))
    return sides["train"], sides["val"]


def score_fold(params: dict, split_dir: str, device: str | None, metric: str | None, folds: int, repeat: int,
               fold: int) -> tuple[float, float]:
    """(Kendall tau, evaluations per row) of xgb ``params`` on one fold of one repeat, as do_hpo
    confirms a candidate (model seed = repeat, one thread)."""
    from anb.fitting.hpo.cross_validation import fold_score
    from anb.fitting.hpo.objective import ValidationCostObjective

    objective = ValidationCostObjective("xgb", *_rows(split_dir, device, metric), seed=repeat)
    return fold_score(objective, params, fold, folds, repeat)


def install_learning_rate(path: Path, factor: float) -> float:
    """Scale the default learning rate of the config at ``path`` by ``factor``; the new rate."""
    from anb.data.atomic import replace_atomically
    from anb.fitting.hpo.space import space_with_defaults
    from anb.fitting.model_config import read_configspace

    space = read_configspace(path)
    rate = float(space.get_default_configuration()[LEARNING_RATE]) * factor
    scaled = space_with_defaults(space, {LEARNING_RATE: round(rate, 13)})
    replace_atomically(path, lambda staging: scaled.to_json(staging, indent=1))
    return rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="device/metric, e.g. tpuv3/throughput, or 'accuracy'")
    parser.add_argument("--factors", nargs="+", type=float, default=[1.0, 0.5, 1 / 3, 0.25])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--split-dir", default=None, help="default: $ANB_DATA_DIR/default_split (the published split)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="fits run side by side, one thread each")
    parser.add_argument("--install", type=float, metavar="FACTOR", help="scale the committed learning rate by FACTOR")
    args = parser.parse_args(argv)

    from anb.data import paths
    from anb.devices.targets import resolve_target
    from anb.fitting.model_config import config_file_name, default_config_path, read_model_params

    target = resolve_target(*args.target.split("/")) if "/" in args.target else resolve_target(None, args.target)
    committed = default_config_path("xgb", target.device, target.metric)
    if args.install is not None:
        rate = install_learning_rate(committed, args.install)
        print(f"{committed}: learning rate now {rate:.6g}")
        return 0
    split_dir = str(Path(args.split_dir) if args.split_dir else paths.data_dir() / "default_split")
    base = read_model_params(committed)
    variants = {"before tuning": read_model_params(BEFORE_DIR / config_file_name("xgb", target.device, target.metric))}
    for factor in args.factors:
        variants[f"lr x {factor:.3g} ({base['learning_rate'] * factor:.4f})"] = {
            **base, "learning_rate": base["learning_rate"] * factor}
    cells = [(r, f) for r in range(args.repeats) for f in range(args.folds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = {name: [pool.submit(score_fold, params, split_dir, target.device, target.metric, args.folds, r, f) for r, f in cells]
                for name, params in variants.items()}
        scores = {name: np.array([job.result() for job in fold_jobs]) for name, fold_jobs in jobs.items()}
    reference = scores[f"lr x {1.0:.3g} ({base['learning_rate']:.4f})"] if 1.0 in args.factors else None
    print(f"xgb {target.label}: {args.repeats} x {args.folds}-fold CV over train + val ({split_dir}); "
          f"differences paired over the {len(cells)} folds, against the committed learning rate")
    print("| config | CV tau | vs committed (se) | evaluations/row |\n|---|---|---|---|")
    for name, result in scores.items():
        diff = "" if reference is None else (
            f"{np.mean(result[:, 0] - reference[:, 0]):+.4f} "
            f"({np.std(result[:, 0] - reference[:, 0], ddof=1) / np.sqrt(len(cells)):.4f})")
        print(f"| {name} | {result[:, 0].mean():.4f} | {diff} | {result[:, 1].mean():,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
