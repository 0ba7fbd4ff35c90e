"""Plan speed on the default preset: the whole catalog x every cooling type x the count grid
(engine/analysis/plan.py), 100 MW and 90 days. Target: under 50 ms, the app's keystroke
budget, for the whole plan (resolving every chip x cooling row included); also the search
alone (what the Plan view re-runs on a keystroke: its rows stay resolved), a goal seek
across chips, a Shapley diff of two shipped presets, and the every-count search (exact, in
seconds: `plan --every-count`, ctrl+f in the Plan view; no target) beside the grid's.

Prints the median and best of several runs (wall clock; the machine is shared). Run:
`.venv/bin/python bench/plan.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.analysis.attribution import explain  # noqa: E402
from whatif.engine.analysis.plan import choose, limits_from, plan, prepare  # noqa: E402
from whatif.engine.presets import load_preset  # noqa: E402
from bench.timing import interleaved, timed  # noqa: E402
from whatif.engine.step import exhaustive_search, forget  # noqa: E402

TARGET_MS = 50.0
REPEATS = 21
REFERENCE_REPEATS = 5
EVERY_COUNT_REPEATS = 3


def main() -> int:
    scenario = load_preset(ROOT / "presets" / "default.toml")
    limits = limits_from(100, 90)
    prepared = prepare(scenario, limits=limits)
    result = plan(scenario, limits, prepared=prepared)
    rows = len(prepared.rows)
    chips = len({r.chip for r in prepared.rows})
    a = load_preset(ROOT / "presets" / "cluster-100k-h100-air.toml")
    b = load_preset(ROOT / "presets" / "cluster-100k-b200-liquid.toml")
    cases = {
        f"plan, {chips} chips x coolings = {rows} rows, {result.evaluated:,} options, cold":
            lambda: (forget(), plan(scenario, limits)),
        "the same plan again (layouts remembered: a re-plan for another cap)":
            lambda: plan(scenario, limits),
        "plan, search only (rows resolved; a Plan view keystroke)":
            lambda: plan(scenario, limits, prepared=prepared),
        "solve --for cluster.chip (count kept), 2 goals":
            lambda: choose(scenario, ["cluster.chip"], [("training_days", "<=", 60), ("facility_mw", "<=", 150)]),
        "diff, 2 inputs x 5 outputs (Shapley)":
            lambda: explain(a, b),
    }
    # The cold plan beside the same plan through the exhaustive layout search, interleaved.
    def exhaustive_plan():
        with exhaustive_search():
            plan(scenario, limits)

    fast_ms, slow_ms = interleaved([lambda: (forget(), plan(scenario, limits)), exhaustive_plan], REFERENCE_REPEATS)
    print(f"Plan (median and best of {REPEATS}; target < {TARGET_MS:.0f} ms)")
    print(f"  cold plan, fast vs exhaustive layout search, interleaved x {REFERENCE_REPEATS}: {fast_ms:7.1f} vs "
          f"{slow_ms:7.1f} ms = {slow_ms / fast_ms:.1f}x")
    for name, fn in cases.items():
        median, best = timed(fn, REPEATS)
        mark = "ok" if median < TARGET_MS else "SLOW"
        print(f"  {name:<78} {median:7.1f} ms  (best {best:6.1f})  {mark}")
    exact = plan(scenario, limits, every_count=True)
    median, best = timed(lambda: plan(scenario, limits, every_count=True), EVERY_COUNT_REPEATS)
    gap = result.best.figures["training_days"] / exact.best.figures["training_days"] - 1
    print(f"  every-count plan, {exact.evaluated:,} options (median of {EVERY_COUNT_REPEATS}): {median / 1000:.2f} s "
          f"(best {best / 1000:.2f}); the grid's best is {gap:.3%} off the exact one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
