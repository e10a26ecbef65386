"""``python -m anb.nb101``: fit-eval, rank and convert.

    python -m anb.nb101 fit-eval --train-split 172 --test-split rest --model gcn
    python -m anb.nb101 rank --model xgb --sample 1000 --top-k 10
    python -m anb.nb101 convert nasbench_full.tfrecord nasbench.hdf5

``--data`` takes a ``.tfrecord``, ``.hdf5``/``.h5`` or NASLib ``.json`` file; the default is
the NASLib sample in ``$ANB_NB101_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anb.nb101.data import NASLIB_FILE, NASBench101Dataset, data_dir
from anb.nb101.features import DEFAULT_FEATURES
from anb.nb101.predictors import PREDICTORS, REST, TARGETS, fit_eval, fit_split, rank_cells
from anb.nb101.splits import SPLIT_NAMES
from configurationspaces.nasbench101 import Cell
from configurationspaces.nasbench101_sampling import sample_cells

REPORTED = (("mse", "MSE"), ("mae", "MAE"), ("kendall_tau", "Kendall tau"), ("spearmanr", "Spearman"))


def _load(path: str | None) -> NASBench101Dataset:
    return NASBench101Dataset.load(Path(path) if path else data_dir() / NASLIB_FILE)


def _json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object; got {text!r}")
    return value


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", help=f"training data file (default: $ANB_NB101_DATA_DIR/{NASLIB_FILE})")
    parser.add_argument("--train-split", default="172", choices=SPLIT_NAMES)
    parser.add_argument("--model", default="xgb", choices=PREDICTORS)
    parser.add_argument("--features", default=DEFAULT_FEATURES, help="'+'-joined parts of flat, path, cost")
    parser.add_argument("--params", type=_json_object, default=None, help="JSON object of model hyperparameters")
    parser.add_argument("--target", default="validation", choices=TARGETS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random splits and the model")


def _inputs(args) -> str:
    """What the model reads, for the report: the GCN ignores ``--features``."""
    return "the cell graph" if args.model == "gcn" else args.features


def _fit_eval(args) -> int:
    dataset = _load(args.data)
    test_dataset = _load(args.test_data) if args.test_data else None
    result = fit_eval(
        dataset,
        train_split=args.train_split,
        test_split=args.test_split,
        model=args.model,
        features=args.features,
        seed=args.seed,
        target=args.target,
        params=args.params,
        test_dataset=test_dataset,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{args.model} on {_inputs(args)}: train '{args.train_split}' ({result['n_train']} cells), "
        f"test '{args.test_split}' ({result['n_test']} cells)"
    )
    for key, label in REPORTED:
        print(f"  {label:<12}{result[key]:.6f}")
    return 0


def _read_cells(path: str) -> list[Cell]:
    """A JSON list of cells, each ``{"matrix": ..., "ops": ...}`` or in the official record keys."""
    with open(path) as handle:
        items = json.load(handle)
    if not isinstance(items, list) or not items:
        raise ValueError(f"{path}: expected a non-empty JSON list of cells")
    cells = []
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        matrix, ops = item.get("matrix", item.get("module_adjacency")), item.get("ops", item.get("module_operations"))
        if matrix is None or ops is None:
            raise ValueError(
                f"{path}: cell {i} needs 'matrix' and 'ops' (or 'module_adjacency' and 'module_operations')"
            )
        try:
            cells.append(Cell(matrix, ops))
        except ValueError as err:
            raise ValueError(f"{path}: cell {i}: {err}") from None
    return cells


def _rank(args) -> int:
    dataset = _load(args.data)
    predictor, _ = fit_split(
        dataset,
        train_split=args.train_split,
        model=args.model,
        features=args.features,
        seed=args.seed,
        target=args.target,
        params=args.params,
    )
    cells = _read_cells(args.cells) if args.cells else sample_cells(args.sample, seed=args.sample_seed, unique=True)
    top = rank_cells(predictor, cells, args.top_k)
    if args.json:
        print(json.dumps(top, indent=2))
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

    dataset = convert_tfrecord_to_hdf5(
        args.tfrecord, args.hdf5, progress=not args.no_progress, verify_data_crc=args.verify_crc
    )
    print(f"wrote {len(dataset)} cells to {args.hdf5}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anb.nb101", description="NAS-Bench-101 accuracy predictors")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit-eval", help="train on one split, print MSE, MAE, Kendall tau, Spearman on another")
    _add_model_options(fit)
    fit.add_argument("--test-split", default=REST, choices=(*SPLIT_NAMES, REST),
                     help=f"'{REST}': the training data's cells outside the training split")
    fit.add_argument("--test-data", help="evaluate on this file's split instead of the training data's")
    fit.add_argument("--json", action="store_true", help="print all metrics as JSON")
    fit.set_defaults(run=_fit_eval)

    rank = commands.add_parser("rank", help="rank cells by predicted accuracy and print the top-k")
    _add_model_options(rank)
    source = rank.add_mutually_exclusive_group(required=True)
    source.add_argument("--cells", help="JSON list of cells ({'matrix': [[...]], 'ops': [...]})")
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
    except (ValueError, FileNotFoundError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
