"""The exact optimum, checked: brute force on subspaces, random search and evolution on the full space.

1. Subspace checks: the branch and bound, started with no incumbent, against every architecture
   of a subspace (blocks fixed) queried by the ensemble: accuracy, a log-linear throughput
   (a100), a minimised latency (zcu102), and accuracy under an a100 throughput floor, on
   subspaces of 46,656 to 1,679,616 architectures. They agree when the values are equal to the
   last bit.
2. The full space, accuracy: the branch and bound with a time limit; node counts per depth,
   time, peak memory, and the gap left (0 once the search completes).
3. The best of 1,000,000 random architectures and of 10 regularized-evolution runs (1,000
   queries each), which the optimum must be at least.

Ends with one line: ``exact optimum: accuracy A, gap G, random-1M best B, RE best C, subspace
checks K/K agree``.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/exact_optimum.py [--time-limit 600]
"""

from __future__ import annotations

import argparse
import time


import anb
from anb.optimum import solve
from anb.optimum.branch_and_bound import BranchAndBound
from anb.optimum.brute_force import brute_force
from anb.optimum.problem import Constraint, Problem
from anb.search import make_objective, regularized_evolution
from configurationspaces.searchspaces import EfficientNetSS

RANDOM_ARCHITECTURES = 1_000_000
RE_RUNS = 10
RE_BUDGET = 1000


def _ensemble(device=None, metric=None):
    return anb.ANBEnsemble("xgb", device=device, metric=metric, progress=False).load_ensemble()


def subspace_problems() -> list[Problem]:
    accuracy, a100, zcu102 = _ensemble(), _ensemble("a100"), _ensemble("zcu102", "latency")
    return [
        Problem(accuracy, 1, fixed={0: 3, 1: 20, 2: 7, 3: 30}),
        Problem(accuracy, 1, fixed={4: 30, 5: 40, 6: 20}),
        Problem(a100, 1, fixed={1: 10, 3: 5, 5: 17}),
        Problem(zcu102, -1, fixed={2: 7, 3: 30, 4: 11, 6: 1}),
        Problem(accuracy, 1, Constraint(a100, 15000.0, 1), fixed={0: 3, 1: 20, 2: 7, 6: 11}),
    ]


def subspace_checks() -> tuple[int, int]:
    agree = 0
    problems = subspace_problems()
    for problem in problems:
        start = time.perf_counter()
        result = BranchAndBound(problem).run(progress=False, warm_start=False)
        exact_seconds = time.perf_counter() - start
        start = time.perf_counter()
        _, brute_score = brute_force(problem, progress=True)
        brute_seconds = time.perf_counter() - start
        same = result.score == brute_score and result.gap == 0
        agree += same
        print(f"  {problem.describe()}: {problem.size():,} architectures; exact {problem.sense * result.score!r} "
              f"({int(result.nodes.sum()):,} nodes, {exact_seconds:.1f} s), brute force {problem.sense * brute_score!r} "
              f"({brute_seconds:.1f} s): {'agree' if same else 'DIFFER'}", flush=True)
    return agree, len(problems)


def random_best(objective, n: int) -> float:
    encoded = EfficientNetSS(seed=0).random_encoded(n)
    return float(objective.ensemble.query(encoded)[0].max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the full-space search")
    args = parser.parse_args()

    print("subspace checks (branch and bound from no incumbent vs brute force):", flush=True)
    agree, checks = subspace_checks()

    accuracy = make_objective()
    start = time.perf_counter()
    best_random = random_best(accuracy, RANDOM_ARCHITECTURES)
    print(f"random search: best of {RANDOM_ARCHITECTURES:,} architectures {best_random!r} "
          f"({time.perf_counter() - start:.1f} s)", flush=True)
    runs = [regularized_evolution(accuracy, budget=RE_BUDGET, seed=seed)["best"].iloc[-1] for seed in range(RE_RUNS)]
    best_re = float(max(runs))
    print(f"regularized evolution: best of {RE_RUNS} runs of {RE_BUDGET} queries {best_re!r} "
          f"(per run: {', '.join(f'{r:.4f}' for r in runs)})", flush=True)

    optimum = solve(Problem(accuracy.ensemble, 1), time_limit=args.time_limit, progress=True)
    print(f"full space, accuracy: {optimum.summary()}")
    print(f"  nodes per number of blocks fixed: {optimum.nodes_per_depth}; subproblems {optimum.subproblems:,}, "
          f"pruned without a search {optimum.pruned_subproblems:,}; best bound left {optimum.upper_bound!r}")
    print(f"exact optimum: accuracy {optimum.value!r}, gap {optimum.gap:.6g}, random-1M best {best_random!r}, "
          f"RE best {best_re!r}, subspace checks {agree}/{checks} agree")


if __name__ == "__main__":
    main()
