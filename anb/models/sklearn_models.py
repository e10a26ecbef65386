"""scikit-learn surrogates: random forest and (nu-)SVR.

scikit-learn fits them; what a fitted one predicts from is then kept as arrays
(:mod:`anb.models.forest_arrays`, :mod:`anb.models.kernel_machine`) and saved as an ``.npz``:
scikit-learn's only format is a pickle, which is neither portable across its versions nor safe to
load. A model predicts through its arrays both after ``fit`` and after ``load``, so the two agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anb.models.base import Surrogate
from anb.models.kernel_machine import KernelMachine


class _SklearnSurrogate(Surrogate):
    model_file = "model.npz"
    library = "scikit-learn"

    def _estimator(self):
        raise NotImplementedError

    def _fit(self, X, y, X_val, y_val):
        # These models have no early stopping; the validation set is only reported on.
        self.model_ = self._arrays_class().from_estimator(self._estimator().fit(X, y))

    def _predict(self, X):
        return self.model_.predict(X)

    def _save_model(self, path: Path):
        self.model_.save(path)

    def _load_model(self, raw: bytes):
        self.model_ = self._arrays_class().from_bytes(raw)

    @staticmethod
    def _arrays_class():
        """The class a fitted estimator is kept as."""
        raise NotImplementedError


class ForestSurrogate(_SklearnSurrogate):
    family = "sklearn_forest"
    tunable_params = frozenset({
        "n_estimators", "criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_weight_fraction_leaf",
        "max_features", "max_leaf_nodes", "min_impurity_decrease", "bootstrap", "oob_score", "max_samples", "ccp_alpha",
    })
    config_folder = "random_forest"
    tree_size_param = "max_depth"

    # scikit-learn's estimators are imported where they are made: a process that only queries
    # xgboost members never pays for importing them.
    def _estimator(self):
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**self.params, random_state=self.seed, n_jobs=-1)

    @staticmethod
    def _arrays_class():
        # Imported where it is used: its compiled walk loads numba, which only a forest needs.
        from anb.models.forest_arrays import ForestArrays

        return ForestArrays

    def evaluations_per_row(self, X) -> float:
        """Split nodes a row passes through, summed over the trees and averaged over ``X``."""
        return float(self.model_.split_nodes_per_row(np.asarray(X, dtype=np.float64)).mean())


class SVRSurrogate(_SklearnSurrogate):
    family = "svr"
    kernel_machine = "SVR"  # the class in sklearn.svm
    tunable_params = frozenset({"kernel", "degree", "gamma", "coef0", "tol", "C", "epsilon", "shrinking", "cache_size", "max_iter"})
    config_folder = "svr"

    def _estimator(self):
        from sklearn import svm
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # Kernels need comparable feature scales, and epsilon/C assume a target of unit scale.
        return TransformedTargetRegressor(
            regressor=make_pipeline(StandardScaler(), getattr(svm, self.kernel_machine)(**self.params)),
            transformer=StandardScaler(),
        )

    @staticmethod
    def _arrays_class():
        return KernelMachine

    def evaluations_per_row(self, X) -> float:
        """Kernel evaluations per row: one per support vector, whatever the row."""
        return float(self.model_.n_support)


class NuSVRSurrogate(SVRSurrogate):
    family = "svr_nu"
    kernel_machine = "NuSVR"
    tunable_params = frozenset({"kernel", "degree", "gamma", "coef0", "tol", "C", "nu", "shrinking", "cache_size", "max_iter"})
    config_folder = "svr_nu"
