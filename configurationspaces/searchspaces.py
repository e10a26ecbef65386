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
    """The search space: 7 MBConv blocks; expansion {1,4,6}, kernel {3,5}, layers {1,2,3} ({1..4} in block 5), SE on/off.

    Sampling draws uniformly with numpy, so `random_sample(n, seed=s)` is reproducible and
    `random_encoded(n)` gives the encoded matrix of a million architectures without building a
    million Configuration objects.

    Parameters
    ----------
    seed : int or None, default None
        Seeds the space's own generator, used by the samplers when they are given no seed.

    Attributes
    ----------
    ss : ConfigSpace.ConfigurationSpace
        The underlying `ConfigurationSpace`.
    layout : SpaceLayout
        The column order and choices of the encoding.

    Raises
    ------
    ValueError
        When `seed` is neither `None` nor a non-negative integer.

    Examples
    --------
    ```python
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)      # 4 Configurations
    ```
    """

    def __init__(self, seed: int | None = None):
        self.ss = load_configspace()
        self.layout = SpaceLayout(self.ss)
        self._rng = np.random.default_rng(check_seed(seed))

    def _rng_for(self, seed: int | None) -> np.random.Generator:
        return self._rng if seed is None else np.random.default_rng(check_seed(seed))

    def random_encoded(self, num_samples: int, seed: int | None = None) -> np.ndarray:
        """Uniformly drawn architectures, encoded.

        Parameters
        ----------
        num_samples : int
            How many, at least 0.
        seed : int or None, default None
            Seeds this draw; `None` draws from the space's own generator.

        Returns
        -------
        numpy.ndarray
            An `(num_samples, 28)` float matrix of choice indices.

        Raises
        ------
        ValueError
            When `num_samples` is not a non-negative integer or `seed` is neither `None` nor
            a non-negative integer.
        """
        num_samples = check_int(num_samples, "num_samples", 0)
        rng = self._rng_for(seed)
        return rng.integers(0, self.layout.n_choices, size=(num_samples, len(self.layout.names))).astype(np.float64)

    def to_configurations(self, matrix: np.ndarray) -> list[Configuration]:
        """Architectures as ConfigSpace Configurations of this space.

        Parameters
        ----------
        matrix : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes.

        Returns
        -------
        list of ConfigSpace.Configuration
            One per architecture.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, field, bad value and allowed values.
        """
        matrix = encode(matrix, self.layout)
        return [Configuration(self.ss, vector=row) for row in matrix]

    def random_sample(self, num_samples: int = 1, seed: int | None = None):
        """Uniformly drawn architectures as Configurations.

        Parameters
        ----------
        num_samples : int, default 1
            How many, at least 1.
        seed : int or None, default None
            Seeds this draw; `None` draws from the space's own generator.

        Returns
        -------
        ConfigSpace.Configuration or list of ConfigSpace.Configuration
            One Configuration for `num_samples == 1` (as the original), else a list of them.

        Raises
        ------
        ValueError
            When `num_samples` is not an integer of at least 1 or `seed` is neither `None`
            nor a non-negative integer.
        """
        check_int(num_samples, "num_samples", 1)
        configs = self.to_configurations(self.random_encoded(num_samples, seed))
        return configs[0] if num_samples == 1 else configs

    def manual_sample(self, sample_config) -> Configuration:
        """A Configuration from one `[[e x7], [k x7], [l x7], [se x7]]` (a list or an array).

        Parameters
        ----------
        sample_config : list or numpy.ndarray
            One architecture: expansion, kernel, layers and squeeze-excite of the 7 blocks (any
            other form [`encode`][configurationspaces.efficientnet_encoding.encode] takes of
            one architecture works too).

        Returns
        -------
        ConfigSpace.Configuration
            The architecture.

        Raises
        ------
        ValueError
            For an invalid architecture (naming the block, field, bad value and allowed
            values), or more than one.
        """
        matrix = encode(sample_config, self.layout)
        if len(matrix) != 1:
            raise ValueError(f"manual_sample takes one architecture, [[e x7], [k x7], [l x7], [se x7]]; got "
                             f"{len(matrix)} (to_configurations(encode(...)) takes many)")
        return self.to_configurations(matrix)[0]

    def efficientnet_b0(self) -> Configuration:
        """EfficientNet-B0's architecture.

        Returns
        -------
        ConfigSpace.Configuration
            Expansion `[1, 6, 6, 6, 6, 6, 6]`, kernels `[3, 3, 5, 3, 5, 5, 3]`, layers
            `[1, 2, 2, 3, 3, 4, 1]`, squeeze-excite in every block.
        """
        return self.manual_sample(EFFICIENTNET_B0)

    def encode(self, samples) -> np.ndarray:
        """Architectures encoded, as [`encode`][configurationspaces.efficientnet_encoding.encode] does.

        Parameters
        ----------
        samples : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures.

        Returns
        -------
        numpy.ndarray
            An `(n, 28)` float matrix of choice indices.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, field, bad value and allowed values.
        """
        return encode(samples, self.layout)

    def validate(self, sample) -> None:
        """Check architectures, raising for an invalid one.

        Parameters
        ----------
        sample : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, field, bad value and allowed values.
        """
        encode(sample, self.layout)

    def size(self) -> int:
        """The number of architectures in the space (also `len(space)`).

        Returns
        -------
        int
            The product of every hyperparameter's choice count.
        """
        return int(np.prod(self.layout.n_choices))

    def __len__(self) -> int:
        return self.size()

    def __str__(self) -> str:
        return str(self.ss)

    def block_lists(self, config) -> list[list]:
        """The `[[e x7], [k x7], [l x7], [se x7]]` form of one architecture.

        Parameters
        ----------
        config : ConfigSpace.Configuration or Mapping
            One architecture, with the `block{i}_{e,k,l,se}` keys.

        Returns
        -------
        list of list
            Expansion, kernel, layers and squeeze-excite, 7 blocks each.
        """
        values = dict(config)
        return [[values[f"block{b}_{field}"] for b in range(N_BLOCKS)] for field in FIELDS]
