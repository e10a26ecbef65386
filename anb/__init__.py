"""anb: surrogate benchmarks of ImageNet accuracy and accelerator speed for hardware-aware NAS.

    import anb
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)
    mean, std = anb.ANBEnsemble("xgb").query(samples)                                   # top-1 %
    mean, std = anb.ANBEnsemble("xgb", device="a100", metric="throughput").query(samples)  # images/s

Only what a query needs is imported here; ``load_dataset`` and ``evaluate_metrics`` load their
modules on first use, so a process that only queries never pays for them.
"""

from anb.xgboost_build import check_xgboost

check_xgboost()

from anb.ensemble import ANBEnsemble  # noqa: E402  (after the check, whose message beats a bare ImportError)

# name -> module that defines it, imported on first access (PEP 562)
_LAZY = {"load_dataset": "anb.dataset", "evaluate_metrics": "anb.metrics"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'anb' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["ANBEnsemble", "evaluate_metrics", "load_dataset"]
