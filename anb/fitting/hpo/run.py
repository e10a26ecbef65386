"""One SMAC 2.x run: the scenario, the Dask workers, resuming, and the callbacks it needs.

SMAC optimises the two objectives of :mod:`anb.fitting.hpo.objective` together with ParEGO: each new
configuration is chosen for a random weighting of the two (an augmented Chebyshev
scalarisation of their normalised values), so over a run the trials spread along the whole
front of error against cost instead of converging on one trade-off chosen in advance. Which
point of the front becomes the model config is decided afterwards, by :mod:`anb.fitting.hpo.selection`.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from ConfigSpace import ConfigurationSpace
from smac import HyperparameterOptimizationFacade, Scenario
from smac.callback import Callback
from smac.initial_design import SobolInitialDesign
from smac.multi_objective.parego import ParEGO
from smac.runner.target_function_runner import TargetFunctionRunner

from anb.data.atomic import write_json_atomic
from anb.devices.targets import Target
from anb.fitting.hpo.confirmation import confirm_candidates
from anb.fitting.hpo.errors import HPOError
from anb.fitting.hpo.objective import OBJECTIVES, ValidationCostObjective
from anb.fitting.hpo.results import RUNHISTORY_FILE, HPOResult, runhistory_table, write_history_files, write_results
from anb.fitting.hpo.selection import DEFAULT_TOLERANCE
from anb.fitting.hpo.space import check_space_for_family, space_fingerprint
from anb.fitting.hpo.warm_start import cheaper_variants
from anb.fitting.training import SideData

RUN_ARGS_FILE = "hpo_args.json"
SEARCH_SPACE_FILE = "search_space.json"
SMAC_DIR = "smac"
SMAC_RUN_NAME = "run"
# Random configurations the acquisition search scores per trial. SMAC's default (10000) costs
# seconds per trial on a busy machine, a large share of a budget of minutes; trials here take
# seconds, so more of them beat a finer search of the surrogate.
ACQ_CHALLENGERS = 2000

log = logging.getLogger(__name__)


@dataclass
class HPOSettings:
    """What defines a run; a resumed run must have the same."""

    model: str
    family: str
    target: str  # Target.label, e.g. "accuracy" or "a100/throughput"
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
    objectives: list
    search_space: str  # fingerprint of the space
    objective: str  # fingerprint of the data


def default_n_initial(n_trials: int) -> int:
    """Size of the Sobol initial design: a quarter of the trials, at most 10 (plus the default)."""
    return max(1, min(10, n_trials // 4))


def validate_budget(n_trials: int, walltime: float, n_workers: int, n_threads: int = 1, tolerance: float = 0.0) -> None:
    if not n_trials or n_trials < 1:
        raise HPOError(f"--n-trials must be at least 1; got {n_trials}")
    if walltime is None or not np.isfinite(walltime) or walltime <= 0:
        raise HPOError(f"--walltime must be a positive number of seconds; got {walltime}")
    if n_workers < 1:
        raise HPOError(f"--n-workers must be at least 1; got {n_workers}")
    if n_threads < 1:
        raise HPOError(f"--n-threads must be at least 1; got {n_threads}")
    if tolerance is None or not np.isfinite(tolerance) or not 0 <= tolerance < 1:
        raise HPOError(f"--tolerance must be a Kendall tau difference in [0, 1); got {tolerance}")


class ObjectiveRunner(TargetFunctionRunner):
    """SMAC's function runner, with run metadata that is stable across processes.

    SMAC decides whether a run may be resumed by comparing its metadata; for a target function
    it records the function's ``repr``, which holds a memory address for anything but a plain
    module-level function. Here the metadata is the objective's fingerprint instead.
    """

    @property
    def meta(self) -> dict:
        return {"name": type(self).__name__, "objective": self._target_function.fingerprint()}


def run_hpo(*, family: str, model: str, target: Target, space: ConfigurationSpace, sides: dict[str, SideData],
            run_dir: str | Path, seed: int = 0, n_trials: int = 100, walltime: float = 3600.0, n_workers: int = 1,
            scheduler_address: str | None = None, n_initial: int | None = None, n_threads: int = 1,
            tolerance: float = DEFAULT_TOLERANCE, split_source: str = "", callbacks: list | None = None,
            progress: Callable[[str], None] | None = print) -> HPOResult:
    """Tune ``family`` on ``sides["train"]``/``sides["val"]`` with SMAC and write the results.

    ``sides["test"]`` is ignored if present. ``callbacks`` are extra SMAC callbacks.
    """
    validate_budget(n_trials, walltime, n_workers, n_threads, tolerance)
    check_space_for_family(space, family)
    n_initial = default_n_initial(n_trials) if n_initial is None else int(n_initial)
    if n_initial < 1:
        raise HPOError(f"the initial design needs at least 1 configuration; got {n_initial}")
    run_dir = Path(run_dir)
    objective = ValidationCostObjective(family, sides["train"], sides["val"], seed, n_threads)
    settings = HPOSettings(
        model=model, family=family, target=target.label, column=target.column, seed=int(seed),
        n_trials=int(n_trials), walltime=float(walltime), n_workers=int(n_workers), n_initial=n_initial,
        n_threads=int(n_threads),
        cluster="scheduler" if scheduler_address else ("local" if n_workers > 1 else "sequential"),
        split=split_source, sizes={side: int(len(sides[side].y)) for side in ("train", "val")},
        objectives=list(OBJECTIVES), search_space=space_fingerprint(space), objective=objective.fingerprint(),
    )
    resumed = _claim_run_dir(run_dir, settings, space)
    say = progress or (lambda message: None)
    say(f"{'resuming' if resumed else 'starting'} HPO of {model} for {target.label} in {run_dir} "
        f"({n_trials} trials or {walltime:g} s, {_describe_cluster(settings.cluster, n_workers, scheduler_address)})")

    # SMAC seeds the space it is given; keep the caller's object untouched.
    space = copy.deepcopy(space)
    scenario = Scenario(
        space, name=SMAC_RUN_NAME, output_directory=run_dir / SMAC_DIR, deterministic=True,
        objectives=list(OBJECTIVES), n_trials=int(n_trials), walltime_limit=float(walltime),
        # With an existing cluster its workers decide the parallelism, not this number.
        n_workers=1 if scheduler_address else int(n_workers), use_default_config=True, seed=int(seed),
    )
    warm_start = cheaper_variants(space, family, limit=n_trials - n_initial - 1)
    facade_parts = {
        "initial_design": _GivenConfigsFirst(scenario, n_configs=n_initial, additional_configs=warm_start),
        "intensifier": HyperparameterOptimizationFacade.get_intensifier(scenario, max_config_calls=1),
        "acquisition_maximizer": HyperparameterOptimizationFacade.get_acquisition_maximizer(scenario, challengers=ACQ_CHALLENGERS),
        "multi_objective_algorithm": ParEGO(scenario, seed=int(seed)),
    }
    runner = ObjectiveRunner(scenario, objective, required_arguments=["seed"])
    client = _dask_client(scheduler_address)
    trial_log = _TrialLog(say)
    facade = None
    try:
        try:
            facade = HyperparameterOptimizationFacade(
                scenario, runner, **facade_parts, callbacks=[_RebindConfig(), trial_log, *(callbacks or [])],
                logging_level=logging.WARNING, overwrite=False, dask_client=client,
            )
        except (EOFError, OSError) as exc:
            # SMAC asks on stdin when it finds a different run in its directory; the check in
            # _claim_run_dir should have caught that first.
            raise HPOError(
                f"{run_dir / SMAC_DIR} holds a SMAC run that does not match this one ({exc!r}); "
                "use another --log_dir or delete that directory"
            ) from None
        trial_log.resume_from(facade.runhistory)
        facade.optimize()
    finally:
        _close_dask(facade, client)

    history = runhistory_table(facade.runhistory, space)
    if not len(history) or not np.isfinite(history["val_tau"]).any():
        write_history_files(run_dir, history, target)
        raise HPOError(f"no trial succeeded; see {run_dir / RUNHISTORY_FILE} for the errors")
    history = confirm_candidates(history, space, objective, tolerance, n_workers=int(n_workers),
                                 progress=progress is not None)
    return write_results(run_dir, settings, space, history, target, tolerance)


def _dask_client(address: str | None):
    if not address:
        return None
    from distributed import Client

    try:
        return Client(address, timeout=30)
    except OSError as exc:
        raise HPOError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


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


class _GivenConfigsFirst(SobolInitialDesign):
    """A Sobol design that evaluates the given configurations before its own points.

    The given ones (the default's cheaper variants, then the default) are the likeliest picks; on a
    short budget they must not wait behind random points. SMAC itself puts them last.
    """

    def select_configurations(self):
        configs = super().select_configurations()
        given = [config for config in configs if config in self._additional_configs]
        return given + [config for config in configs if config not in given]


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
    """Reports each finished trial: its validation tau and its evaluations per row."""

    def __init__(self, say):
        self.say = say
        self.offset = 0
        self.count = 0
        self.best = -np.inf

    def resume_from(self, runhistory) -> None:
        self.offset = runhistory.finished
        errors = [np.atleast_1d(v.cost)[0] for v in runhistory.values() if v.status.name == "SUCCESS"]
        self.best = max((1.0 - e for e in errors if np.isfinite(e)), default=-np.inf)
        if self.offset:
            self.say(f"{self.offset} trial(s) already done; continuing")

    def on_tell_end(self, smbo, info, value):
        self.count += 1
        error = float(np.atleast_1d(value.cost)[0])
        if value.status.name != "SUCCESS" or not np.isfinite(error):
            self.say(f"trial {self.offset + self.count}: {value.status.name.lower()}, best val tau {self.best:.4f}")
            return None
        self.best = max(self.best, 1.0 - error)
        evaluations = value.additional_info.get("evaluations_per_row", float("nan"))
        self.say(f"trial {self.offset + self.count}: val tau {1.0 - error:.4f}, {evaluations:,.0f} evaluations/row, "
                 f"best val tau {self.best:.4f}")
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
