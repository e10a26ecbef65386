"""The best known value of every single-objective task of ``anb.search.tasks``, from ``anb.optimum``.

For each task with one objective (accuracy, and accuracy under each device bound), branch and
bound over the shipped ensembles' means with a time limit: the best architecture found and its
gap (how far the optimum may lie above it; the full space is not closed yet, docs/optimum.md).
Prints one line per task in the form ``anb/search/tasks.py`` keeps them.

    python benchmarks/task_optima.py --time-limit 60
"""

from __future__ import annotations

import argparse

from anb.data.validation import check_positive_number
from anb.optimum import find_optimum
from anb.search.tasks import TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds of branch and bound per task (default 60)")
    args = parser.parse_args()
    try:
        check_positive_number(args.time_limit, "--time-limit")
    except ValueError as exc:
        parser.error(str(exc))
    for task in TASKS.values():
        if task.kind == "two-objective":
            continue
        constraint = None if task.kind == "accuracy" else (task.device, task.metric, task.bound)
        best = find_optimum(constraint=constraint, time_limit=args.time_limit, progress=False)
        print(f"{task.name}: best known {best.value!r}, gap {best.gap:.6g} ({best.nodes:,} nodes, "
              f"{best.seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
