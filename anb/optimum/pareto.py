"""Exact Pareto fronts of accuracy against a device metric, one constrained optimum per level.

Each point is the exact best accuracy under a throughput floor (or a latency ceiling) on the
device: ``max accuracy s.t. throughput >= level``. The levels are independent subproblems, so
they run as tasks on a Dask cluster: a local one by default, or the scheduler at ``scheduler``
(as ``do_hpo.py`` does). The points, sorted by level and kept where they are not dominated by
another level's, are the exact front at those levels: no architecture is better in both
objectives than the step the points draw, up to each point's reported gap.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from anb.surrogates.ensemble import ANBEnsemble
from anb.optimum.problem import Constraint, Problem, default_sense

COLUMNS = ("level", "accuracy", "device_value", "gap", "nodes", "seconds", "stopped")


@lru_cache(maxsize=4)
def _ensemble(model: str, device: str | None, metric: str | None) -> ANBEnsemble:
    """One loaded ensemble per worker process, reused by every task it runs."""
    return ANBEnsemble(model, device=device, metric=metric, progress=False).load_ensemble()


def constrained_point(model: str, device: str, metric: str | None, level: float, fixed: dict | None = None,
                      time_limit: float | None = None) -> dict:
    """One level's exact best accuracy under the device bound (a Dask task: plain arguments in, a dict out)."""
    from anb.optimum import solve

    accuracy = _ensemble(model, None, None)
    device_ensemble = _ensemble(model, device, metric)
    problem = Problem(accuracy, 1, Constraint(device_ensemble, float(level), default_sense(device_ensemble)),
                      dict(fixed or {}))
    optimum = solve(problem, time_limit=time_limit, progress=False)
    device_value = np.nan
    if optimum.encoded is not None:
        device_value = float(device_ensemble.query(optimum.encoded[None, :])[0][0])
    row = {"level": float(level), "accuracy": np.nan if optimum.value is None else optimum.value,
           "device_value": device_value, "gap": optimum.gap, "nodes": optimum.nodes, "seconds": optimum.seconds,
           "stopped": optimum.stopped}
    row.update({} if optimum.architecture is None else optimum.architecture)
    return row


def _client(scheduler: str | None, n_workers: int):
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=30), None
        except OSError as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    return Client(cluster), cluster


def pareto_front(device: str, metric: str | None, levels, model: str = "xgb", fixed: dict | None = None,
                 time_limit: float | None = None, scheduler: str | None = None, n_workers: int = 2,
                 progress: bool = True) -> pd.DataFrame:
    """The exact best accuracy at every level of ``levels`` (one Dask task each), as a DataFrame
    sorted by level, with ``on_front``: the level's point is not dominated by another's."""
    levels = np.asarray(levels, dtype=np.float64).ravel()
    if not len(levels) or not np.isfinite(levels).all():
        raise ValueError(f"levels must be one or more finite numbers; got {levels!r}")
    if not (isinstance(n_workers, (int, np.integer)) and n_workers >= 1):
        raise ValueError(f"n_workers must be a positive integer; got {n_workers!r}")
    from distributed import as_completed
    from tqdm.auto import tqdm

    client, cluster = _client(scheduler, int(n_workers))
    try:
        futures = [client.submit(constrained_point, model, device, metric, float(level), fixed, time_limit,
                                 pure=False) for level in levels]
        rows = [future.result() for future in tqdm(as_completed(futures), total=len(futures),
                                                   desc=f"exact front vs {device} {metric or ''}".strip(),
                                                   disable=not progress)]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    table = pd.DataFrame(rows).sort_values("level", ignore_index=True)
    table["on_front"] = _non_dominated(table, default_sense(_ensemble(model, device, metric)))
    return table


def _non_dominated(table: pd.DataFrame, device_sense: int) -> np.ndarray:
    """Whether each point is not dominated (accuracy maximised, the device metric in its direction)."""
    points = np.column_stack([table["accuracy"], device_sense * table["device_value"]])
    keep = np.isfinite(points).all(axis=1)
    for i in np.flatnonzero(keep):
        others = points[keep]
        dominated = ((others >= points[i]).all(axis=1) & (others > points[i]).any(axis=1)).any()
        keep[i] = not dominated
    return keep
