"""Cheaper relatives of a tuned configuration, evaluated first by a cost-aware run.

A booster's prediction cost is its number of trees times their depth. The trees needed fall
roughly in proportion to the learning rate, so raising the learning rate and shrinking the
trees of a config that is already accurate is the most direct way down the cost axis; these
few points, evaluated right after the default, give the optimiser the cheap end of the front
near the best error at once instead of after dozens of random trials.
"""

from __future__ import annotations

import numpy as np
from ConfigSpace import Configuration, ConfigurationSpace

from anb.fitting.model_config import PARAM_PREFIX
from anb.models import family_class

LEARNING_RATE = PARAM_PREFIX + "learning_rate"
# (learning-rate factor, tree-size factor) pairs, from a small step to a large one.
LADDER = ((2.0, 0.8), (3.0, 0.65), (4.0, 0.65), (6.0, 0.5), (8.0, 0.5))


def cheaper_variants(space: ConfigurationSpace, family: str, limit: int) -> list[Configuration]:
    """Up to ``limit`` configurations of ``space``: its default with a higher learning rate and smaller trees.

    Empty when the family has no tree-size parameter or the space does not tune both.
    """
    size_name = family_class(family).tree_size_param
    names = set(space.keys())
    if size_name is None or LEARNING_RATE not in names or PARAM_PREFIX + size_name not in names or limit < 1:
        return []
    size_name = PARAM_PREFIX + size_name
    rate_hp, size_hp = space[LEARNING_RATE], space[size_name]
    if not hasattr(rate_hp, "upper") or not hasattr(size_hp, "upper"):
        return []
    default = space.get_default_configuration()
    variants = []
    for rate_factor, size_factor in LADDER:
        values = dict(default)
        values[LEARNING_RATE] = float(np.clip(default[LEARNING_RATE] * rate_factor, rate_hp.lower, rate_hp.upper))
        values[size_name] = int(np.clip(round(default[size_name] * size_factor), size_hp.lower, size_hp.upper))
        try:
            config = Configuration(space, values=values)
        except ValueError:  # a condition or forbidden clause rules it out
            continue
        if config != default and config not in variants:
            config.origin = "Initial Design: cheaper variant of the default"
            variants.append(config)
    return variants[:limit]
