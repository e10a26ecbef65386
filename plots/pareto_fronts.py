"""Pareto fronts of accuracy against throughput (maximised) or latency (minimised), every device.

One panel per device metric: NSGA-II and random search (``anb.search``), same budget and seed,
each drawn as the staircase of its non-dominated set over every architecture it queried (the
NSGA-II queries as faint points), and the reference point the hypervolumes are measured
against (the nadir of 10,000 random architectures' predictions, ``anb.search.default_reference``).

Writes pareto_fronts.{png,pdf}, the fronts (pareto_fronts.csv) and per panel and algorithm the
hypervolume, reference point and front size (pareto_fronts.json).

    ANB_DATA_DIR=../shared/data/anb python plots/pareto_fronts.py [--budget 1000] [--seed 0] [--targets a100 zcu102/latency]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _common import (  # noqa: E402
    add_targets_option, chosen_targets, ensemble, finish_grid, grid, parser, write_csv, write_json,
)
from anb.devices.targets import all_targets, resolve_target  # noqa: E402
from anb.search import MO_ALGORITHMS, Objective, default_reference  # noqa: E402

STEM = "pareto_fronts"
LABELS = {"nsga2": "NSGA-II", "random_search": "random search"}
STYLE = {"nsga2": {"color": "tab:red"}, "random_search": {"color": "tab:blue", "linestyle": "--"}}


def staircase(x: np.ndarray, y: np.ndarray, x_maximised: bool) -> tuple[np.ndarray, np.ndarray]:
    """The boundary of the region a front dominates (y maximised), in the data's own units.

    From the point with the best x, each step moves along x to the next point, then up to it.
    """
    order = np.argsort(-x if x_maximised else x, kind="stable")
    x, y = x[order], y[order]
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    return xs, ys


def main(argv=None) -> dict:
    p = parser(__doc__)
    add_targets_option(p, default_help="every device metric")
    p.add_argument("--budget", type=int, default=1000, help="queries per search (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of every search (default: 0)")
    p.add_argument("--algorithms", nargs="+", default=list(MO_ALGORITHMS), choices=list(MO_ALGORITHMS),
                   help="which multi-objective searches (default: nsga2 random_search)")
    args = p.parse_args(argv)
    targets = chosen_targets(args, all_targets()[1:])
    if any(t.device is None for t in targets):
        p.error("--targets takes device metrics; accuracy is always the other objective")
    if args.budget < 1:
        p.error("budget must be >= 1")

    accuracy = Objective.from_ensemble(ensemble(resolve_target(), args.model, args.n_members))
    shape = grid(len(targets), 4)
    fig, axes = plt.subplots(*shape, figsize=(4.2 * shape[1], 3.6 * shape[0]), squeeze=False)
    numbers, fronts = {}, []
    for ax, target in zip(axes.flat, targets):
        device = Objective.from_ensemble(ensemble(target, args.model, args.n_members))
        objectives = [accuracy, device]
        reference = default_reference(objectives)
        numbers[target.label] = {"reference": list(reference), "directions": [o.direction for o in objectives]}
        for algorithm in args.algorithms:
            start = time.perf_counter()
            result = MO_ALGORITHMS[algorithm](objectives, args.budget, args.seed, reference=reference)
            seconds = time.perf_counter() - start
            points = result.front_points()
            numbers[target.label][algorithm] = {"hypervolume": result.hypervolume, "front_size": len(points),
                                                "queries": len(result.history), "seconds": seconds}
            fronts.append(result.front[["query", "arch_id", accuracy.name, device.name]]
                          .rename(columns={device.name: "device_value"})
                          .assign(target=target.label, algorithm=algorithm))
            if algorithm == "nsga2":
                history = result.history
                ax.plot(history[device.name], history[accuracy.name], ".", markersize=2, alpha=0.2, color="grey")
            xs, ys = staircase(points[:, 1], points[:, 0], device.maximize)
            ax.plot(xs, ys, **STYLE[algorithm], label=f"{LABELS[algorithm]}: HV {result.hypervolume:.4g}")
            ax.plot(points[:, 1], points[:, 0], "o", markersize=3, color=STYLE[algorithm]["color"])
            print(f"{target.label:>16} {LABELS[algorithm]:>14}: hypervolume {result.hypervolume:.5g} "
                  f"({len(points)} non-dominated, {seconds:.1f} s)", flush=True)
        ax.plot([reference[1]], [reference[0]], "kx", markersize=7, label=f"reference ({reference[0]:.1f}, {reference[1]:.3g})")
        ax.set_xlabel(device.label + (" (lower is better)" if not device.maximize else ""))
        ax.set_ylabel(accuracy.label)
        ax.set_title(target.label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left" if device.maximize else "lower right")
    out = Path(args.out_dir)
    title = f"accuracy vs device: non-dominated sets after {args.budget} queries (seed {args.seed})"
    finish_grid(fig, axes, len(targets), title, out, STEM, args.formats)
    write_csv(out / f"{STEM}.csv", pd.concat(fronts, ignore_index=True))
    write_json(out / f"{STEM}.json", numbers)
    return numbers


if __name__ == "__main__":
    main()
