"""What the exact search optimises: an objective ensemble, a direction, an optional constraint and fixed blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from anb.data.validation import check_finite_number
from anb.surrogates.ensemble import ANBEnsemble
from anb.optimum.blocks import BlockChoices, block_choices
from anb.optimum.packed import PackedEnsemble, pack
from anb.search.objectives import metric_is_maximised
from configurationspaces.efficientnet_encoding import N_BLOCKS


def default_sense(ensemble: ANBEnsemble) -> int:
    """+1 for a target that is maximised (accuracy, throughput), -1 for one minimised (latency)."""
    target = ensemble.target
    return 1 if metric_is_maximised(target.metric, target.unit if target.device else None) else -1


@dataclass
class Constraint:
    """`ensemble`'s mean at least `bound` (`sense` +1, e.g. throughput) or at most it (-1, latency).

    Attributes
    ----------
    ensemble : ANBEnsemble
        The constrained ensemble (a device metric's), loaded.
    bound : float
        The bound, in the ensemble's unit; a finite number.
    sense : int
        +1: the mean must be at least `bound`; -1: at most `bound`.

    Raises
    ------
    ValueError
        When `bound` is not a finite number or `sense` is not +1 or -1.
    """

    ensemble: ANBEnsemble
    bound: float
    sense: int

    def __post_init__(self):
        self.bound = check_finite_number(self.bound, "a constraint's bound")
        if self.sense not in (1, -1):
            raise ValueError(f"a constraint's sense must be +1 (at least) or -1 (at most); got {self.sense!r}")

    @property
    def score_bound(self) -> float:
        """The bound on `sense * mean` the search works with."""
        return self.sense * float(self.bound)

    def describe(self) -> str:
        """The constraint in words, e.g. `a100/throughput >= 20000 images/s`.

        Returns
        -------
        str
            The description.
        """
        relation = ">=" if self.sense > 0 else "<="
        return f"{self.ensemble.target.label} {relation} {self.bound:g} {self.ensemble.target.unit}"


def _is_index(value) -> bool:
    """An integer that is not a bool: ``True`` is never block or choice 1."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_fixed(fixed) -> dict[int, int]:
    """``fixed`` ({block: choice index}) as plain ints, each block 0..6 and its choice one it has."""
    if not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a dict {{block: choice index}}, e.g. {{0: 3, 5: 12}}; got {fixed!r}")
    blocks = block_choices()
    checked = {}
    for block, choice in fixed.items():
        if not (_is_index(block) and 0 <= block < N_BLOCKS):
            raise ValueError(f"fixed block {block!r} is not one of 0..{N_BLOCKS - 1}")
        if not (_is_index(choice) and 0 <= choice < blocks.n_choices[block]):
            raise ValueError(f"block {block}'s fixed choice {choice!r} is not one of 0..{blocks.n_choices[block] - 1}")
        checked[int(block)] = int(choice)
    return checked


@dataclass
class Problem:
    """Maximise `sense * mean` of `objective` over the architectures with the blocks of `fixed` set, subject to `constraint`.

    Solve one with [`solve`][anb.optimum.solve].

    Attributes
    ----------
    objective : ANBEnsemble
        The ensemble whose mean is optimised, loaded.
    sense : int
        +1 to maximise, -1 to minimise.
    constraint : Constraint or None, default None
        A bound on another ensemble's mean.
    fixed : dict of int to int, default {}
        `{block: choice index}` (blocks 0..6; see `anb.optimum.blocks.BlockChoices`): the
        subspace searched.

    Raises
    ------
    ValueError
        When `sense` is not +1 or -1, or a fixed block or choice is out of range.
    TypeError
        When `fixed` is not a dict.
    """

    objective: ANBEnsemble
    sense: int
    constraint: Constraint | None = None
    fixed: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        if self.sense not in (1, -1):
            raise ValueError(f"sense must be +1 (maximise) or -1 (minimise); got {self.sense!r}")
        self.fixed = check_fixed(self.fixed)

    @property
    def blocks(self) -> BlockChoices:
        """The choices of every block (`anb.optimum.blocks.BlockChoices`)."""
        return block_choices()

    def packed(self) -> tuple[PackedEnsemble, PackedEnsemble | None]:
        """The ensembles' trees packed for the compiled bounds.

        Returns
        -------
        objective : PackedEnsemble
            The objective's trees.
        constraint : PackedEnsemble or None
            The constraint's trees; `None` without a constraint.
        """
        return pack(self.objective), None if self.constraint is None else pack(self.constraint.ensemble)

    def scores(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ensembles' own query of choices: objective scores, and whether each is feasible.

        Parameters
        ----------
        choices : numpy.ndarray
            `(n, 7)` choice indices, one column per block.

        Returns
        -------
        scores : numpy.ndarray
            `(n,)` scores, `sense * mean`.
        feasible : numpy.ndarray
            `(n,)` bool: whether each satisfies the constraint.
        """
        scores, slack = self.scores_and_slack(choices)
        return scores, slack >= 0

    def scores_and_slack(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective scores and how far each architecture is inside the constraint.

        Parameters
        ----------
        choices : numpy.ndarray
            `(n, 7)` choice indices, one column per block.

        Returns
        -------
        scores : numpy.ndarray
            `(n,)` scores, `sense * mean`.
        slack : numpy.ndarray
            `(n,)`: how far inside the constraint (negative: outside; 0 everywhere without a
            constraint).
        """
        encoded = self.blocks.rows(choices)
        scores = self.sense * self.objective.query(encoded)[0]
        if self.constraint is None:
            return scores, np.zeros(len(scores))
        values = self.constraint.ensemble.query(encoded)[0]
        return scores, self.constraint.sense * values - self.constraint.score_bound

    def best_of(self, choices: np.ndarray) -> tuple[np.ndarray | None, float]:
        """The best feasible of `choices`, by one batch query.

        An architecture's answer does not depend on the batch it is queried in (the trees add
        in a fixed order and the link in `anb.models.portable_math`'s, row by row), so it is the
        value a user gets for it alone.

        Parameters
        ----------
        choices : numpy.ndarray
            `(n, 7)` choice indices, one column per block.

        Returns
        -------
        best : numpy.ndarray or None
            The best feasible row of `choices`; `None` when none is feasible (or `choices` is
            empty).
        score : float
            Its score, `sense * mean`; `-inf` without one.
        """
        if not len(choices):
            return None, -np.inf
        scores, feasible = self.scores(choices)
        scores = np.where(feasible, scores, -np.inf)
        best = int(np.argmax(scores))
        return (choices[best], float(scores[best])) if scores[best] > -np.inf else (None, -np.inf)

    def size(self) -> int:
        """The number of architectures in the searched subspace.

        Returns
        -------
        int
            The product of the free blocks' choice counts.
        """
        return self.blocks.size(self.fixed)

    def describe(self) -> str:
        """The problem in words, e.g. `max accuracy s.t. a100/throughput >= 20000 images/s`.

        Returns
        -------
        str
            The description.
        """
        goal = "max" if self.sense > 0 else "min"
        text = f"{goal} {self.objective.target.label}"
        if self.constraint is not None:
            text += f" s.t. {self.constraint.describe()}"
        if self.fixed:
            text += f", blocks {sorted(self.fixed)} fixed"
        return text
