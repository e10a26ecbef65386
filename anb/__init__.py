"""anb: surrogate benchmarks of ImageNet accuracy and accelerator speed for hardware-aware NAS.

    import anb
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)
    mean, std = anb.ANBEnsemble("xgb").query(samples)                                   # top-1 %
    mean, std = anb.ANBEnsemble("xgb", device="a100", metric="throughput").query(samples)  # images/s

This module is where the packages are put together (docs/architecture.md): it warns when two
xgboost builds share one module (a query of the shipped surrogates needs no xgboost), exports ``ANBEnsemble`` and registers the few-shot build with the store.
``anb.benchmark`` is ``anb.search.tasks``, the standard tasks. ``load_dataset`` and
``evaluate_metrics`` load their modules on first use.
"""

import sys

from anb.models.xgboost_build import check_xgboost
from anb.surrogates.ensemble import ANBEnsemble
from anb.adaptation.few_shot import FEW_SHOT_BUILD
from anb.surrogates.store import register_dataset_build
from anb.search import tasks as benchmark

check_xgboost()

# The store sits below the few-shot build (which queries the donors through ANBEnsemble), so
# the build is wired in here, where every use of anb starts.
register_dataset_build(FEW_SHOT_BUILD)

# ``anb.benchmark`` is the standard tasks optimisers report on, kept in anb.search beside the
# searches they measure. Registered as a module, as ``os`` registers ``os.path``, so that every form
# of import works (``import anb.benchmark``, ``from anb.benchmark import get_task``); 20 ms.
sys.modules[f"{__name__}.benchmark"] = benchmark

# name -> module that defines it, imported on first access (PEP 562)
_LAZY = {"load_dataset": "anb.data.dataset", "evaluate_metrics": "anb.fitting.metrics"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'anb' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["ANBEnsemble", "benchmark", "evaluate_metrics", "load_dataset"]
