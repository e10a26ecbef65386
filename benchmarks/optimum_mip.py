"""The accuracy optimum as a mixed-integer program of the trees, solved by HiGHS: how far it gets.

The alternative to the branch and bound that the tree-ensemble optimisation literature uses
(Misic, "Optimization of tree ensembles", Operations Research 2020): binaries for the choice of
each block (one-hot) and for each distinct threshold of a whole-network cost sum (``params <
t``, linked to the sum of the blocks' shares by big-M rows; ``peak_activation`` as "every block
below t"), a continuous variable per leaf, each tree's leaves summing to one, and per split its
left leaves at most its condition, its right leaves at most one minus it. A split on one block's
own column is a sum of that block's choices, with no new variable. The objective is the members'
mean of their leaves. Solved by ``scipy.optimize.milp`` (HiGHS) within ``--time-limit`` seconds
for the members given by ``--members``; prints the model's size, the best architecture found,
its value and the bound HiGHS proved.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/optimum_mip.py [--members 0] [--time-limit 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, milp

import anb
from anb.models.features import COST_COLUMNS, features_from_encoded
from anb.optimum.blocks import N_ENCODED, PEAK_COLUMN, block_choices
from anb.optimum.packed import pack

N_BLOCKS = 7


class Model:
    """The rows ``low <= A x <= high`` of the program, built one at a time."""

    def __init__(self, n_choice_variables: int):
        self.n_variables = n_choice_variables
        self.entries, self.low, self.high = [], [], []
        self.sum_binaries: dict[tuple, int] = {}

    def row(self, terms, low, high):
        self.entries += [(len(self.low), variable, coef) for variable, coef in terms]
        self.low.append(low)
        self.high.append(high)

    def variables(self, n: int) -> int:
        first, self.n_variables = self.n_variables, self.n_variables + n
        return first

    def matrix(self):
        rows, columns, values = zip(*self.entries)
        return sparse.csr_matrix((values, (rows, columns)), shape=(len(self.low), self.n_variables))


def build(ensemble, members: list[int]) -> tuple[Model, np.ndarray, float, list[int], np.ndarray]:
    packed, blocks = pack(ensemble), block_choices()
    first_choice = np.concatenate([[0], np.cumsum(blocks.n_choices)])
    model = Model(int(first_choice[-1]))
    for b in range(N_BLOCKS):
        model.row([(first_choice[b] + c, 1.0) for c in range(blocks.n_choices[b])], 1, 1)
    block_of_column = {int(column): (b, k) for b in range(N_BLOCKS) for k, column in enumerate(blocks.columns[b])}
    own_block = {N_ENCODED + j: int(name[len("block")]) for j, name in enumerate(COST_COLUMNS) if name.startswith("block")}

    def block_values(feature: int) -> tuple[int, np.ndarray]:
        if feature < N_ENCODED:
            b, k = block_of_column[feature]
            return b, blocks.encoded[b, :blocks.n_choices[b], k]
        b, j = own_block[feature], feature - N_ENCODED
        return b, blocks.shares[b, :blocks.n_choices[b], j] / blocks.scale[j]

    def condition(feature: int, threshold: np.float32) -> tuple[list, float]:
        """``x_feature < threshold`` as ``constant + sum(coef * variable)``."""
        if feature < N_ENCODED or feature in own_block:
            b, values = block_values(feature)
            return [(first_choice[b] + c, 1.0) for c in np.flatnonzero(values.astype(np.float32) < threshold)], 0.0
        j = feature - N_ENCODED
        shares = [blocks.shares[b, :blocks.n_choices[b], j] for b in range(N_BLOCKS)]
        below = [(s / blocks.scale[j]).astype(np.float32) < threshold for s in shares]
        if j == PEAK_COLUMN:
            if all(b.all() for b in below) or not all(b.any() for b in below):
                return [], float(all(b.all() for b in below))
            key = (j, float(threshold))
            if key not in model.sum_binaries:
                z = model.sum_binaries[key] = model.variables(1)
                for b in range(N_BLOCKS):
                    model.row([(z, 1.0)] + [(first_choice[b] + c, -1.0) for c in np.flatnonzero(below[b])], -np.inf, 0)
                model.row([(z, 1.0)] + [(first_choice[b] + c, -1.0) for b in range(N_BLOCKS)
                                        for c in np.flatnonzero(below[b])], -(N_BLOCKS - 1), np.inf)
            return [(model.sum_binaries[key], 1.0)], 0.0
        low, high = int(sum(s.min() for s in shares)), int(sum(s.max() for s in shares))
        if np.float32(low / blocks.scale[j]) >= threshold or np.float32(high / blocks.scale[j]) < threshold:
            return [], float(np.float32(high / blocks.scale[j]) < threshold)
        # The smallest integer sum whose feature value is not below the threshold.
        below_count, count = low, high
        while count - below_count > 1:
            middle = (below_count + count) // 2
            below_count, count = (below_count, middle) if np.float32(middle / blocks.scale[j]) >= threshold else (middle, count)
        key = (j, count)
        if key not in model.sum_binaries:
            z = model.sum_binaries[key] = model.variables(1)
            total = [(first_choice[b] + c, float(shares[b][c])) for b in range(N_BLOCKS) for c in range(len(shares[b]))]
            model.row(total + [(z, float(high - count + 1))], -np.inf, float(high))  # z = 1: sum <= count - 1
            model.row(total + [(z, float(count - low))], float(count), np.inf)  # z = 0: sum >= count
        return [(model.sum_binaries[key], 1.0)], 0.0

    objective, constant = [], 0.0
    first_split = first_leaf = first_tree = 0
    for m in range(packed.n_members):
        levels, slots = packed.depth[m], (1 << packed.depth[m]) - 1
        if m in members:
            constant += float(packed.base_score[m]) / len(members)
            for t in range(packed.n_trees[m]):
                own = packed.tree_depth[first_tree + t]
                leaves = [float(packed.leaf[first_leaf + t * (slots + 1) + (i << (levels - own))]) for i in range(1 << own)]
                y = model.variables(len(leaves))
                objective += [(y + i, value / len(members)) for i, value in enumerate(leaves)]
                model.row([(y + i, 1.0) for i in range(len(leaves))], 1, 1)
                for node in range((1 << own) - 1):
                    level = int(np.log2(node + 1))
                    span = 1 << (own - level - 1)
                    start = 2 * (node - (1 << level) + 1) * span
                    if len(set(leaves[start:start + 2 * span])) == 1:
                        continue  # a filler split: both sides lead to the same leaf value
                    split = first_split + t * slots + node
                    terms, fixed = condition(int(packed.feature[split]), packed.threshold[split])
                    model.row([(y + i, 1.0) for i in range(start, start + span)] + [(v, -c) for v, c in terms],
                              -np.inf, fixed)
                    model.row([(y + i, 1.0) for i in range(start + span, start + 2 * span)] + terms, -np.inf, 1 - fixed)
        first_split += packed.n_trees[m] * slots
        first_leaf += packed.n_trees[m] * (slots + 1)
        first_tree += packed.n_trees[m]
    cost = np.zeros(model.n_variables)
    for variable, value in objective:
        cost[variable] -= value
    return model, cost, constant, first_choice.tolist(), blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[0], help="which of the 5 members to optimise the mean of")
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args()
    ensemble = anb.ANBEnsemble("xgb", progress=False).load_ensemble()
    start = time.perf_counter()
    model, cost, constant, first_choice, blocks = build(ensemble, args.members)
    integral = np.zeros(model.n_variables)
    integral[:first_choice[-1]] = 1
    integral[list(model.sum_binaries.values())] = 1
    matrix = model.matrix()
    print(f"members {args.members}: {model.n_variables:,} variables ({int(integral.sum()):,} binary, "
          f"{len(model.sum_binaries):,} of them cost-sum thresholds), {len(model.low):,} rows, {matrix.nnz:,} "
          f"non-zeros; built in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    result = milp(cost, constraints=LinearConstraint(matrix, model.low, model.high), integrality=integral,
                  bounds=Bounds(0, 1), options={"time_limit": args.time_limit, "mip_rel_gap": 0.0})
    seconds = time.perf_counter() - start
    if result.x is None:
        print(f"HiGHS found no architecture in {seconds:.0f} s: {result.message}")
        return
    choices = np.array([int(np.argmax(result.x[first_choice[b]:first_choice[b + 1]])) for b in range(N_BLOCKS)])
    members = [ensemble.members[m] for m in args.members]
    rows = blocks.rows(choices[None])
    queried = float(np.mean([member.predict(features_from_encoded(rows))[0] for member in members]))
    print(f"after {seconds:.0f} s ({result.message}): architecture {choices.tolist()}, program value "
          f"{constant - result.fun:.4f} (the members' own mean {queried:.4f}), bound proved "
          f"{constant - result.mip_dual_bound:.4f}, gap {result.fun - result.mip_dual_bound:.4f}; "
          f"{result.mip_node_count} branch-and-bound nodes")


if __name__ == "__main__":
    main()
