"""Cost-aware hyperparameter optimisation of a surrogate with SMAC 2.x (behind ``do_hpo.py``).

One job per module:

- :mod:`~anb.hpo.space`: the search space (a model-config file), checked against the model family;
- :mod:`~anb.hpo.objective`: what a trial measures (validation ranking error and prediction cost);
- :mod:`~anb.hpo.run`: the SMAC run (multi-objective, Dask workers, resuming);
- :mod:`~anb.hpo.selection`: the Pareto front and the rule that picks one configuration;
- :mod:`~anb.hpo.results` and :mod:`~anb.hpo.plots`: the files and figures a run leaves;
- :mod:`~anb.hpo.command`: the command line of ``do_hpo.py``.

The test side of the split never enters a run, so test figures measured later stay honest.
See docs/hpo.md.
"""

from anb.hpo.command import main, run_directory
from anb.hpo.errors import HPOError
from anb.hpo.objective import OBJECTIVES, ValidationCostObjective
from anb.hpo.results import HPOResult
from anb.hpo.selection import DEFAULT_TOLERANCE, pareto_mask, pick_cheapest_within
from anb.hpo.space import load_search_space

__all__ = ["DEFAULT_TOLERANCE", "HPOError", "HPOResult", "OBJECTIVES", "ValidationCostObjective", "load_search_space",
           "main", "pareto_mask", "pick_cheapest_within", "run_directory", "run_hpo"]


def __getattr__(name: str):
    # SMAC (the ``hpo`` extra) is imported only when a run starts, so the rest of the package
    # and ``do_hpo.py --help`` work without it.
    if name == "run_hpo":
        from anb.hpo.run import run_hpo

        return run_hpo
    raise AttributeError(f"module 'anb.hpo' has no attribute {name!r}")
