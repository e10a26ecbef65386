"""anb as an Optuna objective (the `optuna` extra).

Every hyperparameter is a categorical with the space's own choices
([`optuna_distributions`][anb.search.optuna_adapter.optuna_distributions]), so a trial's
parameters are an architecture as anb names it; the objective returns each objective's value in
its unit (accuracy in %, latency in ms), with the study's `directions`. Each constraint is set
on the trial (`trial.set_constraint`, its relative violation: 0 when satisfied), which the
samplers that take constraints (TPE, NSGA-II) read.

Examples
--------
<!-- example: small "n_trials=1000" -> "n_trials=60" -->

```python
import optuna
from anb.search import Problem, make_objective
from anb.search.optuna_adapter import OptunaObjective
objective = OptunaObjective(Problem([make_objective(), make_objective("zcu102", "latency")]))
study = optuna.create_study(directions=objective.directions, sampler=optuna.samplers.NSGAIISampler(seed=0))
study.optimize(objective, n_trials=1000)
```
"""

from __future__ import annotations

from anb.search.core import Problem
from anb.search.external import check_problem, encode_values, evaluate, import_library, named_choices

optuna = import_library("optuna", "optuna")


def optuna_distributions() -> dict[str, optuna.distributions.CategoricalDistribution]:
    """Every hyperparameter as an Optuna categorical of its choices (for `study.add_trial`, `ask`).

    Returns
    -------
    dict of str to optuna.distributions.CategoricalDistribution
        One distribution per hyperparameter, in anb's column order.
    """
    return {name: optuna.distributions.CategoricalDistribution(choices) for name, choices in named_choices().items()}


class OptunaObjective:
    """`study.optimize(OptunaObjective(problem))`: one trial, one architecture, one logged query.

    Called with a trial, it suggests every hyperparameter as a categorical, queries the
    architecture through `problem`, sets each constraint's relative violation on the trial and
    returns the objective's value (a tuple of values with several objectives), in its unit.

    Parameters
    ----------
    problem : Problem
        The [`Problem`][anb.search.Problem] that queries and logs (its log is the run's
        trajectory).

    Raises
    ------
    TypeError
        When `problem` is not an `anb.search.Problem`.
    """

    def __init__(self, problem: Problem):
        self.problem = check_problem(problem)
        self.choices = named_choices()

    @property
    def directions(self) -> list[str]:
        """The study's directions: `"maximize"` or `"minimize"` per objective."""
        return ["maximize" if objective.maximize else "minimize" for objective in self.problem.objectives]

    def __call__(self, trial) -> float | tuple[float, ...]:
        """Evaluate one trial.

        Parameters
        ----------
        trial : optuna.trial.Trial
            The trial whose suggestions name the architecture.

        Returns
        -------
        float or tuple of float
            The objective's value, or one per objective, in their units.
        """
        values = {name: trial.suggest_categorical(name, choices) for name, choices in self.choices.items()}
        scores, violations = evaluate(self.problem, encode_values(values))
        for constraint, violation in zip(self.problem.constraints, violations[0]):
            trial.set_constraint(constraint.describe(), float(violation))
        observed = [float(objective.unscore(score)) for objective, score in zip(self.problem.objectives, scores[0])]
        return observed[0] if len(observed) == 1 else tuple(observed)
