"""Feature matrices of NAS-Bench-101 cells for the tabular predictors.

A feature set is a ``+``-joined list of parts:

* ``flat``: the 36-value adjacency/one-hot-op encoding of the pruned cell;
* ``path``: the 364-value path encoding;
* ``cost``: log parameter count and log FLOPs of the full network (analytic).
"""

from __future__ import annotations

import numpy as np

from configurationspaces.nasbench101_cost import network_cost
from configurationspaces.nasbench101_encoding import FLAT_NAMES, N_PATHS, flat_encoding, path_encoding

PARTS = ("flat", "path", "cost")
DEFAULT_FEATURES = "flat"


def _cost(adjacency, labels) -> np.ndarray:
    params, flops = network_cost(adjacency, labels)
    # Logs: the network's size spans two orders of magnitude and acts multiplicatively.
    return np.column_stack([np.log(params), np.log(flops)]).astype(np.float32)


_ENCODERS = {"flat": flat_encoding, "path": path_encoding, "cost": _cost}


def parse_features(features: str) -> tuple[str, ...]:
    """The parts of a feature set name such as ``"flat+cost"``; ValueError for unknown parts."""
    if not isinstance(features, str) or not features:
        raise ValueError(f"features must be a '+'-joined string of {list(PARTS)}; got {features!r}")
    parts = tuple(features.split("+"))
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"unknown feature part {part!r} in {features!r}; parts are {list(PARTS)}")
    if len(set(parts)) != len(parts):
        raise ValueError(f"feature set {features!r} repeats a part")
    return parts


def feature_names(features: str = DEFAULT_FEATURES) -> list[str]:
    names = {
        "flat": list(FLAT_NAMES),
        "path": [f"path_{i}" for i in range(N_PATHS)],
        "cost": ["log_params", "log_flops"],
    }
    return [name for part in parse_features(features) for name in names[part]]


def encode_cells(adjacency, labels, features: str = DEFAULT_FEATURES) -> np.ndarray:
    """(N, F) float32 features of pruned cells given as ``cells_to_arrays`` arrays."""
    return np.concatenate([_ENCODERS[part](adjacency, labels) for part in parse_features(features)], axis=1)
