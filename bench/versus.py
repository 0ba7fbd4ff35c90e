"""This checkout's engine against another revision's (default: main), in one process.

The machine is shared and its load moves by 2x within a minute, so two bench runs one after
the other compare the load as much as the code. Here the reference revision's engine and
presets (`git archive REV engine presets`) are imported beside this checkout's under another
package name, and each case alternates between the two call by call: both medians see the
same load, and their ratio is the figure to quote. Nothing is written outside a temporary
folder (the start-up cache included).

Run: `.venv/bin/python bench/versus.py [REV] [CASE ...]`. Cases (default all):
  cold    evaluate() of the default preset, every layout memory forgotten (target <= 1 ms)
  count   evaluate() after a count change (the layout re-searched, the scenario's constants kept)
  warm    evaluate() with the layout remembered
  mc      Monte Carlo, 100,000 samples, the 5 headline outputs (target <= 20 ms)
  mc_app  Monte Carlo as the app runs it: 10,000 samples, every output
  plan    the whole catalog's plan under 100 MW and 90 days, cold (bench/plan.py; target <= 50 ms)
  replan  the same plan again, its layouts remembered
"""

from __future__ import annotations

import importlib
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REFERENCE = "whatif_ref"
CALLS = {"cold": 1500, "count": 1000, "warm": 1000, "mc": 100, "mc_app": 200, "plan": 25, "replan": 25}


def import_revision(rev: str, folder: Path) -> str:
    """`rev`'s engine/ and presets/ as package REFERENCE (its imports renamed), importable."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "engine", "presets", "whatif/__init__.py"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder / "src", filter="data")
    package = folder / REFERENCE
    (folder / "src" / "whatif" / "__init__.py").rename(folder / "src" / "__init__.py")
    (folder / "src" / "whatif").rmdir()
    (folder / "src").rename(package)
    (package / "presets" / "__init__.py").touch()
    for path in package.rglob("*.py"):
        path.write_text(re.sub(r"\bwhatif\.(engine|presets)\b", REFERENCE + r".\1", path.read_text()))
    sys.path.insert(0, str(folder))
    return REFERENCE


def cases(package: str) -> dict:
    def module(name):
        return importlib.import_module(f"{package}.engine.{name}")

    evaluate, step, uncertainty = module("evaluate").evaluate, module("step"), module("analysis.uncertainty")
    presets, planning = module("presets"), module("analysis.plan")
    scenario = presets.load_preset(presets.default_preset_path())
    base = evaluate(scenario)
    # A count never seen before at every call, the scenarios built beforehand (as bench/engine.py).
    changed = iter([scenario.with_values({"cluster.count": 16_385 + i}) for i in range(CALLS["count"] + 50)])
    return {
        "cold": lambda: (step.forget(), evaluate(scenario)),
        "count": lambda: evaluate(next(changed)),
        "warm": lambda: evaluate(scenario),
        "mc": lambda: uncertainty.monte_carlo(scenario, base, samples=100_000, outputs=uncertainty.HEADLINE),
        "mc_app": lambda: uncertainty.monte_carlo(scenario, base, samples=10_000),
        "plan": lambda: (step.forget(), planning.plan(scenario, planning.limits_from(100, 90))),
        "replan": lambda: planning.plan(scenario, planning.limits_from(100, 90)),
    }


def side_by_side(ref, this, calls: int) -> tuple[float, float]:
    """Median seconds of `ref` and `this`, called in turn (the order alternating)."""
    for _ in range(max(3, calls // 50)):
        ref(), this()
    samples: tuple[list[float], list[float]] = ([], [])
    for i in range(calls):
        for fn, out in ((ref, samples[0]), (this, samples[1]))[:: 1 if i % 2 else -1]:
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main(argv: list[str]) -> None:
    rev = argv[0] if argv and argv[0] not in CALLS else "main"
    names = [a for a in argv if a in CALLS] or list(CALLS)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["WHATIF_CACHE_DIR"] = str(Path(folder) / "cache")
        ref, this = cases(import_revision(rev, Path(folder))), cases("whatif")
        load = os.getloadavg()[0]
        print(f"{'case':<8} {rev + ' (ms)':>12} {'this (ms)':>11} {'this / ' + rev:>12}   load {load:.1f}")
        for name in names:
            a, b = side_by_side(ref[name], this[name], CALLS[name])
            print(f"{name:<8} {a * 1000:12.3f} {b * 1000:11.3f} {b / a:12.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
