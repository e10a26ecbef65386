"""anb as a pymoo `Problem` (the `pymoo` extra): integer variables, objectives minimised,
constraints as `G <= 0`.

Variable `j` is the choice index of anb's column `j` (`0..n_choices[j] - 1`): a row of `X`
is an encoded architecture. `F` holds each objective's score negated (pymoo minimises:
`-accuracy`, `+latency`), `G` each constraint's relative violation (0 when satisfied).

Examples
--------
<!-- example: small "1000" -> "100" -->

```python
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.optimize import minimize
from anb.search import Problem, make_objective
from anb.search.pymoo_adapter import PymooProblem, integer_operators
problem = PymooProblem(Problem([make_objective(), make_objective("zcu102", "latency")]))
minimize(problem, NSGA2(pop_size=50, **integer_operators()), ("n_evals", 1000), seed=0)
```
"""

from __future__ import annotations

import numpy as np

from anb.search.core import Problem, search_space
from anb.search.external import check_problem, evaluate, import_library
from configurationspaces.efficientnet_encoding import encode

pymoo_problem = import_library("pymoo.core.problem", "pymoo")


class PymooProblem(pymoo_problem.Problem):
    """anb's problem as a pymoo `Problem`: a batch of pymoo's is one query of each ensemble, logged by `problem`.

    Integer variables, one per column of the encoding (`xl` 0, `xu` `n_choices - 1`); `F` is
    each objective's score negated, `G` each constraint's relative violation. A variable that
    is not a whole choice index is refused (a ValueError naming the column and the indices
    allowed), not rounded into another architecture: use
    [`integer_operators`][anb.search.pymoo_adapter.integer_operators].

    Parameters
    ----------
    problem : Problem
        The [`Problem`][anb.search.Problem] that queries and logs.

    Attributes
    ----------
    anb_problem : Problem
        `problem`, whose log is the run's trajectory.

    Raises
    ------
    TypeError
        When `problem` is not an `anb.search.Problem`.
    """

    def __init__(self, problem: Problem):
        self.anb_problem = check_problem(problem)
        space = search_space()
        super().__init__(n_var=space.width, n_obj=len(problem.objectives), n_ieq_constr=len(problem.constraints),
                         xl=np.zeros(space.width), xu=space.n_choices - 1.0, vtype=int)

    def _evaluate(self, X, out, *args, **kwargs):
        # The operators of integer_operators() give whole numbers; anything else is refused, naming
        # the column and the indices allowed, rather than rounded into another architecture.
        scores, violations = evaluate(self.anb_problem, encode(np.asarray(X, dtype=np.float64)))
        out["F"] = -scores
        if violations.shape[1]:
            out["G"] = violations


def integer_operators() -> dict:
    """Sampling, crossover and mutation that keep every variable a whole choice index.

    Returns
    -------
    dict
        `sampling` (integer random sampling), `crossover` (SBX) and `mutation` (polynomial),
        the last two with rounding repair: keyword arguments of a pymoo algorithm.
    """
    sampling = import_library("pymoo.operators.sampling.rnd", "pymoo")
    crossover = import_library("pymoo.operators.crossover.sbx", "pymoo")
    mutation = import_library("pymoo.operators.mutation.pm", "pymoo")
    repair = import_library("pymoo.operators.repair.rounding", "pymoo")
    return {"sampling": sampling.IntegerRandomSampling(),
            "crossover": crossover.SBX(prob=1.0, eta=3.0, vtype=float, repair=repair.RoundingRepair()),
            "mutation": mutation.PM(prob=1.0, eta=3.0, vtype=float, repair=repair.RoundingRepair())}
