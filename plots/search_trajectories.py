"""Search trajectories: best value found against queries, for each reference optimiser.

Runs random search, regularized evolution and local search (``anb.search``) on one target
(default: accuracy) for several seeds and plots the best-so-far: mean over seeds, with a ±1 std
band and the seeds' min-max as a lighter band.

Writes search_trajectories.{png,pdf}, every run's best-so-far curve (search_trajectories.csv)
and the final best per algorithm, mean ± std over seeds (search_trajectories.json).

    ANB_DATA_DIR=../shared/data/anb python plots/search_trajectories.py [--budget 1000] [--seeds 10] [--target accuracy]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _common import ensemble, finish, parse_target, parser, write_csv, write_json  # noqa: E402
from anb.search import ALGORITHMS, Objective, run  # noqa: E402

STEM = "search_trajectories"
LABELS = {"random_search": "random search", "regularized_evolution": "regularized evolution",
          "local_search": "local search"}


def add_run_options(p) -> None:
    """The target, the queries per run and the seeds (here and in regret_curves.py)."""
    p.add_argument("--target", default="accuracy", help="accuracy, <device> or <device>/<metric> (default: accuracy)")
    p.add_argument("--budget", type=int, default=1000, help="queries per run (default: 1000)")
    p.add_argument("--seeds", type=int, default=10, help="runs per algorithm (default: 10)")


def trajectories(objective: Objective, algorithms, budget: int, seeds: int,
                 optimum: float | None = None) -> pd.DataFrame:
    """Every run's best-so-far curve; with ``optimum``, its regret too (``anb.search.regret``)."""
    rows = []
    for algorithm in algorithms:
        for seed in range(seeds):
            start = time.perf_counter()
            trajectory = run(algorithm, objective, budget, seed, optimum=optimum)
            seconds = time.perf_counter() - start
            columns = ["query", "best"] + (["regret"] if optimum is not None else [])
            # A fresh frame: the trajectory's attrs (its encoded matrix) would not survive pd.concat.
            rows.append(pd.DataFrame({"algorithm": algorithm, "seed": seed, **{c: trajectory[c] for c in columns},
                                      "seconds": seconds}))
            print(f"{LABELS[algorithm]:>22} seed {seed}: best {trajectory['best'].iloc[-1]:.4f} "
                  f"{objective.unit} after {budget} queries ({seconds:.1f} s)", flush=True)
    return pd.concat(rows, ignore_index=True)


def summary(curves: pd.DataFrame) -> dict:
    final = curves.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
    out = {}
    for algorithm, group in final.groupby("algorithm", sort=False):
        values = group["best"].to_numpy()
        out[algorithm] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                          "min": float(values.min()), "max": float(values.max()), "seeds": int(len(values)),
                          "mean_seconds": float(group["seconds"].mean())}
    return out


def plot(curves: pd.DataFrame, objective: Objective, out_dir, formats):
    fig, ax = plt.subplots(figsize=(6.6, 4.4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (algorithm, group), colour in zip(curves.groupby("algorithm", sort=False), colours):
        table = group.pivot(index="query", columns="seed", values="best")
        x, values = table.index.to_numpy(), table.to_numpy()
        mean, std = np.nanmean(values, axis=1), np.nanstd(values, axis=1)
        ax.plot(x, mean, color=colour, label=f"{LABELS[algorithm]} ({values.shape[1]} seeds)")
        ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.25, linewidth=0)
        ax.fill_between(x, np.nanmin(values, axis=1), np.nanmax(values, axis=1), color=colour, alpha=0.08, linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel("queries")
    ax.set_ylabel(f"best {objective.label} so far")
    ax.set_title(f"search on the {objective.name} surrogate: mean, ±1 std, min-max")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    # Zoom on the part where the algorithms differ: from the median after 10 queries upwards.
    early = curves[curves["query"] == min(10, curves["query"].max())]["best"]
    top = curves["best"].max() if objective.maximize else curves["best"].min()
    if len(early) and objective.maximize:
        ax.set_ylim(float(early.median()), top + 0.1 * (top - float(early.median())))
    fig.tight_layout()
    return finish(fig, out_dir, STEM, formats)


def main(argv=None) -> dict:
    p = parser(__doc__)
    add_run_options(p)
    p.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=list(ALGORITHMS),
                   help="which optimisers (default: all three)")
    args = p.parse_args(argv)
    if args.budget < 1 or args.seeds < 1:
        p.error("budget and seeds must be >= 1")
    objective = Objective.from_ensemble(ensemble(parse_target(args.target), args.model, args.n_members))
    curves = trajectories(objective, args.algorithms, args.budget, args.seeds)
    out = Path(args.out_dir)
    plot(curves, objective, out, args.formats)
    write_csv(out / f"{STEM}.csv", curves)
    numbers = {"target": objective.name, "unit": objective.unit, "direction": objective.direction,
               "budget": args.budget, "final_best": summary(curves)}
    write_json(out / f"{STEM}.json", numbers)
    for algorithm, stats in numbers["final_best"].items():
        print(f"{LABELS[algorithm]:>22}: {stats['mean']:.3f} ± {stats['std']:.3f} {objective.unit} "
              f"over {stats['seeds']} seeds after {args.budget} queries")
    return numbers


if __name__ == "__main__":
    main()
