"""A graph-convolutional accuracy predictor in the style of Wen et al.'s Neural Predictor.

Vertices start from their one-hot op; every layer mixes each vertex with its predecessors
and, with separate weights, with its successors (row-normalised adjacency with self loops
and its transpose), so information flows both ways along the DAG. The vertex states are
averaged over the cell's real vertices and a small MLP maps them to the accuracy.

Training is robust to diverged cells by default (``loss="huber"``): the target is centred on
its median and scaled by its robust standard deviation (1.4826 x the median absolute
deviation), and the loss is quadratic within one such deviation and linear beyond it. One
cell at 10 % among cells at 90 +- 2 % would otherwise inflate the standard deviation that
scales every target and dominate a squared loss. ``loss="mse"`` is the plain squared loss
on the mean/std-standardised target.

Needs PyTorch, an optional dependency: ``pip install 'anb[gnn]'``.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from anb.data.validation import with_defaults
from anb.nb101.robust import robust_centre_scale
from configurationspaces.nasbench101_encoding import graph_tensors

DEFAULTS = {
    "hidden": 144,  # Wen et al.'s width and depth
    "layers": 3,
    "head": 128,
    "dropout": 0.1,
    # Tuned on the NASLib sample (172 training cells): as good as 300 epochs of batch 10, 4x faster.
    "epochs": 150,
    "batch_size": 32,
    "lr": 2e-3,
    "weight_decay": 1e-4,
    "loss": "huber",
}
LOSSES = ("huber", "mse")


def import_torch():
    """torch, or an ImportError that says which extra installs it."""
    try:
        import torch
    except ImportError:
        raise ImportError("the GCN predictor needs PyTorch: pip install 'anb[gnn]'") from None
    return torch


@contextmanager
def one_thread(torch):
    """Run torch single-threaded: 7-vertex graphs are too small for intra-op threads to pay,
    and on a busy machine they stalled each other (a fit took 10x longer, measured)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _build_network(torch, n_ops: int, hidden: int, layers: int, head: int, dropout: float):
    nn = torch.nn

    class DirectedGraphConv(nn.Module):
        def __init__(self, d_in: int, d_out: int):
            super().__init__()
            self.along = nn.Linear(d_in, d_out, bias=False)
            self.against = nn.Linear(d_in, d_out, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, h, forward_adj, backward_adj):
            out = torch.relu(forward_adj @ self.along(h)) + torch.relu(backward_adj @ self.against(h))
            return self.dropout(out / 2)

    class NeuralPredictor(nn.Module):
        def __init__(self):
            super().__init__()
            sizes = [n_ops] + [hidden] * layers
            self.convs = nn.ModuleList(DirectedGraphConv(a, b) for a, b in zip(sizes, sizes[1:]))
            self.head = nn.Sequential(nn.Linear(hidden, head), nn.ReLU(), nn.Dropout(dropout), nn.Linear(head, 1))

        def forward(self, ops, forward_adj, backward_adj, mask):
            h = ops
            for conv in self.convs:
                h = conv(h, forward_adj, backward_adj)
            pooled = (h * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)
            return self.head(pooled).squeeze(-1)

    return NeuralPredictor()


def _normalised(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised A + I (predecessors -> vertex) and (A + I)^T (successors -> vertex)."""
    with_self = adjacency + np.eye(adjacency.shape[-1], dtype=adjacency.dtype)
    backward = with_self / with_self.sum(axis=2, keepdims=True)
    transposed = np.swapaxes(with_self, 1, 2)
    forward = transposed / transposed.sum(axis=2, keepdims=True)
    return forward.astype(np.float32), backward.astype(np.float32)


def centre_and_scale(y: np.ndarray, loss: str) -> tuple[float, float]:
    """The centre and scale the targets are standardised by: robust ones for the Huber loss
    (an outlier must not set the scale it is then down-weighted at), else the mean and std."""
    if loss == "huber":
        return robust_centre_scale(y)
    return float(y.mean()), float(y.std()) or 1.0


class GCNPredictor:
    """``fit(adjacency, labels, y)`` / ``predict(adjacency, labels)`` on ``cells_to_arrays`` arrays."""

    def __init__(self, params: dict | None = None, seed: int = 0):
        self.params = with_defaults(params, DEFAULTS, "GCN")
        if self.params["loss"] not in LOSSES:
            raise ValueError(f"GCN loss must be one of {list(LOSSES)}; got {self.params['loss']!r}")
        self.seed = int(seed)
        self.network_ = None

    def _tensors(self, torch, adjacency, labels):
        graph = graph_tensors(adjacency, labels)
        forward, backward = _normalised(graph["adjacency"])
        return [torch.from_numpy(a) for a in (graph["operations"], forward, backward, graph["mask"])]

    def fit(self, adjacency, labels, y) -> GCNPredictor:
        torch = import_torch()
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or len(y) != len(adjacency) or not np.isfinite(y).all():
            raise ValueError(f"y must be {len(adjacency)} finite values; got shape {y.shape}")
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        p = self.params
        inputs = self._tensors(torch, adjacency, labels)
        # Train on a standardised target: the accuracies span a few percent around 0.9.
        self.y_mean_, self.y_std_ = centre_and_scale(y, p["loss"])
        target = torch.from_numpy(((y - self.y_mean_) / self.y_std_).astype(np.float32))
        loss_function = torch.nn.functional.huber_loss if p["loss"] == "huber" else torch.nn.functional.mse_loss
        network = _build_network(torch, inputs[0].shape[-1], p["hidden"], p["layers"], p["head"], p["dropout"])
        optimiser = torch.optim.Adam(network.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        network.train()
        with one_thread(torch):
            for _ in range(p["epochs"]):
                order = torch.from_numpy(rng.permutation(len(y)))
                for batch in order.split(p["batch_size"]):
                    optimiser.zero_grad()
                    loss = loss_function(network(*(t[batch] for t in inputs)), target[batch])
                    loss.backward()
                    optimiser.step()
        self.network_ = network.eval()
        return self

    def predict(self, adjacency, labels) -> np.ndarray:
        if self.network_ is None:
            raise RuntimeError("this GCN predictor is not fitted; call fit() first")
        torch = import_torch()
        with torch.no_grad(), one_thread(torch):
            out = self.network_(*self._tensors(torch, adjacency, labels)).numpy()
        return out.astype(np.float64) * self.y_std_ + self.y_mean_
