"""Which architectures to measure on a new device, so that a few measurements carry the most.

``random`` draws them uniformly from the search space. ``spread`` draws a pool of random
candidates and keeps ``n`` that cover the pool evenly in the space the transfer model
(:class:`~anb.adaptation.few_shot.TransferModel`) regresses on: the donors' log predictions
and the scaled log cost columns, standardised. It runs k-means with ``n`` clusters there and
measures, for each cluster, the candidate nearest its centre. A random draw of 10-20 often
leaves the fastest or the slowest architectures out, and a ridge fit on points bunched in the
middle extrapolates badly; the k-means draw spans the range and still follows where the
architectures are dense.
"""

from __future__ import annotations

import numpy as np

from anb.adaptation import few_shot
from configurationspaces.searchspaces import EfficientNetSS

SELECTIONS = ("random", "spread")
SPREAD_CANDIDATES = 5000
KMEANS_RESTARTS = 4


def spread_indices(points: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` distinct rows of ``points``: the one nearest each centre of a k-means with ``n`` clusters."""
    from sklearn.cluster import KMeans  # here: only a selection needs it

    if n >= len(points):
        return np.arange(len(points))
    centres = KMeans(n_clusters=n, n_init=KMEANS_RESTARTS, random_state=seed).fit(points).cluster_centers_
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    chosen: list[int] = []
    # Centres in turn take their nearest candidate not taken yet, most confident centre first.
    for c in np.argsort(distances.min(axis=0)):
        order = np.argsort(distances[:, c])
        chosen.append(int(next(i for i in order if i not in chosen)))
    return np.sort(np.array(chosen))


def select_architectures(method: str, n: int, seed: int, exclude_device: str = "") -> np.ndarray:
    """``(n, 28)`` encoded architectures chosen by ``method`` (one of :data:`SELECTIONS`).

    ``spread`` queries the donors (every device measured on the Accel-NASBench architectures but
    ``exclude_device``) on :data:`SPREAD_CANDIDATES` random candidates.
    """
    if method not in SELECTIONS:
        raise ValueError(f"--select must be one of {', '.join(SELECTIONS)}; got {method!r}")
    space = EfficientNetSS(seed=seed)
    if method == "random":
        return space.random_encoded(n)
    candidates = space.random_encoded(max(SPREAD_CANDIDATES, n))
    donors = few_shot.donor_targets(exclude_device)
    points = few_shot.TransferModel().standardise(few_shot.donor_predictions(donors, candidates),
                                                  few_shot.log_cost(candidates))
    return candidates[spread_indices(points, n, seed)]
