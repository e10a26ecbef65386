"""The surrogate model zoo: one interface (fit, predict, save, load) over five families.

Also the fast path of a query: the xgboost trees as flat tables, read from the model files with
no xgboost (``ubjson``, ``xgb_nodes``), and the compiled kernel that walks them (``tree_table``,
``tree_kernel``, ``member_predictions``); ``xgboost_build`` imports xgboost where something needs
it, naming the extra that installs it; what the fitting side and a query share: the feature
matrix (``features``) and the calibrated predictive std (``calibration``); and the arithmetic after
it that gives the same bits on every CPU (``portable_math``, compiled by ``portable_kernel``,
chosen by ``portable``), and where numba caches the compiled code (``compile_cache``). A new
model family is a :class:`Surrogate` subclass added to :data:`FAMILIES` (docs/architecture.md).

May import: no other anb package (the model families know nothing of devices or the dataset).
"""

from __future__ import annotations

from anb.models.base import Surrogate
from anb.models.boosters import LGBSurrogate, XGBSurrogate
from anb.models.sklearn_models import ForestSurrogate, NuSVRSurrogate, SVRSurrogate

FAMILIES: dict[str, type[Surrogate]] = {
    cls.family: cls for cls in (XGBSurrogate, LGBSurrogate, ForestSurrogate, SVRSurrogate, NuSVRSurrogate)
}
family_class = Surrogate.for_family
ACCEL_SUFFIX = "_accel"
MODEL_NAMES = tuple(FAMILIES) + tuple(f"{f}{ACCEL_SUFFIX}" for f in FAMILIES)


def split_model_name(name: str) -> tuple[str, bool]:
    """``"xgb_accel"`` -> ``("xgb", True)``; ``"xgb"`` -> ``("xgb", False)``."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(MODEL_NAMES)}")
    if name.endswith(ACCEL_SUFFIX):
        return name[: -len(ACCEL_SUFFIX)], True
    return name, False


def make_surrogate(name: str, params: dict | None = None, seed: int = 0) -> Surrogate:
    """A new, unfitted surrogate of family ``name`` (``_accel`` names are accepted too)."""
    family, _ = split_model_name(name)
    return FAMILIES[family](params, seed)


__all__ = ["ACCEL_SUFFIX", "FAMILIES", "MODEL_NAMES", "Surrogate", "family_class", "make_surrogate", "split_model_name"]
