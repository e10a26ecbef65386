"""Every member's predictions for one feature matrix, with one kernel call where the members allow."""

from __future__ import annotations

import threading

import numpy as np

from anb.models.base import Surrogate
from anb.models.target_link import inverse_all
from anb.models.tree_table import stack_tables

# From this many rows a query made while the kernel loads waits for it: xgboost takes longer on
# them (about 0.5 s for 5 members of ~2,000 trees) than loading the kernel from numba's cache,
# and 3-4x longer than the kernel itself.
WAIT_FOR_KERNEL_ROWS = 16_384


class MemberPredictions:
    """The members of an ensemble as one predictor: ``predict`` returns an ``(n_members, n)`` array.

    When every member is an xgboost booster with a :class:`~anb.models.tree_table.TreeTable`, their
    tables are stacked and one compiled call answers for all members; otherwise each member
    predicts through its library. ``X`` is trusted: the ensemble validated it.
    """

    def __init__(self, members: list[Surrogate]):
        self.members = members
        self.links = [member.link_ for member in members]
        tables = [getattr(member, "table_", None) for member in members]
        self.table = stack_tables(tables) if tables and all(t is not None for t in tables) else None

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.table is None:
            return np.stack([member.predict(X) for member in self.members])
        if not kernel_loaded():
            if len(X) < WAIT_FOR_KERNEL_ROWS and all(member.has_booster for member in self.members):
                # The same values, from the boosters a fit in this process made: its first queries
                # need not wait the few tenths of a second numba takes to import. Members loaded
                # from files have no booster (that would need xgboost): they wait for the kernel.
                outputs = np.stack([member.predict_with_xgboost(X) for member in self.members]).astype(np.float64)
                return inverse_all(self.links, X, outputs)
            _kernel_loader.join()
        return inverse_all(self.links, X, self.table.predict_outputs(X))


def load_kernel_in_background() -> None:
    """Start importing numba and loading the compiled kernel on another thread.

    Called once an xgb ensemble is loaded, so that numba's import and the kernel's cached
    machine code (a few tenths of a second; on a machine's first run, its compilation) load
    while the process does other work: until they are loaded, :class:`MemberPredictions` answers
    through the boosters of members fitted in this process. Once per process.
    """
    global _kernel_loader
    with _kernel_loader_lock:
        if _kernel_loader is None:
            # Not a daemon: a short script waits for it at exit, so that the kernel a machine's
            # first run compiles reaches numba's cache instead of being compiled by every run.
            _kernel_loader = threading.Thread(target=_load_kernel, name="anb-kernel-loader", daemon=False)
            _kernel_loader.start()


def kernel_loaded() -> bool:
    """False while the background load of the kernel runs (true when none was started)."""
    return _kernel_loader is None or not _kernel_loader.is_alive()


def _load_kernel() -> None:
    try:
        from anb.models import portable_kernel, tree_kernel

        # The portable math's compiled twins, loaded (or compiled) with the argument types of real calls.
        portable_kernel.log_of(np.ones((2, 1)))
        portable_kernel.exp_of(np.zeros(1))
        portable_kernel.inverse_links(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1, np.int64), np.zeros((1, 1)),
                                      np.zeros(1), np.zeros(1, np.bool_))

        # A one-tree, one-row call with the argument types of every real call: numba loads that
        # specialisation from its cache (or compiles it, on a machine's first run).
        tree_kernel.predict(np.zeros((1, 1), np.float32), np.zeros(1, np.float32), np.ones(1, np.int64),
                            np.ones(1, np.int64), np.zeros(1, np.bool_), np.ones(1, np.int32), np.zeros(1, np.int32),
                            np.zeros(1, np.float32), np.ones(1, np.bool_), np.zeros(2, np.float32), np.empty((1, 1)))
    except Exception:  # noqa: BLE001 - the first query imports and calls the kernel itself and reports any error
        pass


_kernel_loader: threading.Thread | None = None
_kernel_loader_lock = threading.Lock()
