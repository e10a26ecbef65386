"""Query speed of the default XGB accuracy ensemble, against raw xgboost and the original path.

Measured in one run, so the comparisons hold on a shared, noisy machine:

1. Bulk: ``--n-bulk`` random architectures (100,000 by default) queried with
   ``anb.ANBEnsemble("xgb").query`` from ConfigSpace Configurations and from the encoded
   matrix, next to (a) raw ``xgboost`` ``inplace_predict`` of the same members on the same
   architectures' feature matrix, precomputed (the floor of any xgboost-based query), and
   (b) the original Accel-NASBench path: the authors' published accuracy config fitted on the
   28 encoded features (``Configuration.get_array()``), 5 members, queried with the arrays of
   all Configurations stacked into one ``xgb.DMatrix`` and ``predict`` per member.
2. One architecture per call, as a search loop asks: ``query(Configuration)`` and
   ``query(1x28 matrix)`` against the original path, per architecture ``get_array()`` -> a
   one-row ``xgb.DMatrix`` -> ``predict`` per member. Medians over ``--n-single`` calls.
3. The compiled kernel, one call for all members (``anb.models.tree_table``), against
   xgboost's own predictor on the same members and feature rows, from 1 row to ``--n-bulk``:
   the measurement behind sending every query of an xgboost ensemble through the kernel.
4. A fresh process with a warm cache: import, loading the ensemble (which reads the trees for
   the compiled kernel) and the first single query (which loads the compiled kernel from
   numba's cache), next to ``python -c "import xgboost, ConfigSpace"``.
5. Peak memory (VmHWM) of a process that queries ``--n-memory`` architectures, next to the same
   process stopping just before the query (skipped with ``--n-memory 0``).

    ANB_DATA_DIR=../shared/data/anb python benchmarks/query_speed.py [--n-bulk 20000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
import xgboost as xgb
from _timing import best_and_median

import anb
from anb.data.dataset import load_dataset
from anb.data.paths import data_dir
from anb.data.splits import default_split
from anb.devices.targets import resolve_target
from anb.fitting.model_config import read_model_params
from anb.fitting.training import fit_members, split_data
from anb.models.features import features_from_encoded
from anb.models.member_predictions import MemberPredictions
from configurationspaces.searchspaces import EfficientNetSS

REPEATS = 2
KERNEL_ROWS = (1, 16, 64, 256, 4096)
ORIGINAL_MEMBERS = 5
ORIGINAL_SEED = 0
N_ENCODED = 28

STARTUP = """
import time
start = time.perf_counter()
import anb
from configurationspaces.searchspaces import EfficientNetSS
imported = time.perf_counter()
ensemble = anb.ANBEnsemble("xgb").load_ensemble()
loaded = time.perf_counter()
ensemble.query(EfficientNetSS(seed=0).random_sample(1))
answered = time.perf_counter()
print(imported - start, loaded - imported, answered - loaded, repr(time.time()))
"""
MEMORY = """
import anb
from configurationspaces.searchspaces import EfficientNetSS
ensemble = anb.ANBEnsemble("xgb").load_ensemble()
encoded = EfficientNetSS(seed=0).random_encoded({n})
if {query}:
    mean, std = ensemble.query(encoded)
# VmHWM, this process's own peak: ru_maxrss would carry over the benchmark's peak across fork.
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(int(status["VmHWM"].split()[0]) / 1024)
"""


def best(fn) -> float:
    return best_and_median(fn, REPEATS)[0]


def median_per_call(fn, items) -> float:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_python(code: str) -> tuple[float, str]:
    """Seconds from starting ``python -c code`` to the end of ``code`` (not of the process: anb
    waits at exit for numba's kernel to finish loading), and what it printed before."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code + "\nimport time; print(repr(time.time()))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[-1]) - start, " ".join(out[:-1])


def original_boosters() -> list[xgb.Booster]:
    """The original's accuracy ensemble: the published config fitted on the 28 encoded columns."""
    data = load_dataset()
    sides, _ = split_data(data, default_split(data), resolve_target(None, None))
    for side in sides.values():
        side.X = side.X[:, :N_ENCODED]
    params = read_model_params(data_dir() / "published_model_configs" / "gradient_boosting" / "xgb_configspace.json")
    members = fit_members("xgb", params, sides, ORIGINAL_MEMBERS, ORIGINAL_SEED, progress=False)
    return [member.booster_ for member in members]


def original_query(boosters: list[xgb.Booster], configs) -> tuple[np.ndarray, np.ndarray]:
    """The original's query: Configuration arrays -> one DMatrix -> ``predict`` of each member."""
    matrix = xgb.DMatrix(np.stack([config.get_array() for config in configs]))
    predictions = np.stack([booster.predict(matrix) for booster in boosters])
    return predictions.mean(axis=0), predictions.std(axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-bulk", type=int, default=100_000, help="architectures of the bulk query")
    parser.add_argument("--n-single", type=int, default=300, help="single-architecture calls timed")
    parser.add_argument("--n-memory", type=int, default=1_000_000, help="architectures of the memory run (0: skip)")
    args = parser.parse_args()

    ensemble = anb.ANBEnsemble("xgb").load_ensemble()
    boosters = [m.booster_ for m in ensemble.members]
    trees = [b.num_boosted_rounds() for b in boosters]
    original = original_boosters()
    original_trees = [b.num_boosted_rounds() for b in original]
    ss = EfficientNetSS(seed=0)
    encoded = ss.random_encoded(args.n_bulk, seed=1)
    configs = ss.to_configurations(encoded)
    features = features_from_encoded(encoded)

    floor = best(lambda: [b.inplace_predict(features) for b in boosters])
    from_matrix = best(lambda: ensemble.query(encoded))
    from_configs = best(lambda: ensemble.query(configs))
    through_original = best(lambda: original_query(original, configs))
    print(f"query: {len(boosters)}-member xgb accuracy ensemble, {min(trees):,}-{max(trees):,} trees per member; "
          f"original: {len(original)} members, {min(original_trees):,}-{max(original_trees):,} trees per member")
    print(f"bulk, {args.n_bulk:,} architectures, best of {REPEATS}")
    print(f"  raw xgboost inplace_predict of the members, precomputed features {floor:8.3f} s")
    print(f"  query(encoded matrix)                                            {from_matrix:8.3f} s   "
          f"{floor / from_matrix:5.2f}x faster than raw xgboost")
    print(f"  query(Configurations)                                            {from_configs:8.3f} s")
    print(f"  original path, Configurations -> get_array -> DMatrix            {through_original:8.3f} s   "
          f"query(Configurations) {through_original / from_configs:5.1f}x faster")

    singles = configs[:args.n_single]
    rows = [row[None] for row in encoded[:args.n_single]]
    fresh = anb.ANBEnsemble("xgb").load_ensemble()
    start = time.perf_counter()
    fresh.query(singles[0])
    first_call = time.perf_counter() - start
    one_config = median_per_call(fresh.query, singles)
    one_row = median_per_call(fresh.query, rows)
    one_original = median_per_call(lambda config: original_query(original, [config]), singles)
    print(f"one architecture per call, median of {len(singles)} calls")
    print(f"  first call of a freshly loaded ensemble                     {first_call * 1e3:8.3f} ms")
    print(f"  query(Configuration)                                        {one_config * 1e3:8.3f} ms")
    print(f"  query(1x28 encoded matrix)                                  {one_row * 1e3:8.3f} ms")
    print(f"  original path, get_array -> DMatrix -> predict per member   {one_original * 1e3:8.3f} ms   "
          f"query(Configuration) {one_original / one_config:5.1f}x faster")

    members = ensemble.members
    kernel = MemberPredictions(members)
    print(f"kernel (one call, all members) against xgboost (a call per member), best of {REPEATS}")
    for n in (*KERNEL_ROWS, len(features)):
        through_kernel = best(lambda: kernel.predict(features[:n]))
        through_xgboost = best(lambda: [m.booster_.inplace_predict(features[:n]) for m in members])
        print(f"  {n:7,d} rows: kernel {through_kernel * 1e3:9.2f} ms   xgboost {through_xgboost * 1e3:9.2f} ms   "
              f"kernel {through_xgboost / through_kernel:4.1f}x faster")

    floor_start, _ = run_python("import xgboost, ConfigSpace")
    total, parts = run_python(STARTUP)
    imported, loaded, answered, _ = (float(part) for part in parts.split())
    print(f"fresh process, warm cache: {total:.2f} s to the first answer: import {imported:.2f} s, "
          f"load {loaded:.2f} s, first query {answered:.3f} s  (`import xgboost, ConfigSpace` alone {floor_start:.2f} s)")

    if args.n_memory:
        _, before = run_python(MEMORY.format(n=args.n_memory, query=False))
        _, after = run_python(MEMORY.format(n=args.n_memory, query=True))
        print(f"peak memory (VmHWM), {args.n_memory:,}-architecture query {float(after):7.0f} MB   "
              f"(same process without the query: {float(before):.0f} MB)")


if __name__ == "__main__":
    main()
