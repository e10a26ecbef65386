"""Fit a surrogate (or an ensemble) on the Accel-NASBench results and evaluate it.

Keeps the original's flags; every one has a default, so ``python fit_model.py`` fits the XGB
accuracy surrogate on the cached dataset. Examples::

    python fit_model.py --model xgb --data_splits_root ../shared/data/anb/default_split
    python fit_model.py --model xgb_accel --device a100 --metric throughput --ensemble
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt

from anb.data.dataset import load_dataset
from anb.data.download import DownloadError
from anb.data.splits import KFOLD_SPLITS, PROJECT_SPLIT, Split, resolve_split
from anb.data.validation import OneLineParser, check_members, check_seed, cli_type, one_line, read_json
from anb.devices.request import resolve_request
from anb.devices.targets import Target
from anb.fitting.model_config import check_params_for_family, default_config_path, read_model_params
from anb.fitting.plotting import save_figure, scatter_predicted_vs_measured
from anb.fitting.training import evaluate_sides, fit_members, split_data
from anb.surrogates.ensemble_io import save_ensemble


# Runs started in the same second with the same seed get -1, -2, ... suffixes.
RUN_DIR_ATTEMPTS = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = OneLineParser("fit_model.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_root", default=None, help="directory or .tar.gz of result JSONs (default: the cached dataset, downloaded if needed)")
    parser.add_argument("--model", default="xgb", help="xgb, lgb, sklearn_forest, svr, svr_nu, or their _accel forms (default: xgb)")
    parser.add_argument("--model_config_path", default=None, help="ConfigSpace JSON whose defaults are the hyperparameters (default: the project's tuned config for the model and target)")
    parser.add_argument("--data_config_path", default=None,
                        help="data config with train_val_test_split ratios: a random split drawn with --seed "
                             f"(default: the project's split {PROJECT_SPLIT}, see anb.data.splits.default_split)")
    parser.add_argument("--device", default=None, help="device of a performance surrogate (default: none, i.e. accuracy)")
    parser.add_argument("--metric", default=None, help="throughput or latency (default: the device's only metric)")
    parser.add_argument("--log_dir", default="experiments/surrogate_models", help="where runs are written")
    parser.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=6,
                        help="seed of the split, the fold and the models (default: 6)")
    parser.add_argument("--data_splits_root", default=None, help=f"directory with train/val/test_paths.json; train+val are then {KFOLD_SPLITS}-fold cross-validated, fold seed %% {KFOLD_SPLITS}")
    parser.add_argument("--ensemble", action="store_true", help="fit an ensemble instead of one model")
    parser.add_argument("--ensemble-size", type=cli_type(check_members, "--ensemble-size"), default=5,
                        help="members of the ensemble (default: 5)")
    return parser.parse_args(argv)


def make_split(args, data) -> tuple[Split, dict]:
    """The split (the original's k-fold over a split directory) and a record of how it was made."""
    split = resolve_split(data, args.data_splits_root, args.data_config_path, args.seed, kfold=True)
    if args.data_splits_root:
        return split, {"data_splits_root": str(args.data_splits_root),
                       "kfold": {"n_splits": KFOLD_SPLITS, "fold": args.seed % KFOLD_SPLITS}}
    if args.data_config_path:
        return split, read_json(args.data_config_path, "data config")
    return split, {"default_split": split.source}


def check_sides(sides: dict, target: Target) -> None:
    n_train = len(sides["train"].y)
    if n_train < 2:
        raise ValueError(f"{n_train} train row(s) have a {target.column} measurement (the others are null or not a "
                         "number); a fit needs at least 2")


def run_dir(args, target: Target) -> Path:
    """A new, empty run directory (made before any work, so a bad --log_dir fails at once)."""
    parts = [args.log_dir, args.model] + ([target.device, target.metric] if target.device else [])
    stem = Path(*parts) / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.seed}"
    for attempt in range(RUN_DIR_ATTEMPTS):
        path = stem.with_name(stem.name + (f"-{attempt}" if attempt else ""))
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            if not path.is_dir():
                break
        except NotADirectoryError:
            break
    raise ValueError(f"cannot make a run directory {path} under --log_dir {args.log_dir}: a file is in the way "
                     f"or {RUN_DIR_ATTEMPTS} runs already share its name")


def plot_sides(table, metrics, target: Target, path: Path) -> None:
    sides = [side for side in ("train", "val", "test") if side in metrics]
    fig, axes = plt.subplots(1, len(sides), figsize=(5 * len(sides), 4.5), squeeze=False)
    for ax, side in zip(axes[0], sides):
        rows = table[table["side"] == side]
        scatter_predicted_vs_measured(ax, rows["measured"], rows["predicted"], rows["std"], metrics[side], f"{target.label}: {side}", target.unit)
    save_figure(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        request = resolve_request(args.model, args.device, args.metric)
        family, target = request.family, request.target
        config_path = args.model_config_path or default_config_path(family, target.device, target.metric)
        params = read_model_params(config_path)
        check_params_for_family(params, family, f"model config {config_path}")
        data = load_dataset(args.dataset_root)
        split, data_config = make_split(args, data)
        sides, dropped = split_data(data, split, target)
        check_sides(sides, target)
        out = run_dir(args, target)
    except (ValueError, OSError, RuntimeError, DownloadError) as exc:
        print(f"fit_model.py: error: {one_line(exc)}", file=sys.stderr)
        return 2

    print(data.attrs["report"].summary())
    for side, count in dropped.items():
        if count:
            print(f"{side}: dropped {count} row(s) with no {target.column} measurement")
    for name, reason in split.dropped:
        print(f"split: dropped {name} ({reason})")
    print(f"target {target.label} ({target.unit}); sizes: " + ", ".join(f"{s} {len(d.y)}" for s, d in sides.items()))

    n_members = args.ensemble_size if args.ensemble else 1
    try:
        members = fit_members(family, params, sides, n_members, args.seed)
    except BaseException:
        out.rmdir()  # reserved before the work and still empty: a failed or interrupted fit leaves nothing
        raise
    metrics, table = evaluate_sides(members, sides)
    for side, label in (("train", "train"), ("val", "valid"), ("test", "test")):
        if side in metrics:
            print(f"{label} metrics: {metrics[side]}")

    save_ensemble(out, members, {"target": target.__dict__, "model": args.model, "params": params, "seed": args.seed,
                                 "split": split.source, "metrics": metrics})
    (out / "model_config.json").write_text(json.dumps({**params, "model": args.model, "device": target.device, "metric": target.metric,
                                                       "config_file": str(config_path)}, indent=1))
    (out / "data_config.json").write_text(json.dumps(data_config, indent=1))
    split.save(out)
    table[table["side"] == "test"].to_csv(out / "test_predictions.csv", index=False)
    plot_sides(table, metrics, target, out / "pred_vs_measured")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
