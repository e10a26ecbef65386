"""Speed and quality of the reference searches in ``anb.search``, on the cached surrogates.

1. Wall time of a 1,000-query regularized evolution on the accuracy surrogate (default batch
   of 10 children per query call; ``--sequential`` adds the strictly sequential batch of 1),
   next to the time of one query call of 1 and of 100 architectures, which bounds it.
2. Best accuracy after 1,000 queries over 10 seeds: regularized evolution, random search and
   local search, mean ± std (sample std over seeds) and min-max, and Welch's t-test of RE vs RS.
3. Hypervolume of NSGA-II and multi-objective random search, accuracy vs one device metric
   (default zcu102 latency), against the stated reference point, mean ± std over seeds.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/search.py [--budget 1000] [--seeds 10] [--device zcu102 --metric latency]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy import stats

import anb
from anb.search import (
    Objective,
    default_reference,
    local_search,
    mo_random_search,
    nsga2,
    random_search,
    regularized_evolution,
)
from anb.surrogates.store import DEFAULT_MEMBERS
from configurationspaces.searchspaces import EfficientNetSS


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def call_time(objective: Objective, n: int, repeats: int = 5) -> float:
    encoded = EfficientNetSS(seed=0).random_encoded(n, seed=1)
    return min(timed(objective.predict, encoded)[1] for _ in range(repeats))


def spread(values) -> str:
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.3f} ± {std:.3f} (min {values.min():.3f}, max {values.max():.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--model", default="xgb")
    parser.add_argument("--n-members", type=int, default=None,
                        help=f"members to use: the first N of a cached ensemble, or N built when the cache lacks it "
                             f"(default: all cached ones, or {DEFAULT_MEMBERS} built)")
    parser.add_argument("--device", default="zcu102")
    parser.add_argument("--metric", default="latency")
    parser.add_argument("--mo-seeds", type=int, default=3, help="seeds of the multi-objective comparison (default: 3)")
    parser.add_argument("--sequential", action="store_true", help="also time regularized evolution with batch_size=1")
    args = parser.parse_args()

    accuracy = Objective.from_ensemble(anb.ANBEnsemble(args.model, n_members=args.n_members).load_ensemble())
    members = len(accuracy.ensemble.members)
    print(f"{members}-member {args.model} accuracy ensemble")
    print(f"  one query call: {call_time(accuracy, 1) * 1e3:.1f} ms for 1 architecture, "
          f"{call_time(accuracy, 100) * 1e3:.1f} ms for 100")

    _, seconds = timed(regularized_evolution, accuracy, args.budget, 0)
    print(f"1. regularized evolution, {args.budget} queries (batch 10): {seconds:.2f} s")
    if args.sequential:
        _, seconds = timed(regularized_evolution, accuracy, args.budget, 0, batch_size=1)
        print(f"   regularized evolution, {args.budget} queries (batch 1, sequential): {seconds:.2f} s")

    finals, times = {}, {}
    for name, fn in (("regularized evolution", regularized_evolution), ("random search", random_search),
                     ("local search", local_search)):
        finals[name], times[name] = [], []
        for seed in range(args.seeds):
            trajectory, seconds = timed(fn, accuracy, args.budget, seed)
            finals[name].append(trajectory["best"].iloc[-1])
            times[name].append(seconds)
    print(f"2. best accuracy (%) after {args.budget} queries, {args.seeds} seeds (mean ± std):")
    for name, values in finals.items():
        print(f"   {name:>22}: {spread(values)}   [{np.mean(times[name]):.2f} s per run]")
    if args.seeds > 1:
        with warnings.catch_warnings():  # RE often finds the same optimum on every seed (zero spread)
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ttest_ind(finals["regularized evolution"], finals["random search"], equal_var=False)
        wins = int(np.sum(np.array(finals["regularized evolution"]) > np.array(finals["random search"])))
        print(f"   RE - RS: {np.mean(finals['regularized evolution']) - np.mean(finals['random search']):+.3f} points; "
              f"Welch t = {test.statistic:.2f}, p = {test.pvalue:.2g}; RE ahead on {wins}/{args.seeds} seeds")

    device = Objective.from_ensemble(anb.ANBEnsemble(args.model, device=args.device, metric=args.metric,
                                                     n_members=args.n_members).load_ensemble())
    objectives = [accuracy, device]
    reference = default_reference(objectives)
    print(f"3. accuracy vs {device.name} ({device.direction}), {args.budget} queries, reference point "
          f"(accuracy {reference[0]:.3f} %, {device.name} {reference[1]:.4g} {device.unit}):")
    for name, fn in (("NSGA-II", nsga2), ("random search", mo_random_search)):
        volumes, fronts, seconds = [], [], []
        for seed in range(args.mo_seeds):
            result, s = timed(fn, objectives, args.budget, seed, reference=reference)
            volumes.append(result.hypervolume)
            fronts.append(len(result.front))
            seconds.append(s)
        print(f"   {name:>14}: hypervolume {spread(volumes)}, front size {np.mean(fronts):.1f}   "
              f"[{np.mean(seconds):.2f} s per run]")


if __name__ == "__main__":
    main()
