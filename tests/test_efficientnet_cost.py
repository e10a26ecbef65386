"""The analytic cost model against the dataset's measured MACs and params."""

import numpy as np
import pytest

from configurationspaces.efficientnet_cost import architecture_cost

N_BLOCKS = 7
N_ARCHITECTURES = 5138
# The model reproduces the dataset exactly; the bounds only leave room for float rounding
# of the dataset's 6-decimal numbers (the brief asked for 0.5% on params, 2% on MACs).
PARAMS_MAX_REL_ERR = 1e-6
MACS_MAX_REL_ERR = 1e-6


@pytest.fixture(scope="module")
def dataset():
    from anb.data.dataset import load_dataset

    return load_dataset()


def _arrays(df):
    def cols(suffix):
        return df[[f"block{i}_{suffix}" for i in range(N_BLOCKS)]].to_numpy()

    return cols("e").astype(int), cols("k").astype(int), cols("l").astype(int), cols("se").astype(bool)


def _max_rel_err(predicted, measured):
    measured = np.asarray(measured, dtype=np.float64)
    return float(np.max(np.abs(predicted - measured) / measured))


def test_cost_matches_every_architecture(dataset):
    assert len(dataset) == N_ARCHITECTURES
    macs, params = architecture_cost(*_arrays(dataset))
    assert macs.shape == params.shape == (len(dataset),)
    assert macs.dtype == params.dtype == np.float64
    assert _max_rel_err(params, dataset["params"]) <= PARAMS_MAX_REL_ERR
    assert _max_rel_err(macs, dataset["macs"]) <= MACS_MAX_REL_ERR


def test_efficientnet_b0():
    expansion = np.array([[1, 6, 6, 6, 6, 6, 6]])
    kernel = np.array([[3, 3, 5, 3, 5, 5, 3]])
    layers = np.array([[1, 2, 2, 3, 3, 4, 1]])
    se = np.ones((1, N_BLOCKS), dtype=bool)
    macs, params = architecture_cost(expansion, kernel, layers, se)
    # 5,288,548 is EfficientNet-B0's published parameter count (e.g. timm's efficientnet_b0).
    assert params[0] == pytest.approx(5.288548, abs=1e-9)
    # 385.8M conv/FC MACs (the paper's "0.39B FLOPs") plus the BatchNorm and pooling ops the
    # dataset's profiler also counts.
    assert macs[0] == pytest.approx(415.145024, abs=1e-6)


def test_rows_are_independent():
    # Vectorised rows give the same answer as one row at a time.
    rng = np.random.default_rng(0)
    n = 20
    expansion = rng.choice([1, 4, 6], size=(n, N_BLOCKS))
    kernel = rng.choice([3, 5], size=(n, N_BLOCKS))
    layers = rng.integers(1, 4, size=(n, N_BLOCKS))
    se = rng.random((n, N_BLOCKS)) < 0.5
    macs, params = architecture_cost(expansion, kernel, layers, se)
    for r in range(n):
        m, p = architecture_cost(expansion[r:r + 1], kernel[r:r + 1], layers[r:r + 1], se[r:r + 1])
        assert m[0] == macs[r] and p[0] == params[r]


def test_shape_validation():
    good = np.ones((3, N_BLOCKS), dtype=int)
    se = np.zeros((3, N_BLOCKS), dtype=bool)
    with pytest.raises(ValueError, match="expansion"):
        architecture_cost(np.ones((3, 6), dtype=int), good, good, se)
    with pytest.raises(ValueError, match="expansion"):
        architecture_cost(np.ones(N_BLOCKS, dtype=int), good, good, se)
    with pytest.raises(ValueError, match="kernel"):
        architecture_cost(good, np.ones((2, N_BLOCKS), dtype=int), good, se)
    with pytest.raises(ValueError, match="layers"):
        architecture_cost(good, good, np.ones((3, N_BLOCKS, 1), dtype=int), se)
    with pytest.raises(ValueError, match="se"):
        architecture_cost(good, good, good, se[:, :5])
    with pytest.raises(ValueError, match="layers"):
        architecture_cost(good, good, np.zeros((3, N_BLOCKS), dtype=int), se)
