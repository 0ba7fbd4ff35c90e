"""Process start-up beside its references, measured side by side, and PRINTED (no assertions).

1. `whatif eval presets/default.toml --json` as a whole process, against a bare
   `python -c "import numpy, pydantic"`: the two libraries a validated evaluation needs. An
   unchanged preset comes from the start-up cache as plain numbers (engine/prepared.py) and
   imports no pydantic at all; for context, the same with the cache off (WHATIF_NO_CACHE=1:
   what a changed preset or catalog costs, and every demo visitor).
2. The app's first frame (the default scenario's training time on screen, in a real
   pseudo-terminal), against a one-label Textual app's first frame.

Runs are interleaved (reference, subject, reference, subject...) so both see the same load
on this shared machine; the figures are medians and their ratio. The packages are compiled
to bytecode first, as `make run` does.

Usage: .venv/bin/python bench/startup.py [--runs 21] [--size 80x24]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tui import REFERENCE_APP, Terminal, days_text, time_to_marker  # noqa: E402
from whatif.engine.presets import default_preset_path, load_preset  # noqa: E402

PACKAGES = ("whatif", "engine", "cli", "tui", "serve")
EVAL = [sys.executable, "-m", "whatif", "eval", str(ROOT / "presets" / "default.toml"), "--json"]
IMPORTS = [sys.executable, "-c", "import numpy, pydantic"]


CPU_SECONDS: dict[str, list[float]] = {}   # per command: user + system time, less sensitive to load


def process_seconds(command: list[str], env: dict[str, str] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd="/", env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    CPU_SECONDS.setdefault(" ".join(command), []).append(cpu)
    return wall


def side_by_side(runs: int, reference, subject) -> tuple[list[float], list[float]]:
    refs, subs = [], []
    for _ in range(runs):
        refs.append(reference())
        subs.append(subject())
    return refs, subs


def report(title: str, refs: list[float], subs: list[float], budget: float | None) -> None:
    ref, sub = statistics.median(refs), statistics.median(subs)
    print(f"{title}: median {sub * 1000:.0f} ms vs reference {ref * 1000:.0f} ms: "
          f"x{sub / ref:.2f} ({f'budget x{budget:g}; ' if budget else ''}n={len(subs)}, subject min {min(subs) * 1000:.0f} "
          f"max {max(subs) * 1000:.0f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS for the app")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=2)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # A start-up cache of this run's own: the user's is shared with every other whatif
    # process on the machine, which may prune the entries measured here.
    os.environ["WHATIF_CACHE_DIR"] = tempfile.mkdtemp(prefix="whatif-bench-cache-")
    process_seconds(EVAL)  # warm the page cache once
    eval_refs, evals = side_by_side(args.runs, lambda: process_seconds(IMPORTS), lambda: process_seconds(EVAL))
    uncached = {**os.environ, "WHATIF_NO_CACHE": "1"}
    cold_refs, colds = side_by_side(args.runs, lambda: process_seconds(IMPORTS), lambda: process_seconds(EVAL, uncached))
    marker = days_text(load_preset(default_preset_path()).cluster.count)
    first = Terminal(columns, rows)  # the first start keeps its opening (engine/opening.py) once its frame is out
    first.wait_for(marker)
    time.sleep(1.0)  # not drain(): the cursor's blink keeps the app from ever going quiet
    first.close()
    app_refs, apps = side_by_side(
        args.runs, lambda: time_to_marker(columns, rows, b"reference-frame", [sys.executable, "-c", REFERENCE_APP]),
        lambda: time_to_marker(columns, rows, marker))
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    report("whatif eval --json, whole process, vs python -c 'import numpy, pydantic'", eval_refs, evals, 1.2)
    report("  the same in CPU time (user + system)", CPU_SECONDS[" ".join(IMPORTS)][:args.runs],
           CPU_SECONDS[" ".join(EVAL)][1:args.runs + 1], 1.2)
    report("  the same with the cache off (WHATIF_NO_CACHE=1), for context", cold_refs, colds, None)
    report(f"app first frame at {columns}x{rows} vs a one-label Textual app", app_refs, apps, 2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
