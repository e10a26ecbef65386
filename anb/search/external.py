"""What the adapters to other optimisation libraries share (Optuna, pymoo, Nevergrad).

The space as each library declares it (every hyperparameter with its choices, in anb's column
order), a trial's values turned into anb's encoding, and one batch's scores and constraint
violations, evaluated through a [`Problem`][anb.search.Problem] so that every query is logged
as anb's own searches log theirs (the trajectory, the regret and the front come from the log).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

import numpy as np

from anb.search.core import Problem
from configurationspaces.efficientnet_encoding import default_layout, encode


def import_library(module: str, extra: str) -> ModuleType:
    """Import an optional library, or say which anb extra installs it.

    Parameters
    ----------
    module : str
        The module to import, e.g. `"optuna"` or `"pymoo.core.problem"`.
    extra : str
        The anb extra that installs it, e.g. `"optuna"`.

    Returns
    -------
    types.ModuleType
        The module.

    Raises
    ------
    ImportError
        When it is not installed, naming `pip install 'anb[<extra>]'`.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this adapter needs {module}, which is not installed: pip install 'anb[{extra}]'") from exc


def check_problem(problem) -> Problem:
    """The problem an adapter wraps, after checking that it is one.

    Parameters
    ----------
    problem : Problem
        What the user passed.

    Returns
    -------
    Problem
        `problem`.

    Raises
    ------
    TypeError
        When `problem` is not an `anb.search.Problem`.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an anb.search.Problem; got {type(problem).__name__}")
    return problem


def named_choices() -> dict[str, tuple]:
    """Every hyperparameter and its choices, in anb's column order.

    Returns
    -------
    dict of str to tuple
        `block0_e` ... `block6_se`, each with the values it may take.
    """
    layout = default_layout()
    return dict(zip(layout.names, layout.choices))


def encode_values(values: Mapping) -> np.ndarray:
    """A trial's values as one encoded row.

    Parameters
    ----------
    values : Mapping
        `{hyperparameter: value}` for every hyperparameter of
        [`named_choices`][anb.search.external.named_choices].

    Returns
    -------
    numpy.ndarray
        The `(1, 28)` encoded row.

    Raises
    ------
    ValueError
        For a value outside the space, or a missing or unknown hyperparameter, naming what is
        allowed.
    TypeError
        When `values` is not a mapping.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"a trial's values must be a mapping of hyperparameter to value; got {type(values).__name__}")
    return encode([dict(values)])


def evaluate(problem: Problem, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Query an encoded batch through a problem (which logs it) and return what an optimiser sees.

    Parameters
    ----------
    problem : Problem
        The [`Problem`][anb.search.Problem] that queries and logs.
    encoded : numpy.ndarray
        An `(n, 28)` encoded batch.

    Returns
    -------
    scores : numpy.ndarray
        `(n, n_objectives)`: larger is better, the values the search sees.
    violations : numpy.ndarray
        `(n, n_constraints)` relative violations (0: satisfied).
    """
    problem.evaluate(encoded)
    violations = [constraint.violation(problem.latest(constraint.column)) for constraint in problem.constraints]
    return problem.latest("scores"), np.column_stack(violations) if violations else np.zeros((len(encoded), 0))
