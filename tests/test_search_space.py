import numpy as np
import pandas as pd
import pytest
from ConfigSpace import Configuration

from configurationspaces.efficientnet_encoding import architecture_ids, block_values, encode
from configurationspaces.searchspaces import EFFICIENTNET_B0, EfficientNetSS


@pytest.fixture(scope="module")
def ss():
    return EfficientNetSS(seed=0)


def test_space_has_the_28_hyperparameters_and_their_choices(ss):
    names = list(ss.ss.keys())
    assert len(names) == 28
    for i in range(7):
        assert list(ss.ss[f"block{i}_e"].choices) == [1, 4, 6]
        assert list(ss.ss[f"block{i}_k"].choices) == [3, 5]
        assert list(ss.ss[f"block{i}_l"].choices) == ([1, 2, 3, 4] if i == 5 else [1, 2, 3])
        assert set(ss.ss[f"block{i}_se"].choices) == {True, False}
    assert ss.size() == len(ss) == 104_485_552_128


def test_encoder_equals_configspace_get_array_on_1000_samples(ss):
    samples = ss.random_sample(1000)
    expected = np.stack([c.get_array() for c in samples])
    assert np.array_equal(ss.encode(samples), expected)
    assert np.array_equal(encode([dict(c) for c in samples]), expected)
    assert np.array_equal(encode(pd.DataFrame([dict(c) for c in samples])), expected)
    assert np.array_equal(encode([ss.block_lists(c) for c in samples]), expected)
    assert np.array_equal(encode(expected), expected)


def test_random_sample_is_reproducible_and_keeps_the_original_return_types(ss):
    assert isinstance(ss.random_sample(1), Configuration)
    assert isinstance(ss.random_sample(3), list) and len(ss.random_sample(3)) == 3
    a = EfficientNetSS(seed=7).random_sample(5)
    b = EfficientNetSS(seed=7).random_sample(5)
    c = EfficientNetSS(seed=8).random_sample(5)
    assert [dict(x) for x in a] == [dict(x) for x in b]
    assert [dict(x) for x in a] != [dict(x) for x in c]
    assert np.array_equal(ss.random_encoded(10, seed=1), ss.random_encoded(10, seed=1))


def test_random_samples_cover_every_choice_uniformly(ss):
    encoded = ss.random_encoded(60_000, seed=3)
    for j, n_choices in enumerate(ss.layout.n_choices):
        counts = np.bincount(encoded[:, j].astype(int), minlength=n_choices)
        assert np.allclose(counts / len(encoded), 1 / n_choices, atol=0.01)


def test_manual_sample_and_efficientnet_b0(ss):
    b0 = ss.efficientnet_b0()
    assert ss.block_lists(b0) == EFFICIENTNET_B0
    manual = ss.manual_sample([[4] * 7, [5] * 7, [2] * 7, [False] * 7])
    assert dict(manual)["block5_l"] == 2 and not dict(manual)["block3_se"]


@pytest.mark.parametrize(
    "sample, words",
    [
        ([[1] * 7, [3, 3, 3, 3, 3, 3, 7], [1] * 7, [True] * 7], ["block 6", "'k'", "7", "3, 5"]),
        ([[1] * 6, [3] * 7, [1] * 7, [True] * 7], ["'e'", "6 blocks", "expected 7"]),
        ([[1] * 7, [3] * 7, ["2"] + [1] * 6, [True] * 7], ["block 0", "'l'", "'2'", "1, 2, 3"]),
        ([[1] * 7, [3] * 7, [1, 1, 1, 1, 1, 4, 4], [True] * 7], ["block 6", "'l'", "4", "1, 2, 3"]),
        ([[2] + [1] * 6, [3] * 7, [1] * 7, [True] * 7], ["block 0", "'e'", "2", "1, 4, 6"]),
        ([[1] * 7, [3] * 7, [1] * 7, [1] * 7], ["block 0", "'se'", "True, False"]),
    ],
)
def test_invalid_manual_samples_name_block_field_value_and_choices(ss, sample, words):
    with pytest.raises(ValueError) as info:
        ss.manual_sample(sample)
    for word in words:
        assert word in str(info.value)


def test_missing_key_and_bad_types_are_rejected(ss):
    arch = dict(ss.efficientnet_b0())
    del arch["block3_k"]
    with pytest.raises(ValueError, match="block3_k"):
        encode(arch)
    with pytest.raises(ValueError, match="block3_k"):
        encode(pd.DataFrame([arch]))
    with pytest.raises(ValueError, match="cannot encode"):
        encode("block0_e=1")
    with pytest.raises(ValueError, match=r"encoded \(n, 28\) matrix"):
        encode(np.zeros((3, 27)))
    with pytest.raises(ValueError, match=r"block 0, field 'e': index 5 is not one of 0\.\.2"):
        encode(np.full((2, 28), 0.0) + np.eye(2, 28) * 5)


def test_architecture_ids_are_unique_per_architecture_and_decode_back(ss):
    encoded = ss.random_encoded(5000, seed=4)
    ids = architecture_ids(encoded)
    assert len(np.unique(ids)) == len(np.unique(encoded, axis=0))
    assert np.array_equal(architecture_ids(encoded[::-1]), ids[::-1])
    values = block_values(encoded[:1])
    config = ss.to_configurations(encoded[:1])[0]
    assert values["e"][0].tolist() == ss.block_lists(config)[0]
