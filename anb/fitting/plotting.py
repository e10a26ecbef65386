"""Figures shared by fit_model.py and the scripts in plots/."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: these run on machines without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BOX_METRICS = (("r2", "R²"), ("kendall_tau", "Kendall τ"), ("spearmanr", "Spearman ρ"), ("mae", "MAE"))


def metrics_box_text(metrics: dict) -> str:
    return "\n".join(f"{label} = {metrics[key]:.4g}" for key, label in BOX_METRICS if key in metrics)


def scatter_predicted_vs_measured(ax, measured, predicted, std=None, metrics=None, title="", unit=""):
    """Predicted against measured on one axis, coloured by the ensemble's std when there is one."""
    measured, predicted = np.asarray(measured), np.asarray(predicted)
    colour = None if std is None or not np.any(std) else np.asarray(std)
    style = {"c": colour, "cmap": "viridis"} if colour is not None else {"color": "tab:blue"}
    points = ax.scatter(measured, predicted, s=8, alpha=0.7, linewidths=0, **style)
    if colour is not None:
        ax.figure.colorbar(points, ax=ax, label=f"ensemble std{f' ({unit})' if unit else ''}")
    lo, hi = float(min(measured.min(), predicted.min())), float(max(measured.max(), predicted.max()))
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel(f"measured{f' ({unit})' if unit else ''}")
    ax.set_ylabel(f"predicted{f' ({unit})' if unit else ''}")
    ax.set_title(title)
    if metrics:
        ax.text(0.03, 0.97, metrics_box_text(metrics), transform=ax.transAxes, va="top", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})


def save_figure(fig, path_without_suffix: str | Path, formats=("png",)) -> list[Path]:
    path = Path(path_without_suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=150, bbox_inches="tight")
        written.append(target)
    plt.close(fig)
    return written
