"""Query speed and memory of a 10-member XGB accuracy ensemble, against their floors.

Measured in one run, so the comparisons hold on a shared, noisy machine:

1. 100,000 random architectures queried (a) from ConfigSpace Configuration objects, (b) from
   the encoded matrix, and (c) raw ``xgboost`` ``inplace_predict`` of the same boosters on the
   same architectures' feature matrix, precomputed: the floor. (a) is split into encoding and
   predicting time.
2. A search loop: one architecture per ``query`` call, through xgboost (each call pays its setup
   walk over every tree) for the first ``SMALL_QUERIES_BEFORE_TABLE - 1`` calls, then the call
   that builds the ensemble's TreeTable, then the calls that go through the table.
3. Start-up: a fresh ``python`` process to its first answer with a warm cache, next to
   ``python -c "import xgboost, ConfigSpace"`` (the floor of any such process).
4. Peak memory (VmHWM) of a process that queries 1,000,000 architectures, next to the same
   process stopping just before the query.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/query_speed.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from _timing import best_and_median

import anb
from anb.ensemble import SMALL_QUERIES_BEFORE_TABLE
from anb.features import features_from_encoded
from configurationspaces.searchspaces import EfficientNetSS

N_QUERY = 100_000
N_MEMORY = 1_000_000
MEMBERS = 10
REPEATS = 2
N_LOOP = 200

STARTUP = """
import anb
from configurationspaces.searchspaces import EfficientNetSS
print(anb.ANBEnsemble("xgb").query(EfficientNetSS(seed=0).random_sample(1))[0])
"""
MEMORY = """
import anb
from configurationspaces.searchspaces import EfficientNetSS
ensemble = anb.ANBEnsemble("xgb", n_members={members}).load_ensemble()
encoded = EfficientNetSS(seed=0).random_encoded({n})
if {query}:
    mean, std = ensemble.query(encoded)
# VmHWM, this process's own peak: ru_maxrss would carry over the benchmark's peak across fork.
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(int(status["VmHWM"].split()[0]) / 1024)
"""


def best(fn) -> float:
    return best_and_median(fn, REPEATS)[0]


def run_python(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out.strip()


def main() -> None:
    ensemble = anb.ANBEnsemble("xgb", n_members=MEMBERS).load_ensemble()
    boosters = [m.booster_ for m in ensemble.members]
    ss = EfficientNetSS(seed=0)
    encoded = ss.random_encoded(N_QUERY, seed=1)
    configs = ss.to_configurations(encoded)
    features = features_from_encoded(encoded)

    floor = best(lambda: [b.inplace_predict(features) for b in boosters])
    from_matrix = best(lambda: ensemble.query(encoded))
    from_configs = best(lambda: ensemble.query(configs))
    encode_configs = best(lambda: ss.encode(configs))
    print(f"{len(boosters)}-member xgb accuracy ensemble, {N_QUERY:,} architectures, best of {REPEATS}")
    print(f"  (c) raw xgboost inplace_predict (floor)  {floor:7.3f} s")
    print(f"  (b) query(encoded matrix)                {from_matrix:7.3f} s   {from_matrix / floor:5.2f}x the floor")
    print(f"  (a) query(Configurations)                {from_configs:7.3f} s   of which encoding {encode_configs:.3f} s "
          f"({encode_configs / (from_configs - encode_configs):.2f}x the rest)")
    print(f"      per architecture: {from_matrix / N_QUERY * 1e6:.2f} us from the matrix")

    singles = encoded[:N_LOOP]
    loop = anb.ANBEnsemble("xgb", n_members=MEMBERS, progress=False).load_ensemble()
    start = time.perf_counter()
    for row in singles[:SMALL_QUERIES_BEFORE_TABLE - 1]:
        loop.query(row[None])
    through_xgboost = (time.perf_counter() - start) / (SMALL_QUERIES_BEFORE_TABLE - 1)
    start = time.perf_counter()
    loop.query(singles[SMALL_QUERIES_BEFORE_TABLE - 1][None])
    build = time.perf_counter() - start
    through_table = best(lambda: [loop.query(row[None]) for row in singles]) / N_LOOP
    print("search loop, one architecture per query() call")
    print(f"  first {SMALL_QUERIES_BEFORE_TABLE - 1} calls, through xgboost            {through_xgboost * 1e3:7.2f} ms per query")
    print(f"  call {SMALL_QUERIES_BEFORE_TABLE}, which builds the TreeTable          {build:7.2f} s")
    print(f"  next {N_LOOP} calls, through the table          {through_table * 1e3:7.2f} ms per query   "
          f"{through_xgboost / through_table:4.1f}x faster")

    floor_start, _ = run_python("import xgboost, ConfigSpace")
    first_answer, _ = run_python(STARTUP)
    print(f"start-up to first answer (warm cache)      {first_answer:7.3f} s   floor `import xgboost, ConfigSpace` {floor_start:.3f} s")

    _, before = run_python(MEMORY.format(n=N_MEMORY, members=MEMBERS, query=False))
    _, after = run_python(MEMORY.format(n=N_MEMORY, members=MEMBERS, query=True))
    print(f"peak memory (VmHWM), {N_MEMORY:,}-architecture query{float(after):7.0f} MB   "
          f"(same process without the query: {float(before):.0f} MB)")


if __name__ == "__main__":
    main()
