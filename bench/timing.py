"""Timing shared by the in-process benches: medians, never single runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, best) milliseconds of `repeats` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples), min(samples)


def interleaved(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median milliseconds of each of `fns`, called in turn `repeats` times so they share the
    machine's load (a side-by-side reference in the same run)."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, samples):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000.0)
    return [statistics.median(s) for s in samples]
