"""The feature matrix a surrogate sees: the encoded architecture (and derived features)."""

from __future__ import annotations

import numpy as np

from configurationspaces.efficientnet_encoding import encode

# Bump when the columns change: a saved surrogate records the version it was fitted on and
# refuses a matrix of another version.
FEATURE_VERSION = 1


def build_features(samples) -> np.ndarray:
    """Features of any input :func:`configurationspaces.efficientnet_encoding.encode` accepts."""
    return encode(samples)
