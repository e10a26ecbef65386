"""Does the std of ``ANBEnsemble.query`` mean what it says? Measured on the test side.

For each target, the cached ensemble (built with its calibration if the cache lacks it) is
queried on the test side of the split it was built on, which neither the members nor the
calibration saw. Printed per target: how often the measurement lies within mean +- 1 std and
+- 2 std, the Gaussian negative log-likelihood per architecture of the calibrated std against a
constant sigma (the root mean square of the same validation residuals the calibration was fitted
on), Spearman rho of |error| and std, and, for reference, the +- 1 std coverage of the members'
raw spread and of the same calibration fitted under a Gaussian instead of the Student-t.

``--df-sweep`` prints how the Student-t's degrees of freedom (``anb.models.calibration.DEGREES_OF_FREEDOM``)
were chosen: for each candidate, the calibration is fitted on each target's validation side and its
+- 1 and +- 2 std coverage there compared with 0.683 and 0.954; the test side is not read.

``--search`` runs regularized evolution on accuracy (1,000 queries, seeds 0-9) noiseless and
noisy (each query sees one draw from the predictive distribution, ``noisy=True``) and prints
the best accuracy found: for the noisy runs the ensemble mean of the incumbent chosen on the
draws, and the best draw it saw.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/uncertainty.py [--targets accuracy a100] [--df-sweep] [--search]

Targets (issue 12): on at least 7 of the 9 targets, and on accuracy without exception, +- 1 std
coverage 0.60-0.76, +- 2 std 0.90-0.98, NLL below the constant sigma's and Spearman >= 0.2.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

import anb
from anb.data.splits import default_split
from anb.devices import get_device
from anb.devices.targets import Target, all_targets, resolve_target
from anb.models.calibration import DEGREES_OF_FREEDOM, SpreadCalibration

ONE_STD = (0.60, 0.76)
TWO_STD = (0.90, 0.98)
MIN_SPEARMAN = 0.2
GAUSSIAN_DF = 1e6  # a Student-t this wide is a Gaussian to the figures printed
SWEEP_DF = (4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 30.0, 100.0)
NOMINAL = (0.6827, 0.9545)  # a Gaussian's mass within 1 and 2 std
QUANTILES = (0.005, 0.025, 0.05, 0.16, 0.5, 0.84, 0.95, 0.975, 0.995)
SEARCH_BUDGET = 1000
SEARCH_SEEDS = 10


def parse_target(text: str) -> Target:
    if text == "accuracy":
        return resolve_target()
    device, _, metric = text.partition("/")
    return resolve_target(device, metric or None)


def sides(target: Target, model: str) -> tuple[anb.ANBEnsemble, dict]:
    """The cached ensemble and, per side, its members' predictions, the measurements and their
    recorded std (NaN where none)."""
    ensemble = anb.ANBEnsemble(model, device=target.device, metric=target.metric, progress=False).load_ensemble()
    plugin = get_device(target.device) if target.device else None
    data = plugin.load_measurements() if plugin else anb.load_dataset()
    split = default_split(data, project_data=plugin is None or plugin.dataset is None)
    if list(split.test) != ensemble.manifest.get("test_names"):
        raise SystemExit(f"the cached {target.label} ensemble was built on another split; rebuild it "
                         f"(anb build ... --force)")
    indexed = data.set_index("name", drop=False)
    recorded = f"{target.column}_std"
    out = {}
    for side in ("val", "test"):
        rows = indexed.loc[split.side(side)]
        rows = rows[rows[target.column].notna()]
        out[side] = {
            "members": ensemble.query_members(rows.reset_index(drop=True)),
            "y": rows[target.column].to_numpy(float),
            "measurement_std": rows[recorded].to_numpy(float) if recorded in rows else None,
        }
    return ensemble, out


def gaussian_nll(residual: np.ndarray, std: np.ndarray) -> float:
    """Mean Gaussian negative log-likelihood per architecture."""
    return float(np.mean(np.log(std) + 0.5 * (residual / std) ** 2 + 0.5 * np.log(2 * np.pi)))


def within(residual: np.ndarray, std: np.ndarray, k: float) -> float:
    return float(np.mean(np.abs(residual) <= k * std))


def test_figures(ensemble: anb.ANBEnsemble, data: dict) -> dict:
    val, test = data["val"], data["test"]
    residual = test["y"] - test["members"].mean(axis=0)
    std = ensemble.calibration.predict_std(test["members"])
    constant = float(np.sqrt(np.mean((val["y"] - val["members"].mean(axis=0)) ** 2)))
    gaussian = SpreadCalibration(GAUSSIAN_DF).fit(val["members"], val["y"], val["measurement_std"])
    return {
        "n": len(residual),
        "one": within(residual, std, 1),
        "two": within(residual, std, 2),
        "nll": gaussian_nll(residual, std),
        "nll_constant": gaussian_nll(residual, np.full_like(residual, constant)),
        "spearman": float(stats.spearmanr(np.abs(residual), std).statistic),
        "raw_one": within(residual, test["members"].std(axis=0), 1),
        "gaussian_one": within(residual, gaussian.predict_std(test["members"]), 1),
    }


def passes(figures: dict) -> bool:
    return (ONE_STD[0] <= figures["one"] <= ONE_STD[1] and TWO_STD[0] <= figures["two"] <= TWO_STD[1]
            and figures["nll"] < figures["nll_constant"] and figures["spearman"] >= MIN_SPEARMAN)


def print_test_table(results: dict) -> None:
    print("| target | n test | within 1 std | within 2 std | NLL | NLL constant sigma | Spearman(abs error, std) "
          "| within 1 raw spread | within 1 std, Gaussian fit | target met |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, f in results.items():
        print(f"| {label} | {f['n']} | {f['one']:.3f} | {f['two']:.3f} | {f['nll']:.3f} | {f['nll_constant']:.3f} | "
              f"{f['spearman']:.3f} | {f['raw_one']:.3f} | {f['gaussian_one']:.3f} | {'yes' if passes(f) else 'no'} |")
    met = [label for label, f in results.items() if passes(f)]
    print(f"\ntargets met on {len(met)} of {len(results)}"
          + ("" if "accuracy" not in results else f"; accuracy {'met' if 'accuracy' in met else 'NOT met'}"))


def print_distribution() -> None:
    calibration = SpreadCalibration(DEGREES_OF_FREEDOM)
    nominal = calibration.coverage([1, 2])
    print(f"\npredictive distribution: Student-t, {DEGREES_OF_FREEDOM:g} degrees of freedom; nominal mass within "
          f"1 std {nominal[0]:.3f}, within 2 std {nominal[1]:.3f}. Quantiles in std from the mean:")
    print("| quantile | " + " | ".join(f"{q:g}" for q in QUANTILES) + " |")
    print("|---|" + "---|" * len(QUANTILES))
    print("| Student-t | " + " | ".join(f"{z:+.3f}" for z in calibration.quantile(QUANTILES)) + " |")
    print("| Gaussian | " + " | ".join(f"{z:+.3f}" for z in stats.norm.ppf(QUANTILES)) + " |")


def print_sweep(validation: dict) -> None:
    """Each candidate df, fitted and scored on the validation sides only."""
    print(f"\ndegrees of freedom, on the validation sides: mean over targets of |within 1 std - {NOMINAL[0]}| + "
          f"|within 2 std - {NOMINAL[1]}|")
    print("| df | distance | within 1 std (per target) | within 2 std (per target) |\n|---|---|---|---|")
    for df in SWEEP_DF:
        ones, twos = [], []
        for val in validation.values():
            std = SpreadCalibration(df).fit(val["members"], val["y"], val["measurement_std"]).predict_std(val["members"])
            residual = val["y"] - val["members"].mean(axis=0)
            ones.append(within(residual, std, 1))
            twos.append(within(residual, std, 2))
        distance = np.mean(np.abs(np.array(ones) - NOMINAL[0]) + np.abs(np.array(twos) - NOMINAL[1]))
        print(f"| {df:g} | {distance:.4f} | {' '.join(f'{v:.3f}' for v in ones)} | "
              f"{' '.join(f'{v:.3f}' for v in twos)} |")


def print_search(model: str) -> None:
    """Best accuracy found by regularized evolution, noiseless against noisy, over the same seeds."""
    from anb.search import make_objective, regularized_evolution

    objective = make_objective(model=model)
    noiseless, incumbent, observed = [], [], []
    for seed in range(SEARCH_SEEDS):
        noiseless.append(regularized_evolution(objective, SEARCH_BUDGET, seed)["best"].iloc[-1])
        noisy = regularized_evolution(objective, SEARCH_BUDGET, seed, noisy=True)
        incumbent.append(noisy["incumbent_mean"].iloc[-1])
        observed.append(noisy["best"].iloc[-1])
    noiseless, incumbent, observed = map(np.array, (noiseless, incumbent, observed))
    wins = int(np.sum(noiseless > incumbent))
    print(f"\nregularized evolution on accuracy, {SEARCH_BUDGET} queries, seeds 0-{SEARCH_SEEDS - 1} "
          f"(mean +- sample std):")
    print("| run | best accuracy (ensemble mean, %) | min | max |\n|---|---|---|---|")
    for label, values in (("noiseless", noiseless), ("noisy: incumbent's mean", incumbent),
                          ("noisy: best draw seen", observed)):
        print(f"| {label} | {values.mean():.3f} +- {values.std(ddof=1):.3f} | {values.min():.3f} | {values.max():.3f} |")
    print(f"noiseless minus noisy incumbent: {np.mean(noiseless - incumbent):.3f} % on average; noiseless ahead on "
          f"{wins} of {SEARCH_SEEDS} seeds (Wilcoxon p = {stats.wilcoxon(noiseless, incumbent).pvalue:.3g})")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", nargs="+", default=None,
                        help="accuracy, <device> or <device>/<metric> (default: accuracy and every device metric)")
    parser.add_argument("--model", default="xgb")
    parser.add_argument("--df-sweep", action="store_true", help="also print how the degrees of freedom were chosen")
    parser.add_argument("--search", action="store_true", help="also compare noisy and noiseless regularized evolution")
    args = parser.parse_args(argv)
    targets = [parse_target(t) for t in args.targets] if args.targets else all_targets()

    results, validation = {}, {}
    for target in targets:
        ensemble, data = sides(target, args.model)
        if ensemble.calibration is None:
            raise SystemExit(f"the cached {target.label} ensemble holds no calibration; rebuild it")
        results[target.label] = test_figures(ensemble, data)
        validation[target.label] = data["val"]
    print_test_table(results)
    print_distribution()
    if args.df_sweep:
        print_sweep(validation)
    if args.search:
        print_search(args.model)
    return results


if __name__ == "__main__":
    main()
