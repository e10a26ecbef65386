"""NAS-Bench-101 accuracy predictors: the package's surrogate zoo, an MLP and a GCN.

Every predictor takes pruned cells as ``cells_to_arrays`` arrays (``adjacency``, ``labels``).
The zoo models (``anb.models.make_surrogate``) and the MLP see a feature matrix
(:mod:`anb.nb101.features`); the GCN reads the graph itself.

Training is robust to diverged cells by default. A run that diverged leaves a cell at 10-80 %
among cells at 90 +- 3 %; one such cell in a training sample of 172 cost the GCN 0.3 of Kendall
tau. :func:`fit_split` therefore drops training cells below ``min_train_accuracy``: by default
(``"auto"``) those more than 5 robust standard deviations (1.4826 x the median absolute
deviation) below the median of the training sample (:func:`anb.nb101.robust.accuracy_floor`);
``None`` keeps every cell. The GCN also trains with a Huber loss on a median/MAD-scaled target
(:mod:`anb.nb101.gcn`). Test cells are never filtered.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from anb.data.validation import with_defaults
from anb.fitting.metrics import evaluate_metrics
from anb.models import family_class, make_surrogate
from anb.nb101.data import NASBench101Dataset
from anb.nb101.features import DEFAULT_FEATURES, encode_cells, parse_features
from anb.nb101.robust import AUTO, accuracy_floor, check_min_accuracy
from anb.nb101.splits import SPLIT_NAMES, complement, split_indices
from configurationspaces.nasbench101 import Cell, cells_to_arrays

ZOO = ("xgb", "lgb", "sklearn_forest", "svr")
PREDICTORS = (*ZOO, "mlp", "gcn")
REST = "rest"  # test split: the cells of the same dataset that are not in the training split
TARGETS = ("validation", "test")
# Reported errors are in the accuracy's units: percentage points (MSE in %^2) by default, as
# the literature reports them, or the fractions the data hold.
UNITS = {"percent": 100.0, "fraction": 1.0}
DEFAULT_UNITS = "percent"

# Settings for a few hundred training cells; the zoo's own defaults (e.g. 2000 boosting
# rounds at learning rate 0.3) are made for thousands of samples and overfit here. Zoo
# families also get one thread (their class's ``thread_param``): on a few hundred rows more
# threads do not pay, and on a busy machine they made a fit 10x slower (measured). Pass more
# threads in ``params`` to train on the large splits.
DEFAULT_PARAMS = {
    "xgb": {
        "max_depth": 4,
        "learning_rate": 0.05,
        "num_rounds": 400,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 2,
    },
    "lgb": {
        "num_leaves": 15,
        "learning_rate": 0.05,
        "num_rounds": 400,
        "min_data_in_leaf": 5,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
    },
    "sklearn_forest": {"n_estimators": 300, "min_samples_leaf": 2},
    "svr": {"C": 1.0},
    "mlp": {"hidden_layer_sizes": (64, 64), "alpha": 1e-2, "max_iter": 2000},
    "gcn": {},
}


def _model_params(model: str, params: dict | None) -> dict:
    defaults = dict(DEFAULT_PARAMS[model])
    if model in ZOO:
        family = family_class(model)
        if family.thread_param:
            defaults[family.thread_param] = 1
        return with_defaults(params, defaults, model, known=family.tunable_params)
    return {**defaults, **(params or {})}


def _mlp(params: dict, seed: int) -> TransformedTargetRegressor:
    # Standardise inputs and target: the accuracies vary by a few percent around 0.9.
    return TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), MLPRegressor(**params, random_state=seed)),
        transformer=StandardScaler(),
    )


def _check_seed(name: str, seed) -> int:
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {seed!r}")
    return int(seed)


class NB101Predictor:
    """One accuracy predictor: ``fit(adjacency, labels, y)``, ``predict(adjacency, labels)``.

    ``params`` replace the model's entries of ``DEFAULT_PARAMS`` key by key (zoo families
    accept their class's ``tunable_params``). ``features`` is ignored by the GCN, which reads
    the graph. Cells may be padded anywhere with ``PAD_LABEL``.
    """

    def __init__(self, model: str = "xgb", features: str = DEFAULT_FEATURES, params: dict | None = None, seed: int = 0):
        if model not in PREDICTORS:
            raise ValueError(f"unknown predictor {model!r}; available: {list(PREDICTORS)}")
        parse_features(features)
        self.model, self.features, self.seed = model, features, _check_seed("seed", seed)
        self.params = _model_params(model, params)
        if model == "gcn":
            from anb.nb101.gcn import GCNPredictor

            self.estimator_ = GCNPredictor(self.params, self.seed)
        elif model == "mlp":
            self.estimator_ = _mlp(self.params, self.seed)
        else:
            self.estimator_ = make_surrogate(model, self.params, seed=self.seed)

    def fit(self, adjacency, labels, y) -> NB101Predictor:
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(adjacency),) or not np.isfinite(y).all():
            raise ValueError(f"y must be {len(adjacency)} finite accuracies; got shape {y.shape}")
        if self.model == "gcn":
            self.estimator_.fit(adjacency, labels, y)
        else:
            self.estimator_.fit(encode_cells(adjacency, labels, self.features), y)
        return self

    def predict(self, adjacency, labels) -> np.ndarray:
        if self.model == "gcn":
            return self.estimator_.predict(adjacency, labels)
        return np.asarray(self.estimator_.predict(encode_cells(adjacency, labels, self.features)), dtype=np.float64)

    def predict_cells(self, cells: list[Cell]) -> np.ndarray:
        return self.predict(*cells_to_arrays(cells))


def target_values(dataset: NASBench101Dataset, target: str = "validation") -> np.ndarray:
    """The regression target: final accuracy at 108 epochs, averaged over the runs present."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    return dataset.accuracy(target, epochs=108, point="final")


def _with_target(dataset: NASBench101Dataset, indices: np.ndarray, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The indices whose target is finite (runs may be missing from a source) and the targets."""
    y = target_values(dataset, target)[indices]
    keep = np.isfinite(y)
    return indices[keep], y[keep]


def _fit_sample(dataset, train_split, model, features, split_seed, model_seed, target, params, min_train_accuracy):
    """The fitted predictor, the split's cells with a finite target, and those kept for training."""
    min_train_accuracy = check_min_accuracy(min_train_accuracy)
    predictor = NB101Predictor(model, features, params, _check_seed("model_seed", model_seed))
    split = split_indices(dataset, train_split, _check_seed("split_seed", split_seed))
    sampled, y = _with_target(dataset, split, target)
    keep = y >= accuracy_floor(y, min_train_accuracy) if len(y) else np.zeros(0, dtype=bool)
    train = sampled[keep]
    if len(train) < 2:
        raise ValueError(
            f"split {train_split!r} has {len(train)} cells with a usable {target} accuracy; need at least 2"
        )
    return predictor.fit(dataset.adjacency[train], dataset.labels[train], y[keep]), sampled, train


def fit_split(
    dataset: NASBench101Dataset,
    train_split: str = "172",
    *,
    model: str = "xgb",
    features: str = DEFAULT_FEATURES,
    split_seed: int = 0,
    model_seed: int = 0,
    target: str = "validation",
    params: dict | None = None,
    min_train_accuracy=AUTO,
) -> tuple[NB101Predictor, np.ndarray]:
    """A predictor fitted on a named split; returns it and the training indices it used.

    ``split_seed`` draws the random splits, ``model_seed`` seeds the model. Training cells
    below ``min_train_accuracy`` (a fraction; ``"auto"``: the robust fence of the module
    docstring; ``None``: keep all) are left out.
    """
    predictor, _, train = _fit_sample(
        dataset, train_split, model, features, split_seed, model_seed, target, params, min_train_accuracy
    )
    return predictor, train


def fit_eval(
    dataset: NASBench101Dataset,
    train_split: str = "172",
    test_split: str = REST,
    *,
    model: str = "xgb",
    features: str = DEFAULT_FEATURES,
    split_seed: int = 0,
    model_seed: int = 0,
    target: str = "validation",
    params: dict | None = None,
    min_train_accuracy=AUTO,
    test_dataset: NASBench101Dataset | None = None,
    units: str = DEFAULT_UNITS,
) -> dict:
    """Train on one split (as :func:`fit_split`) and evaluate on another.

    Returns the metrics of :func:`anb.fitting.metrics.evaluate_metrics` with errors in ``units``
    (``"percent"``: MAE in percentage points, MSE in %^2; ``"fraction"``), plus ``units``,
    ``n_train`` (cells used), ``n_dropped`` (training cells below the accuracy floor) and
    ``n_test``. ``test_split`` names a split of ``test_dataset`` (default: the training
    dataset), or is ``"rest"`` for the training dataset's cells outside the training split.
    Cells without a finite target are left out of both sides.
    """
    if test_split not in (*SPLIT_NAMES, REST):
        raise ValueError(f"unknown test split {test_split!r}; known: {[*SPLIT_NAMES, REST]}")
    if test_split == REST and test_dataset is not None:
        raise ValueError(f"test split {REST!r} only works without a separate test dataset")
    if units not in UNITS:
        raise ValueError(f"units must be one of {list(UNITS)}; got {units!r}")
    predictor, sampled, train = _fit_sample(
        dataset, train_split, model, features, split_seed, model_seed, target, params, min_train_accuracy
    )
    if test_dataset is None:
        test_dataset = dataset
    if test_split == REST:
        test = complement(split_indices(dataset, train_split, split_seed), len(dataset))
    else:
        test = split_indices(test_dataset, test_split, split_seed)
    test, y_test = _with_target(test_dataset, test, target)
    if len(test) < 2:
        raise ValueError(f"test split {test_split!r} has {len(test)} cells with a {target} accuracy; need at least 2")
    predicted = predictor.predict(test_dataset.adjacency[test], test_dataset.labels[test])
    scale = UNITS[units]
    return {
        **evaluate_metrics(y_test * scale, predicted * scale),
        "units": units,
        "n_train": int(len(train)),
        "n_dropped": int(len(sampled) - len(train)),
        "n_test": int(len(test)),
    }


def rank_cells(predictor: NB101Predictor, cells: list[Cell], top_k: int = 10) -> list[dict]:
    """The ``top_k`` cells by predicted accuracy, best first: rank, prediction, hash, cell."""
    if not isinstance(top_k, Integral) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer; got {top_k!r}")
    if not cells:
        raise ValueError("no cells to rank")
    predicted = predictor.predict_cells(cells)
    # Stable sort on the negated prediction: ties keep the input order.
    order = np.argsort(-predicted, kind="stable")[:top_k]
    return [
        {
            "rank": rank,
            "predicted_accuracy": float(predicted[i]),
            "hash": cells[i].module_hash(),
            "matrix": cells[i].matrix.tolist(),
            "ops": list(cells[i].ops),
        }
        for rank, i in enumerate(order, start=1)
    ]
