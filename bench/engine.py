"""Engine speed: one scenario at a time vs a vectorised batch of 1,000,000.

Prints the median microseconds per single-scenario evaluation (compute only, and the full
evaluate() with resolution against the catalog and warnings; both run the training-step
model's layout search, docs/model.md §16), a 1,000-point sweep of the chip count that
re-searches the layout at every point, and scenarios per second for a batch of 1,000,000
that varies PUE and price (inputs that leave the layout alone: the search runs once).
Cold means every layout memory forgotten (step.forget()) before each call; after a count
change, the layout is searched again but the scenario's count-independent constants are
kept (as in the app). The search alone is also timed beside the exhaustive reference
search (step.step_model_exhaustive), interleaved in the same run.
Targets: evaluate() <= 1 ms; the 1,000-point re-search <= 50 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whatif.engine.evaluate import evaluate, evaluate_batch, evaluate_resolved  # noqa: E402
from whatif.engine.model import compute  # noqa: E402
from whatif.engine.presets import default_preset_path, load_preset  # noqa: E402
from whatif.engine.resolve import resolve  # noqa: E402
from bench.timing import interleaved  # noqa: E402
from whatif.engine.step import STEP_INPUTS, forget, step_model, step_model_exhaustive  # noqa: E402


def median_us(fn, repeats: int = 2000) -> float:
    for _ in range(50):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    scenario = load_preset(default_preset_path())
    resolved = resolve(scenario)
    compute_us = median_us(lambda: compute(resolved.values))
    result_us = median_us(lambda: evaluate_resolved(scenario, resolved))
    full_us = median_us(lambda: evaluate(scenario), repeats=500)

    cold_us = median_us(lambda: (forget(), evaluate(scenario)), repeats=500)
    # A count change in the app: a count never seen (the layout re-searched), the search's
    # count-independent constants of this scenario remembered.
    changed = iter([scenario.with_values({"cluster.count": 16384 + i}) for i in range(600)])
    count_change_us = median_us(lambda: evaluate(next(changed)), repeats=500)

    counts = np.unique(np.round(np.geomspace(1024, 1_048_576, 1200)))[:1000]
    sweep_ms = median_us(lambda: (forget(), evaluate_batch(resolved, count=counts)), repeats=15) / 1000
    # The search alone beside the exhaustive reference it reproduces, interleaved in this run.
    one = {k: resolved.values[k] for k in STEP_INPUTS}
    many = {**one, "count": counts}
    search = {name: interleaved(list(fns), repeats) for name, fns, repeats in (
        ("one scenario", (lambda: (forget(), step_model(one)), lambda: step_model_exhaustive(one)), 400),
        ("1,000 counts", (lambda: (forget(), step_model(many)), lambda: step_model_exhaustive(many)), 15))}

    rows = 1_000_000
    rng = np.random.default_rng(0)
    rents = rng.uniform(1.5, 3.5, rows)
    pues = rng.uniform(1.05, 1.6, rows)
    evaluate_batch(resolved, rent_usd_per_chip_hour=rents[:1000], pue=pues[:1000])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        evaluate_batch(resolved, rent_usd_per_chip_hour=rents, pue=pues)
        times.append(time.perf_counter() - start)
    batch_s = min(times)
    per_row_us = batch_s / rows * 1e6

    print(f"single scenario, compute only:                 {compute_us:8.1f} us (median)")
    print(f"single scenario, compute + warnings:           {result_us:8.1f} us (median)")
    print(f"single scenario, evaluate() incl. resolution:  {full_us:8.1f} us (median)")
    print(f"single scenario, evaluate(), cold layout search:{cold_us:8.1f} us (median; target 1,000)")
    print(f"single scenario, evaluate() after a count change:{count_change_us:7.1f} us (median; layout re-searched)")
    print(f"sweep of {len(counts):,} chip counts, layout re-searched:  {sweep_ms:8.1f} ms (median; target 50)")
    for name, (fast, exhaustive) in search.items():
        print(f"layout search alone, {name}: {fast * 1000:8.1f} us vs exhaustive {exhaustive * 1000:8.1f} us "
              f"= {exhaustive / fast:4.1f}x")
    print(f"batch of {rows:,}:                        {batch_s * 1000:8.1f} ms = {rows / batch_s:,.0f} scenarios/s "
          f"({per_row_us:.3f} us each)")
    print(f"batch speed-up per scenario vs single compute: {compute_us / per_row_us:8.0f}x")


if __name__ == "__main__":
    main()
