"""Computation graphs: their costs against both analytic models on real data, their structure,
the k-GNN predictor on them and the drawing command."""

from __future__ import annotations

import numpy as np
import pytest

from configurationspaces.cg_mnasnet import mnasnet_graphs
from configurationspaces.cg_nasbench101 import nasbench101_graphs
from configurationspaces.computation_graph import N_NODE_FEATURES, OP, OPS, node_features
from configurationspaces.efficientnet_cost import architecture_cost
from configurationspaces.efficientnet_encoding import block_values, encode
from configurationspaces.nasbench101 import INPUT, OUTPUT, Cell, cells_to_arrays
from configurationspaces.nasbench101_cost import network_cost
from configurationspaces.searchspaces import EFFICIENTNET_B0, EfficientNetSS

from conftest import NB101_NASLIB, require_nb101


@pytest.fixture(scope="module")
def anb_graphs(real_data):
    return mnasnet_graphs(real_data)


@pytest.fixture(scope="module")
def naslib():
    from anb.nb101 import NASBench101Dataset

    return NASBench101Dataset.load(require_nb101(NB101_NASLIB))


def test_mnasnet_costs_equal_the_cost_model_on_every_architecture(real_data, anb_graphs):
    assert len(anb_graphs) == len(real_data) == 5138
    values = block_values(encode(real_data))
    macs, params = architecture_cost(values["e"], values["k"], values["l"], values["se"])
    graph_macs, graph_params = anb_graphs.totals()
    # The cost model divides integer counts below 2**53 by 1e6 once: rint recovers them exactly.
    np.testing.assert_array_equal(graph_macs, np.rint(macs * 1e6))
    np.testing.assert_array_equal(graph_params, np.rint(params * 1e6))
    # And the profiler's numbers in the dataset (6 decimals of millions).
    np.testing.assert_allclose(graph_macs / 1e6, real_data["macs"], rtol=1e-6)
    np.testing.assert_allclose(graph_params / 1e6, real_data["params"], rtol=1e-6)


def test_nasbench101_params_equal_the_official_records(records):
    from anb.nb101 import NASBench101Dataset

    data = NASBench101Dataset.from_official_records(records)
    graphs = nasbench101_graphs(data.adjacency, data.labels)
    macs, params = graphs.totals()
    np.testing.assert_array_equal(params, [r["trainable_parameters"] for r in records.values()])
    np.testing.assert_array_equal(macs, network_cost(data.adjacency, data.labels)[1])


def test_nasbench101_params_and_flops_equal_naslib(naslib):
    graphs = nasbench101_graphs(naslib.adjacency, naslib.labels)
    macs, params = graphs.totals()
    assert len(graphs) == 500
    np.testing.assert_array_equal(params, naslib.parameters)
    expected_params, expected_flops = network_cost(naslib.adjacency, naslib.labels)
    np.testing.assert_array_equal(params, expected_params)
    np.testing.assert_array_equal(macs, expected_flops)


def _assert_well_formed(graphs):
    """One input (no predecessor) and one output (no successor) per graph, edges forward and
    inside their graph, and each graph's edges in its own ptr range."""
    n_nodes = len(graphs.nodes)
    in_degree = np.bincount(graphs.edges[1], minlength=n_nodes)
    out_degree = np.bincount(graphs.edges[0], minlength=n_nodes)
    first, last = graphs.node_ptr[:-1], graphs.node_ptr[1:] - 1
    assert (graphs.column("op")[first] == OP["input"]).all()
    assert (in_degree == 0).sum() == len(graphs) and (in_degree[first] == 0).all()
    assert (out_degree == 0).sum() == len(graphs) and (out_degree[last] == 0).all()
    assert (graphs.column("op")[last] == OP["linear"]).all()
    src, dst = graphs.edges
    assert (src < dst).all()
    edge_graph = np.repeat(np.arange(len(graphs)), graphs.n_edges)
    node_graph = graphs.node_graph
    assert (node_graph[src] == edge_graph).all() and (node_graph[dst] == edge_graph).all()


def test_graphs_are_well_formed(anb_graphs, naslib):
    _assert_well_formed(anb_graphs)
    _assert_well_formed(nasbench101_graphs(naslib.adjacency, naslib.labels))


def test_efficientnet_b0_by_hand():
    graph = mnasnet_graphs(EFFICIENTNET_B0)
    # stem 4; block 0's one layer (expansion 1): depthwise 3 + SE 6 + projection 2 = 11; the other
    # 15 layers add the expansion's 3 (14 each); 9 repeats add a residual; head 5.
    assert len(graph.nodes) == 4 + 11 + 15 * 14 + 9 + 5
    assert (graph.column("op") == OP["add"]).sum() == 9
    assert (graph.column("op") == OP["depthwise_conv"]).sum() == 16
    # EfficientNet-B0's published parameter count (timm's efficientnet_b0).
    assert graph.totals()[1][0] == 5_288_548


def test_smallest_nasbench101_network_by_hand():
    # input -> output: each of the 9 cells is one 1x1 conv-BN-ReLU projection.
    graph = nasbench101_graphs(*cells_to_arrays([Cell([[0, 1], [0, 0]], [INPUT, OUTPUT])]))
    assert len(graph.nodes) == 4 + 9 * 3 + 2 + 2
    assert graph.n_edges[0] == len(graph.nodes) - 1


def test_a_batch_holds_the_graphs_built_one_by_one():
    encoded = EfficientNetSS(seed=3).random_encoded(6)
    batch = mnasnet_graphs(encoded)
    for i in (0, 4):
        alone, part = mnasnet_graphs(encoded[i:i + 1]), batch.graph(i)
        np.testing.assert_array_equal(alone.nodes, part.nodes)
        np.testing.assert_array_equal(alone.edges, part.edges)
    picked = batch.subset([5, 1])
    np.testing.assert_array_equal(picked.totals()[0], batch.totals()[0][[5, 1]])
    _assert_well_formed(picked)


def test_node_features_are_comparable_across_families(naslib):
    for graphs in (mnasnet_graphs(EfficientNetSS(seed=0).random_encoded(20)),
                   nasbench101_graphs(naslib.adjacency[:20], naslib.labels[:20])):
        features = node_features(graphs)
        assert features.shape == (len(graphs.nodes), N_NODE_FEATURES)
        assert np.isfinite(features).all()
        np.testing.assert_array_equal(features[:, :len(OPS)].sum(axis=1), 1)
        # Every scaled shape and cost column stays within a few units whatever the family.
        assert np.abs(features[:, len(OPS):]).max() < 3


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="adjacency must have shape"):
        nasbench101_graphs(np.zeros((2, 6, 6)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="labels must have shape"):
        nasbench101_graphs(np.zeros((2, 7, 7)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="block0_e|expansion"):
        mnasnet_graphs([{**{f"block{b}_{f}": v for b in range(7) for f, v in zip("ekl", (6, 3, 1))},
                         **{f"block{b}_se": True for b in range(7)}, "block0_e": 5}])


def test_graph_predictor_learns_and_transfers(real_data, anb_graphs, naslib):
    pytest.importorskip("torch")
    from scipy.stats import kendalltau

    from anb.graphs.predictor import GraphPredictor

    known = np.flatnonzero(real_data["val_top1"].notna().to_numpy())
    rng = np.random.default_rng(0)
    train, test = rng.choice(known, 200, replace=False), rng.choice(known, 300, replace=False)
    test = np.setdiff1d(test, train)
    y = real_data["val_top1"].to_numpy()
    # Small and short, to stay fast: far from the benchmark's figures, far above chance (about
    # +-0.04 of tau on 300 test architectures).
    params = {"hidden": 16, "head": 32, "epochs": 10, "fine_tune_epochs": 10}
    model = GraphPredictor(params, seed=0).fit(anb_graphs.subset(train), y[train])
    predicted = model.predict(anb_graphs.subset(test))
    assert predicted.shape == (len(test),)
    assert kendalltau(predicted, y[test]).statistic > 0.3
    # Pretrained on NAS-Bench-101, the predictor fine-tunes on MnasNet graphs; it predicts in
    # the new family's units (ImageNet top-1 %, not CIFAR-10 fractions).
    nb101 = nasbench101_graphs(naslib.adjacency[:200], naslib.labels[:200])
    pretrained = GraphPredictor(params, seed=0).fit(nb101, naslib.accuracy("validation")[:200])
    assert pretrained.predict(nb101).max() <= 1
    pretrained.fine_tune(anb_graphs.subset(train[:50]), y[train[:50]])
    assert pretrained.predict(anb_graphs.subset(test)).mean() == pytest.approx(y[test].mean(), abs=5)


def test_pairwise_fine_tune_learns_the_order_of_its_sample(real_data, anb_graphs, naslib):
    pytest.importorskip("torch")
    from scipy.stats import kendalltau

    from anb.graphs.predictor import GraphPredictor, graph_features

    known = np.flatnonzero(real_data["val_top1"].notna().to_numpy())
    rows = np.random.default_rng(1).choice(known, 40, replace=False)
    held_out = np.setdiff1d(np.random.default_rng(2).choice(known, 300, replace=False), rows)
    accuracy = real_data["val_top1"].to_numpy()
    graphs, y = anb_graphs.subset(rows), accuracy[rows]
    held_out_graphs = anb_graphs.subset(held_out)

    def taus(model):
        return (kendalltau(model.predict(graphs), y).statistic,
                kendalltau(model.predict(held_out_graphs), accuracy[held_out]).statistic)

    # Narrower than the default and briefly pretrained, to stay fast; the default 200 pairwise epochs.
    nb101 = nasbench101_graphs(naslib.adjacency[:100], naslib.labels[:100])
    model = GraphPredictor({"hidden": 32, "head": 64, "epochs": 10}, seed=0)
    model.fit(nb101, naslib.accuracy("validation")[:100])
    embedding = model.embed(graphs)
    before = taus(model)
    after = taus(model.fine_tune(graphs, y, loss="pairwise"))
    # A predictor of CIFAR-10 cells orders ImageNet networks poorly (measured 0.39 and 0.40);
    # learning the 780 pairs of 40 of them orders those (0.87) and the 300 others (0.80).
    assert max(before) < 0.5
    assert after[0] > 0.8 and after[1] > 0.7
    # The scores are mapped to y's units by least squares (with an intercept: same mean as y).
    assert model.predict(graphs).mean() == pytest.approx(y.mean(), abs=1e-6)
    # What the head reads: mean and sum of 32 node states, then the graph's own log MACs and params.
    assert embedding.shape == (40, 2 * 32 + 2)
    np.testing.assert_allclose(embedding[:, -2:], graph_features(graphs), rtol=1e-6)
    assert not np.allclose(model.embed(graphs), embedding)
    with pytest.raises(ValueError, match=r"loss must be one of \['huber', 'pairwise'\]; got 'rank'"):
        model.fine_tune(graphs, y, loss="rank")
    with pytest.raises(ValueError, match="two different values of y"):
        model.fine_tune(graphs.subset([0, 1]), [70.0, 70.0], loss="pairwise")


def test_graph_predictor_errors(anb_graphs):
    pytest.importorskip("torch")
    from anb.graphs.predictor import GraphPredictor

    with pytest.raises(ValueError, match="unknown graph predictor parameters"):
        GraphPredictor({"depth": 3})
    with pytest.raises(RuntimeError, match="not fitted"):
        GraphPredictor().predict(anb_graphs.graph(0))
    with pytest.raises(RuntimeError, match="fit"):
        GraphPredictor().fine_tune(anb_graphs.graph(0), [1.0])
    with pytest.raises(ValueError, match="y must be 2 finite values"):
        GraphPredictor().fit(anb_graphs.subset([0, 1]), [1.0, np.nan])


def test_graph_draw_command(tmp_path, capsys):
    from anb.cli import main
    from anb.graphs.draw import to_dot

    png, dot = tmp_path / "mnasnet.png", tmp_path / "cell.dot"
    assert main(["graph", "draw", "--space", "mnasnet", "--seed", "1", "--output", str(png)]) == 0
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["graph", "draw", "--space", "nasbench101", "--output", str(dot)]) == 0
    assert dot.read_text().startswith("digraph")
    assert "nodes" in capsys.readouterr().out
    graph = mnasnet_graphs(EfficientNetSS(seed=1).random_encoded(1))
    assert to_dot(graph).count(" -> n") == graph.n_edges[0]
    assert main(["graph", "draw", "--space", "nasbench101", "--input", str(png), "--output", str(dot)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
