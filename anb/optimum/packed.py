"""An ensemble's trees and links in the flat arrays the bound kernel reads.

The members' :class:`~anb.models.tree_table.TreeTable` arrays are reused as they are (complete
binary trees in heap order, each tree's own depth beside it), so the kernel walks exactly the
splits and leaves the ensemble's own predictor walks. Each member's link is a flag, its
coefficients, intercept and which columns enter through ``log1p``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anb.models.features import FEATURE_VERSION
from anb.models.target_link import LogLinearLink
from anb.models.tree_table import stack_tables
from anb.optimum.blocks import N_FEATURES
from anb.surrogates.ensemble import ANBEnsemble


@dataclass(frozen=True)
class PackedEnsemble:
    base_score: np.ndarray    # (members,) float32
    depth: np.ndarray         # (members,) storage depth of each member's trees
    n_trees: np.ndarray       # (members,)
    tree_depth: np.ndarray    # (trees,) each tree's own depth
    feature: np.ndarray       # split slots, every member's trees one after another
    threshold: np.ndarray
    leaf: np.ndarray          # leaf slots
    has_link: np.ndarray      # (members,) bool
    coef: np.ndarray          # (members, features) float64; zero without a link
    intercept: np.ndarray     # (members,)
    log_column: np.ndarray    # (features,) bool: phi = log1p(max(x, 0)) there, x elsewhere

    @property
    def n_members(self) -> int:
        return len(self.base_score)


def pack(ensemble: ANBEnsemble) -> PackedEnsemble:
    """The loaded members of an xgb ensemble, packed; a clear error for what the kernel cannot bound."""
    ensemble.load_ensemble()
    tables = [getattr(member, "table_", None) for member in ensemble.members]
    if any(table is None for table in tables):
        raise ValueError(f"the {ensemble.model} {ensemble.target.label} ensemble has members without a tree table "
                         "(not xgboost, or trees too deep for it); the exact optimum needs xgb members")
    if ensemble.manifest["feature_version"] != FEATURE_VERSION:
        raise ValueError(f"the {ensemble.model} {ensemble.target.label} ensemble was fitted on feature version "
                         f"{ensemble.manifest['feature_version']}, not the current {FEATURE_VERSION}; rebuild it")
    table = stack_tables(tables)
    if table.n_features != N_FEATURES:
        raise ValueError(f"the ensemble reads {table.n_features} features; the exact optimum expects {N_FEATURES}")
    links = [member.link_ for member in ensemble.members]
    for link in links:
        if link is not None and not isinstance(link, LogLinearLink):
            raise ValueError(f"unsupported target link {type(link).__name__}; the exact optimum bounds log-linear links")
    fitted = [link for link in links if link is not None]
    log_column = fitted[0].log_columns_ if fitted else np.zeros(N_FEATURES, bool)
    if any(not np.array_equal(link.log_columns_, log_column) for link in fitted):
        raise ValueError("the members' links take log1p of different columns; the exact optimum needs them to agree")
    coef = np.array([link.coef_ if link is not None else np.zeros(N_FEATURES) for link in links], np.float64)
    intercept = np.array([link.intercept_ if link is not None else 0.0 for link in links], np.float64)
    return PackedEnsemble(table.base_score.astype(np.float32), table.depth.astype(np.int64),
                          table.n_trees.astype(np.int64), table.tree_depth.astype(np.int64),
                          table.feature.astype(np.int64), table.threshold.astype(np.float32),
                          table.leaf.astype(np.float32), np.array([link is not None for link in links]),
                          coef, intercept, np.asarray(log_column, bool))

