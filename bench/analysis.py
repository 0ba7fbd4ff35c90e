"""Analysis speed on the default preset: a 200-point sweep, a goal seek, a sensitivity run
and a 100,000-sample Monte Carlo. Target: each under 50 ms, so the app can refresh all of
them with the scenario on every keystroke; the Monte Carlo of the headline outputs under
20 ms (issue #12). bench/versus.py times it beside main's in the same process.

Prints the median and best of several runs (wall clock; the machine is shared, so the
best run is the fairest estimate of the code's own cost). Run: `.venv/bin/python bench/analysis.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.analysis.sensitivity import sensitivity  # noqa: E402
from whatif.engine.analysis.solve import parse_goal, solve  # noqa: E402
from whatif.engine.analysis.sweep import sweep  # noqa: E402
from whatif.engine.analysis.uncertainty import HEADLINE, monte_carlo  # noqa: E402
from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.presets import load_preset  # noqa: E402
from bench.timing import interleaved, timed  # noqa: E402
from whatif.engine.step import exhaustive_search, forget  # noqa: E402

TARGET_MS = 50.0
HEADLINE_MC = "Monte Carlo, 100,000 samples, 5 headline outputs"
TARGETS_MS = {HEADLINE_MC: 20.0}  # tighter than TARGET_MS
REPEATS = 15


def main() -> int:
    scenario = load_preset(ROOT / "presets" / "default.toml")
    goal = parse_goal("training_days=60")
    cases = {
        "sweep, 200 points of cluster.count (log)":
            lambda: sweep(scenario, "cluster.count", 1024, 1_048_576, points=200, log=True),
        "sweep, 1,000 points of cluster.count (layout re-searched, cold)":
            lambda: (forget(), sweep(scenario, "cluster.count", 1024, 1_048_576, points=1000, log=True)),
        "the same sweep again (layouts remembered)":
            lambda: sweep(scenario, "cluster.count", 1024, 1_048_576, points=1000, log=True),
        "goal seek, cluster.count for training_days=60":
            lambda: solve(scenario, "cluster.count", goal),
        "sensitivity of cost_usd, 14 inputs +-20 %":
            lambda: sensitivity(scenario, "cost_usd"),
        "Monte Carlo, 100,000 samples, all 18 outputs":
            lambda: monte_carlo(scenario, samples=100_000),
        HEADLINE_MC:
            lambda: monte_carlo(scenario, samples=100_000, outputs=HEADLINE),
        "Monte Carlo, 10,000 samples (app default), all":
            lambda: monte_carlo(scenario, samples=10_000),
    }
    print(f"{'case':<58} {'median ms':>10} {'best ms':>9}  target < {TARGET_MS:g} ms")
    ok = True
    for label, fn in cases.items():
        median, best = timed(fn, REPEATS)
        target = TARGETS_MS.get(label, TARGET_MS)
        verdict = "ok" if median < target else "SLOW"
        ok &= median < target
        tighter = f" (target < {target:g} ms)" if label in TARGETS_MS else ""
        print(f"{label:<58} {median:>10.1f} {best:>9.1f}  {verdict}{tighter}")
    # The cold re-searching sweep beside the same sweep through the exhaustive layout search.
    def cold_sweep():
        forget()
        sweep(scenario, "cluster.count", 1024, 1_048_576, points=1000, log=True)

    def exhaustive_sweep():
        with exhaustive_search():
            cold_sweep()

    fast_ms, slow_ms = interleaved([cold_sweep, exhaustive_sweep], REPEATS)
    print(f"{'1,000-point cold sweep: fast vs exhaustive search (same run)':<58} {fast_ms:>10.1f} {slow_ms:>9.1f}"
          f"  = {slow_ms / fast_ms:.1f}x")
    # Each analysis evaluates the scenario once for its base; quoted for reference.
    median, best = timed(lambda: evaluate(scenario), REPEATS)
    print(f"{'(one evaluate() for reference)':<58} {median:>10.2f} {best:>9.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
