"""anb: surrogate benchmarks of ImageNet accuracy and accelerator speed for hardware-aware NAS.

    import anb
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)
    mean, std = anb.ANBEnsemble("xgb").query(samples)                                   # top-1 %
    mean, std = anb.ANBEnsemble("xgb", device="a100", metric="throughput").query(samples)  # images/s
"""

from anb.dataset import load_dataset
from anb.ensemble import ANBEnsemble
from anb.metrics import evaluate_metrics

__all__ = ["ANBEnsemble", "evaluate_metrics", "load_dataset"]
