"""Timing helper shared by the benchmarks (run as scripts, so imported as ``_timing``)."""

from __future__ import annotations

import statistics
import time


def best_and_median(fn, repeats: int) -> tuple[float, float]:
    """Best and median wall time of ``repeats`` calls: the best is the least disturbed by noise."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)
