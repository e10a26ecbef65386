"""scikit-learn surrogates: random forest and (nu-)SVR.

scikit-learn has no portable model format of its own; these are stored with joblib, and the
manifest written beside them records the scikit-learn version they need.
"""

from __future__ import annotations

import io
from pathlib import Path

import joblib
import numpy as np

from anb.models.base import Surrogate
from anb.models.prediction_cost import forest_split_nodes_per_row


class _SklearnSurrogate(Surrogate):
    model_file = "model.joblib"
    library = "scikit-learn"

    def _estimator(self):
        raise NotImplementedError

    def _fit(self, X, y, X_val, y_val):
        # These models have no early stopping; the validation set is only reported on.
        self.estimator_ = self._estimator().fit(X, y)

    def _predict(self, X):
        return self.estimator_.predict(X)

    def _save_model(self, path: Path):
        joblib.dump(self.estimator_, path)

    def _load_model(self, raw: bytes):
        self.estimator_ = joblib.load(io.BytesIO(raw))


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

    def evaluations_per_row(self, X) -> float:
        """Split nodes a row passes through, summed over the trees and averaged over ``X``."""
        return float(forest_split_nodes_per_row(self.estimator_, np.asarray(X, dtype=np.float64)).mean())


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

    def evaluations_per_row(self, X) -> float:
        """Kernel evaluations per row: one per support vector, whatever the row."""
        return float(self.estimator_.regressor_[-1].support_.size)


class NuSVRSurrogate(SVRSurrogate):
    family = "svr_nu"
    kernel_machine = "NuSVR"
    tunable_params = frozenset({"kernel", "degree", "gamma", "coef0", "tol", "C", "nu", "shrinking", "cache_size", "max_iter"})
    config_folder = "svr_nu"
