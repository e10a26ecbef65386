"""The exact Pareto front of accuracy against a device metric, beside the NSGA-II front.

For each device metric: NSGA-II (``anb.search.pareto_search``, the budget and seed
``plots/pareto_fronts.py`` uses) finds a front; at ``--levels`` throughput floors (latency
ceilings) taken from that front's own device values, :func:`anb.optimum.pareto.pareto_front`
finds the exact best accuracy under the same bound, one Dask task per level (a local cluster,
or ``--scheduler``). At each level the exact point is at least as accurate as any architecture
NSGA-II found that meets the bound. A level whose search the time limit stopped is drawn with
its gap as an error bar upwards (the true best accuracy lies within it).

Writes exact_front_<device>_<metric>.csv per device metric (level, accuracy, device value, gap,
nodes, seconds, architecture), exact_pareto_front.{png,pdf} and exact_pareto_front.json.

    ANB_DATA_DIR=../shared/data/anb python plots/exact_pareto_front.py [--targets a100 zcu102/latency]
        [--levels 8] [--time-limit 600] [--scheduler tcp://host:8786] [--workers 2]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from _common import add_targets_option, chosen_targets, finish_grid, grid, parser, write_csv, write_json  # noqa: E402
from anb.devices.targets import all_targets  # noqa: E402
from anb.optimum.pareto import pareto_front  # noqa: E402
from anb.search import pareto_search  # noqa: E402

STEM = "exact_pareto_front"
BUDGET = 1000  # plots/pareto_fronts.py's default budget
SEED = 0


def levels_from(front: np.ndarray, n: int) -> np.ndarray:
    """``n`` device values spread over the NSGA-II front's own (its quantiles, distinct)."""
    return np.unique(np.quantile(front, np.linspace(0.0, 1.0, n)))


def main(argv=None) -> dict:
    p = parser(__doc__, ensembles=False)
    add_targets_option(p, "every device metric")
    p.add_argument("--levels", type=int, default=8, help="constraint levels per device metric (default: 8)")
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per level (default: 600)")
    p.add_argument("--scheduler", default=None, help="a Dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="workers of the local cluster (default: 2)")
    args = p.parse_args(argv)
    if args.levels < 1 or args.time_limit <= 0 or args.workers < 1:
        p.error("levels and workers must be >= 1 and the time limit positive")
    targets = [t for t in chosen_targets(args, [t for t in all_targets() if t.device is not None]) if t.device]
    out = Path(args.out_dir)
    rows, axes_used = {}, 0
    fig, axes = plt.subplots(*grid(len(targets)), figsize=(5.2 * grid(len(targets))[1], 4.0 * grid(len(targets))[0]),
                             squeeze=False)
    for target, ax in zip(targets, axes.ravel()):
        nsga = pareto_search(target.device, target.metric, budget=BUDGET, seed=SEED, model=args.model)
        device_column = nsga.objectives[1]
        front = nsga.front[[nsga.objectives[0], device_column]].to_numpy(float)
        exact = pareto_front(target.device, target.metric, levels_from(front[:, 1], args.levels), model=args.model,
                             time_limit=args.time_limit, scheduler=args.scheduler, n_workers=args.workers)
        stem = f"exact_front_{target.device}_{target.metric}"
        write_csv(out / f"{stem}.csv", exact)
        order = np.argsort(front[:, 1])
        ax.step(front[order, 1], front[order, 0], where="post", color="tab:red", label=f"NSGA-II ({BUDGET} queries)")
        ax.scatter(front[:, 1], front[:, 0], color="tab:red", s=10)
        ax.errorbar(exact["device_value"], exact["accuracy"], yerr=[np.zeros(len(exact)), exact["gap"]], fmt="o",
                    color="black", capsize=3, label="exact, per level (bar: gap left)")
        ax.set_xlabel(device_column)
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        axes_used += 1
        rows[target.label] = {"levels": exact["level"].tolist(), "exact_accuracy": exact["accuracy"].tolist(),
                              "gap": exact["gap"].tolist(), "nsga2_front_size": int(len(front)),
                              "nsga2_hypervolume": float(nsga.hypervolume)}
        proven = int((exact["gap"] == 0).sum())
        print(f"{target.label}: {len(exact)} levels, {proven} proven (gap 0); largest gap {exact['gap'].max():.4g}; "
              f"{out / (stem + '.csv')}", flush=True)
    finish_grid(fig, axes, axes_used, "exact best accuracy under a device bound vs NSGA-II", out, STEM, args.formats)
    write_json(out / f"{STEM}.json", rows)
    return rows


if __name__ == "__main__":
    main()
