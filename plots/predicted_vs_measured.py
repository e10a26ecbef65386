"""Predicted against measured on the test split, for accuracy and every device target.

One panel per target: the cached ensemble's mean prediction on the held-out test files of the
split it was built on (listed in its manifest), coloured by the ensemble's std, with R²,
Kendall τ, Spearman ρ and MAE in a box. Surrogates missing from the cache are built first.

Writes predicted_vs_measured.{png,pdf}, the metrics per target (predicted_vs_measured.json)
and every test prediction (predicted_vs_measured.csv).

    ANB_DATA_DIR=../shared/data/anb python plots/predicted_vs_measured.py [--targets accuracy a100 zcu102/latency]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from _common import (  # noqa: E402
    add_targets_option, chosen_targets, finish_grid, grid, parser, test_metrics, test_predictions, write_csv, write_json,
)
from anb.devices.targets import all_targets  # noqa: E402
from anb.fitting.plotting import scatter_predicted_vs_measured  # noqa: E402

STEM = "predicted_vs_measured"


def main(argv=None) -> dict:
    p = parser(__doc__)
    add_targets_option(p)
    args = p.parse_args(argv)
    targets = chosen_targets(args, all_targets())

    rows, tables, metrics = grid(len(targets)), [], {}
    fig, axes = plt.subplots(*rows, figsize=(4.6 * rows[1], 3.9 * rows[0]), squeeze=False)
    for ax, target in zip(axes.flat, targets):
        frame = test_predictions(target, args.model, args.n_members)
        metrics[target.label] = {**test_metrics(frame), "n_test": len(frame)}
        scatter_predicted_vs_measured(ax, frame["measured"], frame["predicted"], frame["std"], metrics[target.label],
                                      title=target.label, unit=target.unit)
        tables.append(frame.assign(target=target.label))
    out = Path(args.out_dir)
    title = f"{args.model} ensembles on the test split: predicted vs measured"
    finish_grid(fig, axes, len(targets), title, out, STEM, args.formats)
    write_json(out / f"{STEM}.json", metrics)
    write_csv(out / f"{STEM}.csv", pd.concat(tables, ignore_index=True))
    return metrics


if __name__ == "__main__":
    main()
