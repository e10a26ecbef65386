"""Uncertainty: the ensemble's calibrated std against its absolute error on the test split.

One panel per target: every held-out test architecture as a point (std, |mean - measured|),
and the mean absolute error within each std quintile (a calibrated ensemble's curve rises).
The box gives Spearman ρ between std and error, and the error of the 20% most and least
certain predictions. The last panel is a reliability diagram: for each nominal probability p,
the share of test architectures whose measurement lies in the central p-interval of the
predictive distribution (:mod:`anb.models.calibration`); a calibrated ensemble lies on the diagonal.

Writes uncertainty.{png,pdf} and the numbers per target (uncertainty.json).

    ANB_DATA_DIR=../shared/data/anb python plots/uncertainty.py [--targets accuracy a100]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from _common import (  # noqa: E402
    add_targets_option, chosen_targets, ensemble, finish_grid, grid, parser, test_predictions, write_json,
)
from anb.devices.targets import all_targets  # noqa: E402

STEM = "uncertainty"
N_BINS = 5
LEVELS = np.linspace(0.05, 0.99, 48)  # nominal probabilities of the reliability diagram


def calibration(std: np.ndarray, error: np.ndarray, n_bins: int = N_BINS) -> dict:
    """Spearman ρ of std and error, and the mean std / error in std quantile bins."""
    order = np.argsort(std, kind="stable")
    bins = np.array_split(order, n_bins)
    return {
        "spearman": float(stats.spearmanr(std, error).statistic),
        "bin_std": [float(std[b].mean()) for b in bins],
        "bin_error": [float(error[b].mean()) for b in bins],
        "mae": float(error.mean()),
        "mean_std": float(std.mean()),
    }


def reliability(std: np.ndarray, error: np.ndarray, calibration) -> dict:
    """Observed against nominal coverage of the predictive distribution's central intervals
    (a Gaussian of the std for an ensemble without a calibration)."""
    upper = (1 + LEVELS) / 2
    half_width = calibration.quantile(upper) if calibration is not None else stats.norm.ppf(upper)
    observed = (error[None, :] <= half_width[:, None] * std[None, :]).mean(axis=1)
    return {"expected": LEVELS.tolist(), "observed": observed.tolist(),
            "within_1_std": float(np.mean(error <= std)), "within_2_std": float(np.mean(error <= 2 * std))}


def main(argv=None) -> dict:
    p = parser(__doc__)
    add_targets_option(p)
    args = p.parse_args(argv)
    targets = chosen_targets(args, all_targets())

    shape, numbers = grid(len(targets) + 1), {}
    fig, axes = plt.subplots(*shape, figsize=(4.4 * shape[1], 3.7 * shape[0]), squeeze=False)
    for ax, target in zip(axes.flat, targets):
        frame = test_predictions(target, args.model, args.n_members)
        std, error = frame["std"].to_numpy(), frame["abs_error"].to_numpy()
        result = calibration(std, error)
        numbers[target.label] = {**result, **reliability(std, error, ensemble(target, args.model, args.n_members)
                                                         .calibration), "n_test": len(frame)}
        ax.scatter(std, error, s=7, alpha=0.5, linewidths=0, color="tab:blue", label="test architecture")
        ax.plot(result["bin_std"], result["bin_error"], "o-", color="tab:red", label=f"mean |error| per std {N_BINS}-ile")
        ax.set_xlabel(f"calibrated std ({target.unit})")
        ax.set_ylabel(f"|error| ({target.unit})")
        ax.set_title(target.label)
        text = (f"Spearman ρ = {result['spearman']:.3f}\n"
                f"|error|, lowest std 20% = {result['bin_error'][0]:.3g}\n"
                f"|error|, highest std 20% = {result['bin_error'][-1]:.3g}")
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
        ax.legend(loc="lower right", fontsize=7)
    reliability_panel(list(axes.flat)[len(targets)], numbers)
    out = Path(args.out_dir)
    title = f"{args.model} ensembles: calibrated std against absolute error on the test split"
    finish_grid(fig, axes, len(targets) + 1, title, out, STEM, args.formats)
    write_json(out / f"{STEM}.json", numbers)
    return numbers


def reliability_panel(ax, numbers: dict) -> None:
    ax.plot([0, 1], [0, 1], color="black", linewidth=0.8, label="calibrated")
    for label, values in numbers.items():
        ax.plot(values["expected"], values["observed"], linewidth=1.2, label=label)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("observed coverage on the test split")
    ax.set_title("reliability")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right", fontsize=6)


if __name__ == "__main__":
    main()
