"""The two figures of a tuning run: its Pareto front, and the best validation tau over trials."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from anb.devices.targets import Target
from anb.fitting.hpo.cross_validation import CV_FOLDS
from anb.fitting.hpo.selection import CONFIRMED_COST, CONFIRMED_TAU


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


TAU_LABEL = "validation Kendall tau"


def plot_best(history: pd.DataFrame, target: Target, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(history):
        ok = history["val_tau"].notna()
        ax.scatter(history.loc[ok, "trial"], history.loc[ok, "val_tau"], s=10, color="tab:gray", alpha=0.6, label="trial")
        ax.step(history["trial"], history["best_val_tau"], where="post", color="tab:blue", label="best so far")
        if ok.any():
            _zoom(ax, history.loc[ok, "val_tau"])
        ax.legend()
    ax.set_xlabel("trial")
    ax.set_ylabel(TAU_LABEL)
    ax.set_title(f"HPO: {target.label}")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_pareto(history: pd.DataFrame, target: Target, path: Path, picked: pd.Series | None = None,
                tolerance: float | None = None) -> None:
    """Validation tau against evaluations per row; the front joined, the tolerance band and the pick marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ok = history[history["val_tau"].notna()] if len(history) else history
    if len(ok):
        ax.scatter(ok["evaluations_per_row"], ok["val_tau"], s=12, color="tab:gray", alpha=0.6, label="trial")
        front = ok[ok["pareto"]].sort_values("evaluations_per_row")
        ax.step(front["evaluations_per_row"], front["val_tau"], where="post", color="tab:blue", marker="o", ms=4,
                label="Pareto front")
        # Where the candidates were confirmed by cross-validation, the rule (and so the band and
        # the pick) works on their means over the folds.
        tau, cost, label = "val_tau", "evaluations_per_row", "best"
        if CONFIRMED_TAU in ok and ok[CONFIRMED_TAU].notna().any():
            confirmed = ok[ok[CONFIRMED_TAU].notna()]
            ax.scatter(confirmed[CONFIRMED_COST], confirmed[CONFIRMED_TAU], s=40, marker="D", facecolors="none",
                       edgecolors="tab:purple", label=f"candidate, {CV_FOLDS}-fold CV mean", zorder=3)
            tau, cost, label = CONFIRMED_TAU, CONFIRMED_COST, "best mean"
        if tolerance is not None:
            ax.axhline(ok[tau].max() - tolerance, color="tab:green", ls="--", lw=1, label=f"{label} - {tolerance:g}")
        if picked is not None:
            ax.scatter([picked[cost]], [picked[tau]], s=90, facecolors="none",
                       edgecolors="tab:red", linewidths=2, label="picked", zorder=4)
        ax.set_xscale("log")
        _zoom(ax, ok["val_tau"])
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("evaluations per row (split nodes visited, all trees)")
    ax.set_ylabel(TAU_LABEL)
    ax.set_title(f"cost-aware HPO: {target.label}")
    ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _zoom(ax, tau: pd.Series) -> None:
    """Show the upper part of the tau range, where the choices are; a few poor trials fall below it."""
    high, low = tau.max(), tau.quantile(0.25)
    span = max(high - low, 0.005)
    ax.set_ylim(high - 1.1 * span, high + 0.1 * span)
