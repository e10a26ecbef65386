"""``python -m anb.nb101``: fit-eval, rank and convert.

    python -m anb.nb101 fit-eval --train-split 172 --test-split rest --model gcn
    python -m anb.nb101 rank --model xgb --sample 1000 --top-k 10
    python -m anb.nb101 convert nasbench_full.tfrecord nasbench.hdf5

``--data`` takes a tfrecord, HDF5 or JSON file (NASLib's sample, a dict of parallel lists, a
list of records, records keyed by hash), told apart by content; the default is the first data
file found in ``anb.nb101.data_dir()`` (``$ANB_NB101_DATA_DIR``, else ``nb101/`` beside the
Accel-NASBench data folder).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from anb.nb101.data import DEFAULT_FILES, NASBench101Dataset, default_data_file
from anb.nb101.features import DEFAULT_FEATURES
from anb.nb101.json_layouts import read_cells
from anb.nb101.predictors import DEFAULT_UNITS, PREDICTORS, REST, TARGETS, UNITS, fit_eval, fit_split, rank_cells
from anb.nb101.readers import read_json_file
from anb.nb101.robust import AUTO
from anb.nb101.splits import SPLIT_NAMES
from configurationspaces.nasbench101_sampling import sample_cells

REPORTED = (("mse", "MSE", 2), ("mae", "MAE", 1), ("kendall_tau", "Kendall tau", 0), ("spearmanr", "Spearman", 0))
UNIT_SYMBOLS = {"percent": "%", "fraction": "fraction"}


def _load(path: str | None) -> NASBench101Dataset:
    return NASBench101Dataset.load(path if path else default_data_file())


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err.msg}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object; got {text!r}")
    return value


def _min_accuracy(text: str):
    """``auto``, ``none`` or a percentage in (0, 100], as :func:`fit_split` takes it."""
    if text in (AUTO, "none"):
        return None if text == "none" else AUTO
    try:
        percent = float(text)
    except ValueError:
        percent = math.nan
    if not 0 < percent <= 100:
        raise argparse.ArgumentTypeError(f"expected 'auto', 'none' or a percentage in (0, 100]; got {text!r}")
    return percent / 100


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        help=f"training data file (default: the first of {', '.join(DEFAULT_FILES)} in $ANB_NB101_DATA_DIR, "
        "else in nb101/ beside the Accel-NASBench data folder)",
    )
    parser.add_argument("--train-split", default="172", choices=SPLIT_NAMES)
    parser.add_argument("--model", default="xgb", choices=PREDICTORS)
    parser.add_argument("--features", default=DEFAULT_FEATURES, help="'+'-joined parts of flat, path, cost")
    parser.add_argument("--params", type=_json_object, default=None, help="JSON object of model hyperparameters")
    parser.add_argument("--target", default="validation", choices=TARGETS)
    parser.add_argument(
        "--min-train-accuracy", type=_min_accuracy, default=AUTO,
        help="drop training cells below this validation accuracy in percent; 'auto' (default): more than 5 "
        "robust standard deviations below the training median (diverged runs); 'none': keep all",
    )
    parser.add_argument("--split-seed", type=int, default=None, help="seed of the random splits (default: --seed)")
    parser.add_argument("--model-seed", type=int, default=None, help="seed of the model (default: --seed)")
    parser.add_argument("--seed", type=int, default=0, help="default of --split-seed and --model-seed")


def _fit_options(args) -> dict:
    return {
        "model": args.model,
        "features": args.features,
        "split_seed": args.seed if args.split_seed is None else args.split_seed,
        "model_seed": args.seed if args.model_seed is None else args.model_seed,
        "target": args.target,
        "params": args.params,
        "min_train_accuracy": args.min_train_accuracy,
    }


def _inputs(args) -> str:
    """What the model reads, for the report: the GCN ignores ``--features``."""
    return "the cell graph" if args.model == "gcn" else args.features


def _json_text(value) -> str:
    """Strict JSON: non-finite numbers (e.g. Kendall tau of a constant prediction) become null."""
    def finite(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, list):
            return [finite(x) for x in v]
        return v

    return json.dumps(finite(value), indent=2, allow_nan=False)


def _fit_eval(args) -> int:
    dataset = _load(args.data)
    test_dataset = _load(args.test_data) if args.test_data else None
    result = fit_eval(
        dataset, args.train_split, args.test_split, test_dataset=test_dataset, units=args.units, **_fit_options(args)
    )
    if args.json:
        print(_json_text(result))
        return 0
    dropped = f", {result['n_dropped']} dropped below the accuracy floor" if result["n_dropped"] else ""
    print(
        f"{args.model} on {_inputs(args)}: train '{args.train_split}' ({result['n_train']} cells{dropped}), "
        f"test '{args.test_split}' ({result['n_test']} cells)"
    )
    symbol = UNIT_SYMBOLS[args.units]
    for key, label, power in REPORTED:
        unit = f" ({symbol}^2)" if power == 2 else f" ({symbol})" if power == 1 else ""
        print(f"  {label + unit:<18}{result[key]:.6f}")
    return 0


def _read_cells(path: str) -> list:
    """Cells to rank: a JSON list of ``{"matrix": ..., "ops": ...}`` (or any record layout)."""
    return read_cells(read_json_file(path), path)


def _rank(args) -> int:
    dataset = _load(args.data)
    predictor, _ = fit_split(dataset, args.train_split, **_fit_options(args))
    cells = _read_cells(args.cells) if args.cells else sample_cells(args.sample, seed=args.sample_seed, unique=True)
    top = rank_cells(predictor, cells, args.top_k)
    if args.json:
        print(_json_text(top))
        return 0
    print(
        f"top {len(top)} of {len(cells)} cells by predicted {args.target} accuracy "
        f"({args.model} on {_inputs(args)}):"
    )
    for entry in top:
        print(f"{entry['rank']:>4}  {entry['predicted_accuracy']:.4f}  {entry['hash']}  {','.join(entry['ops'])}")
    return 0


def _convert(args) -> int:
    from anb.nb101.hdf5 import convert_tfrecord_to_hdf5

    n_cells = convert_tfrecord_to_hdf5(
        args.tfrecord, args.hdf5, progress=not args.no_progress, verify_data_crc=args.verify_crc
    )
    print(f"wrote {n_cells} cells to {args.hdf5}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anb.nb101", description="NAS-Bench-101 accuracy predictors")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit-eval", help="train on one split, print MSE, MAE, Kendall tau, Spearman on another")
    _add_model_options(fit)
    fit.add_argument("--test-split", default=REST, choices=(*SPLIT_NAMES, REST),
                     help=f"'{REST}': the training data's cells outside the training split")
    fit.add_argument("--test-data", help="evaluate on this file's split instead of the training data's")
    fit.add_argument("--units", default=DEFAULT_UNITS, choices=UNITS,
                     help="units of the reported errors: percent (MAE in %%, MSE in %%^2) or fraction")
    fit.add_argument("--json", action="store_true", help="print all metrics as JSON")
    fit.set_defaults(run=_fit_eval)

    rank = commands.add_parser("rank", help="rank cells by predicted accuracy and print the top-k")
    _add_model_options(rank)
    source = rank.add_mutually_exclusive_group(required=True)
    source.add_argument("--cells", help="JSON list of cells ({'matrix': [[...]], 'ops': [...]}; padded cells too)")
    source.add_argument("--sample", type=int, help="rank this many random distinct cells")
    rank.add_argument("--sample-seed", type=int, default=0)
    rank.add_argument("--top-k", type=int, default=10)
    rank.add_argument("--json", action="store_true")
    rank.set_defaults(run=_rank)

    convert = commands.add_parser("convert", help="convert an official tfrecord to the neural-predictor HDF5")
    convert.add_argument("tfrecord")
    convert.add_argument("hdf5")
    convert.add_argument("--no-progress", action="store_true")
    convert.add_argument("--verify-crc", action="store_true", help="also check every record's data checksum (slow)")
    convert.set_defaults(run=_convert)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
