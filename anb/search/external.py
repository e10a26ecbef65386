"""What the adapters to other optimisation libraries share (Optuna, pymoo, Nevergrad).

The space as each library declares it (every hyperparameter with its choices, in anb's column
order), a trial's values turned into anb's encoding, and one batch's scores and constraint
violations, evaluated through a :class:`~anb.search.core.Problem` so that every query is logged
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
    """The optional library ``module``; ImportError naming the anb extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this adapter needs {module}, which is not installed: pip install 'anb[{extra}]'") from exc


def named_choices() -> dict[str, tuple]:
    """Every hyperparameter (``block0_e`` ... ``block6_se``) and its choices, in anb's column order."""
    layout = default_layout()
    return dict(zip(layout.names, layout.choices))


def encode_values(values: Mapping) -> np.ndarray:
    """A trial's ``{hyperparameter: value}`` as one encoded row ``(1, 28)``; a value outside the
    space, a missing or an unknown hyperparameter is a ValueError naming what is allowed."""
    if not isinstance(values, Mapping):
        raise TypeError(f"a trial's values must be a mapping of hyperparameter to value; got {type(values).__name__}")
    return encode([dict(values)])


def evaluate(problem: Problem, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, violations)`` of an encoded batch: ``(n, n_objectives)`` scores (larger is
    better, the values the search sees) and ``(n, n_constraints)`` relative violations (0:
    satisfied)."""
    problem.evaluate(encoded)
    violations = [constraint.violation(problem.latest(constraint.column)) for constraint in problem.constraints]
    return problem.latest("scores"), np.column_stack(violations) if violations else np.zeros((len(encoded), 0))
