"""anb: surrogate benchmarks of ImageNet accuracy and accelerator speed for hardware-aware NAS.

    import anb
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)
    mean, std = anb.ANBEnsemble("xgb").query(samples)                                   # top-1 %
    mean, std = anb.ANBEnsemble("xgb", device="a100", metric="throughput").query(samples)  # images/s

This module is where the packages are put together (docs/architecture.md): it warns when two
xgboost builds share one module (a query of the shipped surrogates needs no xgboost), exports ``ANBEnsemble`` and registers the few-shot build with the store.
``load_dataset`` and ``evaluate_metrics`` load their modules on first use.
"""

from anb.models.xgboost_build import check_xgboost
from anb.surrogates.ensemble import ANBEnsemble
from anb.adaptation.few_shot import FEW_SHOT_BUILD
from anb.surrogates.store import register_dataset_build

check_xgboost()

# The store sits below the few-shot build (which queries the donors through ANBEnsemble), so
# the build is wired in here, where every use of anb starts.
register_dataset_build(FEW_SHOT_BUILD)

# name -> module that defines it, imported on first access (PEP 562)
_LAZY = {"load_dataset": "anb.data.dataset", "evaluate_metrics": "anb.fitting.metrics"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'anb' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["ANBEnsemble", "evaluate_metrics", "load_dataset"]
