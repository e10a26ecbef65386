"""Few-shot device surrogates, proven by leaving one device out.

Each of the six devices in turn is the "new" device: its data is hidden except N randomly
chosen measured architectures (N = 10, 20, 50, 100; 5 seeds each) of one of its metrics, and
that target's surrogate is built from those N plus the other devices' surrogates (never its
own other metric: zcu102 throughput does not help predict zcu102 latency). Test Kendall tau is
taken on all the other measured architectures of the target.

The other devices' surrogates are refitted here, without the left-out device, with a cheap
booster (depth 4, learning rate 0.1, at most 400 rounds with early stopping; log target) as
5-fold cross-fits over architectures: an architecture's donor prediction comes from the fold
model that never saw it, so no test architecture was ever a training row of any donor (the
installed surrogates were fitted on most of them). The five fold models together predict the
random architectures the transfer model is distilled on. Refits are cached within a run.

Methods, all on the same N measurements and test rows:

* ``few-shot``: ``anb.adaptation.few_shot.TransferModel`` (what a plugin with few measurements gets);
* ``distilled``: that model distilled into one xgb booster on the package's features with the
  package's distillation settings, which is what ``ANBEnsemble`` then holds (one member of
  it; with ``--distil``, the slow part);
* ``xgb-N``: xgb fitted on the N alone (depth 3, learning rate 0.1, 200 rounds; log target);
* ``macs``: ranking by analytic MACs (fewer MACs = faster);
* ``similar``: the other device's surrogate whose ranking of the N agrees best with theirs
  (Kendall tau), used as it is (inverted when it measures the opposite way).

Prints a table (mean tau over seeds per target and N) and ends with the line
``few-shot mean tau: N=10 X, N=20 X, N=50 X, N=100 X`` (mean over the 8 targets and 5 seeds).
``--csv`` writes every fit's tau for ``plots/few_shot_devices.py``.

    ANB_DATA_DIR=../shared/data/anb nice -n 10 python benchmarks/few_shot_devices.py [--distil] [--csv FILE]
    ANB_DATA_DIR=../shared/data/anb python benchmarks/few_shot_devices.py --quick   # smoke test, ~1 min
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from anb.adaptation.few_shot import (
    COST_WEIGHT,
    DISTIL_PARAMS,
    DISTIL_SAMPLES,
    DistilSet,
    TransferModel,
    distil,
    log_cost,
)
from anb.adaptation.selection import SELECTIONS, spread_indices
from anb.data.dataset import load_dataset
from anb.devices.targets import Target, all_targets
from anb.models import make_surrogate
from anb.models.features import features_from_encoded
from configurationspaces.efficientnet_encoding import encode
from configurationspaces.searchspaces import EfficientNetSS

SIZES = (10, 20, 50, 100)
SEEDS = 5
FOLDS = 5
DONOR_PARAMS = {"max_depth": 4, "learning_rate": 0.1, "num_rounds": 400, "early_stopping_rounds": 30,
                "subsample": 0.8, "nthread": 1}
DONOR_VALIDATION = 0.1
ALONE_PARAMS = {"max_depth": 3, "learning_rate": 0.1, "num_rounds": 200, "subsample": 1.0, "nthread": 1}
QUICK = {"sizes": (10, 50), "seeds": 1, "targets": ("zcu102/latency", "tpuv3/throughput"), "distil_samples": 1000,
         "num_rounds": 100}
METHODS = ("few-shot", "distilled", "xgb-N", "macs", "similar")


def tau(a, b) -> float:
    return float(kendalltau(a, b).statistic)


class Donors:
    """Cross-fitted surrogates of every target, refitted once per run and shared by all left-out devices."""

    def __init__(self, data: pd.DataFrame, features: np.ndarray, distil_features: np.ndarray, params: dict):
        self.data, self.features, self.distil_features, self.params = data, features, distil_features, params
        arch_ids = np.unique(data["arch_id"])
        fold_of_arch = dict(zip(arch_ids, np.random.default_rng(0).permutation(len(arch_ids)) % FOLDS))
        self.fold = data["arch_id"].map(fold_of_arch).to_numpy()
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def predictions(self, target: Target) -> tuple[np.ndarray, np.ndarray]:
        """(out-of-fold predictions on the dataset rows, mean fold prediction on the distil set)."""
        if target.column not in self._cache:
            y = np.log(self.data[target.column].to_numpy(float))
            known = np.isfinite(y)
            rng = np.random.default_rng(1)
            out_of_fold = np.empty(len(y))
            distilled = np.zeros(len(self.distil_features))
            for k in range(FOLDS):
                rows = np.flatnonzero(known & (self.fold != k))
                val = rng.random(len(rows)) < DONOR_VALIDATION
                model = make_surrogate("xgb", self.params, seed=k).fit(
                    self.features[rows[~val]], y[rows[~val]], self.features[rows[val]], y[rows[val]])
                out_of_fold[self.fold == k] = model.predict(self.features[self.fold == k])
                distilled += model.predict(self.distil_features) / FOLDS
            self._cache[target.column] = (np.exp(out_of_fold), np.exp(distilled))
        return self._cache[target.column]


def most_similar(donor_pred: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    """The donor column whose ranking of the measured rows agrees best with ``y``, and its sign."""
    agreement = np.array([tau(donor_pred[:, j], y) for j in range(donor_pred.shape[1])])
    best = int(np.nanargmax(np.abs(agreement)))
    return best, float(np.sign(agreement[best]) or 1.0)


def training_rows(measured: np.ndarray, n: int, seed: int, select: str, points: np.ndarray) -> np.ndarray:
    """``n`` of the measured rows: a random draw, or ``anb measure``'s spread selection among them."""
    if select == "spread":
        return measured[spread_indices(points, n, seed)]
    return np.sort(np.random.default_rng(seed).choice(measured, size=n, replace=False))


def evaluate(target: Target, donor_targets: list[Target], donors: Donors, sizes, seeds: int, distil_set: DistilSet | None,
             distil_params: dict, cost: np.ndarray, cost_weight: float, select: str = "random") -> list[dict]:
    data = donors.data
    measured = np.flatnonzero(data[target.column].notna().to_numpy())
    y_all = data[target.column].to_numpy(float)
    pairs = [donors.predictions(d) for d in donor_targets]
    donor_rows = np.column_stack([p[0] for p in pairs])
    if distil_set is not None:
        distil_set = DistilSet(distil_set.X, np.column_stack([p[1] for p in pairs]), distil_set.cost)
    macs_sign = 1.0 if target.metric == "latency" else -1.0
    points = TransferModel(cost_weight).standardise(donor_rows[measured], cost[measured]) if select == "spread" else None
    rows = []
    for n in sizes:
        for seed in range(seeds):
            train = training_rows(measured, n, seed, select, points)
            test = np.setdiff1d(measured, train)
            y, y_test = y_all[train], y_all[test]
            teacher = TransferModel(cost_weight).fit(donor_rows[train], cost[train], y)
            result = {"few-shot": tau(teacher.predict_log(donor_rows[test], cost[test]), y_test)}
            if distil_set is not None:
                student = distil("xgb", teacher, distil_set, seed, distil_params)
                result["distilled"] = tau(student.predict(donors.features[test]), y_test)
            alone = make_surrogate("xgb", ALONE_PARAMS, seed=seed).fit(donors.features[train], np.log(y))
            result["xgb-N"] = tau(alone.predict(donors.features[test]), y_test)
            result["macs"] = tau(macs_sign * data["macs"].to_numpy(float)[test], y_test)
            best, sign = most_similar(donor_rows[train], y)
            result["similar"] = tau(sign * donor_rows[test, best], y_test)
            for method, value in result.items():
                rows.append({"target": target.label, "N": n, "seed": seed, "method": method, "tau": value,
                             "similar_donor": donor_targets[best].label})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--distil", action="store_true", help="also score the distilled booster ANBEnsemble holds")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 targets, N=10 and 50, 1 seed, small fits")
    parser.add_argument("--cost-weight", type=float, default=COST_WEIGHT,
                        help=f"the transfer model's cost weight (default {COST_WEIGHT}; 0: donors only)")
    parser.add_argument("--select", choices=SELECTIONS, default="random",
                        help="how the N measured architectures are chosen among the hidden device's (default random; "
                             "spread: anb measure's k-means selection over the donors' predictions)")
    parser.add_argument("--csv", help="write every fit's tau here (for plots/few_shot_devices.py)")
    args = parser.parse_args()
    start = time.perf_counter()

    sizes, seeds, donor_params = args.sizes, args.seeds, dict(DONOR_PARAMS)
    n_distil, distil_params = DISTIL_SAMPLES, {**DISTIL_PARAMS, "nthread": 1}
    device_targets = [t for t in all_targets() if t.device is not None]
    if args.quick:
        sizes, seeds, n_distil = QUICK["sizes"], QUICK["seeds"], QUICK["distil_samples"]
        donor_params["num_rounds"] = distil_params["num_rounds"] = QUICK["num_rounds"]
        left_out = [t for t in device_targets if t.label in QUICK["targets"]]
    else:
        left_out = device_targets

    data = load_dataset()
    encoded = encode(data)
    distil_encoded = EfficientNetSS(seed=0).random_encoded(n_distil)
    distil_features = features_from_encoded(distil_encoded)
    donors = Donors(data, features_from_encoded(encoded), distil_features, donor_params)
    distil_set = DistilSet(distil_features, np.empty((n_distil, 0)), log_cost(distil_encoded)) if args.distil else None
    cost = log_cost(encoded)

    rows = []
    for target in left_out:
        donor_targets = [t for t in device_targets if t.device != target.device]
        rows += evaluate(target, donor_targets, donors, sizes, seeds, distil_set, distil_params, cost, args.cost_weight,
                         args.select)
        print(f"{target.label} done ({time.perf_counter() - start:.0f} s)", flush=True)
    results = pd.DataFrame(rows)
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        results.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")

    methods = [m for m in METHODS if m in set(results["method"])]
    table = results.pivot_table(index=["target", "N"], columns="method", values="tau").reindex(columns=methods)
    donor = results[results["method"] == "similar"].groupby(["target", "N"])["similar_donor"].agg(
        lambda names: names.value_counts().index[0])
    table["similar donor (mode)"] = donor
    pd.set_option("display.width", 200)
    print(table.round(3).to_string())
    means = results.pivot_table(index="N", columns="method", values="tau").reindex(columns=methods)
    print("\nmean over targets and seeds")
    print(means.round(3).to_string())
    ahead = (means["few-shot"].to_numpy()[:, None] > means[[m for m in ("xgb-N", "macs", "similar")]].to_numpy()).all()
    print(f"few-shot ahead of every baseline at every N (means): {ahead}")
    print(f"wall time {time.perf_counter() - start:.0f} s")
    few = means["few-shot"]
    print("few-shot mean tau: " + ", ".join(f"N={n} {few[n]:.3f}" for n in few.index))


if __name__ == "__main__":
    main()
