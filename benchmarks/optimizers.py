"""Reference results: the optimisers people use, run on anb's standard tasks (``anb.search.tasks``).

Two tasks: ``accuracy`` (regret against the best known value, 1,000 evaluations, 10 seeds) and
``accuracy-vs-zcu102-latency`` (hypervolume against the task's reference point, 1,000
evaluations, 5 seeds). Optimisers: SMAC (random-forest BO; ParEGO on two objectives), Optuna's
TPE and NSGA-II, pymoo's NSGA-II, Nevergrad's NGOpt, and anb.search's random search,
regularized evolution and local search (on two objectives: random search and NSGA-II). Every
evaluation is one query of the shipped surrogates' means, logged by an ``anb.search.Problem``.

Each (optimiser, task, seed) runs as one Dask task on a local cluster (``--workers``, default 2)
or on a running scheduler (``--scheduler ADDRESS``), as ``do_hpo.py`` does; a progress bar counts
the runs. Each finished run is written at once to ``<out>/runs/`` as a small JSON file (the
measure at every evaluation where it changed, wall and CPU seconds), so a stopped run resumes
with the same command and repeats nothing, and the committed reference runs
(``benchmarks/results/optimizers``) redraw without running anything. Writes
``<out>/optimizers.csv`` (regret or hypervolume after every evaluation of every run),
``<out>/optimizers.png`` (median and inter-quartile range against evaluations) and
``<out>/optimizers.md`` (the table and the last line, which the documentation includes), and
prints the table; the last line names the best final median regret next to SMAC's, TPE's, RE's
and RS's, then every other optimiser's, each with its number of seeds where some are missing.
``--quick`` runs every optimiser with a small budget and few seeds; ``--summarise`` runs
nothing and summarises the runs already in ``<out>/runs`` (a reference run stopped early).

    python benchmarks/optimizers.py [--quick] [--out out/optimizers] [--workers 2]
    python benchmarks/optimizers.py --out benchmarks/results/optimizers   # the reference runs
    python benchmarks/optimizers.py --out benchmarks/results/optimizers --summarise
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anb.data.atomic import replace_atomically

ACCURACY_TASK, PAIR_TASK = "accuracy", "accuracy-vs-zcu102-latency"
# Regret, in points of top-1, that counts as having found the best known architecture's level:
# several optimisers reach regret 0 within 1,000 evaluations, so how soon tells them apart.
NEAR_REGRET = 0.1
QUICK = {"budget": 60, "seeds": 2}


def run_smac(task, seed):
    import smac

    from anb.search.external import encode_values, evaluate
    from configurationspaces.efficientnet_encoding import load_configspace

    problem = task.problem(seed)
    pair = task.kind == "two-objective"

    def target(config, seed: int = 0):
        scores, _ = evaluate(problem, encode_values(dict(config)))
        costs = (-scores[0]).tolist()
        return costs if pair else costs[0]

    with tempfile.TemporaryDirectory(prefix="anb_smac_") as tmp:
        scenario = smac.Scenario(load_configspace(), deterministic=True, n_trials=task.budget, seed=seed,
                                 output_directory=Path(tmp), objectives=["accuracy", "device"] if pair else "cost")
        options = {"overwrite": True, "logging_level": 40}
        if pair:
            options["multi_objective_algorithm"] = smac.HyperparameterOptimizationFacade.get_multi_objective_algorithm(
                scenario, objective_weights=[1, 1])
        smac.HyperparameterOptimizationFacade(scenario, target, **options).optimize()
    return problem.log()


def run_optuna(sampler_name):
    def run(task, seed):
        import optuna

        from anb.search.optuna_adapter import OptunaObjective

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        objective = OptunaObjective(task.problem(seed))
        sampler = getattr(optuna.samplers, sampler_name)(seed=seed)
        optuna.create_study(directions=objective.directions, sampler=sampler).optimize(objective, n_trials=task.budget)
        return objective.problem.log()

    return run


def run_pymoo(task, seed):
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize

    from anb.search.pymoo_adapter import PymooProblem, integer_operators

    problem = PymooProblem(task.problem(seed))
    minimize(problem, NSGA2(pop_size=min(50, task.budget), **integer_operators()), ("n_evals", task.budget),
             seed=seed)
    return problem.anb_problem.log()


def run_nevergrad(task, seed):
    import nevergrad as ng

    from anb.search.nevergrad_adapter import NevergradLoss, nevergrad_parametrization

    loss = NevergradLoss(task.problem(seed))
    ng.optimizers.NGOpt(parametrization=nevergrad_parametrization(seed), budget=task.budget).minimize(loss)
    return loss.problem.log()


def run_anb(algorithm):
    def run(task, seed):
        from anb import search

        if task.kind == "two-objective":
            search_function = {"random_search": search.mo_random_search, "nsga2": search.nsga2}[algorithm]
            return search_function(task.objectives(), task.budget, seed, reference=task.reference).history
        return search.run(algorithm, task.objectives()[0], task.budget, seed, constraints=task.constraints())

    return run


@dataclass(frozen=True)
class Optimizer:
    name: str
    library: str
    short: str  # its name on the last line
    single: object  # its run on a single-objective task (None: it has none)
    pair: object  # its run on the two-objective task (None: it has none)


OPTIMIZERS = [
    Optimizer("SMAC", "smac", "SMAC", run_smac, run_smac),
    Optimizer("Optuna TPE", "optuna", "TPE", run_optuna("TPESampler"), run_optuna("TPESampler")),
    Optimizer("Optuna NSGA-II", "optuna", "Optuna NSGA-II", run_optuna("NSGAIISampler"), run_optuna("NSGAIISampler")),
    Optimizer("pymoo NSGA-II", "pymoo", "pymoo NSGA-II", run_pymoo, run_pymoo),
    Optimizer("Nevergrad NGOpt", "nevergrad", "NGOpt", run_nevergrad, run_nevergrad),
    Optimizer("anb random search", "anb", "RS", run_anb("random_search"), run_anb("random_search")),
    Optimizer("anb regularized evolution", "anb", "RE", run_anb("regularized_evolution"), None),
    Optimizer("anb local search", "anb", "LS", run_anb("local_search"), None),
    Optimizer("anb NSGA-II", "anb", "anb NSGA-II", None, run_anb("nsga2")),
]
BY_NAME = {optimizer.name: optimizer for optimizer in OPTIMIZERS}


def run_one(name: str, task_name: str, budget: int, seed: int) -> dict:
    """One run: the task's measure where it changed over the first ``budget`` evaluations, and the
    run's wall and CPU seconds (CPU time, unlike wall time, does not grow with the machine's load)."""
    from anb.search.tasks import get_task

    optimizer, task = BY_NAME[name], get_task(task_name, budget=budget)
    # One process per run on a 2-core machine: a scikit-learn forest inside an optimiser runs on one
    # thread in a Dask worker, as it should here, and need not warn about it at every fit.
    warnings.filterwarnings("ignore", message="Inside a Dask worker with daemon=True")
    start, start_cpu = time.perf_counter(), time.process_time()
    log = (optimizer.pair if task.kind == "two-objective" else optimizer.single)(task, seed).iloc[:budget]
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    measure = np.asarray(task.hypervolume(log) if task.kind == "two-objective" else task.regret(log), dtype=float)
    changed = np.flatnonzero(np.r_[True, measure[1:] != measure[:-1]])
    return {"task": task_name, "optimizer": optimizer.name, "library": optimizer.library, "seed": seed,
            "evaluations": len(measure), "seconds": seconds, "cpu_seconds": cpu_seconds,
            "changes": [[int(step) + 1, float(measure[step])] for step in changed]}


def run_path(folder: Path, run: tuple) -> Path:
    name, task_name, budget, seed = run
    return folder / f"{task_name}__{name.replace(' ', '-')}__{budget}__seed{seed}.json"


def expand(record: dict) -> pd.DataFrame:
    """A run's record as its measure after every evaluation."""
    steps, values = np.array(record["changes"]).T
    evaluations = np.arange(1, record["evaluations"] + 1)
    measure = values[np.searchsorted(steps, evaluations, side="right") - 1]
    return pd.DataFrame({key: record[key] for key in ("task", "optimizer", "library", "seed", "seconds", "cpu_seconds")}
                        | {"evaluations": evaluations, "measure": measure})


def run_all(runs: list[tuple], folder: Path, workers: int, scheduler: str | None, summarise: bool) -> pd.DataFrame:
    """Every run not yet in ``folder`` as a Dask task (a local cluster of ``workers`` processes, or
    ``scheduler``), each written to ``folder`` as it ends (none when ``summarise``); then the
    record of every run in ``folder``, read back."""
    from tqdm.auto import tqdm

    todo = [run for run in runs if not run_path(folder, run).is_file()]
    print(f"{len(runs) - len(todo)} of {len(runs)} runs already in {folder}", flush=True)
    if todo and not summarise:
        from distributed import Client, LocalCluster, as_completed

        cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                      dashboard_address=None)
        folder.mkdir(parents=True, exist_ok=True)
        with Client(scheduler or cluster) as client:
            futures = {client.submit(run_one, *run, pure=False): run for run in todo}
            for future in tqdm(as_completed(futures), total=len(futures), desc="runs"):
                record = future.result()
                replace_atomically(run_path(folder, futures[future]),
                                   lambda staging: staging.write_text(json.dumps(record, indent=1) + "\n"))
        if cluster is not None:
            cluster.close()
    done = [run for run in runs if run_path(folder, run).is_file()]
    if not done:
        raise SystemExit(f"no run in {folder} to summarise: run without --summarise first")
    return pd.concat([expand(json.loads(run_path(folder, run).read_text())) for run in done], ignore_index=True)


def quartiles(results: pd.DataFrame) -> pd.DataFrame:
    """Per task, optimiser and evaluation count: the median and quartiles over seeds."""
    grouped = results.groupby(["task", "optimizer", "evaluations"])["measure"]
    return pd.DataFrame({"median": grouped.median(), "q25": grouped.quantile(0.25), "q75": grouped.quantile(0.75)})


def plot(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(summary.index.get_level_values("task").unique())
    figure, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.5), squeeze=False)
    for axis, task in zip(axes[0], tasks):
        for optimizer, curve in summary.loc[task].groupby(level="optimizer"):
            steps = curve.index.get_level_values("evaluations")
            # One colour per optimiser in both panels.
            colour = plt.get_cmap("tab10")(list(BY_NAME).index(optimizer))
            axis.plot(steps, curve["median"], label=optimizer, color=colour)
            axis.fill_between(steps, curve["q25"], curve["q75"], alpha=0.2, color=colour)
        pair = task == PAIR_TASK
        axis.set(title=task, xlabel="evaluations", xscale="log",
                 ylabel="hypervolume (median, IQR)" if pair else "regret, accuracy points (median, IQR)")
        if not pair:
            # Linear below 0.001 points, so that a regret of 0 (the best known value found) shows.
            axis.set_yscale("symlog", linthresh=1e-3)
            axis.set_ylim(bottom=0)
        axis.legend(fontsize=7)
    figure.tight_layout()
    replace_atomically(path, lambda tmp: figure.savefig(tmp, dpi=120, format="png"))
    plt.close(figure)


def seed_counts(results: pd.DataFrame) -> dict[tuple[str, str], int]:
    """How many seeds each (task, optimiser) has."""
    return results.groupby(["task", "optimizer"])["seed"].nunique().to_dict()


def table(results: pd.DataFrame, summary: pd.DataFrame, seeds: dict[str, int], near: dict[str, float]) -> str:
    """The results table: final median (IQR) of each task, with the seeds behind it where some
    of the task's ``seeds`` are missing, the evaluations to regret ``NEAR_REGRET`` (``near``, from
    `evaluations_to`), and CPU time per 1,000 evaluations."""
    rows = ["| optimizer | library | accuracy: final regret, median (IQR) "
            f"| accuracy: evaluations to regret <= {NEAR_REGRET}, median | zcu102 latency: final hypervolume, median (IQR) "
            "| CPU seconds per 1,000 evaluations (median over runs) |", "|---|---|---|---|---|---|"]
    done = set(summary.index.droplevel("evaluations"))
    counts = seed_counts(results)
    budget = results.loc[results["task"] == ACCURACY_TASK, "evaluations"].max()
    near_cells = {name: f"> {budget:,}" if np.isinf(value) else f"{value:,.0f}" for name, value in near.items()}
    for optimizer in OPTIMIZERS:
        cells = []
        for task in (ACCURACY_TASK, PAIR_TASK):
            if (task, optimizer.name) not in done:
                cells.append("")
                continue
            last = summary.loc[(task, optimizer.name)].iloc[-1]
            count = counts[(task, optimizer.name)]
            partial = f"; {count} of {seeds[task]} seeds" if count < seeds[task] else ""
            cells.append(f"{last['median']:.4g} ({last['q25']:.4g}-{last['q75']:.4g}{partial})")
        runs = results[results["optimizer"] == optimizer.name].groupby(["task", "seed"])
        per_1000 = (runs["cpu_seconds"].first() / runs["evaluations"].max() * 1000).median() if len(runs) else None
        seconds = "" if per_1000 is None else f"{per_1000:.1f}"
        rows.append(f"| {optimizer.name} | {optimizer.library} | {cells[0]} | {near_cells.get(optimizer.name, '')} | {cells[1]} "
                    f"| {seconds} |")
    return "\n".join(rows)


def evaluations_to(results: pd.DataFrame, regret: float) -> dict[str, float]:
    """Per optimiser, the median over seeds of the first evaluation whose regret is at most
    ``regret`` (infinite when more than half of the seeds never get there)."""
    runs = results.groupby(["optimizer", "seed"])["evaluations"].size().index
    firsts = results[results["measure"] <= regret].groupby(["optimizer", "seed"])["evaluations"].min()
    return firsts.reindex(runs, fill_value=np.inf).groupby(level="optimizer").median().to_dict()


def reference_line(results: pd.DataFrame, summary: pd.DataFrame, seeds: dict[str, int], near: dict[str, float]) -> str:
    done = set(summary.index.droplevel("evaluations"))
    counts = seed_counts(results)
    final = {optimizer: summary.loc[(ACCURACY_TASK, optimizer.name)]["median"].iloc[-1] for optimizer in OPTIMIZERS
             if (ACCURACY_TASK, optimizer.name) in done}
    # Ties (several optimisers reach the best known value) go to the one that got near it first.
    best = min(final, key=lambda optimizer: (final[optimizer], near[optimizer.name]))

    def figure(optimizer) -> str:
        count = counts[(ACCURACY_TASK, optimizer.name)]
        partial = f" ({count} of {seeds[ACCURACY_TASK]} seeds)" if count < seeds[ACCURACY_TASK] else ""
        return f"{final[optimizer]:.4g}{partial}"

    named = {optimizer.short: optimizer for optimizer in final}
    # SMAC, TPE, RE and RS first, as the line's readers expect them; then every other optimiser.
    order = [short for short in ("SMAC", "TPE", "RE", "RS") if short in named]
    order += [short for short in named if short not in order]
    return (f"reference results: best final median regret {best.name} {figure(best)}, "
            + ", ".join(f"{short} {figure(named[short])}" for short in order))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"every optimiser, {QUICK['budget']} evaluations, {QUICK['seeds']} seeds per task")
    parser.add_argument("--out", type=Path, default=Path("out/optimizers"), help="folder of the CSV and the figure")
    parser.add_argument("--workers", type=int, default=2, help="processes of the local Dask cluster (default 2)")
    parser.add_argument("--scheduler", default=None, help="a running Dask scheduler's address instead")
    parser.add_argument("--summarise", action="store_true",
                        help="run nothing: summarise the runs already in OUT/runs (a run stopped early)")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error(f"--workers must be at least 1; got {args.workers}")

    from anb.search.tasks import get_task

    runs, seed_count = [], {}
    for task_name in (ACCURACY_TASK, PAIR_TASK):
        task = get_task(task_name)
        budget = QUICK["budget"] if args.quick else task.budget
        seeds = task.seeds[:QUICK["seeds"]] if args.quick else task.seeds
        seed_count[task_name] = len(seeds)
        pair = task.kind == "two-objective"
        runs += [(optimizer.name, task_name, budget, seed) for optimizer in OPTIMIZERS
                 if (optimizer.pair if pair else optimizer.single) is not None for seed in seeds]
    # SMAC, which refits its forest at every evaluation, costs more than all the others together:
    # it runs last, and the others seed by seed, so that a run stopped early (and resumed later)
    # has every other optimiser on the same seeds.
    runs.sort(key=lambda run: (run[0] == "SMAC", run[3]))
    print(f"{len(runs)} runs: {len(OPTIMIZERS)} optimisers, tasks {ACCURACY_TASK} and {PAIR_TASK}", flush=True)
    results = run_all(runs, args.out / "runs", args.workers, args.scheduler, args.summarise)
    summary = quartiles(results)
    near = evaluations_to(results[results["task"] == ACCURACY_TASK], NEAR_REGRET)
    results_table = table(results, summary, seed_count, near)
    line = reference_line(results, summary, seed_count, near)
    replace_atomically(args.out / "optimizers.csv", lambda tmp: results.to_csv(tmp, index=False))
    plot(summary, args.out / "optimizers.png")
    replace_atomically(args.out / "optimizers.md",
                       lambda staging: staging.write_text(f"{results_table}\n\n```text\n{line}\n```\n"))
    print(f"wrote {args.out / 'optimizers.csv'}, {args.out / 'optimizers.png'} and {args.out / 'optimizers.md'}\n")
    print(results_table)
    print(line)


if __name__ == "__main__":
    main()
