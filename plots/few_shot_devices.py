"""Few-shot device surrogates: test Kendall tau against the number of measurements, per target.

Plots what ``benchmarks/few_shot_devices.py --csv FILE`` measured (each device left out in turn,
N of its measurements known): the few-shot transfer model and the three baselines, mean over
seeds with a min-max band, one panel per target. It fits nothing itself.

    python benchmarks/few_shot_devices.py --distil --csv plots/out/few_shot_devices.csv
    python plots/few_shot_devices.py [--csv plots/out/few_shot_devices.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from _common import DEFAULT_OUT, finish_grid, grid, parser  # noqa: E402

STEM = "few_shot_devices"
STYLES = {
    "few-shot": {"color": "C0", "marker": "o", "label": "few-shot transfer"},
    "distilled": {"color": "C0", "marker": "x", "linestyle": ":", "label": "few-shot, distilled (ANBEnsemble)"},
    "similar": {"color": "C1", "marker": "s", "label": "most similar device as is"},
    "xgb-N": {"color": "C2", "marker": "^", "label": "xgb on the N alone"},
    "macs": {"color": "C7", "marker": "", "linestyle": "--", "label": "analytic MACs"},
}


def plot(results: pd.DataFrame, out_dir, formats) -> list[Path]:
    targets = list(dict.fromkeys(results["target"]))
    rows, cols = grid(len(targets), 4)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False, sharey=True)
    for ax, target in zip(axes.flat, targets):
        for method, style in STYLES.items():
            runs = results[(results["target"] == target) & (results["method"] == method)]
            if runs.empty:
                continue
            stats = runs.groupby("N")["tau"].agg(["mean", "min", "max"])
            ax.plot(stats.index, stats["mean"], **style)
            ax.fill_between(stats.index, stats["min"], stats["max"], color=style["color"], alpha=0.12, linewidth=0)
        ax.set_xscale("log")
        ax.set_xticks(sorted(results["N"].unique()), [str(n) for n in sorted(results["N"].unique())])
        ax.set_title(target)
        ax.set_xlabel("measured architectures N")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("test Kendall tau")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    return finish_grid(fig, axes, len(targets), "A new device from N measurements (leave one device out)",
                       out_dir, STEM, formats)


def main(argv=None) -> None:
    p = parser(__doc__, ensembles=False)
    p.add_argument("--csv", default=str(DEFAULT_OUT / f"{STEM}.csv"),
                   help="the per-fit results of benchmarks/few_shot_devices.py --csv")
    args = p.parse_args(argv)
    plot(pd.read_csv(args.csv), args.out_dir, args.formats)


if __name__ == "__main__":
    main()
