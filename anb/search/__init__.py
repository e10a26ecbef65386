"""Reference NAS optimisers on the benchmark's surrogates.

Single-objective searches (random search, regularized evolution, local search) return their
trajectory as a DataFrame; multi-objective ones a [`ParetoResult`][anb.search.ParetoResult];
constraint-aware search is a single-objective search with bounds
([`constrained_search`][anb.search.constrained_search], the bounds of `anb.search.constraints`).

Other libraries' optimisers run on the same [`Problem`][anb.search.Problem] through adapters,
each imported on its own and installed by the extra of its name:
[`anb.search.optuna_adapter`][anb.search.optuna_adapter],
[`anb.search.pymoo_adapter`][anb.search.pymoo_adapter],
[`anb.search.nevergrad_adapter`][anb.search.nevergrad_adapter] (what they share:
[`anb.search.external`][anb.search.external]). [`anb.search.tasks`][anb.search.tasks] names the
standard tasks results are reported on: objective, budget, seeds, and the best known value or
reference point.

May import: `anb.surrogates` (the objectives query `ANBEnsemble`) and `anb.data`.

Examples
--------
```python
from anb.search import make_objective, regularized_evolution, random_search, nsga2
accuracy = make_objective()                                  # ImageNet top-1, maximised
latency = make_objective("zcu102", "latency")                # minimised
trajectory = regularized_evolution(accuracy, budget=1000, seed=0)
trajectory["best"].iloc[-1]                                  # best accuracy after 1,000 queries
result = nsga2([accuracy, latency], budget=1000, seed=0)
result.front, result.hypervolume, result.reference
```
"""

from anb.search.constraints import (
    CostBound,
    DeviceBound,
    constrained_search,
    device_bound,
    max_latency,
    max_macs,
    max_params,
    min_throughput,
)
from anb.search.core import Problem
from anb.search.multi_objective import (
    MO_ALGORITHMS,
    ParetoResult,
    accuracy_and_device,
    crowding_distance,
    default_reference,
    hypervolume_2d,
    hypervolume_trajectory,
    mo_random_search,
    non_dominated_mask,
    non_dominated_sort,
    nsga2,
    pareto_search,
)
from anb.search.objectives import (
    Objective,
    accuracy_objective,
    architecture_costs,
    device_objective,
    make_objective,
    metric_is_maximised,
)
from anb.search.regret import add_regret
from anb.search.single_objective import ALGORITHMS, best_row, local_search, random_search, regularized_evolution, run

__all__ = [
    "ALGORITHMS", "MO_ALGORITHMS", "CostBound", "DeviceBound", "Objective", "ParetoResult", "Problem", "accuracy_and_device",
    "accuracy_objective", "add_regret", "architecture_costs", "best_row", "constrained_search", "crowding_distance",
    "default_reference", "device_bound", "device_objective", "hypervolume_2d", "hypervolume_trajectory",
    "local_search", "make_objective", "max_latency", "max_macs", "max_params", "metric_is_maximised",
    "min_throughput", "mo_random_search", "non_dominated_mask", "non_dominated_sort", "nsga2",
    "pareto_search", "random_search", "regularized_evolution", "run",
]
