"""The functions of :mod:`anb.models.portable_math`, compiled by numba: the same source, so the same bits.

The scalar functions are registered as callable from compiled code and the array functions
compiled around them (cached like :mod:`anb.models.tree_kernel`). numba compiles plain
``+ - * /`` as written: without ``fastmath`` it neither reorders nor fuses them, and ``frexp``,
``ldexp`` and ``floor`` are exact. Once imported, the module is
ready (``READY``) for :func:`anb.models.portable.functions` to hand out.
"""

from __future__ import annotations

import numba
from numba.extending import register_jitable

from anb.models import portable_math
from anb.models.compile_cache import caching

# numba's cache when it can write one (see anb.models.compile_cache), else compiled in memory.
CACHE = caching(__file__)

for _scalar in (portable_math.exp, portable_math.log, portable_math.log1p, portable_math.elementwise):
    register_jitable(_scalar)

exp_of = numba.njit(cache=CACHE)(portable_math.exp_of)
log_of = numba.njit(cache=CACHE)(portable_math.log_of)
_inverse_link_rows = numba.njit(cache=CACHE, nogil=True)(portable_math.inverse_link_rows)
# Rows per block of the threaded inverse: a block's phi and trends are independent of the others'.
ROW_BLOCK = 2048


@numba.njit(cache=CACHE, parallel=True)
def _inverse_links_parallel(outputs, X, members, coef, intercept, log_columns):
    n_blocks = (X.shape[0] + ROW_BLOCK - 1) // ROW_BLOCK
    for block in numba.prange(n_blocks):
        start = block * ROW_BLOCK
        _inverse_link_rows(outputs, X, members, coef, intercept, log_columns, start, min(start + ROW_BLOCK, X.shape[0]))


def inverse_links(outputs, X, members, coef, intercept, log_columns) -> None:
    """:func:`anb.models.portable_math.inverse_links`, compiled; its row blocks shared among numba's threads."""
    if X.shape[0] > ROW_BLOCK:
        _inverse_links_parallel(outputs, X, members, coef, intercept, log_columns)
    else:
        _inverse_link_rows(outputs, X, members, coef, intercept, log_columns, 0, X.shape[0])
# Set last: a module another thread is still importing is not ready yet.
READY = True
