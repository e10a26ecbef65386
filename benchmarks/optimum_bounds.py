"""Why the exact optimum's bounds do not prune on the full space: the bound of a node, taken apart.

Around the best accuracy architecture the incumbent search finds, nodes with one to three blocks
free (the others fixed to it) are bounded four ways, loosest first:

* **box**: the branch and bound's own bound (``anb.optimum.kernel``): every tree's largest leaf
  a row in the node's feature box can reach, added up;
* **per tree**: every tree's largest leaf over the node's actual architectures (enumerated), added
  up: what any tree-by-tree bound can reach at best;
* **cost sums relaxed**: each architecture's trees walked with its own block features but every
  whole-network cost sum (params, macs, n_layers, ...) free in the node's interval, the largest
  over the node's architectures: a bound that couples the trees through the block choices but
  not through the sums;
* **max**: the node's best architecture (the ensemble's query of all of them).

Prints one row per node and, for the same nodes, how many trees split on a whole-network sum
the node leaves undecided.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/optimum_bounds.py
"""

from __future__ import annotations

import itertools

import numba
import numpy as np

import anb
from anb.models.features import COST_COLUMNS, features_from_encoded
from anb.optimum import kernel
from anb.optimum.blocks import N_ENCODED, block_choices
from anb.optimum.branch_and_bound import BranchAndBound
from anb.optimum.incumbent import first_incumbent
from anb.optimum.packed import pack
from anb.optimum.problem import Problem

NODES = ([6], [0, 1], [5, 6], [0, 1, 2], [2, 3, 4], [4, 5, 6])
# The whole-network cost columns: sums (or the maximum) over all blocks; block<b>_macs is one block's.
SUM_COLUMNS = np.array([N_ENCODED + j for j, name in enumerate(COST_COLUMNS) if not name.startswith("block")])


@numba.njit(cache=True)
def largest_leaf_per_tree(X, depth, n_trees, tree_depth, feature, threshold, leaf):
    """Per tree, its largest leaf over the rows of ``X`` (xgboost's walk: float32, ``x < t`` left)."""
    best = np.full(tree_depth.shape[0], -np.inf, np.float32)
    X32 = X.astype(np.float32)
    for row in range(X.shape[0]):
        first_split, first_leaf, tree = 0, 0, 0
        for member in range(n_trees.shape[0]):
            slots = (1 << depth[member]) - 1
            for t in range(n_trees[member]):
                node = 0
                for _ in range(depth[member]):
                    split = first_split + t * slots + node
                    node = 2 * node + 1 if X32[row, feature[split]] < threshold[split] else 2 * node + 2
                best[tree] = max(best[tree], leaf[first_leaf + t * (slots + 1) + node - slots])
                tree += 1
            first_split += n_trees[member] * slots
            first_leaf += n_trees[member] * (slots + 1)
    return best


def node_rows(best: np.ndarray, free: list[int]) -> np.ndarray:
    blocks = block_choices()
    grid = np.array(list(itertools.product(*[range(blocks.n_choices[b]) for b in free])))
    choices = np.repeat(best[None], len(grid), axis=0)
    choices[:, free] = grid
    return blocks.rows(choices)


def main() -> None:
    ensemble = anb.ANBEnsemble("xgb", progress=False).load_ensemble()
    packed = pack(ensemble)
    best, value = first_incumbent(Problem(ensemble, 1))
    print(f"best architecture found (choices per block): {best.tolist()}, {value!r}")
    stack = np.empty(1 << 10, np.int64)
    args = (packed.base_score, packed.depth, packed.n_trees, packed.tree_depth, packed.feature, packed.threshold,
            packed.leaf, packed.has_link, packed.coef, packed.intercept, packed.log_column, stack)
    trees_on_sums = np.zeros(len(packed.tree_depth), bool)
    print("free blocks | architectures | box | per tree | cost sums relaxed | max | trees with an undecided sum split")
    for free in NODES:
        encoded = node_rows(best, free)
        X = features_from_encoded(encoded)
        fixed = {b: int(best[b]) for b in range(7) if b not in free}
        search = BranchAndBound(Problem(ensemble, 1, fixed=fixed))
        box = search._bounds(np.array([[fixed[b] for b in search.order[:len(fixed)]]]), search.order)[0, 0]
        per_tree = largest_leaf_per_tree(X, packed.depth, packed.n_trees, packed.tree_depth, packed.feature,
                                         packed.threshold, packed.leaf)
        starts = np.concatenate([[0], np.cumsum(packed.n_trees)])
        per_tree_bound = np.mean([float(packed.base_score[m]) + float(per_tree[starts[m]:starts[m + 1]].sum())
                                  for m in range(packed.n_members)])
        low, high = X[:, SUM_COLUMNS].min(axis=0), X[:, SUM_COLUMNS].max(axis=0)
        relaxed = -np.inf
        for row in X:
            lo, hi = row.copy(), row.copy()
            lo[SUM_COLUMNS], hi[SUM_COLUMNS] = low, high
            relaxed = max(relaxed, kernel.ensemble_bounds(lo, hi, lo.astype(np.float32), hi.astype(np.float32), *args)[1])
        undecided = np.zeros(len(packed.tree_depth), bool)
        splits = packed.feature.reshape(len(packed.tree_depth), -1)
        cuts = packed.threshold.reshape(len(packed.tree_depth), -1)
        for k, column in enumerate(SUM_COLUMNS):
            on_column = splits == column
            trees_on_sums |= on_column.any(axis=1)
            undecided |= (on_column & (np.float32(low[k]) < cuts) & (np.float32(high[k]) >= cuts)).any(axis=1)
        top = float(ensemble.query(encoded)[0].max())
        print(f"{free} | {len(X):,} | {box:.4f} | {per_tree_bound:.4f} | {relaxed:.4f} | {top:.4f} | "
              f"{int(undecided.sum()):,} of {len(undecided):,}", flush=True)
    print(f"trees that split on a whole-network sum at all: {int(trees_on_sums.sum()):,} of {len(trees_on_sums):,}")


if __name__ == "__main__":
    main()
