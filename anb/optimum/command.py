"""``anb optimum``: the exact best architecture of a default ensemble, with its proof."""

from __future__ import annotations

import argparse
import json

from anb.optimum import find_optimum


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser("optimum", help="the exact best architecture of an ensemble's mean (branch and bound)")
    parser.add_argument("--model", default="xgb", help="the surrogate family (default xgb; the search needs xgb)")
    parser.add_argument("--device", default=None, help="a device (default: accuracy)")
    parser.add_argument("--metric", default=None, help="the device's metric (throughput or latency)")
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument("--minimize", dest="minimize", action="store_const", const=True, default=None,
                           help="minimise (default: latency minimised, accuracy and throughput maximised)")
    direction.add_argument("--maximize", dest="minimize", action="store_const", const=False, help="maximise")
    parser.add_argument("--constraint", nargs=3, metavar=("DEVICE", "METRIC", "BOUND"), default=None,
                        help="a floor on throughput or a ceiling on latency, e.g. --constraint a100 throughput 20000")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="stop after this many seconds and report the gap left (default: run to the proof)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    constraint = None
    if args.constraint is not None:
        device, metric, bound = args.constraint
        try:
            bound = float(bound)
        except ValueError:
            raise ValueError(f"--constraint's BOUND must be a number; got {bound!r}") from None
        constraint = (device, metric, bound)
    optimum = find_optimum(args.model, args.device, args.metric, minimize=args.minimize, constraint=constraint,
                           time_limit=args.time_limit, progress=not args.quiet)
    if args.json:
        print(json.dumps(optimum.record(), indent=2, allow_nan=False))
    else:
        print(optimum.summary())
        if optimum.architecture is not None:
            print(json.dumps(optimum.architecture))
    return 0
