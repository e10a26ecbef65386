"""The MnasNet/EfficientNet search space of Accel-NASBench, with the original's calls."""

from __future__ import annotations

import numpy as np
from ConfigSpace import Configuration

from configurationspaces.arguments import check_int, check_seed
from configurationspaces.efficientnet_encoding import (
    FIELDS,
    N_BLOCKS,
    SpaceLayout,
    encode,
    load_configspace,
)

EFFICIENTNET_B0 = [
    [1, 6, 6, 6, 6, 6, 6],  # expansion factor of the 7 blocks
    [3, 3, 5, 3, 5, 5, 3],  # kernel sizes
    [1, 2, 2, 3, 3, 4, 1],  # layers per block
    [True] * N_BLOCKS,  # squeeze-excite
]


class EfficientNetSS:
    """7 MBConv blocks; expansion {1,4,6}, kernel {3,5}, layers {1,2,3} ({1..4} in block 5), SE on/off.

    ``ss`` is the underlying ``ConfigurationSpace``. Sampling draws uniformly with numpy, so
    ``random_sample(n, seed=s)`` is reproducible and ``random_encoded(n)`` gives the encoded
    matrix of a million architectures without building a million Configuration objects.
    """

    def __init__(self, seed: int | None = None):
        self.ss = load_configspace()
        self.layout = SpaceLayout(self.ss)
        self._rng = np.random.default_rng(check_seed(seed))

    def _rng_for(self, seed: int | None) -> np.random.Generator:
        return self._rng if seed is None else np.random.default_rng(check_seed(seed))

    def random_encoded(self, num_samples: int, seed: int | None = None) -> np.ndarray:
        """An ``(num_samples, 28)`` matrix of uniformly drawn architectures."""
        num_samples = check_int(num_samples, "num_samples", 0)
        rng = self._rng_for(seed)
        return rng.integers(0, self.layout.n_choices, size=(num_samples, len(self.layout.names))).astype(np.float64)

    def to_configurations(self, matrix: np.ndarray) -> list[Configuration]:
        matrix = encode(matrix, self.layout)
        return [Configuration(self.ss, vector=row) for row in matrix]

    def random_sample(self, num_samples: int = 1, seed: int | None = None):
        """One Configuration for ``num_samples == 1`` (as the original), else a list of them."""
        check_int(num_samples, "num_samples", 1)
        configs = self.to_configurations(self.random_encoded(num_samples, seed))
        return configs[0] if num_samples == 1 else configs

    def manual_sample(self, sample_config) -> Configuration:
        """A Configuration from one ``[[e x7], [k x7], [l x7], [se x7]]`` (a list or an array)."""
        matrix = encode(sample_config, self.layout)
        if len(matrix) != 1:
            raise ValueError(f"manual_sample takes one architecture, [[e x7], [k x7], [l x7], [se x7]]; got "
                             f"{len(matrix)} (to_configurations(encode(...)) takes many)")
        return self.to_configurations(matrix)[0]

    def efficientnet_b0(self) -> Configuration:
        return self.manual_sample(EFFICIENTNET_B0)

    def encode(self, samples) -> np.ndarray:
        return encode(samples, self.layout)

    def validate(self, sample) -> None:
        """Raise ``ValueError`` naming the block, field, bad value and allowed values."""
        encode(sample, self.layout)

    def size(self) -> int:
        return int(np.prod(self.layout.n_choices))

    def __len__(self) -> int:
        return self.size()

    def __str__(self) -> str:
        return str(self.ss)

    def block_lists(self, config) -> list[list]:
        """The ``[[e x7], [k x7], [l x7], [se x7]]`` form of one architecture."""
        values = dict(config)
        return [[values[f"block{b}_{field}"] for b in range(N_BLOCKS)] for field in FIELDS]
