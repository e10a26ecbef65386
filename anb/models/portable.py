"""Which implementation of the portable math to call: numba's once loaded, plain Python for a few values.

Both give the same bits (:mod:`anb.models.portable_math`). The compiled one is loaded by the
query kernel's background loader (:mod:`anb.models.member_predictions`); until then a query of a
few architectures runs the plain Python functions rather than wait for numba, and a larger one
loads the compiled functions itself.
"""

from __future__ import annotations

import sys

from anb.models import portable_math

# Values the plain Python functions take on before the compiled ones are worth loading: about
# 1 us each against numba's import of a few tenths of a second.
PYTHON_VALUES = 4096
KERNEL = "anb.models.portable_kernel"


def functions(n_values: int):
    """The module whose ``exp_of``, ``log_of`` and ``inverse_links`` to call for ``n_values`` values."""
    if getattr(sys.modules.get(KERNEL), "READY", False):
        return sys.modules[KERNEL]
    if n_values <= PYTHON_VALUES:
        return portable_math
    from anb.models import portable_kernel

    return portable_kernel
