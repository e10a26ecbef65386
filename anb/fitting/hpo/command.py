"""The command line of ``do_hpo.py``: the original's flags, plus budget, cluster and pick options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anb.data.splits import PROJECT_SPLIT
from anb.data.validation import OneLineParser, check_seed, cli_type
from anb.devices.targets import Target
from anb.fitting.hpo.selection import DEFAULT_TOLERANCE

DEFAULT_LOG_DIR = "experiments/hpo"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        "do_hpo.py",
        description="Tune a surrogate's hyperparameters with SMAC for validation ranking error (1 - Kendall tau) and "
                    "prediction cost together (the test side is never used), then pick the cheapest configuration whose "
                    "validation tau is within --tolerance of the best.",
    )
    add = parser.add_argument
    add("--dataset_root", default=None, help="directory or .tar.gz of result JSONs (default: the cached dataset)")
    add("--model", default="xgb", help="xgb, lgb, sklearn_forest, svr, svr_nu, or their _accel forms (default: xgb)")
    add("--data_config_path", default=None,
        help=f"data config with train_val_test_split ratios: a random split drawn with --seed (default: the project's "
             f"split {PROJECT_SPLIT}, see anb.data.splits.default_split)")
    add("--data_splits_root", default=None, help="directory with train/val/test_paths.json, used as it is")
    add("--model_config_path", default=None,
        help="config space to search; its defaults are evaluated first (default: the project's config for the model and target)")
    add("--device", default=None, help="device of a performance surrogate (default: none, i.e. accuracy)")
    add("--metric", default=None, help="throughput or latency (default: the device's only metric)")
    add("--log_dir", default=DEFAULT_LOG_DIR, help=f"the run goes to <log_dir>/<model>[/<device>/<metric>]/seed-<seed> (default: {DEFAULT_LOG_DIR})")
    add("--seed", type=cli_type(check_seed, "--seed"), default=6, help="seed of SMAC, of the models and of a random split (default: 6)")
    add("--n-trials", dest="n_trials", type=int, default=100, help="maximum number of trials (default: 100)")
    add("--walltime", type=float, default=3600.0, help="wall-time budget of the run in seconds; a resumed run counts the time already used (default: 3600)")
    add("--n-workers", dest="n_workers", type=int, default=1, help="parallel trials; above 1 SMAC starts a local Dask cluster (default: 1)")
    add("--scheduler-address", dest="scheduler_address", default=None,
        help="address of an existing Dask scheduler (e.g. tcp://host:8786); its workers run the trials")
    add("--n-initial", dest="n_initial", type=int, default=None, help="Sobol initial design size (default: n_trials/4, at most 10)")
    add("--n-threads", dest="n_threads", type=int, default=1, help="threads per trial for xgb/lgb (default: 1)")
    add("--tolerance", type=float, default=DEFAULT_TOLERANCE,
        help=f"pick the cheapest configuration whose validation Kendall tau is at least the best minus this (default: {DEFAULT_TOLERANCE})")
    add("--print-paths", dest="print_paths", action="store_true",
        help="print the run directory and the tuned config file this call would write, then exit without tuning")
    add("--quiet", action="store_true", help="do not report every trial")
    return parser


def run_directory(log_dir: str | Path, model: str, target: Target, seed: int) -> Path:
    parts = [model] + ([target.device, target.metric] if target.device else [])
    return Path(log_dir, *parts) / f"seed-{seed}"


def main(argv=None) -> int:
    from anb.data.dataset import load_dataset
    from anb.data.download import DownloadError
    from anb.data.validation import one_line
    from anb.data.splits import SIDES, resolve_split
    from anb.devices.request import resolve_request
    from anb.fitting.hpo.space import load_search_space
    from anb.fitting.model_config import config_file_name, default_config_path, package_config_path
    from anb.fitting.training import split_data

    args = build_parser().parse_args(argv)
    say = (lambda message: None) if args.quiet else (lambda message: print(message, flush=True))
    try:
        from anb.fitting.hpo.run import run_hpo, validate_budget
    except ModuleNotFoundError as exc:
        print(f"do_hpo.py: error: {exc.name} is not installed; tuning needs the hpo extra: "
              'pip install -e ".[hpo]" (or pip install "anb[hpo]")', file=sys.stderr)
        return 2
    try:
        request = resolve_request(args.model, args.device, args.metric)
        family, target = request.family, request.target
        run_dir = run_directory(args.log_dir, args.model, target, args.seed)
        if args.print_paths:
            print(f"run_dir\t{run_dir}")
            print(f"config_file\t{run_dir / config_file_name(family, target.device, target.metric)}")
            print(f"default_config\t{default_config_path(family, target.device, target.metric)}")
            print(f"package_config\t{package_config_path(family, target.device, target.metric)}")
            return 0
        validate_budget(args.n_trials, args.walltime, args.n_workers, args.n_threads, args.tolerance)
        config_path = args.model_config_path or default_config_path(family, target.device, target.metric)
        space = load_search_space(config_path, family)
        data = load_dataset(args.dataset_root)
        split = resolve_split(data, args.data_splits_root, args.data_config_path, args.seed)
        sides, dropped = split_data(data, split, target)
        for side in SIDES:
            if dropped.get(side):
                say(f"{side}: dropped {dropped[side]} row(s) with no {target.column} measurement")
        say(f"search space {config_path}; split {split.source}: train {len(sides['train'].y)}, "
            f"val {len(sides['val'].y)} (test {len(sides['test'].y)}, not used)")
        result = run_hpo(
            family=family, model=args.model, target=target, space=space,
            sides={"train": sides["train"], "val": sides["val"]}, run_dir=run_dir, seed=args.seed,
            n_trials=args.n_trials, walltime=args.walltime, n_workers=args.n_workers,
            scheduler_address=args.scheduler_address, n_initial=args.n_initial, n_threads=args.n_threads,
            tolerance=args.tolerance, split_source=split.source, progress=say,
        )
    except (ValueError, OSError, DownloadError) as exc:
        print(f"do_hpo.py: error: {one_line(exc)}", file=sys.stderr)
        return 2
    print(f"picked: validation tau {result.val_tau:.4f}, {result.evaluations_per_row:,.0f} evaluations per row "
          f"(means over the cross-validation folds), "
          f"after {result.n_trials} trial(s): {result.params}")
    for name, path in result.files.items():
        print(f"{name}: {path}")
    return 0
