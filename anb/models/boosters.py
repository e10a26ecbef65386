"""Gradient-boosted trees: XGBoost and LightGBM, saved in their own portable formats."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from anb.models.base import Surrogate
from anb.models.prediction_cost import lgb_split_nodes_per_row, xgb_split_nodes_per_row
from anb.models.tree_table import TreeTable, UnsupportedModel
from anb.models.xgboost_build import import_xgboost

DEFAULT_ROUNDS = 2000
DEFAULT_EARLY_STOP = 100
# Below this many rows a prediction is one thread's work: waking an OpenMP team costs more than
# it saves, and on a busy machine it costs several times more (search loops query few rows).
SMALL_BATCH_ROWS = 2048


_BOOSTER_COMMON = frozenset({"num_rounds", "early_stopping_rounds", "objective", "learning_rate", "max_depth", "max_bin",
                             "min_child_weight"})


def available_threads() -> int:
    """The cores this process may run on (its affinity): the boosters' thread count by default."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class XGBSurrogate(Surrogate):
    family = "xgb"
    model_file = "model.ubj"
    library = "xgboost"
    tunable_params = _BOOSTER_COMMON | {
        "booster", "eta", "gamma", "min_split_loss", "max_delta_step", "subsample", "sampling_method",
        "colsample_bytree", "colsample_bylevel", "colsample_bynode", "lambda", "reg_lambda", "alpha", "reg_alpha",
        "tree_method", "grow_policy", "max_leaves", "num_parallel_tree", "nthread",
    }
    thread_param = "nthread"
    config_folder = "gradient_boosting"
    tree_size_param = "max_depth"
    # The booster's trees for anb's kernel (benchmarks/query_speed.py times it against xgboost's
    # predictor at 1 to 100,000 rows); None: the booster needs xgboost's own predictor.
    table_: TreeTable | None = None
    # A loaded model keeps its file's bytes and makes an xgboost Booster of them only when asked
    # (booster_): the kernel's table answers a query with no xgboost installed.
    _booster = None
    _model_bytes: bytes | None = None

    @property
    def booster_(self):
        """The xgboost Booster (made from the loaded model's bytes on first use: needs xgboost)."""
        if self._booster is None and self._model_bytes is not None:
            xgb = import_xgboost(f"this {self.family} surrogate's xgboost Booster")
            self._booster = xgb.Booster(model_file=bytearray(self._model_bytes))
        return self._booster

    @booster_.setter
    def booster_(self, booster) -> None:
        self._booster = booster

    @property
    def has_booster(self) -> bool:
        """Whether the xgboost Booster exists already (fitted here), so predicting with it costs no load."""
        return self._booster is not None

    def _booster_params(self) -> dict:
        params = {k: v for k, v in self.params.items() if k not in ("num_rounds", "early_stopping_rounds")}
        params.setdefault("objective", "reg:squarederror")
        params.setdefault("nthread", available_threads())
        params["seed"] = self.seed
        return params

    def _fit(self, X, y, X_val, y_val):
        params = self._booster_params()
        if params["objective"] == "reg:squarederror":
            # xgboost would estimate this starting value (the mean of y) with a threaded sum whose
            # last bits depend on the thread count; the exactly rounded mean does not, so a build
            # gives the same model on one thread or many.
            params.setdefault("base_score", math.fsum(y) / len(y))
        xgb = import_xgboost(f"fitting an {self.family} surrogate")
        train = xgb.DMatrix(X, label=y)
        evals, stop = [], None
        if X_val is not None:
            evals = [(xgb.DMatrix(X_val, label=y_val), "val")]
            stop = int(self.params.get("early_stopping_rounds", DEFAULT_EARLY_STOP))
        booster = xgb.train(
            params,
            train,
            num_boost_round=int(self.params.get("num_rounds", DEFAULT_ROUNDS)),
            evals=evals,
            early_stopping_rounds=stop,
            verbose_eval=False,
        )
        # Keep only the trees up to the best round: a smaller model predicts faster and the
        # saved file then means the same thing to anyone who loads it with plain xgboost.
        if stop is not None:
            booster = booster[: booster.best_iteration + 1]
        self.booster_ = booster
        self.table_ = _tree_table(bytes(booster.save_raw("ubj")))

    def _predict(self, X):
        if self.table_ is not None:
            return self.table_.predict(X)
        return self.predict_with_xgboost(X)

    def predict_with_xgboost(self, X: np.ndarray) -> np.ndarray:
        """The booster's own prediction (float32), the same values as the table's."""
        threads = 1 if len(X) < SMALL_BATCH_ROWS else available_threads()
        if threads != getattr(self, "threads_", None):
            self.booster_.set_param({"nthread": threads})
            self.threads_ = threads
        return self.booster_.inplace_predict(X)

    def _save_model(self, path: Path):
        self.booster_.save_model(path)

    def _load_model(self, raw: bytes):
        self._booster, self._model_bytes = None, raw
        self.table_ = _tree_table(raw)

    def evaluations_per_row(self, X) -> float:
        """Split nodes a row passes through, summed over the trees and averaged over ``X``."""
        return float(xgb_split_nodes_per_row(self.booster_, np.asarray(X, dtype=np.float64)).mean())


def _tree_table(raw: bytes) -> TreeTable | None:
    """The TreeTable of the booster saved as ``raw`` (UBJSON), or None when it uses what the
    table does not reproduce."""
    try:
        return TreeTable(raw)
    except UnsupportedModel:
        return None


class LGBSurrogate(Surrogate):
    family = "lgb"
    model_file = "model.txt"
    library = "lightgbm"
    tunable_params = _BOOSTER_COMMON | {
        "boosting_type", "boosting", "num_leaves", "feature_fraction", "colsample_bytree", "bagging_fraction",
        "subsample", "bagging_freq", "subsample_freq", "min_sum_hessian_in_leaf", "min_data_in_leaf",
        "min_child_samples", "lambda_l1", "reg_alpha", "lambda_l2", "reg_lambda", "min_gain_to_split",
        "min_split_gain", "extra_trees", "path_smooth", "num_threads",
    }
    thread_param = "num_threads"
    config_folder = "gradient_boosting"
    tree_size_param = "num_leaves"

    def _fit(self, X, y, X_val, y_val):
        import lightgbm as lgb  # here, as in _load_model: an xgb-only process never loads LightGBM

        params = {k: v for k, v in self.params.items() if k not in ("num_rounds", "early_stopping_rounds")}
        params.setdefault("objective", "regression")
        params.setdefault("num_threads", available_threads())
        params.update(seed=self.seed, verbose=-1, deterministic=True)
        callbacks, valid_sets = [], []
        if X_val is not None:
            valid_sets = [lgb.Dataset(X_val, label=y_val)]
            stop = int(self.params.get("early_stopping_rounds", DEFAULT_EARLY_STOP))
            callbacks = [lgb.early_stopping(stop, verbose=False)]
        self.booster_ = lgb.train(
            params,
            lgb.Dataset(X, label=y),
            num_boost_round=int(self.params.get("num_rounds", DEFAULT_ROUNDS)),
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        self.best_iteration_ = int(self.booster_.best_iteration or self.booster_.current_iteration())

    def _predict(self, X):
        return self.booster_.predict(X, num_iteration=self.best_iteration_)

    def _save_model(self, path: Path):
        self.booster_.save_model(str(path), num_iteration=self.best_iteration_)

    def _load_model(self, raw: bytes):
        import lightgbm as lgb

        self.booster_ = lgb.Booster(model_str=raw.decode())

    def evaluations_per_row(self, X) -> float:
        """Split nodes a row passes through, summed over the trees and averaged over ``X``."""
        return float(lgb_split_nodes_per_row(self.booster_, np.asarray(X, dtype=np.float64), self.best_iteration_).mean())

    def extra_state(self) -> dict:
        return {"best_iteration": self.best_iteration_}

    def restore_state(self, state: dict) -> None:
        self.best_iteration_ = int(state["best_iteration"])

