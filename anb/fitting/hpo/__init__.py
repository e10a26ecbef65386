"""Cost-aware hyperparameter optimisation of a surrogate with SMAC 2.x (behind ``do_hpo.py``).

One job per module:

- :mod:`~anb.fitting.hpo.space`: the search space (a model-config file), checked against the model family;
- :mod:`~anb.fitting.hpo.objective`: what a trial measures (validation ranking error and prediction cost);
- :mod:`~anb.fitting.hpo.run`: the SMAC run (multi-objective, Dask workers, resuming);
- :mod:`~anb.fitting.hpo.selection`: the Pareto front and the rule that picks one configuration;
- :mod:`~anb.fitting.hpo.results` and :mod:`~anb.fitting.hpo.plots`: the files and figures a run leaves;
- :mod:`~anb.fitting.hpo.command`: the command line of ``do_hpo.py``.

The test side of the split never enters a run, so test figures measured later stay honest.
See docs/hpo.md.

May import: the rest of :mod:`anb.fitting`, :mod:`anb.models`, :mod:`anb.data`, :mod:`anb.devices`.
"""

from anb.fitting.hpo.command import main, run_directory
from anb.fitting.hpo.errors import HPOError
from anb.fitting.hpo.objective import OBJECTIVES, ValidationCostObjective
from anb.fitting.hpo.results import HPOResult
from anb.fitting.hpo.selection import DEFAULT_TOLERANCE, pareto_mask, pick_cheapest_within
from anb.fitting.hpo.space import load_search_space

__all__ = ["DEFAULT_TOLERANCE", "HPOError", "HPOResult", "OBJECTIVES", "ValidationCostObjective", "load_search_space",
           "main", "pareto_mask", "pick_cheapest_within", "run_directory", "run_hpo"]


def __getattr__(name: str):
    # SMAC (the ``hpo`` extra) is imported only when a run starts, so the rest of the package
    # and ``do_hpo.py --help`` work without it.
    if name == "run_hpo":
        from anb.fitting.hpo.run import run_hpo

        return run_hpo
    raise AttributeError(f"module 'anb.fitting.hpo' has no attribute {name!r}")
