"""Hyperparameter optimisation of a surrogate with SMAC 2.x (the engine behind ``do_hpo.py``).

The search space is a model-config file (ConfigSpace JSON, ``param:`` names): its ranges are
searched and its defaults are the first configuration SMAC evaluates. The objective is the RMSE
on the validation side of a split, with the booster early-stopped on that side exactly as
``fit_model.py`` fits it; the test side is never loaded into the objective, so test figures
measured later stay honest. The objective is deterministic: a fixed model seed, one thread per
trial, and LightGBM in deterministic mode.

A run lives in one directory. Started again with the same arguments it resumes there (SMAC
reloads its run history, the used wall time included); started with different arguments it
refuses, naming what changed. Results are written beside SMAC's own files:

``incumbent.json``
    the best configuration, its library parameters and validation RMSE;
``<model>_configspace.json``
    the search space with the incumbent as defaults, usable as ``fit_model.py --model_config_path``;
``runhistory.csv``
    one row per trial in finishing order (validation RMSE, best so far, status, hyperparameters);
``best_val_rmse.png``
    the best validation RMSE against trials.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from ConfigSpace import Configuration, ConfigurationSpace
from smac import HyperparameterOptimizationFacade, Scenario
from smac.callback import Callback
from smac.runner.target_function_runner import TargetFunctionRunner

from anb.model_config import IGNORED, PARAM_PREFIX, config_file_name, config_to_params, read_configspace
from anb.models import make_surrogate
from anb.splits import write_json_atomic
from anb.targets import Target
from anb.training import SideData

# Parameters each family accepts in a config space (without the ``param:`` prefix). A space
# naming anything else is most likely written for another model, and the libraries would only
# warn about an unknown parameter and carry on, so the run would tune nothing.
_BOOSTER_COMMON = {"num_rounds", "early_stopping_rounds", "objective", "learning_rate", "max_depth", "max_bin", "min_child_weight"}
FAMILY_PARAMS: dict[str, set[str]] = {
    "xgb": _BOOSTER_COMMON | {
        "booster", "eta", "gamma", "min_split_loss", "max_delta_step", "subsample", "sampling_method",
        "colsample_bytree", "colsample_bylevel", "colsample_bynode", "lambda", "reg_lambda", "alpha", "reg_alpha",
        "tree_method", "grow_policy", "max_leaves", "num_parallel_tree", "nthread",
    },
    "lgb": _BOOSTER_COMMON | {
        "boosting_type", "boosting", "num_leaves", "feature_fraction", "colsample_bytree", "bagging_fraction",
        "subsample", "bagging_freq", "subsample_freq", "min_sum_hessian_in_leaf", "min_data_in_leaf",
        "min_child_samples", "lambda_l1", "reg_alpha", "lambda_l2", "reg_lambda", "min_gain_to_split",
        "min_split_gain", "extra_trees", "path_smooth", "num_threads",
    },
    "sklearn_forest": {
        "n_estimators", "criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_weight_fraction_leaf",
        "max_features", "max_leaf_nodes", "min_impurity_decrease", "bootstrap", "oob_score", "max_samples", "ccp_alpha",
    },
    "svr": {"kernel", "degree", "gamma", "coef0", "tol", "C", "epsilon", "shrinking", "cache_size", "max_iter"},
    "svr_nu": {"kernel", "degree", "gamma", "coef0", "tol", "C", "nu", "shrinking", "cache_size", "max_iter"},
}
# How each family is told to use one thread per trial (the workers share the machine's cores).
THREAD_PARAM = {"xgb": "nthread", "lgb": "num_threads"}

RUN_ARGS_FILE = "hpo_args.json"
SEARCH_SPACE_FILE = "search_space.json"
INCUMBENT_FILE = "incumbent.json"
RUNHISTORY_FILE = "runhistory.csv"
PLOT_FILE = "best_val_rmse.png"
SMAC_DIR = "smac"
SMAC_RUN_NAME = "run"
# Random configurations the acquisition search scores per trial. SMAC's default (10000) costs
# seconds per trial on a busy machine, a large share of a budget of minutes; trials here take
# seconds, so more of them beat a finer search of the surrogate.
ACQ_CHALLENGERS = 2000

log = logging.getLogger(__name__)


class HPOError(ValueError):
    """A run that cannot start as asked (bad arguments, a config space for another model...)."""


# --------------------------------------------------------------------------------------------
# The search space
# --------------------------------------------------------------------------------------------


def load_search_space(path: str | Path, family: str) -> ConfigurationSpace:
    """The config space at ``path``, checked to be one that model ``family`` can be tuned over."""
    try:
        space = read_configspace(path)
    except FileNotFoundError as exc:
        raise HPOError(str(exc)) from None
    check_space_for_family(space, family, source=str(path))
    return space


def check_space_for_family(space: ConfigurationSpace, family: str, source: str = "the config space") -> None:
    if family not in FAMILY_PARAMS:
        raise HPOError(f"no hyperparameter optimisation for model family {family!r}; available: {', '.join(FAMILY_PARAMS)}")
    names = list(space.keys())
    if not names:
        raise HPOError(f"{source} defines no hyperparameter")
    params = {_strip(name) for name in names} - IGNORED
    unknown = sorted(params - FAMILY_PARAMS[family])
    if unknown:
        fits = [other for other, known in FAMILY_PARAMS.items() if other != family and params <= known | IGNORED]
        hint = f"; it looks like a config space for {' or '.join(fits)}" if fits else ""
        raise HPOError(
            f"{source} does not match model {family!r}: {family} takes no parameter "
            f"{', '.join(repr(u) for u in unknown)}{hint}"
        )
    if not [hp for hp in space.values() if _is_tunable(hp)]:
        raise HPOError(f"{source} has no tunable hyperparameter (every one is a constant): nothing to optimise")


def _strip(name: str) -> str:
    return name[len(PARAM_PREFIX):] if name.startswith(PARAM_PREFIX) else name


def _is_tunable(hp) -> bool:
    choices = getattr(hp, "choices", None) or getattr(hp, "sequence", None)
    if choices is not None:
        return len(choices) > 1
    return hasattr(hp, "lower") and hp.lower < hp.upper


def space_with_defaults(space: ConfigurationSpace, values: dict) -> ConfigurationSpace:
    """A copy of ``space`` whose defaults are ``values`` (ranges, conditions and forbiddens kept)."""
    serialized = space.to_serialized_dict()
    for hp in serialized["hyperparameters"]:
        if hp["name"] in values and "default_value" in hp:
            value = values[hp["name"]]
            hp["default_value"] = value.item() if hasattr(value, "item") else value
    return ConfigurationSpace.from_serialized_dict(serialized)


def space_fingerprint(space: ConfigurationSpace) -> str:
    text = json.dumps(space.to_serialized_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# The objective
# --------------------------------------------------------------------------------------------


class Objective:
    """Validation RMSE of one configuration: fit on ``train``, early-stop on and score ``val``.

    Holds the train and validation arrays only (never the test side). Picklable, so Dask
    workers receive it with each trial.
    """

    def __init__(self, family: str, train: SideData, val: SideData, seed: int, n_threads: int = 1):
        if len(train.y) == 0 or len(val.y) < 2:
            raise HPOError(f"the objective needs training rows and at least 2 validation rows; got {len(train.y)} and {len(val.y)}")
        self.family = family
        self.X_train, self.y_train = np.ascontiguousarray(train.X), np.ascontiguousarray(train.y)
        self.X_val, self.y_val = np.ascontiguousarray(val.X), np.ascontiguousarray(val.y)
        self.seed = int(seed)
        self.n_threads = int(n_threads)

    def params(self, config: Configuration | dict) -> dict:
        params = config_to_params(dict(config))
        if self.family in THREAD_PARAM:
            params[THREAD_PARAM[self.family]] = self.n_threads
        return params

    def __call__(self, config: Configuration, seed: int = 0) -> tuple[float, dict]:
        """``(validation RMSE, extra info)``. SMAC's ``seed`` is ignored: the model seed is fixed."""
        model = make_surrogate(self.family, self.params(config), seed=self.seed)
        model.fit(self.X_train, self.y_train, self.X_val, self.y_val)
        residual = model.predict(self.X_val) - self.y_val
        rmse = float(np.sqrt(np.mean(residual**2)))
        info = {}
        rounds = _rounds_used(model)
        if rounds is not None:
            info["rounds"] = rounds
        return rmse, info

    def fingerprint(self) -> str:
        """A digest of everything the objective's value depends on."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.family, self.seed, self.n_threads]).encode())
        for array in (self.X_train, self.y_train, self.X_val, self.y_val):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        return digest.hexdigest()[:16]


def _rounds_used(model) -> int | None:
    if hasattr(model, "best_iteration_"):
        return int(model.best_iteration_)
    booster = getattr(model, "booster_", None)
    if booster is not None and hasattr(booster, "num_boosted_rounds"):
        return int(booster.num_boosted_rounds())
    return None


class ObjectiveRunner(TargetFunctionRunner):
    """SMAC's function runner, with run metadata that is stable across processes.

    SMAC decides whether a run may be resumed by comparing its metadata; for a target function
    it records the function's ``repr``, which holds a memory address for anything but a plain
    module-level function. Here the metadata is the objective's fingerprint instead.
    """

    @property
    def meta(self) -> dict:
        return {"name": type(self).__name__, "objective": self._target_function.fingerprint()}


# --------------------------------------------------------------------------------------------
# A run
# --------------------------------------------------------------------------------------------


@dataclass
class HPOSettings:
    """What defines a run; a resumed run must have the same."""

    model: str
    family: str
    target: str  # label, e.g. "accuracy" or "a100/throughput"
    column: str
    seed: int
    n_trials: int
    walltime: float
    n_workers: int
    n_initial: int
    n_threads: int
    cluster: str  # "sequential", "local" (SMAC's own Dask cluster) or "scheduler" (an existing one)
    split: str
    sizes: dict
    search_space: str  # fingerprint of the space
    objective: str  # fingerprint of the data


@dataclass
class HPOResult:
    run_dir: Path
    incumbent: dict
    params: dict
    val_rmse: float
    n_trials: int
    files: dict


def default_n_initial(n_trials: int) -> int:
    """Size of the Sobol initial design: a quarter of the trials, at most 10 (plus the default)."""
    return max(1, min(10, n_trials // 4))


def validate_budget(n_trials: int, walltime: float, n_workers: int, n_threads: int = 1) -> None:
    if not n_trials or n_trials < 1:
        raise HPOError(f"--n-trials must be at least 1; got {n_trials}")
    if walltime is None or not np.isfinite(walltime) or walltime <= 0:
        raise HPOError(f"--walltime must be a positive number of seconds; got {walltime}")
    if n_workers < 1:
        raise HPOError(f"--n-workers must be at least 1; got {n_workers}")
    if n_threads < 1:
        raise HPOError(f"--n-threads must be at least 1; got {n_threads}")


def run_hpo(
    *,
    family: str,
    model: str,
    target: Target,
    space: ConfigurationSpace,
    sides: dict[str, SideData],
    run_dir: str | Path,
    seed: int = 0,
    n_trials: int = 100,
    walltime: float = 3600.0,
    n_workers: int = 1,
    scheduler_address: str | None = None,
    n_initial: int | None = None,
    n_threads: int = 1,
    split_source: str = "",
    callbacks: list | None = None,
    progress: Callable[[str], None] | None = print,
) -> HPOResult:
    """Tune ``family`` on ``sides["train"]``/``sides["val"]`` with SMAC and write the results.

    ``sides["test"]`` is ignored if present. ``callbacks`` are extra SMAC callbacks.
    """
    validate_budget(n_trials, walltime, n_workers, n_threads)
    check_space_for_family(space, family)
    n_initial = default_n_initial(n_trials) if n_initial is None else int(n_initial)
    if n_initial < 1:
        raise HPOError(f"the initial design needs at least 1 configuration; got {n_initial}")
    run_dir = Path(run_dir)
    objective = Objective(family, sides["train"], sides["val"], seed, n_threads)
    settings = HPOSettings(
        model=model,
        family=family,
        target=target.label,
        column=target.column,
        seed=int(seed),
        n_trials=int(n_trials),
        walltime=float(walltime),
        n_workers=int(n_workers),
        n_initial=n_initial,
        n_threads=int(n_threads),
        cluster="scheduler" if scheduler_address else ("local" if n_workers > 1 else "sequential"),
        split=split_source,
        sizes={side: int(len(sides[side].y)) for side in ("train", "val")},
        search_space=space_fingerprint(space),
        objective=objective.fingerprint(),
    )
    resumed = _claim_run_dir(run_dir, settings, space)
    say = progress or (lambda message: None)
    say(f"{'resuming' if resumed else 'starting'} HPO of {model} for {target.label} in {run_dir} "
        f"({n_trials} trials or {walltime:g} s, {_describe_cluster(settings.cluster, n_workers, scheduler_address)})")

    # SMAC seeds the space it is given; keep the caller's object untouched.
    space = copy.deepcopy(space)
    scenario = Scenario(
        space,
        name=SMAC_RUN_NAME,
        output_directory=run_dir / SMAC_DIR,
        deterministic=True,
        n_trials=int(n_trials),
        walltime_limit=float(walltime),
        # With an existing cluster its workers decide the parallelism, not this number.
        n_workers=1 if scheduler_address else int(n_workers),
        use_default_config=True,
        seed=int(seed),
    )
    initial_design = HyperparameterOptimizationFacade.get_initial_design(scenario, n_configs=n_initial)
    intensifier = HyperparameterOptimizationFacade.get_intensifier(scenario, max_config_calls=1)
    maximizer = HyperparameterOptimizationFacade.get_acquisition_maximizer(scenario, challengers=ACQ_CHALLENGERS)
    runner = ObjectiveRunner(scenario, objective, required_arguments=["seed"])

    client = None
    if scheduler_address:
        from distributed import Client

        try:
            client = Client(scheduler_address, timeout=30)
        except OSError as exc:
            raise HPOError(f"cannot reach the Dask scheduler at {scheduler_address}: {exc}") from None

    trial_log = _TrialLog(say)
    facade = None
    try:
        try:
            facade = HyperparameterOptimizationFacade(
                scenario,
                runner,
                initial_design=initial_design,
                intensifier=intensifier,
                acquisition_maximizer=maximizer,
                callbacks=[_RebindConfig(), trial_log, *(callbacks or [])],
                logging_level=logging.WARNING,
                overwrite=False,
                dask_client=client,
            )
        except (EOFError, OSError) as exc:
            # SMAC asks on stdin when it finds a different run in its directory; the check in
            # _claim_run_dir should have caught that first.
            raise HPOError(
                f"{run_dir / SMAC_DIR} holds a SMAC run that does not match this one ({exc!r}); "
                "use another --log_dir or delete that directory"
            ) from None
        trial_log.offset = facade.runhistory.finished
        done = [v.cost for v in facade.runhistory.values() if v.status.name == "SUCCESS" and np.isfinite(v.cost)]
        trial_log.best = min(done, default=np.inf)
        if trial_log.offset:
            say(f"{trial_log.offset} trial(s) already done; continuing")
        incumbent = facade.optimize()
    finally:
        _close_dask(facade, client)

    history = runhistory_table(facade.runhistory, space)
    if incumbent is None or not np.isfinite(history["val_rmse"]).any():
        write_history_files(run_dir, history, target)
        raise HPOError(f"no trial succeeded; see {run_dir / RUNHISTORY_FILE} for the errors")
    return write_results(run_dir, settings, space, dict(incumbent), facade.runhistory.get_cost(incumbent), history, target)


def _describe_cluster(cluster: str, n_workers: int, address: str | None) -> str:
    if cluster == "scheduler":
        return f"on the Dask cluster at {address}"
    if cluster == "local":
        return f"on a local Dask cluster of {n_workers} workers"
    return "one trial at a time"


def _close_dask(facade, client) -> None:
    """Shut down the local cluster SMAC started (if any) and our connection to a remote one."""
    parallel = getattr(getattr(facade, "_optimizer", None), "_runner", None)
    try:
        if parallel is not None and hasattr(parallel, "close"):
            parallel.close()
        if client is not None:
            client.close()
    except Exception as exc:  # noqa: BLE001 - a failed shutdown must not hide the result
        log.warning("closing the Dask client failed: %r", exc)


class _RebindConfig(Callback):
    """Re-attach a trial's configuration to the optimiser's own config space before SMAC records it.

    A configuration evaluated on a Dask worker comes back with an unpickled copy of the space,
    and ConfigSpace 1.2 compares log-scale integer hyperparameters by the identity of a scipy
    object inside them, so the copy never equals the original. SMAC would then file the result
    under a new configuration and leave the submitted one "running" forever.
    """

    def on_tell_start(self, smbo, info, value):
        space = smbo._scenario.configspace
        if info.config.config_space is not space:
            info.config.config_space = space
        return None


class _TrialLog(Callback):
    """Reports each finished trial."""

    def __init__(self, say):
        self.say = say
        self.offset = 0
        self.count = 0
        self.best = np.inf

    def on_tell_end(self, smbo, info, value):
        self.count += 1
        cost = float(value.cost) if np.isfinite(value.cost) else np.inf
        self.best = min(self.best, cost)
        status = "" if np.isfinite(cost) else f" ({value.status.name.lower()})"
        self.say(f"trial {self.offset + self.count}: val RMSE {cost:.6g}{status}, best {self.best:.6g}")
        return None


def _claim_run_dir(run_dir: Path, settings: HPOSettings, space: ConfigurationSpace) -> bool:
    """Record the run's settings in ``run_dir``; True if an identical run was started there before."""
    record = run_dir / RUN_ARGS_FILE
    wanted = json.loads(json.dumps(asdict(settings)))
    if record.is_file():
        previous = json.loads(record.read_text())
        if previous != wanted:
            changed = sorted(k for k in set(previous) | set(wanted) if previous.get(k) != wanted.get(k))
            detail = "; ".join(f"{k}: {previous.get(k)!r} then, {wanted.get(k)!r} now" for k in changed)
            raise HPOError(
                f"{run_dir} holds an HPO run started with different settings ({detail}). "
                "A run resumes only with the same arguments and data; use another --log_dir or delete it"
            )
        return True
    if (run_dir / SMAC_DIR).exists():
        raise HPOError(f"{run_dir / SMAC_DIR} exists but {record.name} does not; use another --log_dir or delete it")
    run_dir.mkdir(parents=True, exist_ok=True)
    space.to_json(run_dir / SEARCH_SPACE_FILE, indent=1)
    write_json_atomic(record, wanted)
    return False


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def runhistory_table(runhistory, space: ConfigurationSpace) -> pd.DataFrame:
    """One row per finished trial, in finishing order, with the best RMSE so far."""
    rows = []
    for key, value in runhistory.items():
        config = runhistory.get_config(key.config_id)
        status = value.status.name
        if status == "RUNNING":
            continue
        cost = float(value.cost) if np.isfinite(value.cost) and status == "SUCCESS" else np.nan
        row = {
            "config_id": key.config_id,
            "val_rmse": cost,
            "status": status.lower(),
            "runtime_s": round(float(value.time), 3),
            "ended": float(value.endtime),
            "rounds": value.additional_info.get("rounds"),
            "error": value.additional_info.get("error"),
        }
        row.update({name: config.get(name) for name in space.keys()})
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["trial", "config_id", "val_rmse", "best_val_rmse", "status"])
    table = table.sort_values(["ended", "config_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "trial", np.arange(1, len(table) + 1))
    table.insert(3, "best_val_rmse", table["val_rmse"].cummin())
    table["ended"] = pd.to_datetime(table["ended"], unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S")
    if table["error"].isna().all():
        table = table.drop(columns="error")
    return table


def write_history_files(run_dir: Path, history: pd.DataFrame, target: Target) -> dict:
    files = {"runhistory": run_dir / RUNHISTORY_FILE, "plot": run_dir / PLOT_FILE}
    history.to_csv(files["runhistory"], index=False)
    plot_best(history, target, files["plot"])
    return files


def plot_best(history: pd.DataFrame, target: Target, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    if len(history):
        ok = history["val_rmse"].notna()
        ax.scatter(history.loc[ok, "trial"], history.loc[ok, "val_rmse"], s=10, color="tab:gray", alpha=0.6, label="trial")
        ax.step(history["trial"], history["best_val_rmse"], where="post", color="tab:blue", label="best so far")
        finite = history.loc[ok, "val_rmse"]
        if len(finite) and finite.max() > 5 * finite.min() > 0:
            ax.set_yscale("log")
        ax.legend()
    unit = f" ({target.unit})" if target.unit else ""
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation RMSE{unit}")
    ax.set_title(f"HPO: {target.label}")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def write_results(
    run_dir: Path,
    settings: HPOSettings,
    space: ConfigurationSpace,
    incumbent: dict,
    val_rmse: float,
    history: pd.DataFrame,
    target: Target,
) -> HPOResult:
    incumbent = {k: (v.item() if hasattr(v, "item") else v) for k, v in incumbent.items()}
    device, metric = (target.device, target.metric) if target.device else (None, None)
    files = write_history_files(run_dir, history, target)
    files["config"] = run_dir / config_file_name(settings.family, device, metric)
    space_with_defaults(space, incumbent).to_json(files["config"], indent=1)
    files["incumbent"] = run_dir / INCUMBENT_FILE
    n_ok = int(history["val_rmse"].notna().sum()) if len(history) else 0
    params = config_to_params(incumbent)
    write_json_atomic(
        files["incumbent"],
        {
            "model": settings.model,
            "target": settings.target,
            "column": settings.column,
            "config": incumbent,
            "params": params,
            "val_rmse": float(val_rmse),
            "n_trials": int(len(history)),
            "n_successful": n_ok,
            "seed": settings.seed,
            "split": settings.split,
            "sizes": settings.sizes,
            "config_file": files["config"].name,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    return HPOResult(run_dir, incumbent, params, float(val_rmse), int(len(history)), files)


# --------------------------------------------------------------------------------------------
# Command line (do_hpo.py)
# --------------------------------------------------------------------------------------------

DEFAULT_LOG_DIR = "experiments/hpo"
DEFAULT_SPLIT_DIR_NAME = "default_split"


def build_parser():
    import argparse

    parser = argparse.ArgumentParser(
        "do_hpo.py",
        description="Tune a surrogate's hyperparameters with SMAC (validation RMSE; the test side is never used).",
    )
    add = parser.add_argument
    add("--dataset_root", default=None, help="directory or .tar.gz of result JSONs (default: the cached dataset)")
    add("--model", default="xgb", help="xgb, lgb, sklearn_forest, svr, svr_nu, or their _accel forms (default: xgb)")
    add("--data_config_path", default=None,
        help="data config with train_val_test_split ratios: a random split drawn with --seed "
             f"(default: the published split in $ANB_DATA_DIR/{DEFAULT_SPLIT_DIR_NAME} if present, else 0.8/0.1/0.1)")
    add("--data_splits_root", default=None, help="directory with train/val/test_paths.json, used as it is (no k-fold)")
    add("--model_config_path", default=None,
        help="config space to search; its defaults are evaluated first (default: the project's config for the model and target)")
    add("--device", default=None, help="device of a performance surrogate (default: none, i.e. accuracy)")
    add("--metric", default=None, help="throughput or latency (default: the device's only metric)")
    add("--log_dir", default=DEFAULT_LOG_DIR, help=f"the run goes to <log_dir>/<model>[/<device>/<metric>]/seed-<seed> (default: {DEFAULT_LOG_DIR})")
    add("--seed", type=int, default=6, help="seed of SMAC, of the models and of a random split (default: 6)")
    add("--n-trials", dest="n_trials", type=int, default=100, help="maximum number of trials (default: 100)")
    add("--walltime", type=float, default=3600.0, help="wall-time budget of the run in seconds; a resumed run counts the time already used (default: 3600)")
    add("--n-workers", dest="n_workers", type=int, default=1, help="parallel trials; above 1 SMAC starts a local Dask cluster (default: 1)")
    add("--scheduler-address", dest="scheduler_address", default=None,
        help="address of an existing Dask scheduler (e.g. tcp://host:8786); its workers run the trials")
    add("--n-initial", dest="n_initial", type=int, default=None, help="Sobol initial design size (default: n_trials/4, at most 10)")
    add("--n-threads", dest="n_threads", type=int, default=1, help="threads per trial for xgb/lgb (default: 1)")
    add("--quiet", action="store_true", help="do not report every trial")
    return parser


def resolve_split(args, data):
    """The split to tune on, from --data_splits_root, --data_config_path, or the defaults."""
    from importlib import resources

    from anb import paths
    from anb.splits import load_split_dir, split_from_data_config

    if args.data_splits_root:
        return load_split_dir(args.data_splits_root, data)
    if args.data_config_path:
        if not Path(args.data_config_path).is_file():
            raise HPOError(f"data config {args.data_config_path} does not exist")
        return split_from_data_config(args.data_config_path, data, args.seed)
    published = paths.data_dir() / DEFAULT_SPLIT_DIR_NAME
    if (published / "train_paths.json").is_file():
        return load_split_dir(published, data)
    config = resources.files("anb.configs") / "data_configs" / "random_split.json"
    return split_from_data_config(json.loads(config.read_text()), data, args.seed)


def run_directory(log_dir: str | Path, model: str, target: Target, seed: int) -> Path:
    parts = [model] + ([target.device, target.metric] if target.device else [])
    return Path(log_dir, *parts) / f"seed-{seed}"


def main(argv=None) -> int:
    import sys

    from anb.dataset import load_dataset
    from anb.download import DownloadError
    from anb.model_config import default_config_path
    from anb.models import split_model_name
    from anb.splits import SIDES
    from anb.targets import resolve_target
    from anb.training import split_data

    args = build_parser().parse_args(argv)
    say = (lambda message: None) if args.quiet else (lambda message: print(message, flush=True))
    try:
        family, is_accel = split_model_name(args.model)
        if is_accel and args.device is None:
            raise HPOError(f"model {args.model!r} is a device surrogate: give --device (and --metric)")
        if args.device is None and args.metric is not None:
            raise HPOError("--metric needs --device")
        target = resolve_target(args.device, args.metric)
        validate_budget(args.n_trials, args.walltime, args.n_workers, args.n_threads)
        config_path = args.model_config_path or default_config_path(family, target.device, target.metric)
        space = load_search_space(config_path, family)
        data = load_dataset(args.dataset_root)
        split = resolve_split(args, data)
        sides, dropped = split_data(data, split, target)
        for side in SIDES:
            if dropped.get(side):
                say(f"{side}: dropped {dropped[side]} row(s) with no {target.column} measurement")
        say(f"search space {config_path}; split {split.source}: train {len(sides['train'].y)}, "
            f"val {len(sides['val'].y)} (test {len(sides['test'].y)}, not used)")
        result = run_hpo(
            family=family,
            model=args.model,
            target=target,
            space=space,
            sides={"train": sides["train"], "val": sides["val"]},
            run_dir=run_directory(args.log_dir, args.model, target, args.seed),
            seed=args.seed,
            n_trials=args.n_trials,
            walltime=args.walltime,
            n_workers=args.n_workers,
            scheduler_address=args.scheduler_address,
            n_initial=args.n_initial,
            n_threads=args.n_threads,
            split_source=split.source,
            progress=say,
        )
    except (ValueError, OSError, DownloadError) as exc:
        print(f"do_hpo.py: error: {exc}", file=sys.stderr)
        return 2
    print(f"best validation RMSE {result.val_rmse:.6g} after {result.n_trials} trial(s): {result.params}")
    for name, path in result.files.items():
        print(f"{name}: {path}")
    return 0
