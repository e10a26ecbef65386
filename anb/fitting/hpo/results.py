"""A tuning run's record: the trial table, the Pareto front, the picked configuration, plots.

Files written into the run directory:

``runhistory.csv``
    one row per trial in finishing order: validation Kendall tau, best so far, whether it is on
    the Pareto front, evaluations and measured microseconds per row, validation RMSE, status,
    hyperparameters, and for the candidates the means over the cross-validation folds that the
    pick uses (``cv_tau``, ``cv_evaluations_per_row``);
``pareto_front.csv``
    the trials on the front of validation tau against evaluations per row, cheapest first;
``incumbent.json``
    the picked configuration (the cheapest within the tolerance of the best cross-validated tau), its
    library parameters and figures, next to the best-tau trial's;
``<model>_configspace.json``
    the search space with the picked configuration as defaults, usable as
    ``fit_model.py --model_config_path``;
``pareto_front.png``, ``best_val_tau.png``
    the front with the tolerance band and the pick marked, and the best validation tau against trials.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ConfigSpace import ConfigurationSpace
from ConfigSpace.hyperparameters import IntegerHyperparameter

from anb.data.atomic import write_json_atomic
from anb.devices.targets import Target
from anb.fitting.hpo.cross_validation import CV_FOLDS
from anb.fitting.hpo.plots import plot_best, plot_pareto
from anb.fitting.hpo.selection import CONFIRMED_COST, CONFIRMED_TAU, pareto_mask, pick_cheapest_within
from anb.fitting.hpo.space import space_with_defaults
from anb.fitting.model_config import config_file_name, config_to_params

INCUMBENT_FILE = "incumbent.json"
RUNHISTORY_FILE = "runhistory.csv"
PARETO_FILE = "pareto_front.csv"
PARETO_PLOT = "pareto_front.png"
BEST_PLOT = "best_val_tau.png"
_INFO_COLUMNS = ("evaluations_per_row", "us_per_row", "val_rmse", "rounds", "error")


@dataclass
class HPOResult:
    run_dir: Path
    incumbent: dict  # the picked configuration
    params: dict
    val_tau: float
    evaluations_per_row: float
    n_trials: int
    files: dict


def runhistory_table(runhistory, space: ConfigurationSpace) -> pd.DataFrame:
    """One row per finished trial, in finishing order, with the best tau so far and the front."""
    rows = []
    for key, value in runhistory.items():
        status = value.status.name
        if status == "RUNNING":
            continue
        config = runhistory.get_config(key.config_id)
        cost = np.atleast_1d(np.asarray(value.cost, dtype=float))
        ok = status == "SUCCESS" and np.isfinite(cost).all()
        row = {"config_id": key.config_id, "val_tau": 1.0 - float(cost[0]) if ok else np.nan, "status": status.lower(),
               "runtime_s": round(float(value.time), 3), "ended": float(value.endtime)}
        row.update({name: value.additional_info.get(name) for name in _INFO_COLUMNS})
        if not ok:
            row["evaluations_per_row"] = row["val_rmse"] = np.nan
        row.update({name: config.get(name) for name in space.keys()})
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["trial", "config_id", "val_tau", "best_val_tau", "pareto", "status"])
    table = table.sort_values(["ended", "config_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "trial", np.arange(1, len(table) + 1))
    table.insert(3, "best_val_tau", table["val_tau"].cummax())
    ok = table["val_tau"].notna().to_numpy()
    front = np.zeros(len(table), dtype=bool)
    if ok.any():
        front[ok] = pareto_mask(-table.loc[ok, "val_tau"], table.loc[ok, "evaluations_per_row"])
    table.insert(4, "pareto", front)
    table["ended"] = pd.to_datetime(table["ended"], unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S")
    if table["error"].isna().all():
        table = table.drop(columns="error")
    return table


def write_history_files(run_dir: Path, history: pd.DataFrame, target: Target, picked: pd.Series | None = None,
                        tolerance: float | None = None) -> dict:
    files = {"runhistory": run_dir / RUNHISTORY_FILE, "pareto_front": run_dir / PARETO_FILE,
             "pareto_plot": run_dir / PARETO_PLOT, "plot": run_dir / BEST_PLOT}
    history.to_csv(files["runhistory"], index=False)
    front = history[history["pareto"]] if "pareto" in history else history.iloc[:0]
    front.sort_values("evaluations_per_row").to_csv(files["pareto_front"], index=False)
    plot_best(history, target, files["plot"])
    plot_pareto(history, target, files["pareto_plot"], picked, tolerance)
    return files


def write_results(run_dir: Path, settings, space: ConfigurationSpace, history: pd.DataFrame, target: Target,
                  tolerance: float) -> HPOResult:
    """Pick the configuration, write every result file; ``settings`` is the run's ``HPOSettings``."""
    picked = pick_cheapest_within(history, tolerance)
    best = history.loc[history["val_tau"].idxmax()]
    config = trial_config(picked, space)
    device, metric = (target.device, target.metric) if target.device else (None, None)
    files = write_history_files(run_dir, history, target, picked, tolerance)
    files["config"] = run_dir / config_file_name(settings.family, device, metric)
    space_with_defaults(space, config).to_json(files["config"], indent=1)
    files["incumbent"] = run_dir / INCUMBENT_FILE
    params = config_to_params(config)
    write_json_atomic(files["incumbent"], {
        "model": settings.model, "target": settings.target, "column": settings.column,
        "rule": f"cheapest with Kendall tau within {tolerance:g} of the best, for the candidates on their "
                f"mean over a {CV_FOLDS}-fold cross-validation over train + validation", "tolerance": tolerance,
        "config": config, "params": params, "trial": int(picked["trial"]), **_figures(picked),
        "best": {"trial": int(best["trial"]), **_figures(best)},
        "n_trials": int(len(history)), "n_successful": int(history["val_tau"].notna().sum()),
        "seed": settings.seed, "split": settings.split, "sizes": settings.sizes,
        "config_file": files["config"].name, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
    })
    confirmed = _is_set(picked.get(CONFIRMED_TAU))
    return HPOResult(run_dir, config, params, float(picked[CONFIRMED_TAU if confirmed else "val_tau"]),
                     float(picked[CONFIRMED_COST if confirmed else "evaluations_per_row"]), int(len(history)), files)


def _figures(trial: pd.Series) -> dict:
    names = ("val_tau", "val_rmse", "evaluations_per_row", "us_per_row", CONFIRMED_TAU, CONFIRMED_COST)
    return {name: _plain(trial[name]) for name in names if name in trial and _is_set(trial[name])}


def trial_config(trial: pd.Series, space: ConfigurationSpace) -> dict:
    """The configuration of a row of the trial table, in the space's own types."""
    config = {}
    for name in space.keys():
        if _is_set(trial[name]):
            value = _plain(trial[name])
            # A column with an inactive (NaN) entry holds its integers as floats.
            config[name] = int(value) if isinstance(space[name], IntegerHyperparameter) else value
    return config


def _is_set(value) -> bool:
    """False for the NaN a table holds where a conditional hyperparameter was inactive."""
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def _plain(value):
    return value.item() if hasattr(value, "item") else value
