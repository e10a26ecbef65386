"""The two figures of a tuning run: its Pareto front, and the best validation RMSE over trials."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from anb.targets import Target


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _rmse_label(target: Target) -> str:
    return f"validation RMSE{f' ({target.unit})' if target.unit else ''}"


def plot_best(history: pd.DataFrame, target: Target, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(history):
        ok = history["val_rmse"].notna()
        ax.scatter(history.loc[ok, "trial"], history.loc[ok, "val_rmse"], s=10, color="tab:gray", alpha=0.6, label="trial")
        ax.step(history["trial"], history["best_val_rmse"], where="post", color="tab:blue", label="best so far")
        finite = history.loc[ok, "val_rmse"]
        if len(finite) and finite.max() > 5 * finite.min() > 0:
            ax.set_yscale("log")
        ax.legend()
    ax.set_xlabel("trial")
    ax.set_ylabel(_rmse_label(target))
    ax.set_title(f"HPO: {target.label}")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_pareto(history: pd.DataFrame, target: Target, path: Path, picked: pd.Series | None = None,
                tolerance: float | None = None) -> None:
    """Validation RMSE against evaluations per row; the front joined, the tolerance band and the pick marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ok = history[history["val_rmse"].notna()] if len(history) else history
    if len(ok):
        ax.scatter(ok["evaluations_per_row"], ok["val_rmse"], s=12, color="tab:gray", alpha=0.6, label="trial")
        front = ok[ok["pareto"]].sort_values("evaluations_per_row")
        ax.step(front["evaluations_per_row"], front["val_rmse"], where="post", color="tab:blue", marker="o", ms=4,
                label="Pareto front")
        if tolerance is not None:
            ax.axhline((1 + tolerance) * ok["val_rmse"].min(), color="tab:green", ls="--", lw=1,
                       label=f"best + {tolerance:.1%}")
        if picked is not None:
            ax.scatter([picked["evaluations_per_row"]], [picked["val_rmse"]], s=90, facecolors="none",
                       edgecolors="tab:red", linewidths=2, label="picked", zorder=3)
        ax.set_xscale("log")
        low, high = ok["val_rmse"].min(), ok["val_rmse"].quantile(0.9)
        ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low) if high > low else low * 1.1)
        ax.legend(fontsize=8)
    ax.set_xlabel("evaluations per row (split nodes visited, all trees)")
    ax.set_ylabel(_rmse_label(target))
    ax.set_title(f"cost-aware HPO: {target.label}")
    ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
