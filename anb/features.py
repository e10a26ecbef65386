"""The feature matrix a surrogate sees: the encoded architecture plus its analytic cost.

The first 28 columns are the ConfigSpace encoding (``Configuration.get_array()`` order). Two
more hold the network's MACs and parameter count (millions) from the analytic cost model:
trees split on a sum of per-block costs poorly, and speed on every device is driven by such
sums, so giving them as features lets a shallow model rank architectures by cost directly.
"""

from __future__ import annotations

import numpy as np

from configurationspaces.efficientnet_cost import architecture_cost
from configurationspaces.efficientnet_encoding import block_values, encode

# Bump when the columns change: a saved surrogate records the version it was fitted on and is
# rebuilt rather than fed a matrix it does not understand.
FEATURE_VERSION = 2
COST_COLUMNS = ("macs", "params")


def cost_features(encoded: np.ndarray) -> np.ndarray:
    """``(n, 2)`` MACs and parameters (millions) of an encoded matrix."""
    values = block_values(encoded)
    macs, params = architecture_cost(values["e"], values["k"], values["l"], values["se"])
    return np.column_stack([macs, params])


def features_from_encoded(encoded: np.ndarray) -> np.ndarray:
    if len(encoded) == 0:
        return np.empty((0, encoded.shape[1] + len(COST_COLUMNS)))
    return np.hstack([encoded, cost_features(encoded)])


def build_features(samples) -> np.ndarray:
    """Features of any input :func:`configurationspaces.efficientnet_encoding.encode` accepts."""
    return features_from_encoded(encode(samples))
