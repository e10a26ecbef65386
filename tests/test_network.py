"""The network behind an architecture against the analytic cost model, and its ONNX export.

The parameter count and the multiply-accumulates that PyTorch's own FLOP counter reports are
checked against the analytic count on EfficientNet-B0 and on dataset architectures that hold
every block choice of the dataset (``ANB_NETWORK_ALL=1``: on all 5,138 of them).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from anb import cli  # noqa: E402
from anb.adaptation import runtimes  # noqa: E402
from configurationspaces.efficientnet_cost import architecture_cost, macs_parts  # noqa: E402
from configurationspaces.efficientnet_encoding import block_values, encode  # noqa: E402
from configurationspaces.efficientnet_network import build_network, random_input  # noqa: E402
from configurationspaces.searchspaces import EfficientNetSS  # noqa: E402

B0 = [[1, 6, 6, 6, 6, 6, 6], [3, 3, 5, 3, 5, 5, 3], [1, 2, 2, 3, 3, 4, 1], [True] * 7]
B0_PARAMS = 5_288_548  # EfficientNet-B0's published count
B0_CONV_FC_MACS = 385_814_752  # the paper's "0.39B FLOPs"


def n_parameters(network) -> int:
    return sum(p.numel() for p in network.parameters())


def conv_fc_macs(network, device="meta") -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        network(random_input(1).to(device))
    return counter.get_total_flops() // 2  # two FLOPs a multiply-accumulate


def analytic(encoded):
    values = block_values(encoded)
    parts, params = macs_parts(values["e"], values["k"], values["l"], values["se"])
    return parts["conv_fc"], params


def test_efficientnet_b0_has_its_published_size():
    network = build_network(B0)
    assert not network.training
    assert n_parameters(network) == B0_PARAMS
    assert conv_fc_macs(network, "cpu") == B0_CONV_FC_MACS
    conv_fc, params = analytic(encode(B0))
    assert (conv_fc[0], params[0]) == (B0_CONV_FC_MACS, B0_PARAMS)


@pytest.fixture(scope="module")
def block_cover(real_data):
    """Dataset architectures that together hold every block's every (e, k, l, se) the dataset has.

    A block's parameters and multiply-accumulates depend only on its own four choices (its input
    channels and resolution are fixed by the skeleton) and the network's are their sums plus the
    fixed stem and head, so agreeing on these architectures is agreeing on all 5,138; building
    all 5,138 networks takes minutes (the ``ANB_NETWORK_ALL=1`` run below does it).
    """
    encoded = encode(real_data)
    if os.environ.get("ANB_NETWORK_ALL") == "1":
        return encoded
    values = block_values(encoded)
    combos = [set() for _ in range(len(encoded))]
    for b in range(7):
        keys = np.stack([values[f][:, b].astype(int) for f in ("e", "k", "l", "se")], axis=1)
        for i, key in enumerate(map(tuple, keys)):
            combos[i].add((b, *key))
    missing, chosen = set().union(*combos), []
    while missing:  # greedy set cover
        best = max(range(len(encoded)), key=lambda i: len(combos[i] & missing))
        chosen.append(best)
        missing -= combos[best]
    return encoded[chosen]


def test_parameters_equal_the_analytic_count_on_the_dataset(real_data, block_cover):
    encoded = encode(real_data)
    _, params = analytic(encoded)
    values = block_values(encoded)
    assert np.array_equal(np.rint(architecture_cost(values["e"], values["k"], values["l"], values["se"])[1] * 1e6),
                          params)
    assert np.allclose(params / 1e6, real_data["params"], rtol=1e-6, atol=0)
    _, expected = analytic(block_cover)
    counted = np.array([n_parameters(build_network(row[None], device="meta")) for row in block_cover])
    assert np.array_equal(counted, expected), np.flatnonzero(counted != expected)


def test_multiply_accumulates_equal_the_analytic_conv_fc_part(real_data, block_cover):
    expected, _ = analytic(block_cover)
    counted = np.array([conv_fc_macs(build_network(row[None]), "cpu") for row in block_cover])
    assert np.array_equal(counted, expected), np.flatnonzero(counted != expected)
    # the dataset's MACs add BatchNorm and pooling ops to the same conv/FC part
    assert (real_data["macs"].to_numpy() * 1e6 > analytic(encode(real_data))[0]).all()


def test_every_sample_form_gives_the_same_network():
    space = EfficientNetSS(seed=3)
    config = space.random_sample(2)[0]
    encoded = encode(config)
    values = {key: config[key] for key in config.keys()}
    block_lists = [[values[f"block{b}_{field}"] for b in range(7)] for field in ("e", "k", "l", "se")]
    forms = [config, values, block_lists, encoded]
    counts = {n_parameters(build_network(form, device="meta")) for form in forms}
    assert counts == {int(analytic(encoded)[1][0])}


@pytest.mark.parametrize("bad, message", [
    (EfficientNetSS(seed=0).random_encoded(2), "takes one architecture; got 2"),
    ([[1, 6, 6, 6, 6, 6, 6], [3, 3, 5, 3, 5, 5, 7], [1, 2, 2, 3, 3, 4, 1], [True] * 7], "block 6, field .k."),
])
def test_a_bad_sample_is_refused_by_name(bad, message):
    with pytest.raises(ValueError, match=message):
        build_network(bad)


def test_the_network_answers_a_batch_of_images():
    network = build_network(EfficientNetSS(seed=1).random_encoded(1))
    with torch.no_grad():
        logits = network(random_input(2))
    assert logits.shape == (2, 1000) and torch.isfinite(logits).all()


def test_anb_export_writes_a_file_onnx_runtime_runs(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    path = tmp_path / "net.onnx"
    assert cli.main(["export", "--onnx", str(path), "--seed", "5"]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    image = random_input(3, seed=7).numpy()
    logits = runtimes.ort_session(path, "cpu", 1).run(None, {runtimes.INPUT_NAME: image})[0]
    assert logits.shape == (3, 1000) and np.std(logits) > 0


def test_exported_file_equals_torch_within_1e4(tmp_path):
    pytest.importorskip("onnxruntime")
    sample = EfficientNetSS(seed=11).random_encoded(1)
    network = build_network(sample)
    path = runtimes.export_network(network, tmp_path / "net.onnx")
    image = random_input(2, seed=3)
    with torch.no_grad():
        expected = network(image).numpy()
    got = runtimes.ort_session(path, "cpu", 1).run(None, {runtimes.INPUT_NAME: image.numpy()})[0]
    assert np.std(expected) > 1e-3, "a degenerate network would make the comparison empty"
    assert np.abs(got - expected).max() <= 1e-4


def test_export_without_torch_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"anb\[network\]"):
        build_network(B0)
    assert cli.main(["export", "--onnx", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err
    assert "anb[network]" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.onnx").exists()
