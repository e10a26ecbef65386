"""The compiled bounds and depth-first search of the exact optimum.

**The box.** With the first ``k`` blocks of the branching order fixed, every feature lies in an
interval: a fixed block's encoded columns are known, a free block's run over its choices, and a
cost column lies between the fixed shares plus the free blocks' smallest shares and the fixed
shares plus their largest (for ``peak_activation``, the maxima of these). The shares are integer
counts, so the sums are exact and ``count / scale`` is the feature value the ensemble sees.

**A tree's bound** is the smallest and largest leaf a row in the box can reach: a split
``x < threshold`` can send it left when the interval's low end (in float32, as the trees compare)
is below the threshold, and right when its high end is not.

**A member's bound is sound to the last bit.** xgboost adds the leaves in float32, in tree order,
to the base score. Rounding to nearest is monotone (``a <= a'`` and ``b <= b'`` give
``fl(a + b) <= fl(a' + b')``), so adding every tree's largest reachable leaf in the same order and
precision gives a float32 number no row in the box can exceed, with no rounding slack to allow
for; at a single architecture it is the member's prediction exactly. A log-linear member adds
``coef . phi(x) + intercept`` in float64 and takes ``exp``: the trend is bounded term by term at the
ends of each interval (``phi`` is monotone) and widened by ``LINK_MARGIN`` in the exponent, far more
than the float64 rounding of the query's trend and ``exp`` (:mod:`anb.models.portable_math`, within
an ulp or two of exact) can move it.

**The search.** Depth first over the blocks in the branching order; a node's children are
bounded together, explored best first, and pruned when their bound cannot beat the incumbent
(or, for a constraint, cannot satisfy it). At the last block the children are single
architectures: those whose bound reaches the incumbent are returned as candidates, which the
caller evaluates with the ensemble's own query. The kernel's incumbent is always a value some
architecture is known to reach (a candidate's lower bound), so pruning against it is sound.
"""

from __future__ import annotations

import numba
import numpy as np

from anb.models.compile_cache import caching
from anb.optimum.blocks import N_ENCODED, PEAK_COLUMN

# numba's cache when it can write one (see anb.models.compile_cache), else compiled in memory.
CACHE = caching(__file__)

# Widening of a log-linear member's exponent: float64 rounding moves it by ~1e-14.
LINK_MARGIN = 1e-9
# Relative widening of a mean of member predictions, for numpy's summation order.
MEAN_MARGIN = 1e-13
N_BLOCKS = 7
# Status codes of search().
DONE = 0
CANDIDATES_FULL = 1
STOPPED = 2


@numba.njit(cache=CACHE, nogil=True)
def box(order, k, choice, fixed_sum, columns, encoded, n_choices, suffix_lo, suffix_hi, scale, lo64, hi64, lo32, hi32):
    """The feature intervals with positions ``< k`` of ``order`` fixed to ``choice`` (whose cost
    shares sum to ``fixed_sum``) into ``lo64/hi64`` and their float32 ``lo32/hi32``."""
    for position in range(N_BLOCKS):
        b = order[position]
        for f in range(columns.shape[1]):
            column = columns[b, f]
            if position < k:
                lo64[column] = encoded[b, choice[position], f]
                hi64[column] = lo64[column]
            else:
                lo64[column] = 0.0
                hi64[column] = encoded[b, n_choices[b] - 1, f]
    for j in range(fixed_sum.shape[0]):
        if j == PEAK_COLUMN:
            lo = max(fixed_sum[j], suffix_lo[k, j])
            hi = max(fixed_sum[j], suffix_hi[k, j])
        else:
            lo = fixed_sum[j] + suffix_lo[k, j]
            hi = fixed_sum[j] + suffix_hi[k, j]
        lo64[N_ENCODED + j] = lo / scale[j]
        hi64[N_ENCODED + j] = hi / scale[j]
    for j in range(lo64.shape[0]):
        lo32[j] = np.float32(lo64[j])
        hi32[j] = np.float32(hi64[j])


@numba.njit(cache=CACHE, nogil=True, inline="always")
def _phi(x, is_log):
    return np.log1p(max(x, 0.0)) if is_log else x


@numba.njit(cache=CACHE, nogil=True)
def ensemble_bounds(lo64, hi64, lo32, hi32, base_score, depth, n_trees, tree_depth, feature, threshold, leaf,
                    has_link, coef, intercept, log_column, stack):
    """``(low, high)``: bounds of the members' mean prediction over the box (``stack``: scratch
    of at least 2 * 2**depth slots)."""
    total_lo = 0.0
    total_hi = 0.0
    first_split = 0
    first_leaf = 0
    first_tree = 0
    for member in range(base_score.shape[0]):
        levels = depth[member]
        slots = (1 << levels) - 1
        sum_lo = base_score[member]
        sum_hi = base_score[member]
        for tree in range(n_trees[member]):
            split = first_split + tree * slots
            leaves = first_leaf + tree * (slots + 1)
            own = tree_depth[first_tree + tree]
            if own == 0:
                sum_lo = np.float32(sum_lo + leaf[leaves])
                sum_hi = np.float32(sum_hi + leaf[leaves])
                continue
            low = np.float32(np.inf)
            high = np.float32(-np.inf)
            # Depth-first over the splits the box can take; a stack entry is node * 16 + level.
            top = 1
            stack[0] = 0
            while top > 0:
                top -= 1
                node = stack[top] >> 4
                level = stack[top] & 15
                if level == own:
                    value = leaf[leaves + ((node - (1 << own) + 1) << (levels - own))]
                    low = min(low, value)
                    high = max(high, value)
                    continue
                f = feature[split + node]
                cut = threshold[split + node]
                if hi32[f] >= cut:
                    stack[top] = ((2 * node + 2) << 4) | (level + 1)
                    top += 1
                if lo32[f] < cut:
                    stack[top] = ((2 * node + 1) << 4) | (level + 1)
                    top += 1

            sum_lo = np.float32(sum_lo + low)
            sum_hi = np.float32(sum_hi + high)
        if has_link[member]:
            trend_lo = intercept[member]
            trend_hi = intercept[member]
            for j in range(lo64.shape[0]):
                c = coef[member, j]
                if c == 0.0:
                    continue
                a = c * _phi(lo64[j], log_column[j])
                b = c * _phi(hi64[j], log_column[j])
                trend_lo += min(a, b)
                trend_hi += max(a, b)
            total_lo += np.exp(trend_lo - LINK_MARGIN + np.float64(sum_lo))
            total_hi += np.exp(trend_hi + LINK_MARGIN + np.float64(sum_hi))
        else:
            total_lo += np.float64(sum_lo)
            total_hi += np.float64(sum_hi)
        first_split += n_trees[member] * slots
        first_leaf += n_trees[member] * (slots + 1)
        first_tree += n_trees[member]
    mean_lo = total_lo / base_score.shape[0]
    mean_hi = total_hi / base_score.shape[0]
    return mean_lo - abs(mean_lo) * MEAN_MARGIN, mean_hi + abs(mean_hi) * MEAN_MARGIN


@numba.njit(cache=CACHE, nogil=True, inline="always")
def _score_bounds(low, high, sense):
    """Bounds of ``sense * value`` (sense +1: maximised, -1: minimised)."""
    return (low, high) if sense > 0 else (-high, -low)


@numba.njit(cache=CACHE, nogil=True)
def prefix_bounds(prefixes, order, columns, encoded, n_choices, shares, suffix_lo, suffix_hi, scale,
                  ob, od, on, otd, of, ot, ol, olink, ocoef, oint, olog, o_sense,
                  cb, cd, cn, ctd, cf, ct, cl, clink, ccoef, cint, clog, c_sense, has_constraint):
    """For each row of ``prefixes`` (choices of the first positions of ``order``): the upper bound
    of the objective's score and of the constraint's score over the architectures below it."""
    n, k = prefixes.shape
    out = np.empty((n, 2))
    lo64 = np.empty(columns.size + shares.shape[2])
    hi64 = np.empty_like(lo64)
    lo32 = np.empty(lo64.shape[0], np.float32)
    hi32 = np.empty(lo64.shape[0], np.float32)
    stack = np.empty(1 << 10, np.int64)
    fixed_sum = np.empty(shares.shape[2])
    for row in range(n):
        fixed_sum[:] = 0.0
        for position in range(k):
            b = order[position]
            c = prefixes[row, position]
            for j in range(fixed_sum.shape[0]):
                if j == PEAK_COLUMN:
                    fixed_sum[j] = max(fixed_sum[j], shares[b, c, j])
                else:
                    fixed_sum[j] += shares[b, c, j]
        box(order, k, prefixes[row], fixed_sum, columns, encoded, n_choices, suffix_lo, suffix_hi, scale, lo64, hi64,
            lo32, hi32)
        low, high = ensemble_bounds(lo64, hi64, lo32, hi32, ob, od, on, otd, of, ot, ol, olink, ocoef, oint, olog,
                                    stack)
        out[row, 0] = _score_bounds(low, high, o_sense)[1]
        out[row, 1] = np.inf
        if has_constraint:
            low, high = ensemble_bounds(lo64, hi64, lo32, hi32, cb, cd, cn, ctd, cf, ct, cl, clink, ccoef, cint, clog,
                                        stack)
            out[row, 1] = _score_bounds(low, high, c_sense)[1]
    return out


@numba.njit(cache=CACHE, nogil=True)
def _add_share(b, c, shares, before, after):
    """``after``: the fixed cost sums ``before`` with block ``b``'s choice ``c`` added."""
    for j in range(before.shape[0]):
        share = shares[b, c, j]
        after[j] = max(before[j], share) if j == PEAK_COLUMN else before[j] + share


@numba.njit(cache=CACHE, nogil=True)
def _keep_reaching(candidates, candidate_bound, n, incumbent):
    """Drop the candidates whose bound is below the incumbent; returns how many are left."""
    kept = 0
    for i in range(n):
        if candidate_bound[i] >= incumbent:
            candidates[kept] = candidates[i]
            candidate_bound[kept] = candidate_bound[i]
            kept += 1
    return kept


@numba.njit(cache=CACHE, nogil=True)
def search(prefix, order, columns, encoded, n_choices, shares, suffix_lo, suffix_hi, scale,
           ob, od, on, otd, of, ot, ol, olink, ocoef, oint, olog, o_sense,
           cb, cd, cn, ctd, cf, ct, cl, clink, ccoef, cint, clog, c_sense, has_constraint, c_bound,
           incumbent, candidates, candidate_bound, nodes, max_nodes,
           choice, fixed_sum, pending, pending_bound, n_pending, cursor):
    """Depth-first branch and bound below ``prefix`` (the choices of the first positions of
    ``order``), maximising the objective's score (its value times ``o_sense``) subject, when
    ``has_constraint``, to the constraint's score being at least ``c_bound``.

    ``incumbent``: a score some architecture is known to reach. Returns ``(status, n_candidates,
    incumbent, bound_left)``: the architectures (choices per position of ``order``) whose bound
    reaches the final incumbent are ``candidates[:n_candidates]``; ``nodes[d]`` counts the nodes
    bounded with ``d`` blocks fixed. ``status`` is ``CANDIDATES_FULL`` when more candidates than
    ``candidates`` holds tie within the bounds' margins (the caller retries with a larger buffer),
    ``STOPPED`` when ``max_nodes`` nodes were bounded first: ``bound_left`` is then the best bound
    of the nodes not yet searched (else -inf).

    The search's state lives in the caller's arrays (``choice``, ``fixed_sum``, ``pending``,
    ``pending_bound``, ``n_pending``, and ``cursor``: the depth, and 1 once started), so a call
    that stopped is continued by calling again with them: this is how the caller shows progress
    and keeps a time limit. ``cursor[1] == 0`` starts afresh.
    """
    n_cost = shares.shape[2]
    bounded = 0
    n_features = columns.size + n_cost
    lo64 = np.empty(n_features)
    hi64 = np.empty(n_features)
    lo32 = np.empty(n_features, np.float32)
    hi32 = np.empty(n_features, np.float32)
    stack = np.empty(1 << 10, np.int64)
    k0 = prefix.shape[0]
    bounds = np.empty(shares.shape[1])
    n_candidates = 0
    if cursor[1] == 0:
        choice[:k0] = prefix
        # fixed_sum[d]: the cost shares of the blocks at positions < d.
        fixed_sum[:] = 0.0
        for position in range(k0):
            _add_share(order[position], prefix[position], shares, fixed_sum[position], fixed_sum[position + 1])
        # Per depth: the children still to visit, worst bound first (popped from the end, best first).
        n_pending[:] = 0
        depth = k0
        expand = True
        cursor[1] = 1
    else:
        depth = cursor[0]
        expand = False
    while True:
        if expand and depth < N_BLOCKS:
            # Bound every child at this depth; keep the ones that can still reach the incumbent.
            b = order[depth]
            for c in range(n_choices[b]):
                choice[depth] = c
                _add_share(b, c, shares, fixed_sum[depth], fixed_sum[depth + 1])
                box(order, depth + 1, choice, fixed_sum[depth + 1], columns, encoded, n_choices, suffix_lo, suffix_hi,
                    scale, lo64, hi64, lo32, hi32)
                nodes[depth + 1] += 1
                bounded += 1
                bounds[c] = -np.inf
                sure = True
                if has_constraint:
                    low, high = ensemble_bounds(lo64, hi64, lo32, hi32, cb, cd, cn, ctd, cf, ct, cl, clink, ccoef, cint,
                                                clog, stack)
                    c_low, c_high = _score_bounds(low, high, c_sense)
                    if c_high < c_bound:
                        continue
                    sure = c_low >= c_bound
                low, high = ensemble_bounds(lo64, hi64, lo32, hi32, ob, od, on, otd, of, ot, ol, olink, ocoef, oint,
                                            olog, stack)
                s_low, s_high = _score_bounds(low, high, o_sense)
                if s_high < incumbent:
                    continue
                if depth + 1 < N_BLOCKS:
                    bounds[c] = s_high
                    continue
                # A single architecture: a candidate; a sure lower bound of it raises the incumbent.
                if sure and s_low > incumbent:
                    incumbent = s_low
                if n_candidates == candidates.shape[0]:
                    n_candidates = _keep_reaching(candidates, candidate_bound, n_candidates, incumbent)
                    if n_candidates == candidates.shape[0]:
                        return CANDIDATES_FULL, n_candidates, incumbent, -np.inf
                candidates[n_candidates] = choice
                candidate_bound[n_candidates] = s_high
                n_candidates += 1
            n = 0
            if depth + 1 < N_BLOCKS:
                for c in np.argsort(bounds[:n_choices[b]]):
                    if bounds[c] >= incumbent:
                        pending[depth, n] = c
                        pending_bound[depth, n] = bounds[c]
                        n += 1
            n_pending[depth] = n
        # The next node: the best pending child of the deepest depth with one that can still win.
        while depth >= k0:
            if n_pending[depth] > 0 and pending_bound[depth, n_pending[depth] - 1] < incumbent:
                n_pending[depth] = 0  # the best pending child cannot reach the incumbent; the rest are worse
            if n_pending[depth] > 0:
                break
            depth -= 1
        if depth < k0:
            break
        if bounded >= max_nodes:
            left = -np.inf
            for d in range(k0, depth + 1):
                if n_pending[d] > 0:
                    left = max(left, pending_bound[d, n_pending[d] - 1])
            cursor[0] = depth
            return STOPPED, _keep_reaching(candidates, candidate_bound, n_candidates, incumbent), incumbent, left
        n_pending[depth] -= 1
        c = pending[depth, n_pending[depth]]
        choice[depth] = c
        _add_share(order[depth], c, shares, fixed_sum[depth], fixed_sum[depth + 1])
        depth += 1
        expand = True
    return DONE, _keep_reaching(candidates, candidate_bound, n_candidates, incumbent), incumbent, -np.inf
