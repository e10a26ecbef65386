"""Predictors and drawings of computation graphs, the one graph form of every search space.

The graphs themselves (MnasNet, NAS-Bench-101) are built in ``configurationspaces.cg_*``.

- :mod:`~anb.graphs.predictor`: a k-GNN accuracy predictor on computation graphs (PyTorch);
- :mod:`~anb.graphs.draw`: ``anb graph draw``, with matplotlib or Graphviz.

May import: :mod:`anb.nb101` (the GCN's training helpers) and :mod:`anb.data`.
"""
