"""Regret curves: how far each reference optimiser's incumbent is from the optimum, against queries.

Runs random search, regularized evolution and local search (``anb.search``) on one target
(default: accuracy) for several seeds with ``optimum=`` set, so each trajectory carries a
``regret`` column, and plots the median regret over seeds with the inter-quartile band, on a
log scale, as tabular benchmarks do.

The optimum is :func:`anb.optimum.find_optimum`'s, run with ``--time-limit`` seconds. When the
search proves it (gap 0) the regret is exact; when the time limit stops it first, it is the
regret against the best architecture the search found and its proof's gap is printed and
written beside the curves (the true regret is at most that much larger).

Writes regret_curves.{png,pdf}, every run's regret curve (regret_curves.csv) and the optimum with
its gap and the final regrets (regret_curves.json).

    ANB_DATA_DIR=../shared/data/anb python plots/regret_curves.py [--budget 1000] [--seeds 10] [--time-limit 600]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _common import ensemble, finish, parse_target, parser, write_csv, write_json  # noqa: E402
from anb.optimum import Problem, solve  # noqa: E402
from anb.optimum.problem import default_sense  # noqa: E402
from anb.search import ALGORITHMS, Objective  # noqa: E402
from search_trajectories import LABELS, add_run_options, trajectories  # noqa: E402

STEM = "regret_curves"


def plot(table: pd.DataFrame, objective: Objective, gap: float, out_dir, formats):
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    floor = max(float(table.loc[table["regret"] > 0, "regret"].min()) / 2, 1e-6) if (table["regret"] > 0).any() else 1e-6
    for (algorithm, group), colour in zip(table.groupby("algorithm", sort=False), colours):
        runs = group.pivot(index="query", columns="seed", values="regret")
        # A run that found the optimum has regret 0, drawn at the floor of the log axis.
        values = np.maximum(runs.to_numpy(), floor)
        ax.plot(runs.index, np.nanmedian(values, axis=1), color=colour, label=f"{LABELS[algorithm]} ({runs.shape[1]} seeds)")
        ax.fill_between(runs.index, np.nanpercentile(values, 25, axis=1), np.nanpercentile(values, 75, axis=1),
                        color=colour, alpha=0.2, linewidth=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("queries")
    ax.set_ylabel(f"regret ({objective.unit})")
    proof = "exact optimum" if gap == 0 else f"best known architecture (optimum at most {gap:.3g} higher)"
    ax.set_title(f"{objective.name}: regret against the {proof}\nmedian and inter-quartile range over seeds",
                 fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return finish(fig, out_dir, STEM, formats)


def main(argv=None) -> dict:
    p = parser(__doc__)
    add_run_options(p)
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds for the exact optimum (default: 600)")
    args = p.parse_args(argv)
    if args.budget < 1 or args.seeds < 1 or args.time_limit <= 0:
        p.error("budget and seeds must be >= 1 and the time limit positive")
    target_ensemble = ensemble(parse_target(args.target), args.model, args.n_members)
    objective = Objective.from_ensemble(target_ensemble)
    optimum = solve(Problem(target_ensemble, default_sense(target_ensemble)), time_limit=args.time_limit)
    print(optimum.summary(), flush=True)
    table = trajectories(objective, ALGORITHMS, args.budget, args.seeds, optimum.value)
    out = Path(args.out_dir)
    plot(table, objective, optimum.gap, out, args.formats)
    write_csv(out / f"{STEM}.csv", table)
    final = table.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
    numbers = {"target": objective.name, "unit": objective.unit, "optimum": optimum.value, "gap": optimum.gap,
               "optimum_architecture": optimum.architecture, "budget": args.budget,
               "final_regret": {a: {"median": float(g["regret"].median()), "mean": float(g["regret"].mean()),
                                    "found_optimum": int((g["regret"] == 0).sum()), "seeds": int(len(g))}
                                for a, g in final.groupby("algorithm", sort=False)}}
    write_json(out / f"{STEM}.json", numbers)
    for algorithm, stats in numbers["final_regret"].items():
        print(f"{LABELS[algorithm]:>22}: median regret {stats['median']:.4f} {objective.unit}, optimum found by "
              f"{stats['found_optimum']}/{stats['seeds']} seeds after {args.budget} queries")
    return numbers


if __name__ == "__main__":
    main()
