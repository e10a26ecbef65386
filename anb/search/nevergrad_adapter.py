"""anb as a Nevergrad function and parametrization (the `nevergrad` extra).

The parametrization is a `Dict` of one `Choice` per hyperparameter, with the space's own
choices, so a candidate's value is an architecture as anb names it. The loss is each objective's
score negated (Nevergrad minimises); with several objectives, their list (Nevergrad's
multi-objective mode). Constraints: after a call, `loss.last_violations` holds that candidate's
relative violations, for `optimizer.tell(candidate, value, constraint_violation=...)`.

Examples
--------
<!-- example: small "budget=1000" -> "budget=60" -->

```python
import nevergrad as ng
from anb.search import Problem, make_objective
from anb.search.nevergrad_adapter import NevergradLoss, nevergrad_parametrization
loss = NevergradLoss(Problem(make_objective()))
optimizer = ng.optimizers.NGOpt(parametrization=nevergrad_parametrization(seed=0), budget=1000)
optimizer.minimize(loss)
```
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from anb.data.validation import check_seed
from anb.search.core import Problem
from anb.search.external import check_problem, encode_values, evaluate, import_library, named_choices

ng = import_library("nevergrad", "nevergrad")


def nevergrad_parametrization(seed: int | None = None):
    """Every hyperparameter as a Nevergrad `Choice` of its choices, in a `Dict`.

    Parameters
    ----------
    seed : int or None, default None
        Seeds the parametrization's random state (a run's reproducibility); `None` leaves it
        unseeded.

    Returns
    -------
    nevergrad.p.Dict
        One `Choice` per hyperparameter, in anb's column order.

    Raises
    ------
    ValueError
        When `seed` is neither `None` nor a non-negative integer.
    """
    parametrization = ng.p.Dict(**{name: ng.p.Choice(list(choices)) for name, choices in named_choices().items()})
    seed = check_seed(seed)
    if seed is not None:
        parametrization.random_state = np.random.RandomState(seed)
    return parametrization


class NevergradLoss:
    """`optimizer.minimize(NevergradLoss(problem))`: one candidate, one architecture, one logged query.

    Called with a candidate's value (`{hyperparameter: value}`), it queries the architecture
    through `problem` and returns the objective's score negated (a list, one per objective,
    with several).

    Parameters
    ----------
    problem : Problem
        The [`Problem`][anb.search.Problem] that queries and logs.

    Attributes
    ----------
    last_violations : list of float
        The latest candidate's relative constraint violations (0: satisfied), for
        `optimizer.tell(candidate, value, constraint_violation=...)`.

    Raises
    ------
    TypeError
        When `problem` is not an `anb.search.Problem`.
    """

    def __init__(self, problem: Problem):
        self.problem = check_problem(problem)
        # The latest candidate's relative constraint violations (0: satisfied), for ``tell``.
        self.last_violations: list[float] = []

    def __call__(self, values: Mapping) -> float | list[float]:
        """Evaluate one candidate.

        Parameters
        ----------
        values : Mapping
            The candidate's value: `{hyperparameter: value}`.

        Returns
        -------
        float or list of float
            The loss: the score negated, or one per objective.
        """
        scores, violations = evaluate(self.problem, encode_values(values))
        self.last_violations = violations[0].tolist()
        losses = (-scores[0]).tolist()
        return losses[0] if len(losses) == 1 else losses
