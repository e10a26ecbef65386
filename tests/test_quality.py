"""The quality bar on the real data: the project's surrogates on the published default split."""

import numpy as np
import pytest

from anb.devices import discover_devices
from anb.devices.targets import resolve_target
from anb.fitting.model_config import default_config_path, read_model_params
from anb.fitting.training import evaluate_sides, fit_members, split_data

DEVICE_TARGETS = [(d, m) for d, plugin in discover_devices().items() for m in plugin.metrics]


def test_the_eight_builtin_device_targets_are_covered():
    assert sorted(DEVICE_TARGETS) == sorted([
        ("tpuv2", "throughput"), ("tpuv3", "throughput"), ("a100", "throughput"), ("3090", "throughput"),
        ("zcu102", "throughput"), ("zcu102", "latency"), ("vck190", "throughput"), ("vck190", "latency")])


def _test_metrics(real_data, split, family, device, metric, seed):
    target = resolve_target(device, metric)
    sides, _ = split_data(real_data, split, target)
    params = read_model_params(default_config_path(family, device, metric))
    metrics, _ = evaluate_sides(fit_members(family, params, sides, 1, seed, progress=False), sides)
    return metrics["test"]


def test_xgb_accuracy_beats_the_published_figures_over_three_seeds(real_data, default_split):
    runs = [_test_metrics(real_data, default_split, "xgb", None, None, seed) for seed in range(3)]
    tau = np.mean([r["kendall_tau"] for r in runs])
    r2 = np.mean([r["r2"] for r in runs])
    # the authors' README: tau 0.917, R2 0.984 (one seed)
    assert tau >= 0.92 and tau > 0.917
    assert r2 >= 0.98


# TPUv3 throughput is noise-bound: fast architectures pile up under a ~1,700 images/s ceiling
# where repeated measurements differ by 2-5%. Perturbing the measured values by each row's
# recorded std alone gives tau ~0.93 against the truth, so no model reaches 0.95 there.
MIN_TAU = {("tpuv3", "throughput"): 0.89}


@pytest.mark.parametrize("device, metric", DEVICE_TARGETS)
def test_xgb_device_surrogates_rank_well(real_data, default_split, device, metric):
    tau = _test_metrics(real_data, default_split, "xgb", device, metric, 0)["kendall_tau"]
    assert tau >= MIN_TAU.get((device, metric), 0.95)
